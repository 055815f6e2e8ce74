"""Probable-same-firm linkage (algorithms/same_firm.py) on the generator's planted firms and on minimal data.

The planted new firms write their representative, name and room their own way (``vary_phoenix_firms``), and
honest namesakes live next door (``add_namesakes_next_door``).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from algorithms.same_firm import same_firm_candidates
from benchmarks.resolution import planted_enterprises

#: a shell ring's fronts: one address, phone and representative under unrelated names
RING = pd.DataFrame(
    {
        "id": ["RING1", "RING2", "RING3"],
        "name": ["ningbo aoxiang trading", "ningbo kebao import export", "ningbo zhilan technology"],
        "address": ["77 ningbo rd rm808 zhenhai"] * 3,
        "phone": ["+8657400000077"] * 3,
        "legal_rep": ["ZHENG HAORAN"] * 3,
        "registered": ["2025-09-01", "2025-09-03", "2025-09-20"],
    }
)


@pytest.fixture(scope="module")
def planted():
    frame, truth, kinds = planted_enterprises(3000, 11)
    frame = pd.concat([frame, RING], ignore_index=True)
    return frame, truth, kinds, same_firm_candidates(frame, threshold=0.9, seed=11)


def test_phoenix_firms_are_found_and_lookalikes_are_not(planted):
    frame, truth, kinds, found = planted
    pairs = {p for p in zip(found.pairs["a"], found.pairs["b"], strict=True) if not set(p) & set(RING["id"])}
    assert len(truth) >= 10
    precision, recall = len(pairs & truth) / max(len(pairs), 1), len(pairs & truth) / len(truth)
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    wrong = {(a, b) for a, b in pairs - truth if a in kinds or b in kinds}
    assert not wrong  # namesakes in one business centre, one person behind unrelated firms


def test_candidates_carry_weight_and_evidence(planted):
    _, truth, _, found = planted
    assert list(found.pairs.columns) == ["a", "b", "match_weight", "match_probability", "agreed", "weights", "levels"]
    assert (found.pairs["a"] < found.pairs["b"]).all()
    # each field's weight, explained: with the prior they add up to the match weight
    share = found.model["probability_two_random_records_match"]
    prior = math.log2(share / (1 - share))
    for weight, weights in zip(found.pairs["match_weight"], found.pairs["weights"], strict=True):
        parts = json.loads(weights)
        assert set(parts) == {"name", "address", "phone", "legal_rep", "succession"}
        assert abs(prior + sum(parts.values()) - weight) < 0.01
    assert found.pairs["match_weight"].is_monotonic_decreasing
    assert (found.pairs["match_probability"] >= 0.9).all()
    hit = found.pairs[[(a, b) in truth for a, b in zip(found.pairs["a"], found.pairs["b"], strict=True)]]
    assert hit["agreed"].str.contains("legal_rep").all()  # a phoenix keeps its representative
    # how each field compared, by its level's label: a phoenix started as its predecessor stopped
    levels = [json.loads(x) for x in hit["levels"]]
    assert all(set(level) == {"name", "address", "phone", "legal_rep", "succession"} for level in levels)
    assert all(level["legal_rep"] == "Exact match on rep_key" for level in levels)
    assert all(level["succession"] != "All other comparisons" for level in levels)
    assert set(found.fields) == {"name", "address", "phone", "legal_rep", "succession"}


def test_an_incremental_pass_finds_for_its_firms_what_the_full_pass_finds(planted):
    """The newest firms resolved alone, against every firm, with the full pass's model: the same links."""
    frame, _, _, found = planted
    newest = set(frame["id"].iloc[-63:-3])  # the phoenix firms come last, before the ring
    again = same_firm_candidates(frame, threshold=0.9, seed=11, only=newest, model=found.model)
    expected = {
        (a, b): w for a, b, w in found.pairs[["a", "b", "match_weight"]].itertuples(index=False) if {a, b} & newest
    }
    assert expected and _weighed(again) == pytest.approx(expected, rel=1e-9)
    assert again.timings["train"] < 0.01  # not trained again


def _weighed(result) -> dict:
    return dict(zip(zip(result.pairs["a"], result.pairs["b"], strict=True), result.pairs["match_weight"], strict=True))


