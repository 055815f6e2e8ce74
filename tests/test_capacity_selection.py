"""The selection within capacity and the inspection each decision names, property-based (hypothesis).

Any mix of what a declaration may lack (no office, no date), must-inspect hits, random selections, an
office with or without history and a documentary limit or none: the day's physical inspections by score never
pass the capacity, must-inspect hits and random selections always go through, the shared day use counts what
the decisions say, a declaration at an office without capacity is left as it was, and every decision not
released names an inspection type and an instruction. The end-to-end behaviour over HTTP is in
``tests/test_capacity.py``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.capacity import CapacityAllocator, CapacityTable
from scoring.inspection import Routing
from scoring.scorer import CHANNELS, Decision, ScoringConfig

PHYSICAL = CHANNELS["high"]
GRID = np.round(np.quantile(np.random.default_rng(0).beta(1, 6, 4000) * 100, np.linspace(0, 1, 201)), 2).tolist()
DAY = date(2026, 3, 2)

declaration = st.fixed_dictionaries(
    {
        "score": st.floats(0, 100, allow_nan=False),
        "random": st.booleans(),
        "forced": st.sampled_from([False, False, False, True]),
        "office": st.sampled_from(["capacity", "capacity", "capacity", "other", None]),
        "dated": st.booleans(),
        "target": st.sampled_from([None, "tax", "drugs", "ipr", "security"]),
    }
)


def _decision(i: int, spec: dict) -> Decision:
    level = "high" if spec["score"] >= 60 else "medium" if spec["score"] >= 30 else "low"
    channel = PHYSICAL if spec["random"] or spec["forced"] else CHANNELS[level]
    reasons = [{"kind": "intel", "record": "INT-1", "target": "drugs", "channel": PHYSICAL}] if spec["forced"] else []
    return Decision(
        f"D{i}", spec["score"], 0.1, level, channel, spec["random"], reasons, [], leading_target=spec["target"]
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(declaration, max_size=80),
    physical=st.integers(0, 12),
    documentary=st.one_of(st.none(), st.integers(0, 20)),
    volume=st.one_of(st.none(), st.floats(1, 200)),
    with_grid=st.booleans(),
)
def test_selection_keeps_within_capacity_whatever_the_declarations_lack(
    specs, physical, documentary, volume, with_grid, tmp_path_factory
):
    home = tmp_path_factory.mktemp("capacity")
    office, _ = CapacityTable(home).set("Qingdao", physical, documentary)
    config = ScoringConfig(
        thresholds={"*": (30.0, 60.0)},
        score_grid={"*": GRID} if with_grid else {},
        volumes={office: [volume] * 7} if volume else {},
    )
    allocator = CapacityAllocator(home)
    routing = Routing()
    today = datetime.now(UTC).date()
    decided, before = [], []
    for i, spec in enumerate(specs):
        decision = _decision(i, spec)
        where = {"capacity": office, "other": "CD-SHANGHAI", None: None}[spec["office"]]
        prepared = {"office": where, "date": DAY if spec["dated"] else None}
        before.append(decision.channel)
        allocator.allocate([decision], [prepared], config)
        routing.assign([decision], [where], {})
        decided.append((decision, spec, prepared["date"] or today))
    count: Counter = Counter()
    for (decision, spec, day), was in zip(decided, before, strict=True):
        if spec["office"] != "capacity":
            assert decision.channel == was and not any(r["kind"] == "capacity" for r in decision.reasons)
        else:
            count[day, "lodged"] += 1
            if decision.channel == PHYSICAL:
                count[day, "random" if decision.random else "physical"] += 1
                count[day, "forced"] += int(spec["forced"] and not decision.random)
            elif decision.channel == CHANNELS["medium"]:
                count[day, "documentary"] += 1
        if spec["forced"] or spec["random"]:
            assert decision.channel == PHYSICAL
        if decision.channel == CHANNELS["low"]:
            assert decision.inspection is None
        else:
            assert decision.inspection["type"] and len(decision.inspection["instruction"]) > 10
    for day in {d for d, _ in count}:
        use = allocator.use.day(day)[office]
        assert {k: use[k] for k in ("lodged", "physical", "forced", "random", "documentary")} == {
            k: count[day, k] for k in ("lodged", "physical", "forced", "random", "documentary")
        }
        assert use["physical"] - use["forced"] <= physical  # by score: never past the capacity
        if documentary is not None:
            assert use["documentary"] <= documentary
    allocator.close()


def test_the_riskiest_of_a_day_with_known_volume_are_selected(tmp_path):
    """200 declarations with the history's score distribution, expected 200: what it selects is the riskiest."""
    office, _ = CapacityTable(tmp_path).set("Qingdao", 10)
    config = ScoringConfig(thresholds={"*": (30.0, 60.0)}, score_grid={"*": GRID}, volumes={office: [200.0] * 7})
    allocator = CapacityAllocator(tmp_path)
    scores = np.random.default_rng(1).beta(1, 6, 200) * 100
    chosen = []
    for i, score in enumerate(scores):
        decision = Decision(f"D{i}", float(score), 0.1, "low", CHANNELS["low"], False, [], [])
        allocator.allocate([decision], [{"office": office, "date": DAY}], config)
        if decision.channel == PHYSICAL:
            chosen.append(score)
    ranked = sorted(scores, reverse=True)
    assert 8 <= len(chosen) <= 10 and min(chosen) >= ranked[29]  # all among the riskiest 15 %
    assert len(set(chosen) & set(ranked[:10])) >= 6, (sorted(chosen), ranked[:10])  # most of the top 10
    allocator.close()
