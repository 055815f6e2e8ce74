"""The analysis report over real HTTP and from the CLI, on the hand-built graph of ``tests/explore_setup.py``.

The graph is built in two analysis runs: first without the shell ring (``SHELL1..3``), then with
it, so the latest run has a high-risk network the previous one did not: the report must warn about
it. Expected figures are computed here from the source rows.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import dump_dom, inked, screenshot
from tests.conftest import run_cli
from tests.explore_setup import SHELLS, declarations
from tests.scoring_setup import Server
from visualizations.style import RISK_BANDS

HIGH_RISK = tuple(int(RISK_BANDS[-1][2][i : i + 2], 16) for i in (1, 3, 5))
REMOTE = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*[\"']?(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def served(driver, rg_env, tmp_path_factory):
    """``riskgraph serve`` after two analyze runs: before and after the ring's declarations arrived."""
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("report-home"))}
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    folder = tmp_path_factory.mktemp("report-data")
    frame = declarations()
    frame[~frame["importer_id"].isin(SHELLS)].to_csv(folder / "before.csv", index=False)
    frame.to_csv(folder / "all.csv", index=False)
    for name in ("before.csv", "all.csv"):
        run_cli(env, "ingest", str(folder / name))
        run_cli(env, "analyze")
    server = Server(env)
    yield server, env
    server.stop()


