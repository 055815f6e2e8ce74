"""The selection within a special operation: its rate, riskiest first, shared by workers, kept over a restart
(``scoring.operations.Tally``), and on the real scorer with random scopes and random optional columns (hypothesis).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.operations import Operation, OperationBook, Tally
from scoring.rules import Conditions

pytest_plugins = ("tests.scoring_setup",)


def _stream(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [round(min(100.0, rng.betavariate(2, 5) * 100), 2) for _ in range(n)]


def _shares(scores: list[float], chosen: list[bool]) -> tuple[float, float, float]:
    """(share chosen, share of the top tenth chosen, share of the bottom half chosen)."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    top, bottom = order[: len(order) // 10], order[len(order) // 2 :]
    return (
        sum(chosen) / len(chosen),
        sum(chosen[i] for i in top) / len(top),
        sum(chosen[i] for i in bottom) / len(bottom),
    )


def test_a_stream_is_selected_at_the_rate_riskiest_first(tmp_path):
    tally = Tally(tmp_path)
    scores = _stream(5000, 1)
    chosen = [tally.choose("op-a", s, 0.2, f"D{i}") for i, s in enumerate(scores)]
    share, top, bottom = _shares(scores, chosen)
    assert abs(share - 0.2) < 0.015 and top > 0.97 and bottom < 0.01
    assert tally.seen("op-a") == 5000 and tally.seen("op-b") == 0


def test_ties_share_the_rate_by_the_declarations_id(tmp_path):
    tally = Tally(tmp_path)
    chosen = [tally.choose("op-flat", 42.0, 0.25, f"D{i}") for i in range(4000)]
    assert abs(sum(chosen) / 4000 - 0.25) < 0.03


def test_two_workers_share_one_ranking_and_a_restart_keeps_it(tmp_path):
    first, second = Tally(tmp_path), Tally(tmp_path)
    scores = _stream(6000, 2)
    chosen = []
    for i, s in enumerate(scores):
        worker = first if i % 2 else second
        chosen.append(worker.choose("op-a", s, 0.1, f"D{i}"))
        if i % 200 == 199:  # each worker synchronises on its own clock
            (first if i % 400 == 199 else second).sync()
    share, top, bottom = _shares(scores, chosen)
    assert abs(share - 0.1) < 0.015 and top > 0.9 and bottom < 0.01
    first.sync()
    second.sync()
    restarted = Tally(tmp_path)
    restarted.sync()
    assert restarted.seen("op-a") == first.seen("op-a") == 6000
    # what the restarted worker chooses follows the whole history: a low score is not taken
    assert not restarted.choose("op-a", min(scores), 0.1, "D-late")


OPTIONAL = (
    "importer_category",
    "transport_mode",
    "loading_port",
    "transit_ports",
    "discharge_port",
    "origin_country",
    "departure_country",
    "net_mass",
    "quantity",
    "licence_ids",
    "importer_name",
    "importer_address",
    "seller_id",
)
_SCOPES = st.fixed_dictionaries(
    {},
    optional={
        "hs_prefix": st.lists(st.sampled_from(["39", "85", "8517", "03", "64", "87"]), min_size=1, max_size=3),
        "origin": st.lists(st.sampled_from(["KR", "VN", "JP", "US", "IT", "CN"]), min_size=1, max_size=3),
        "transport_mode": st.lists(st.sampled_from(["sea", "air", "road"]), min_size=1, max_size=2),
        "importer_category": st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=2),
        "value_min": st.sampled_from([0.0, 1000.0, 50000.0]),
        "missing_licence": st.booleans(),
    },
).filter(bool)


@pytest.fixture(scope="module")
def scorer_and_rows(trained):
    from scoring.snapshot import latest_version, load_scorer

    env, sample, _ = trained
    home = Path(env["RISKGRAPH_HOME"])
    scorer, _ = load_scorer(home, latest_version(home))
    frame = pd.concat([pd.read_csv(p, dtype=str) for p in sorted(sample.glob("declarations-*.csv"))])
    rows = [{k: v for k, v in r.items() if v == v} for r in frame.sample(600, random_state=5).to_dict("records")]
    return scorer, rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scope=_SCOPES, dropped=st.sets(st.sampled_from(OPTIONAL)), rate=st.sampled_from([0.05, 0.3, 0.8]))
def test_random_scopes_and_columns_touch_only_the_scope_at_about_its_rate(
    scope, dropped, rate, scorer_and_rows, tmp_path_factory
):
    from graph.reference import department_code
    from scoring.scorer import prepare_declaration, rule_view

    scorer, rows = scorer_and_rows
    rows = [{k: v for k, v in r.items() if k not in dropped} for r in rows]
    operation = Operation(
        id="op-hypothesis",
        name="random scope",
        target="tax",
        owner=department_code(),  # everywhere
        start=date(2024, 1, 1),
        end=date(2027, 1, 1),
        inspection_rate=rate,
        scope=Conditions(**scope),
        proposed_by="someone",
    )
    book = OperationBook(Tally(tmp_path_factory.mktemp("tally")), [operation])
    in_scope = {
        r["declaration_id"] for r in rows if book.compiled[0][1](rule_view(prepare_declaration(r, scorer.state)))
    }
    scorer.set_operations(OperationBook())
    before = {d.declaration_id: d for d in scorer.score_many(rows, explain="none")}
    scorer.set_operations(book)
    try:
        after = {d.declaration_id: d for d in scorer.score_many(rows, explain="none")}
    finally:
        scorer.set_operations(OperationBook())
    selected = {i for i, d in after.items() if any(r["kind"] == "operation" for r in d.reasons)}
    assert selected <= in_scope
    for i in set(after) - in_scope:
        assert (after[i].score, after[i].channel, after[i].reasons) == (
            before[i].score,
            before[i].channel,
            before[i].reasons,
        )
    for i in selected:
        assert after[i].channel == "physical inspection" and before[i].score == after[i].score
    if len(in_scope) >= 100:
        # chosen online against the scores counted so far, with ties drawn by id: about the rate, within three
        # binomial deviations (a flat 0.08 failed one example in CI: 25 of 114 at 0.3)
        spread = 3 * (rate * (1 - rate) / len(in_scope)) ** 0.5 + 0.02
        assert abs(len(selected) / len(in_scope) - rate) < spread, (len(selected), len(in_scope))
