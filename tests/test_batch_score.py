"""``riskgraph score FILE`` (column by column, ``scoring.batch``) decides as ``POST /v1/score`` does, one at a time.

Uses ``trained`` (tests/scoring_setup.py: 6,000 generated declarations in the real Neo4j, analysed and
trained on) with a national rule added. 300 of its declarations, 60 of them re-lodged by new firms that
keep the known firms' phones, addresses and sellers (links at lodging), and one bad row are scored by the
command in one home and over real HTTP in another: same scores, channels, reasons and decision log, and
the row the command quarantines is the one the API refuses. The minimal profile's agreement is in
``test_minimal_profile.py``; the pure property (any rows, any rules) is :func:`test_columns_decide_as_rows`.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.home import DECISIONS
from tests.batch_agreement import api_rows, assert_same_decisions, score_one_by_one
from tests.conftest import add_rule, run_cli
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

RULE = {
    "id": "sea-risky-categories",
    "description": "Sea freight of importers rated C or D",
    "target": "tax",
    "weight": 0.4,
    "owner": "GACC-DARM",
    "effective_from": "2024-01-01",
    "conditions": {"transport_mode": ["sea"], "importer_category": ["C", "D"]},
}


def _sample_rows(sample, n: int, seed: int) -> list[dict]:
    frame = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(sample.glob("*.csv")))
    frame = frame.drop_duplicates("declaration_id", keep=False)
    return frame.sample(n, random_state=seed).to_dict("records")


@pytest.fixture(scope="module")
def homes(trained, tmp_path_factory):
    """(batch env, API env): two copies of the trained home holding the same approved rule."""
    env, _, _ = trained
    ruled = home_copy(env, tmp_path_factory.mktemp("ruled-home"))
    rule = tmp_path_factory.mktemp("rule") / "rule.yaml"
    rule.write_text(json.dumps(RULE))
    add_rule(ruled, rule)
    with socket.socket() as s:  # scoring needs no graph: a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = f"bolt://127.0.0.1:{s.getsockname()[1]}"
    batch = home_copy(ruled, tmp_path_factory.mktemp("batch-home"))
    api = home_copy(ruled, tmp_path_factory.mktemp("api-home"))
    return {**batch, "NEO4J_URI": dead}, {**api, "NEO4J_URI": dead}


def test_the_command_and_the_api_decide_alike(trained, homes, start_server, tmp_path):
    _, sample, _ = trained
    batch_env, api_env = homes
    rows = _sample_rows(sample, 300, seed=11)
    rows += [{**r, "declaration_id": f"NEW-{i}", "importer_id": f"NEWFIRM{i:04d}"} for i, r in enumerate(rows[:60])]
    rows.append({**rows[1], "declaration_id": "BAD-1", "value": "see invoice"})
    pd.DataFrame(rows).to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "decisions.csv"
    done = run_cli(batch_env, "score", str(tmp_path / "new.csv"), "--out", str(out), "--json")
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["quarantined"] == 1 and counts["scored"] == len(rows) - 1
    quarantined = pd.read_csv(counts["quarantine_file"], dtype=str)
    assert [json.loads(o)["declaration_id"] for o in quarantined["original"]] == ["BAD-1"]

    server = start_server(api_env)
    answers, refused = score_one_by_one(server.client, api_rows(rows))
    server.stop()  # a clean stop commits its decision log
    assert refused == {"BAD-1"}
    assert any(r["kind"] == "rule" for a in answers.values() for r in a["reasons"])  # the rule was compared
    assert any(r["kind"] == "link" for a in answers.values() for r in a["reasons"])  # and links at lodging
    inspected = assert_same_decisions(out, answers, batch_env["RISKGRAPH_HOME"], api_env["RISKGRAPH_HOME"])
    assert inspected > 0  # the model's explanations were compared too


# ---------------------------------------------------------------- the property, in process

_BLANKABLE = (
    "office",
    "transport_mode",
    "trade_mode",
    "currency",
    "seller_id",
    "declarant_id",
    "carrier_id",
    "origin_country",
    "departure_country",
    "loading_port",
    "transit_ports",
    "discharge_port",
    "quantity",
    "net_mass",
    "tax_rate",
    "licence_ids",
    "importer_category",
    "importer_registered",
    "importer_phone",
    "importer_address",
    "importer_name",
    "importer_legal_rep",
    "seller_name",
    "consignment_id",
)


@pytest.fixture(scope="module")
def scorer_and_rows(trained):
    from scoring.snapshot import load_scorer

    env, sample, _ = trained
    scorer, _ = load_scorer(env["RISKGRAPH_HOME"])
    return scorer, _sample_rows(sample, 400, seed=12)


def _rules(draw_conditions: list[dict]):
    from scoring.rules import parse_rule

    return [
        parse_rule(
            {**RULE, "id": f"rule-{i}", "weight": 0.1 + 0.2 * (i % 4), "conditions": conditions, "changed_by": "test"}
        )
        for i, conditions in enumerate(draw_conditions)
    ]


_CONDITIONS = st.sampled_from(
    [
        {"transport_mode": ["sea"]},
        {"importer_category": ["B", "C"]},
        {"hs_prefix": ["85", "39"]},
        {"value_min": 20000},
        {"unit_value_max": 2.5},
        {"missing_licence": True},
        {"origin": ["VN", "CN"], "departure": ["SG"]},
        {"transit_country": ["SG", "MY"]},
        {"port": ["CNSHA", "SGSIN"]},
        {"network_risk_min": 0.2},
        {"route": ["VNHPH>CNYTN"]},
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(st.integers(0, 399), min_size=1, max_size=40),
    blanks=st.lists(st.sampled_from(_BLANKABLE), max_size=6),
    new_firms=st.integers(0, 3),
    conditions=st.lists(_CONDITIONS, max_size=3),
    explain=st.sampled_from(["all", "targeted", "inspection", "none"]),
)
def test_columns_decide_as_rows(scorer_and_rows, picks, blanks, new_firms, conditions, explain):
    """Any rows of the sample (fields blanked, new firms, repeats), any rules: ``score_frame`` on the validated
    chunk gives the decisions ``score_many`` gives its rows as dicts, explanations included."""
    from ingest.validate import validate
    from scoring.batch import score_frame

    scorer, sample = scorer_and_rows
    rows = []
    for n, i in enumerate(picks):
        row = {**sample[i], **{field: "" for field in blanks[: n % (len(blanks) + 1)]}}
        if n < new_firms:
            row["importer_id"] = f"NEWFIRM{n}"
        rows.append({**row, "declaration_id": f"P-{n}"})
    clean, _ = validate(pd.DataFrame(rows).drop(columns=["inspected", "violation"]), "drawn.csv")
    scorer.set_rules(_rules(conditions))
    try:
        records = clean.astype(object).where(clean.notna(), None).to_dict("records")
        expected = [d.as_dict() for d in scorer.score_many(records, explain=explain)]
        assert [d.as_dict() for d in score_frame(scorer, clean, explain=explain)] == expected
    finally:
        scorer.set_rules([])


def _logged(home) -> list[tuple]:
    """The decision log's rows, without the time each was scored."""
    import sqlite3

    with sqlite3.connect(Path(home) / DECISIONS) as db:
        rows = db.execute("SELECT * FROM decisions ORDER BY declaration_id").fetchall()
    return [row[:1] + row[2:] for row in rows]