def _figures(server) -> dict:
    response = server.client.get("/v1/reports/analysis", params={"format": "json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_figures_match_the_graph(served):
    server, _ = served
    figures = _figures(server)
    frame = declarations()
    inspected, violations = (frame["inspected"] == "1"), (frame["violation"] == "1")
    assert figures["totals"]["declarations"] == len(frame)
    assert figures["totals"]["declared_value"] == pytest.approx(frame["value"].sum())
    assert figures["totals"]["inspected"] == inspected.sum() and figures["totals"]["violations"] == violations.sum()
    assert figures["totals"]["hit_rate"] == pytest.approx(violations.sum() / inspected.sum(), abs=1e-4)
    months = frame.assign(month=frame["date"].str[:7])
    by_month = {m["month"]: m for m in figures["months"]}
    assert len(figures["months"]) == 12 and figures["months"][-1]["month"] == months["month"].max()
    for month, rows in months.groupby("month"):
        assert by_month[month]["declarations"] == len(rows)
        assert by_month[month]["inspected"] == (rows["inspected"] == "1").sum()
        assert by_month[month]["violations"] == (rows["violation"] == "1").sum()
    assert sum(m["declarations"] for m in figures["months"]) == len(frame)  # the other months are empty
    # The shells are the high-risk importers: their declarations are the high-risk part of each month.
    for month, rows in months.groupby("month"):
        assert by_month[month]["high_risk_declarations"] == rows["importer_id"].isin(SHELLS).sum()
    capacity = figures["capacity"]
    assert capacity["inspected"] == inspected.sum()
    assert [(o["name"], o["inspected"], o["violations"]) for o in capacity["by_office"]] == [
        ("Shanghai Customs", inspected.sum(), violations.sum())
    ]
    assert figures["networks"][0]["members"] == SHELLS and figures["networks"][0]["chart"]["nodes"]
    # the one violation is an under-valuation: tax, found in December at Shanghai; no other target found any
    targets = {t["target"]: t for t in figures["targets"]}
    assert list(targets)[:4] == ["tax", "security", "ipr", "drugs"]
    assert violations.sum() == 1 and targets["tax"]["violations"] == 1
    assert targets["tax"]["months"][-1] == {"month": "2025-12", "violations": 1}
    assert targets["tax"]["by_office"] == [{"name": "Shanghai Customs", "violations": 1}]
    assert targets["tax"]["hit_rate"] == round(1 / inspected.sum(), 4)
    assert all(targets[t]["violations"] == 0 and targets[t]["by_office"] == [] for t in ("security", "ipr", "drugs"))


def test_the_new_ring_is_a_warning_and_the_first_instruction(served):
    server, _ = served
    figures = _figures(server)
    warnings = figures["warnings"]
    assert warnings["previous"] is not None and warnings["previous"] < warnings["latest"]
    assert [sorted(w["members"]) for w in warnings["items"]] == [SHELLS]
    assert warnings["items"][0]["previous_score"] is None and warnings["items"][0]["score"] >= 60
    first = figures["instructions"][0]
    assert first["action"] == "open an anti-smuggling case" and sorted(first["enterprises"]) == SHELLS
    checks = [i for i in figures["instructions"] if i["action"] == "check declaration"]
    # each check names a never-inspected declaration of its own firm; the ring's come first, audit leads' after
    rows = declarations().query("inspected != '1'")
    never_inspected = set(zip(rows["declaration_id"], rows["importer_id"], strict=True))
    assert checks and all((c["target"].split()[0], *c["enterprises"]) in never_inspected for c in checks)
    ring_checks = [c["enterprises"][0] in SHELLS for c in checks]
    assert ring_checks[0] and ring_checks == sorted(ring_checks, reverse=True)
    page = server.client.get("/v1/reports/analysis")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert warnings["items"][0]["detail"] in page.text and "appeared since the previous run" in page.text


def test_cli_report_renders_offline(served, tmp_path):
    server, env = served
    out = tmp_path / "report.html"
    done = run_cli(env, "report", "--out", str(out))
    assert "1 warnings" in done.stderr
    html = out.read_text()
    assert not REMOTE.search(html), "the report loads something from the network"
    totals = _figures(server)["totals"]
    assert f"declarations<b>{totals['declarations']:,}</b>" in html
    assert f"hit rate<b>{totals['hit_rate']:.0%}</b>" in html
    assert 'id="target-tax"' in html and "tax · 1 violations" in html
    image = screenshot(out.as_uri(), tmp_path / "report.png")
    assert inked(image, (0, 0, 1200, 900), HIGH_RISK) > 100  # the warning, marked in red above the fold
    assert 'data-settled="1"' in dump_dom(out.as_uri())  # every network chart laid out


def test_bad_format_is_refused(served):
    server, _ = served
    response = server.client.get("/v1/reports/analysis", params={"format": "pdf"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_request"


def test_the_report_says_how_far_targeted_and_random_hit_rates_differ(served, driver):
    """Inspections fed back with their decisions (as ``POST /v1/feedback`` writes channel and random_selected):
    the hit rate of random selections against that of targeted inspections, and the gap in points."""
    server, env = served
    inspected = declarations().query("inspected == '1'")
    chosen = {"random": inspected.iloc[::2], "targeted": inspected.iloc[1::2]}
    for flag, part in enumerate((chosen["targeted"], chosen["random"])):
        driver.execute_query(
            "UNWIND $ids AS id MATCH (d:Declaration {id: id}) SET d.random_selected = $flag, d.channel = $channel",
            ids=part["declaration_id"].tolist(), flag=flag, channel="physical inspection", database_="neo4j",
        )  # fmt: skip
    run_cli(env, "store", "rebuild")  # written into the graph directly: the report reads the columnar copy
    gap = _figures(server)["capacity"]["selection_gap"]
    rates = {k: round(float((part["violation"] == "1").mean()), 4) for k, part in chosen.items()}
    for kind, part in chosen.items():
        assert gap[kind] == {"inspected": len(part), "hit_rate": rates[kind]}
    assert gap["points"] == round(100 * (rates["targeted"] - rates["random"]), 2) != 0
    assert f"{gap['points']:+.1f} points" in server.client.get("/v1/reports/analysis").text


def test_no_warning_when_nothing_changed(served):
    """Runs last: one more analysis of the same graph leaves nothing new to warn about."""
    server, env = served
    run_cli(env, "analyze")
    warnings = _figures(server)["warnings"]
    assert warnings["items"] == []
    assert "No new high-risk network" in server.client.get("/v1/reports/analysis").text