def test_a_days_pass_prepares_the_changed_firms_and_finds_what_preparing_all_finds(planted):
    """Kept from the day before, every firm's linkage row; the day adds the newest firms, gives some firms another
    representative and moves others' last declaration: prepared again are only the new firms and those with another
    representative, and the candidates (pairs and weights) are those of the pass that prepares every firm afresh."""
    frame, _, _, found = planted
    newest = set(frame["id"].iloc[-63:-3])
    before = same_firm_candidates(frame[~frame["id"].isin(newest)], seed=11, model=found.model)
    day = frame.copy()
    moved = day.index[:40]
    day.loc[moved[:20], "legal_rep"] = day.loc[moved[:20], "legal_rep"].to_numpy()[::-1]  # representatives swapped
    day.loc[moved[20:], "last_seen"] = "2026-01-05"  # traded on
    only = newest | set(day.loc[moved[:20], "id"])
    kept = same_firm_candidates(day, threshold=0.9, seed=11, only=only, model=found.model, prepared=before.prepared)
    afresh = same_firm_candidates(day, threshold=0.9, seed=11, only=only, model=found.model)
    assert len(kept.pairs) and _weighed(kept) == _weighed(afresh)
    assert kept.pairs[["agreed", "weights", "levels"]].equals(afresh.pairs[["agreed", "weights", "levels"]])
    rows = kept.prepared.rows.set_index("id")
    # prepared again: the new firms and those with another representative; a firm that only traded on keeps its
    # row, with the day's last declaration in it
    assert rows.loc[day["id"], "source"].ne(
        before.prepared.rows.set_index("id")["source"].reindex(day["id"])
    ).sum() == (len(newest) + 20)
    assert rows.loc[day.loc[moved[20:], "id"], "last_seen"].eq("2026-01-05").all()
    assert rows.equals(afresh.prepared.rows.set_index("id").loc[rows.index, rows.columns])


def test_a_full_pass_keeping_the_last_preparation_finds_what_preparing_all_finds(planted):
    """A full pass keeps each unchanged firm's own linkage columns from the pass before and works out every place,
    name key and tag again: firms gone since (one with the only GmbH) take their tags with them, new and renamed
    firms bring theirs, and pairs, weights and linkage rows are those of a pass preparing every firm afresh."""
    frame, _, _, found = planted
    newest = set(frame["id"].iloc[-63:-3])
    gone = pd.DataFrame({"id": ["GONE1"], "name": ["Zorvath Gmbh"], "address": ["1 nowhere rd"], "legal_rep": ["X Y"]})
    assert not frame["name"].str.contains("gmbh", case=False).any()
    before = same_firm_candidates(pd.concat([frame[~frame["id"].isin(newest)], gone]), seed=11, model=found.model)
    day = frame.copy()
    moved = day.index[:40]
    day.loc[moved[:20], "legal_rep"] = day.loc[moved[:20], "legal_rep"].to_numpy()[::-1]
    day.loc[moved[20:], "name"] = day.loc[moved[20:], "name"] + " Logistics Co Ltd"
    kept = same_firm_candidates(day, threshold=0.9, seed=11, model=found.model, prepared=before.prepared)
    afresh = same_firm_candidates(day, threshold=0.9, seed=11, model=found.model)
    assert len(kept.pairs) and _weighed(kept) == _weighed(afresh)
    assert kept.pairs[["agreed", "weights", "levels"]].equals(afresh.pairs[["agreed", "weights", "levels"]])
    assert "gmbh" in before.prepared.tags[0] and kept.prepared.tags == afresh.prepared.tags
    rows, fresh = kept.prepared.rows.set_index("id"), afresh.prepared.rows.set_index("id")
    assert rows.equals(fresh.loc[rows.index, rows.columns]) and set(rows.index) == set(day["id"])


def test_trading_alongside_weighs_against_one_firm(planted):
    """The same identities, the two firms of each planted pair now trading side by side all period: succession
    turns from evidence for one firm into evidence against, and each pair's match weight drops by just that."""
    frame, truth, _, found = planted
    beside = frame.copy()
    ends = {b for _, b in truth}
    beside.loc[beside["id"].isin(ends), ["first_seen", "last_seen"]] = ["2024-01-05", "2025-12-20"]
    beside.loc[beside["id"].isin({a for a, _ in truth}), ["first_seen", "last_seen"]] = ["2024-01-02", "2025-12-28"]
    again = same_firm_candidates(beside, threshold=0.01, seed=11, model=found.model)

    def scored(result) -> dict:
        p = result.pairs
        rows = zip(p["a"], p["b"], p["match_weight"], p["weights"], strict=True)
        return {(a, b): (weight, json.loads(w)) for a, b, weight, w in rows if (a, b) in truth}

    before, after = scored(found), scored(again)
    assert len(before) >= 10 and set(before) <= set(after)
    for pair, (weight, parts) in before.items():
        assert after[pair][1]["succession"] < 0 < parts["succession"]
        dropped = parts["succession"] - after[pair][1]["succession"]
        assert abs(weight - after[pair][0] - dropped) < 0.01, pair


def test_shell_ring_fronts_are_not_one_firm(planted):
    """Linked by the identifiers they share, not as one firm: the names are unrelated."""
    found = planted[3].pairs
    assert not (set(RING["id"]) & (set(found["a"]) | set(found["b"])))


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"id": ["A", "B", "C"]}),
        pd.DataFrame({"id": ["A", "B"], "registered": ["2025-01-01", "2025-01-01"]}),
        pd.DataFrame({"id": ["A", "B"], "phone": ["+861", "+862"], "address": [None, None]}),
        pd.DataFrame({"id": ["A"], "name": ["alpha"]}),
        pd.DataFrame({"id": pd.Series([], dtype=str)}),
    ],
)
def test_minimal_data_has_nothing_to_link(frame):
    found = same_firm_candidates(frame)
    columns = ["a", "b", "match_weight", "match_probability", "agreed", "weights", "levels"]
    assert found.pairs.empty and list(found.pairs.columns) == columns
    assert found.message.startswith("nothing to link")
