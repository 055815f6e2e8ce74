"""Leads over real HTTP on the hand-built graph of ``tests/explore_setup.py``, with duty rates added.

The shell ring (``SHELL1..3``) is the anti-smuggling lead; the other importers are audit leads,
ranked by analysed risk x duty declared (their unit values are all alike, so no peer shortfall).
Every expected figure is computed here from the source rows and the analysed risk the API reports.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import run_cli
from tests.explore_setup import SHELLS, declarations
from tests.scoring_setup import Server

RATES = {"SHELL1": 0.15, "SHELL2": 0.15, "SHELL3": 0.15, "BRIDGE": 0.20, "HONEST1": 0.10, "HONEST2": 0.05}


def rows():
    frame = declarations()
    return frame.assign(tax_rate=frame["importer_id"].map(RATES))


@pytest.fixture(scope="module")
def served(driver, rg_env, tmp_path_factory):
    """``riskgraph serve`` on the hand-built graph, ingested and analysed through the real CLI."""
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("leads-home"))}
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    path = tmp_path_factory.mktemp("leads-data") / "leads.csv"
    rows().to_csv(path, index=False)
    run_cli(env, "ingest", str(path))
    run_cli(env, "analyze")
    server = Server(env)
    yield server, env
    server.stop()


def _leads(server, kind: str) -> list[dict]:
    response = server.client.get("/v1/leads", params={"kind": kind})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]


def test_shell_ring_is_the_top_anti_smuggling_lead(served):
    server, _ = served
    items = _leads(server, "anti-smuggling")
    ring = items[0]
    assert ring["subject"] == "network" and ring["kind"] == "anti-smuggling"
    assert sorted(m["id"] for m in ring["members"]) == SHELLS
    assert ring["reasons"][0]["signal"] == "shell_ring"  # strongest first
    assert ring["score"] == ring["figures"]["network_score"] > 60
    source = rows()[rows()["importer_id"].isin(SHELLS)]
    assert ring["figures"]["declarations"] == len(source)
    assert ring["figures"]["declared_value"] == pytest.approx(source["value"].sum())
    assert ring["figures"]["inspected"] == (source["inspected"] == "1").sum()
    assert ring["figures"]["violations"] == (source["violation"] == "1").sum()
    assert set(ring) == {"id", "kind", "subject", "name", "target", "score", "figures", "reasons", "members"}
    risks = [m["risk"] for m in ring["members"]]
    assert risks == sorted(risks, reverse=True)  # key enterprises first


def test_audit_leads_rank_by_risk_times_duty_and_leave_the_ring_out(served):
    server, _ = served
    items = _leads(server, "audit")
    frame = rows()
    expected = {}
    for firm in ("BRIDGE", "HONEST1", "HONEST2"):
        risk = server.client.get(f"/v1/enterprises/{firm}").json()["risk"]
        own = frame[frame["importer_id"] == firm]
        duty = float((own["value"] * own["tax_rate"]).sum())
        if risk:
            expected[firm] = (risk, duty)
    assert len(expected) >= 2, "the hand-built graph should give at least two audit leads"
    assert [i["id"] for i in items] == sorted(expected, key=lambda f: -expected[f][0] * expected[f][1])
    assert not {i["id"] for i in items} & set(SHELLS)  # the ring is an anti-smuggling lead
    for item in items:
        risk, duty = expected[item["id"]]
        figures = item["figures"]
        assert figures["probability"] == pytest.approx(risk, abs=1e-4)
        assert figures["duty_declared"] == pytest.approx(duty)
        assert figures["revenue_at_stake"] == pytest.approx(duty + figures["tax_shortfall"])
        assert item["score"] == figures["expected_value"] == pytest.approx(risk * duty, rel=1e-3)
        assert figures["declarations"] == (frame["importer_id"] == item["id"]).sum()
        strengths = [r["strength"] for r in item["reasons"]]
        assert item["reasons"] and item["members"] == []
        assert all(0 <= s <= 1 for s in strengths)


@pytest.mark.parametrize("kind", ["audit", "anti-smuggling"])
def test_csv_and_xlsx_parse_back_to_the_same_items(served, kind):
    server, _ = served
    items = _leads(server, kind)
    csv_response = server.client.get("/v1/leads.csv", params={"kind": kind})
    xlsx_response = server.client.get("/v1/leads.xlsx", params={"kind": kind})
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    assert xlsx_response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    for response, ext in ((csv_response, "csv"), (xlsx_response, "xlsx")):
        assert re.fullmatch(
            rf'attachment; filename="leads-{kind}-\d{{4}}-\d\d-\d\d\.{ext}"', response.headers["content-disposition"]
        )
    from_csv = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    from_xlsx = [dict(zip(header, r, strict=True)) for r in body]
    assert sheet.freeze_panes == "A2"
    id_column = "Enterprise" if kind == "audit" else "Network"
    score_column = "Expected value (USD)" if kind == "audit" else "Score"
    assert len(from_csv) == len(from_xlsx) == len(items) > 0
    for item, a, b in zip(items, from_csv, from_xlsx, strict=True):
        assert a[id_column] == str(b[id_column]) == str(item["id"])
        assert float(a[score_column]) == b[score_column] == pytest.approx(item["score"])
        for text in (a["Reasons"], b["Reasons"]):
            lines = text.split("\n")
            assert len(lines) == len(item["reasons"])
            for line, reason in zip(lines, item["reasons"], strict=True):
                assert reason["signal"] in line and line.endswith(reason["detail"])
        if kind == "anti-smuggling":
            assert [line.split()[0] for line in b["Members (riskiest first)"].split("\n")] == [
                m["id"] for m in item["members"]
            ]


def test_bad_kind_is_refused_in_the_error_shape(served):
    server, _ = served
    for path, params in (("/v1/leads", {"kind": "bogus"}), ("/v1/leads.csv", {"kind": "bogus"}), ("/v1/leads", {})):
        response = server.client.get(path, params=params)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and "kind" in error["message"]
    response = server.client.get("/v1/leads", params={"kind": "audit", "limit": 0})
    assert response.status_code == 422 and "limit" in response.json()["error"]["message"]


def test_a_key_sees_the_leads_of_its_jurisdiction_only(served):
    server, _ = served
    # The hand-built declarations are lodged in Shanghai (discharge port CNSHA).
    inside = server.client_as("auditor", "SC-SHANGHAI").get("/v1/leads", params={"kind": "anti-smuggling"})
    outside = server.client_as("auditor", "SC-QINGDAO").get("/v1/leads", params={"kind": "anti-smuggling"})
    assert inside.status_code == outside.status_code == 200
    assert inside.json()["items"] == _leads(server, "anti-smuggling")
    assert outside.json() == {"items": [], "count": 0}


def test_cli_writes_the_file_by_extension(served, tmp_path):
    server, env = served
    xlsx, csv_path = tmp_path / "ring.xlsx", tmp_path / "audit.csv"
    done = run_cli(env, "leads", "--kind", "anti-smuggling", "--out", str(xlsx))
    items = _leads(server, "anti-smuggling")
    assert f"wrote {len(items)} anti-smuggling leads" in done.stderr
    sheet = load_workbook(xlsx).active
    assert sheet["B2"].value == items[0]["id"] and sheet.max_row == len(items) + 1
    done = run_cli(env, "leads", "--kind", "audit", "--out", str(csv_path), "--limit", "1")
    written = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert [r["Enterprise"] for r in written] == [_leads(server, "audit")[0]["id"]]
    assert "wrote 1 audit leads" in done.stderr


def test_cli_refuses_an_unknown_extension_or_kind(served, tmp_path):
    _, env = served
    for args, message in (
        (["--kind", "audit", "--out", str(tmp_path / "leads.pdf")], "--out must end in .csv or .xlsx"),
        (["--kind", "customs", "--out", str(tmp_path / "leads.csv")], "--kind must be one of"),
    ):
        done = run_cli(env, "leads", *args, check=False)
        assert done.returncode == 1
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


#: names an attacker registers so that a spreadsheet runs them (OWASP CSV injection)
HOSTILE = {
    "HONEST1": '=HYPERLINK("http://x","y")',
    "HONEST2": "+1+1",
    "BRIDGE": "@SUM(1+1)",
    "SHELL1": "-2+3",
}
RENAME = "UNWIND $names AS n MATCH (e:Enterprise {id: n.id}) SET e.name = n.name"


@pytest.fixture()
def hostile_names(served, driver):
    names = {
        r["id"]: r["name"]
        for r in driver.execute_query(
            "MATCH (e:Enterprise) WHERE e.id IN $ids RETURN e.id AS id, e.name AS name",
            ids=list(HOSTILE),
            database_="neo4j",
        ).records
    }
    driver.execute_query(RENAME, names=[{"id": k, "name": v} for k, v in HOSTILE.items()], database_="neo4j")
    yield
    driver.execute_query(RENAME, names=[{"id": k, "name": v} for k, v in names.items()], database_="neo4j")


def _names_in_csv(content: bytes) -> dict[str, str]:
    return {r["Enterprise"]: r["Name"] for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}


def _names_in_xlsx(book) -> dict[str, tuple]:
    sheet = book.active
    header = [c.value for c in sheet[1]]
    at, name = header.index("Enterprise"), header.index("Name")
    return {row[at].value: (row[name].value, row[name].data_type) for row in sheet.iter_rows(min_row=2)}


def test_cells_that_would_run_as_formulas_are_written_as_text(served, hostile_names, tmp_path):
    server, env = served
    listed = {i["id"] for i in _leads(server, "audit")}
    assert set(HOSTILE) & listed, listed
    csv_names = _names_in_csv(server.client.get("/v1/leads.csv", params={"kind": "audit"}).content)
    xlsx_book = load_workbook(io.BytesIO(server.client.get("/v1/leads.xlsx", params={"kind": "audit"}).content))
    out = tmp_path / "audit.csv"
    run_cli(env, "leads", "--kind", "audit", "--out", str(out))
    cli_names = _names_in_csv(out.read_bytes())
    run_cli(env, "leads", "--kind", "audit", "--out", str(tmp_path / "audit.xlsx"))
    cli_book = _names_in_xlsx(load_workbook(tmp_path / "audit.xlsx"))
    for firm in set(HOSTILE) & listed:
        assert csv_names[firm] == cli_names[firm] == "'" + HOSTILE[firm]  # a leading quote: Excel shows text
        for book in (_names_in_xlsx(xlsx_book), cli_book):
            assert book[firm] == (HOSTILE[firm], "s"), book[firm]  # a string cell, not a formula


def test_only_text_cells_are_neutralised_numbers_stay_numbers():
    from visualizations.lead_sheets import as_text_cell, leads_csv, leads_xlsx

    for text in ("=1+1", "+1", "-1", "@A1", "\tcmd", "\rcmd"):
        assert as_text_cell(text) == "'" + text
    assert as_text_cell("Acme") == "Acme" and as_text_cell(-12.5) == -12.5 and as_text_cell(None) is None
    item = {
        "id": "-E1",
        "name": "=cmd|' /C calc'!A0",
        "figures": {"tax_shortfall": -12.5, "expected_value": -3, "currency": "USD"},
        "reasons": [],
        "members": [],
    }
    row = next(csv.DictReader(io.StringIO(leads_csv([item], "audit").decode("utf-8-sig"))))
    assert (
        row["Enterprise"] == "'-E1" and row["Name"] == "'=cmd|' /C calc'!A0" and row["Tax shortfall (USD)"] == "-12.5"
    )
    sheet = load_workbook(io.BytesIO(leads_xlsx([item], "audit"))).active
    cells = {sheet.cell(1, c).value: sheet.cell(2, c) for c in range(1, sheet.max_column + 1)}
    assert (cells["Name"].value, cells["Name"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (cells["Tax shortfall (USD)"].value, cells["Tax shortfall (USD)"].data_type) == (-12.5, "n")


def test_leads_carry_their_risk_target_and_filter_by_it(served):
    """The ring's one violation (under-valuation) makes it a tax lead; audits without a violation recover duty."""
    server, env = served
    (ring, *_) = _leads(server, "anti-smuggling")
    assert ring["target"] == "tax" and ring["figures"]["violations_by_target"] == {"tax": 1}
    assert {lead["target"] for lead in _leads(server, "audit")} == {"tax"}
    for kind in ("anti-smuggling", "audit"):
        found = server.client.get("/v1/leads", params={"kind": kind, "target": "tax"}).json()["items"]
        assert [lead["id"] for lead in found] == [lead["id"] for lead in _leads(server, kind)]
        assert server.client.get("/v1/leads", params={"kind": kind, "target": "drugs"}).json()["items"] == []
    refused = server.client.get("/v1/leads", params={"kind": "audit", "target": "smuggled_art"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_target"
    done = run_cli(env, "leads", "--kind", "audit", "--out", "x.csv", "--target", "smuggled_art", check=False)
    assert done.returncode != 0 and "--target must be one of" in done.stdout + done.stderr
