"""``riskgraph analyze`` after a day's new declarations: incremental, and the same risk as a full run.

A generated year is split into the year without one day and that day, in files of the same name. The year
is loaded and analysed in full; the day is loaded and ``riskgraph analyze`` runs incrementally (it says so,
and rescores only the touched communities); then ``riskgraph analyze --full`` runs. For every touched importer whose community
has the same members in both runs, the incremental risk equals the full run's. The runs leave same-firm
resolution out (``--no-resolve``): a full resolution weighs names by frequencies the day's firms moved, so it may
link pairs the incremental one did not, and the two analyses would not read the same links
(``tests/test_resolve_analyze.py`` covers resolution within analyze).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis.identities import read_identities
from analysis.incremental import _joined_communities
from analysis.run import run_analysis
from analysis.snapshot import load_snapshot
from analysis.state import _store as _state_store
from analysis.state import load_state
from graph.runs import shown, shown_run
from sample.generator import generate
from tests.conftest import run_cli

DECLARATIONS = 5000


def _last_json(done) -> dict:
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=[-20, -1], ids=["a day inside the year", "the newest day"])
def year_and_day(request, tmp_path_factory) -> tuple[Path, Path, set[str]]:
    """(the year without one day, that day, the day's importers). A day inside the year leaves the
    analysis date where it was; the newest day moves it, and with it the touched firms' recent windows."""
    folder = tmp_path_factory.mktemp("incremental")
    generate(folder / "data", DECLARATIONS, 5)
    rows = pd.concat(
        [pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted((folder / "data").glob("*.csv"))],
        ignore_index=True,
    )
    # the dates as written (one form of a day: a small drop); the deliberately bad ones are no day
    days = sorted(rows.loc[pd.to_datetime(rows["date"], format="mixed", errors="coerce").notna(), "date"].unique())
    day = days[request.param]
    # the day's file has the year's name, as a daily drop often does: its rows are new by their load, not name
    year, new = folder / "year" / "declarations.csv", folder / "day" / "declarations.csv"
    year.parent.mkdir()
    new.parent.mkdir()
    rows[rows["date"] != day].to_csv(year, index=False)
    rows[rows["date"] == day].to_csv(new, index=False)
    return year, new, set(rows.loc[rows["date"] == day, "importer_id"])


@pytest.fixture(scope="module")
def runs(driver, rg_env, year_and_day) -> dict:
    year, day, _ = year_and_day
    # both runs with the work a large graph takes to a forked child (betweenness, recency, network scoring)
    rg_env = {**rg_env, "RISKGRAPH_ALONGSIDE_MIN_EDGES": "0"}
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    run_cli(rg_env, "ingest", str(year))
    first = _last_json(run_cli(rg_env, "analyze", "--no-resolve", "--json"))
    home = Path(rg_env["RISKGRAPH_HOME"])
    before_day = load_snapshot(home)
    run_cli(rg_env, "ingest", str(day))
    done = run_cli(rg_env, "analyze", "--no-resolve", "--json")
    incremental = _last_json(done)
    after_day = load_snapshot(home)
    kept_identities = load_state(home).identities
    networks_after_day = driver.execute_query(
        f"MATCH (n:Network) WHERE {shown('n')} RETURN n.id AS id", shown_run(driver, "neo4j")
    ).records
    graph_after_day = driver.execute_query(
        f"MATCH (e:Enterprise)-[:ASSESSED]->(a:Assessment) WHERE {shown('a')} "
        "RETURN e.id AS id, a.risk AS risk, a.community AS community",
        shown_run(driver, "neo4j"),
    ).records
    again = _last_json(run_cli(rg_env, "analyze", "--no-resolve", "--json"))
    full = _last_json(run_cli(rg_env, "analyze", "--full", "--no-resolve", "--json"))
    return {
        "first": first,
        "incremental": incremental,
        "text": done.stdout + done.stderr,
        "again": again,
        "first_snapshot": before_day,
        "incremental_snapshot": after_day,
        "kept_identities": kept_identities,
        "incremental_graph": {r["id"]: (r["risk"], r["community"]) for r in graph_after_day},
        "incremental_shown": ([r["id"] for r in graph_after_day], [r["id"] for r in networks_after_day]),
        "full": full,
        "full_snapshot": load_snapshot(home),
    }


def test_first_run_is_full_then_a_day_runs_incrementally(runs, year_and_day):
    assert runs["first"]["mode"] == "full"
    done = runs["incremental"]
    assert done["mode"] == "incremental"
    assert "incrementally" in runs["text"]
    counts = done["counts"]
    assert counts["touched_importers"] == len(year_and_day[2])
    assert 0 < counts["touched_declarations"] < DECLARATIONS / 20
    assert counts["touched_importers"] <= counts["rescored_enterprises"] < counts["analysed"]
    assert runs["incremental_snapshot"].metadata["mode"] == "incremental"
    assert runs["full"]["mode"] == "full"
    # the firms' own records: read whole by a full run, only the day's parties read again by the incremental one
    assert runs["first"]["counts"]["identities_read_whole"] == 1 and counts["identities_read_whole"] == 0
    assert runs["full"]["counts"]["identities_read_whole"] == 1


def test_a_rescored_firm_whose_published_figures_held_is_not_written_again(runs):
    """A day moves every rescored firm's PageRank and propagated risk in their last digits; the results are
    published to a precision of their own, and only the firms whose published figures changed get a new version."""
    counts = runs["incremental"]["counts"]
    before = runs["first_snapshot"].enterprises.set_index("id")
    after = runs["incremental_snapshot"].enterprises.set_index("id")
    published = ["community", "community_size", "network_id", "pagerank", "betweenness", "degree", "propagated_risk"]
    published += ["risk", "reasons"]
    was = before.reindex(after.index)[published]
    now = after[published]
    moved = ~((was == now) | (was.isna() & now.isna())).all(axis=1)
    assert counts["written_enterprises"] == int(moved.sum())
    assert counts["written_enterprises"] <= counts["rescored_enterprises"]
    pagerank = after["pagerank"][after["pagerank"] > 0]
    assert (pagerank.map(lambda v: float(f"{v:.3g}")) == pagerank).all()
    assert (after["risk"].round(4) == after["risk"]).all()


def test_the_day_closes_the_versions_it_replaces(runs):
    """The day finds the current versions of the firms and networks it writes through their ids, not by reading
    every current version: each version it replaced was closed, so readers are shown one version of each firm and
    network, and as many as the day's snapshot holds."""
    firms, networks = runs["incremental_shown"]
    assert len(firms) == len(set(firms)) == len(runs["incremental_snapshot"].enterprises)
    assert len(networks) == len(set(networks)) == len(runs["incremental_snapshot"].networks)
    counts = runs["incremental"]["counts"]
    assert counts["written_enterprises_closed"] <= counts["written_enterprises"]
    assert counts["written_networks_closed"] + counts["written_enterprises_closed"] > 0, counts


def test_an_incremental_run_names_networks_as_a_full_run_does(runs):
    """By their whole numbers: a rescored community's number, from a column with gaps, once came out as "157.0",
    which made every rescored firm's reasons differ from the full run's, and each of them written again."""
    snapshot = runs["incremental_snapshot"]
    assert all(isinstance(n["id"], int) for n in snapshot.networks)
    details = " ".join(r["detail"] for reasons in snapshot.enterprises["reasons"] for r in json.loads(reasons))
    assert "member of network" in details and not re.search(r"member of network \d+\.\d", details)


def test_the_firms_records_an_incremental_run_kept_are_the_graphs(runs, driver):
    """The copy refreshed with the day's parties equals a whole read; a firm written some other way than ingest
    (here straight into the graph) makes the counts disagree, and the records are read whole again."""
    kept = runs["kept_identities"]
    whole, how = read_identities(driver, "neo4j")
    assert how == "whole"
    pd.testing.assert_frame_equal(kept.enterprises, whole.enterprises)
    pd.testing.assert_frame_equal(kept.links, whole.links)
    assert read_identities(driver, "neo4j", kept, [])[1] == "refreshed"
    driver.execute_query("CREATE (:Enterprise {id: 'ELSEWHERE'})-[:HAS_PHONE]->(:Phone {number: '+0-elsewhere'})")
    try:
        again, how = read_identities(driver, "neo4j", kept, [])
        assert how == "whole" and "ELSEWHERE" in set(again.links["enterprise"])
    finally:
        driver.execute_query("MATCH (e:Enterprise {id: 'ELSEWHERE'})-[:HAS_PHONE]->(p) DETACH DELETE e, p")


def test_nothing_new_touches_nothing(runs):
    again = runs["again"]
    assert again["mode"] == "incremental"
    assert again["counts"]["touched_declarations"] == 0 and again["counts"]["rescored_enterprises"] == 0


def test_touched_firms_get_the_full_runs_risk_when_their_community_is_unchanged(runs, year_and_day):
    touched = year_and_day[2]
    mine = runs["incremental_snapshot"].enterprises.set_index("id")
    full = runs["full_snapshot"].enterprises.set_index("id")

    def members(table: pd.DataFrame, firm: str) -> frozenset:
        return frozenset(table.index[table["community"] == table.loc[firm, "community"]])

    same = [f for f in sorted(touched) if f in full.index and members(mine, f) == members(full, f)]
    assert len(same) >= 0.8 * len(touched), (len(same), len(touched))
    for firm in same:
        assert mine.loc[firm, "risk"] == pytest.approx(full.loc[firm, "risk"], abs=1e-9), firm
        assert mine.loc[firm, "propagated_risk"] == pytest.approx(full.loc[firm, "propagated_risk"], abs=1e-9)
        # what the graph shows is what the snapshot says
        assert runs["incremental_graph"][firm][0] == pytest.approx(mine.loc[firm, "risk"], abs=1e-12)


def test_networks_of_touched_firms_match_the_full_run(runs, year_and_day):
    touched = year_and_day[2]

    def by_members(networks: list[dict]) -> dict[frozenset, dict]:
        return {frozenset(n["members"]): n for n in networks}

    mine = by_members(runs["incremental_snapshot"].networks)
    full = by_members(runs["full_snapshot"].networks)
    compared = 0
    for key, net in mine.items():
        if key & touched and key in full:
            assert net["score"] == pytest.approx(full[key]["score"], abs=0.05) and net["kind"] == full[key]["kind"]
            compared += 1
    assert compared > 0


def test_only_a_strong_tie_new_since_the_last_run_joins_another_community():
    ties = pd.DataFrame({"a": ["t", "t", "u"], "b": ["x", "y", "z"]})  # t is touched; u is not
    old = pd.Series({"t": 0, "x": 1, "y": 2, "u": 3, "z": 4})
    before = pd.DataFrame({"a": ["t"], "b": ["x"]})  # the last run already had t-x, and kept 1 apart from 0
    assert _joined_communities(ties, before, ["t"], old) == {2}
    assert _joined_communities(ties, None, ["t"], old) == {1, 2}  # a last run that kept no ties: all of them


def test_a_full_run_numbers_the_communities_it_finds_again_as_the_last_run_did(runs, rg_env):
    """Numbered canonically (by size), one new community would move the number of every smaller one, and a full run
    would write every member again: it takes the numbers of the last run's saved state. Given numbers moved by
    1,000 there (as if the last run had numbered so), the communities it finds again keep them. Runs last: it
    analyses the module's graph once more."""
    home = Path(rg_env["RISKGRAPH_HOME"])
    store = _state_store(home)
    saved = store.folder(store.latest()) / "table.parquet"
    table = pd.read_parquet(saved)
    table["community"] = table["community"] + 1000
    table.to_parquet(saved, index=False)
    run_cli(rg_env, "analyze", "--full", "--no-resolve", "--json")
    numbered = load_snapshot(home).enterprises
    before = {frozenset(g["id"]): int(c) for c, g in table.groupby("community")}
    after = {frozenset(g["id"]): int(c) for c, g in numbered.groupby("community")}
    again = [members for members in after if members in before]
    assert len(again) >= 0.9 * len(after)
    assert all(after[members] == before[members] >= 1000 for members in again)
    assert all(after[members] > max(before.values()) for members in after if members not in before)


def test_an_incremental_run_names_the_run_it_started_from(runs, driver, rg_env):
    """The scoring snapshot's refresh updates only the firms a run changed when it carries the run this one started
    from (``based_on``); a wrong one makes every refresh rewrite every firm. Analyses the module's graph once more."""
    home = Path(rg_env["RISKGRAPH_HOME"])
    before = load_snapshot(home).version
    run = run_analysis(driver, "neo4j", home, full=False)
    assert run.mode == "incremental"
    assert run.based_on == before != run.snapshot.name == load_snapshot(home).version
    assert load_state(home).snapshot == run.snapshot.name
