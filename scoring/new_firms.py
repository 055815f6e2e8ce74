"""Firms the graph does not know: how the first declarations of a new importer are handled.

The model learned its probability on past inspections, which targeted young firms, so "no history" reads
as risk and every new firm lands in document check whether or not anything ties it to a violator. A risk
parameter per sub-centre (under four eyes, stored and approved with the rules: ``scoring.rule_store``)
says instead:

* ``no_history_probability``: the most the model's probability may say for an importer the graph does not
  know - whatever it read into the missing history. Unset, it is the estimate of the real violation rate
  of new firms that the snapshot took from representative outcomes (random selection, else inspections
  weighted by the inverse of their propensity: ``scoring.representative``);
* ``link_weight``: how much link evidence (``scoring.links``) counts in the score of such a firm, in place
  of the ``network_weight`` a firm with history gets (its own record speaks for it; a new firm has only
  its ties) - through its own identifiers; its seller's and broker's links weigh as for any firm. Links
  below the bar raise a new firm to document check at most;
* ``inspect_from``: the *tie* from which the first declaration goes to physical inspection: the noisy-OR
  of the strengths of the links through the importer's own identifiers (:func:`party_tie`). A link's
  strength already weighs how rare the shared identifier is (divided by ``log2(1 + firms)``, as
  ``algorithms.identity_keys`` weighs a name token by its frequency): a phone or representative shared
  with one violator is about 0.8, an address shared with a ring of three about 0.45 and with the ring's
  phone and representative too about 0.75, a business centre of 60 tenants with a violator among them
  about 0.14, a representative's name shared with one violator among four namesakes about 0.34. The
  default 0.5 sends the first and third and none of the others.

The department's policy applies where a sub-centre has none; the built-in one where neither has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from graph.reference import department_code, jurisdiction
from scoring.rules import RuleError, owners

__all__ = [
    "BUILT_IN",
    "POLICY_ID",
    "party_tie",
    "NewFirmPolicy",
    "NewFirmPolicies",
    "NewFirmTerms",
    "parse_policy",
    "revise_new_firm",
]

#: the id a policy change carries in the pending changes (one policy per owner)
POLICY_ID = "new-firms"
#: the built-in policy's tie for physical inspection and link weight (see the module docstring)
INSPECT_FROM = 0.5
LINK_WEIGHT = 1.0
#: the importer's own identifiers (``scoring.links`` kinds), as against its intermediaries'
PARTY_KINDS = frozenset({"phone", "address", "legal_rep", "name"})


class NewFirmPolicy(BaseModel):
    """One owner's policy for importers the graph does not know (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    owner: str = Field(min_length=2, max_length=32, description="sub-centre (or department) code")
    no_history_probability: float | None = Field(
        None, ge=0, le=1, description="most the model may say of an importer without history (null: estimate)"
    )
    link_weight: float = Field(LINK_WEIGHT, ge=0, le=1, description="weight of link evidence for an unknown importer")
    inspect_from: float | None = Field(
        INSPECT_FROM, gt=0, le=1, description="tie of own identifiers for physical inspection (null: never)"
    )
    version: int = Field(1, ge=0, description="0: the built-in policy")
    changed_by: str | None = None
    approved_by: str | None = None
    changed_at: datetime | None = None

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in owners():
            raise ValueError(f"owner {value!r} is not the department or a sub-centre ({', '.join(owners())})")
        return value


#: what applies where neither the sub-centre nor the department set a policy
BUILT_IN = NewFirmPolicy.model_construct(
    owner="built-in", no_history_probability=None, link_weight=LINK_WEIGHT, inspect_from=INSPECT_FROM, version=0
)


def parse_policy(data: dict) -> NewFirmPolicy:
    """A policy from a request or the store; :class:`RuleError` naming the fields at fault."""
    try:
        return NewFirmPolicy.model_validate(data)
    except ValidationError as exc:
        faults = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'policy'}: {e['msg']}" for e in exc.errors())
        raise RuleError(f"invalid new-firm policy: {faults}") from None


@dataclass
class NewFirmPolicies:
    """The policies in force, resolved per office (memoised: a clearance stream repeats its offices)."""

    estimate: float | None  # the snapshot's estimate of new firms' violation rate (None: the model's own)
    stored: dict[str, NewFirmPolicy]

    def __post_init__(self) -> None:
        self._by_office: dict[str | None, tuple[NewFirmPolicy, float | None]] = {}

    def for_office(self, office: str | None) -> tuple[NewFirmPolicy, float | None]:
        """(policy, probability cap) for a declaration lodged at ``office``."""
        found = self._by_office.get(office)
        if found is None:
            policy = self._owner_policy(office)
            cap = policy.no_history_probability if policy.no_history_probability is not None else self.estimate
            found = self._by_office[office] = (policy, cap)
        return found

    def _owner_policy(self, office: str | None) -> NewFirmPolicy:
        top = department_code()
        for owner, policy in self.stored.items():
            if owner != top and office and office in jurisdiction(owner):
                return policy
        return self.stored.get(top, BUILT_IN) if top else BUILT_IN


