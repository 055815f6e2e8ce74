"""The new-firm policy as a stored risk parameter (four eyes, versions) and the representative outcomes behind its
default: pure functions and the rule file, no database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.new_firms import BUILT_IN, NewFirmPolicies
from scoring.representative import hit_rates, outcome_weights
from scoring.rule_store import RuleForbidden, RuleStore
from scoring.rules import RuleError

RULE = {
    "id": "phones",
    "description": "phones",
    "target": "tax",
    "weight": 0.5,
    "owner": "SC-HUANGPU",
    "effective_from": "2025-01-01",
    "conditions": {"hs_prefix": ["8517"]},
}


def test_a_policy_takes_effect_only_once_someone_else_approves_it_and_keeps_its_versions(tmp_path):
    store = RuleStore(tmp_path)
    change = store.propose("policy", "li", rule={"owner": "sc-huangpu", "inspect_from": 0.5})
    assert (change["rule_id"], change["owner"]) == ("new-firms", "SC-HUANGPU") and store.policies() == []
    with pytest.raises(RuleForbidden, match="someone else approves it"):
        store.approve(change["id"], "Li")
    first = store.approve(change["id"], "wang")
    assert (first.version, first.changed_by, first.approved_by, first.inspect_from) == (1, "li", "wang", 0.5)
    store.approve(store.propose("add", "li", rule=RULE)["id"], "wang")  # a rule written after keeps the policy
    second = store.approve(
        store.propose("policy", "wang", rule={"owner": "SC-HUANGPU", "link_weight": 0.5})["id"], "li"
    )
    assert second.version == 2 and [p.version for p in store.policies()] == [2]
    assert [p.version for p in store.policy_history()] == [1, 2] and [r.id for r in store.current()] == ["phones"]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"owner": "SC-NOWHERE"}, "is not the department or a sub-centre"),
        ({"owner": "SC-HUANGPU", "link_weight": 1.5}, "link_weight"),
        ({"owner": "SC-HUANGPU", "inspect_from": 0}, "inspect_from"),
        ({"owner": "SC-HUANGPU", "surprise": 1}, "surprise"),
    ],
)
def test_a_bad_policy_is_refused_at_once_with_the_field(tmp_path, policy, message):
    with pytest.raises(RuleError, match=message):
        RuleStore(tmp_path).propose("policy", "li", rule=policy)
    assert RuleStore(tmp_path).pending() == []


def test_the_sub_centre_policy_applies_in_its_districts_the_built_in_elsewhere(tmp_path):
    store = RuleStore(tmp_path)
    store.approve(
        store.propose("policy", "li", rule={"owner": "SC-HUANGPU", "no_history_probability": 0.02})["id"], "wang"
    )
    policies = NewFirmPolicies(0.07, {p.owner: p for p in store.policies()})
    assert policies.for_office("CD-SHENZHEN")[0].owner == "SC-HUANGPU" and policies.for_office("CD-SHENZHEN")[1] == 0.02
    assert policies.for_office("CD-QINGDAO") == (BUILT_IN, 0.07)  # the estimate where no policy caps


def _targeted_population(seed: int, n: int = 40_000) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Young firms violate more and are inspected far more often: the inspected rate overstates the true one."""
    rng = np.random.default_rng(seed)
    young = rng.random(n) < 0.2
    violates = rng.random(n) < np.where(young, 0.10, 0.02)
    inspected = rng.random(n) < np.where(young, 0.6, 0.03)
    days = rng.integers(0, 365, n)
    frame = pd.DataFrame(
        {
            "importer_id": [f"F{i}" for i in range(n)],
            "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(days, unit="D"),
            "inspected": inspected.astype(int),
            "violation": (inspected & violates).astype(int),
        }
    )
    return frame, pd.DataFrame({"young": young.astype(float)}), float(violates.mean())


def test_inverse_propensity_weighting_recovers_the_rate_targeting_hides():
    frame, features, truth = _targeted_population(5)
    weights, basis = outcome_weights(frame, features, seed=0)
    rates = hit_rates(frame, weights, basis)["all"]
    assert basis == "inverse propensity of inspection" and rates["targeted_hit_rate"] > 2 * truth
    assert rates["representative_rate"] == pytest.approx(truth, abs=0.006) and rates["gap_points"] > 3


def test_random_selections_are_used_alone_when_there_are_enough():
    frame, features, _ = _targeted_population(6)
    frame["random_selected"] = 0
    frame.loc[frame.index[:3000], ["random_selected", "inspected"]] = 1
    weights, basis = outcome_weights(frame, features)
    assert basis == "random selection" and set(np.flatnonzero(weights)) == set(range(3000))