def test_worker_processes_write_what_one_process_writes(trained, homes, tmp_path_factory):
    """``score_file`` with chunks scored in worker processes writes the same file, quarantine, counts and decision
    log as one process: chunks of 37 rows, new firms linked to known ones, a bad row, the approved rule, and a
    declaration lodged again in a later chunk (the log keeps the later decision, as in one process)."""
    from scoring.decision_log import DecisionLog
    from scoring.pipeline import score_file
    from scoring.snapshot import load_scorer

    _, sample, _ = trained
    rows = _sample_rows(sample, 200, seed=13)
    rows += [{**r, "declaration_id": f"NEW-{i}", "importer_id": f"NEWFIRM{i:04d}"} for i, r in enumerate(rows[:40])]
    rows.append({**rows[3], "declaration_id": "BAD-1", "value": "see invoice"})
    rows.append({**rows[150], "declaration_id": rows[5]["declaration_id"]})  # lodged again, chunks apart
    source = tmp_path_factory.mktemp("rows") / "new.csv"
    pd.DataFrame(rows).to_csv(source, index=False)
    written = {}
    for workers in (1, 2):
        env = home_copy(homes[0], tmp_path_factory.mktemp(f"workers-{workers}"))
        home = Path(env["RISKGRAPH_HOME"])
        scorer, meta = load_scorer(home)
        log = DecisionLog(home)
        out = home / "decisions.csv"
        try:
            counts = score_file([source], None, out, scorer, home / "quarantine", log, meta["version"], 37, workers)
        finally:
            log.close()
        quarantined = pd.read_csv(counts.pop("quarantine_file"), dtype=str)
        written[workers] = (out.read_bytes(), counts, quarantined, _logged(home))
    assert written[2][1] == written[1][1]
    assert written[2][0] == written[1][0]
    pd.testing.assert_frame_equal(written[2][2], written[1][2])
    assert "BAD-1" in {json.loads(o)["declaration_id"] for o in written[1][2]["original"]}
    assert written[2][3] == written[1][3] and len(written[1][3]) == written[1][1]["scored"] - 1  # one lodged twice