@dataclass(frozen=True)
class NewFirmTerms:
    """How the policy re-decided one new firm's declaration, so that its per-target scores follow suit: the
    model's probabilities shrink by ``scale`` (what the cap took from the overall one) and stay under ``cap``;
    the intermediaries' links weigh ``others`` and the importer's own tie ``tie`` at ``link_weight``."""

    scale: float
    cap: float | None
    others: float
    tie: float
    link_weight: float

    def target_score(self, p: float, rule_weights: list[float], combine) -> tuple[float, float]:
        """(score, probability) of one target, combined as the overall score of the declaration was."""
        p *= self.scale
        if self.cap is not None:
            p = min(p, self.cap)
        return combine(p, [*rule_weights, self.others], self.tie, self.link_weight), p


def party_tie(links: list[dict]) -> float:
    """How strongly the importer's own identifiers (phone, address, representative, name) tie it to tainted
    firms: a noisy-OR of those links' strengths. Intermediaries (seller, broker, consignment) serve honest
    clients too and are left out; several ties corroborate each other (a ring shares phone, address and
    representative, a namesake representative is one tie alone)."""
    keep = 1.0
    for x in links:
        if x["identifier"] in PARTY_KINDS:
            keep *= 1.0 - x["strength"]
    return 1.0 - keep


def revise_new_firm(
    decision, policy: NewFirmPolicy, cap: float | None, p: float, *, network_weight: float, levels, combine, channels
) -> NewFirmTerms:
    """Re-decide the declaration of an importer the graph does not know, under ``policy``.

    ``p`` is the model's probability; ``network_weight`` what the intermediaries' links weigh (as for a firm
    with history); ``levels`` the office's (medium, high) thresholds, ``combine`` and ``channels`` the
    scorer's formula and channels (passed in: scoring imports this module, not the other way). Rule hits
    keep their weights; a random selection stays one. Link evidence below the policy's bar raises the score
    but not to physical inspection: that takes the tie (:func:`party_tie`) at ``inspect_from``, or the model
    and rules alone. Returns the terms the declaration's per-target scores are to be revised by.
    """
    links = decision.links
    scale = 1.0
    if cap is not None and p > cap:  # what the model read into the missing history, links or not
        scale, p = cap / p, cap
    weights = [r["weight"] for r in decision.reasons if r["kind"] == "rule"]
    tie = party_tie(links)
    # the intermediaries' links weigh as for any firm: they serve honest newcomers as much as shells
    others = 1.0 - math.prod(1.0 - x["strength"] for x in links if x["identifier"] not in PARTY_KINDS)
    terms = NewFirmTerms(scale, cap, network_weight * others, tie, policy.link_weight)
    decision.score = combine(p, [*weights, terms.others], tie, policy.link_weight)
    decision.probability = round(p, 4)
    medium, high = levels
    decision.level = "high" if decision.score >= high else "medium" if decision.score >= medium else "low"
    inspect = policy.inspect_from is not None and tie >= policy.inspect_from
    if inspect:
        decision.level = "high"
    elif decision.level == "high" and combine(p, weights, 0.0, 0.0) < high:
        decision.level = "medium"  # the links took it there, and they are below the bar
    decision.channel = channels["high"] if decision.random else channels[decision.level]
    for reason in decision.reasons:
        if reason["kind"] == "link" and reason["identifier"] in PARTY_KINDS:
            reason["weight"] = round(policy.link_weight * reason["strength"], 3)
    decision.reasons = [r for r in decision.reasons if r["kind"] != "network"]
    if inspect:
        detail = f"new importer tied to known violators: tie {tie:.2f} >= {policy.inspect_from:g}"
    elif links:
        detail = f"new importer: links weigh {policy.link_weight:g}, tie {tie:.2f} below the bar"
    elif cap is not None:
        detail = f"new importer without links: probability at most {cap:.3f} (new firms' violation rate)"
    else:
        detail = "new importer without links: the model's probability"
    at = 1 if decision.random else 0
    decision.reasons.insert(
        at if inspect else len(decision.reasons),
        {"kind": "new_firm", "policy": policy.owner, "version": policy.version, "tie": round(tie, 3), "detail": detail},
    )
    return terms
