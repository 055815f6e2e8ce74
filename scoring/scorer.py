"""Clearance scoring of one declaration or many, from memory only (no graph query).

score = 100 * (1 - (1 - p) * prod(1 - w_rule for each rule hit) * (1 - w_net * network_risk)):
a noisy-OR of the published model's probability ``p`` (calibrated on the validation window by
:mod:`scoring.calibration`, so it stands on the same footing as a rule weight), the weights of the risk
parameters that hit, and the importer's network risk: its analysed risk, or the risk of what its party
fields (address, phone, representative, name, seller, broker, consignment) link it to (``scoring.links``)
when that is higher, which is how a firm lodging its first declaration is seen. It is bounded 0-100, any
one strong signal alone can push it up, and each part stays explainable. The level follows the office's
thresholds (set from its inspection capacity when the snapshot is built): low -> fast release, medium -> document check,
high -> physical inspection; at an office with a capacity per day, the day's use decides instead
(``scoring.capacity``). A configurable random share goes to physical inspection whatever its
score, marked ``random``, so the feedback also shows what the targeting misses.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from graph.currency import Money
from graph.reference import resolve_office
from ingest.entities import declaration_keys
from scoring.capacity import CapacityAllocator
from scoring.features import HISTORY_KEYS, FeatureState, declaration_features
from scoring.inspection import Routing
from scoring.links import declaration_identifiers
from scoring.lookouts import LookoutIndex, apply_hits, memoised
from scoring.memo import BoundedMemo
from scoring.new_firms import NewFirmPolicies, NewFirmPolicy, NewFirmTerms, revise_new_firm
from scoring.operations import OperationBook
from scoring.published import PublishedModel
from scoring.rules import Rule, RuleView, compile_rule
from scoring.targets import TargetModels
from scoring.watchlists import WatchlistIndex, apply_watchlist_hits, party_hits

__all__ = [
    "LEVELS",
    "CHANNELS",
    "RULE_FIELDS",
    "Decision",
    "ScoringConfig",
    "Scorer",
    "prepare_declaration",
    "rule_view",
    "combine",
    "combine_many",
]

LEVELS = ("low", "medium", "high")
CHANNELS = {"low": "fast release", "medium": "document check", "high": "physical inspection"}
_TOP_CONTRIBUTIONS = 3
#: reasons that decide the channel whatever the score, kept before the model's contributions
_FIRST = ("random", "intel", "watchlist", "operation", "new_firm")
#: the reasons every target's score shares (``Scorer.score_targets``)
_NETWORK_EVIDENCE = frozenset({"link", "network"})


@dataclass
class ScoringConfig:
    """Thresholds per office (``"*"`` for offices without enough history) and the mixing weights."""

    thresholds: dict[str, tuple[float, float]]  # office -> (medium from, high from)
    random_share: float = 0.01
    network_weight: float = 0.3
    salt: str = ""
    capacity: dict = field(default_factory=dict)
    #: new firms' violation rate estimated from representative outcomes (``scoring.new_firms``); None: unknown
    new_firm_rate: float | None = None
    #: per office (and ``"*"``): its recent scores at every half per cent (``scoring.capacity.office_history``)
    score_grid: dict = field(default_factory=dict)
    #: per office: mean declarations lodged on each weekday (Monday first) in the recent window
    volumes: dict = field(default_factory=dict)

    def levels_for(self, office: str | None) -> tuple[float, float]:
        return self.thresholds.get(office or "", self.thresholds["*"])


@dataclass
class Decision:
    declaration_id: str
    score: float
    probability: float
    level: str
    channel: str
    random: bool
    reasons: list[dict]
    rule_hits: list[str]
    links: list[dict] = field(default_factory=list)
    #: per risk target: its score, probability and reasons (``scoring.targets``); empty for a model without
    targets: dict[str, dict] = field(default_factory=dict)
    #: the target with the highest score (None without target models)
    leading_target: str | None = None
    #: ids of the active lookouts naming a party of the declaration (``scoring.lookouts``)
    intel_hits: list[str] = field(default_factory=list)
    #: per lookout hit, the entity it was hit through as ``type:key`` (for alerts; not in the answer)
    intel_via: dict[str, str] = field(default_factory=dict)
    #: what a decision not released orders: ``{type, instruction, source}`` (``scoring.inspection``)
    inspection: dict | None = None

    def as_dict(self) -> dict:
        return {
            "declaration_id": self.declaration_id,
            "score": self.score,
            "probability": self.probability,
            "level": self.level,
            "channel": self.channel,
            "random": self.random,
            "rule_hits": self.rule_hits,
            "reasons": self.reasons,
            "links": self.links,
            "targets": self.targets,
            "leading_target": self.leading_target,
            "intel_hits": self.intel_hits,
            "inspection": self.inspection,
        }


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _date(value) -> date | None:
    """A date from a date, a timestamp or text; None when absent (None, NaN, NaT) or unreadable."""
    if value is None or value != value:  # NaN and NaT are the values not equal to themselves
        return None
    if isinstance(value, date):
        return value if type(value) is date else value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def hs_digits(value) -> str:
    hs = str(value or "")
    return hs if hs.isdigit() else "".join(ch for ch in hs if ch.isdigit())


def office_code(value) -> str | None:
    office = _text(value)
    if office is not None:
        found = resolve_office(office)
        office = found.code if found else office
    return office


def route_fields(route, loading, transits, discharge) -> tuple[str | None, frozenset, frozenset, int]:
    """(route, ports, transit countries, transit count) from ``route`` as stored, else from the ports."""
    route = _text(route)
    if route is None:
        ports = [_text(loading), *str(transits or "").split(";")]
        ports = [p.upper() for p in (*ports, _text(discharge)) if p and p.strip()]
        route = ">".join(ports) if _text(loading) and _text(discharge) else None
        port_list = ports
    else:
        port_list = route.split(">")
    transit = port_list[1:-1] if route else []
    return route, frozenset(port_list), frozenset(p[:2] for p in transit), len(transit)


def licence_count(value) -> int:
    return len([x for x in str(value or "").replace(",", ";").split(";") if x.strip()])


def upper_text(value) -> str | None:
    return (_text(value) or "").upper() or None


def lower_text(value) -> str | None:
    return (_text(value) or "").lower() or None


def category(given, ent: dict) -> str | None:
    """The importer's credit category: as declared, else as the snapshot knows it."""
    return (_text(given) or ent.get("category") or "").upper() or None


def prepare_declaration(raw: dict, state: FeatureState) -> dict:
    """Canonical fields (as the API or a mapped file gives them) -> what features and rules read.

    Accepts either ``route`` (as stored in the graph) or ``loading_port``/``transit_ports``/
    ``discharge_port``; office by code or name; the importer's category and registration from the
    declaration when given, else from the snapshot. ``scoring.batch.prepare_columns`` does the same for
    a chunk, with the same helpers.
    """
    hs = hs_digits(raw.get("hs_code"))
    route, ports, transit_countries, transit_count = route_fields(
        raw.get("route"), raw.get("loading_port"), raw.get("transit_ports"), raw.get("discharge_port")
    )
    importer = _text(raw.get("importer_id"))
    ent = state.enterprises.get(importer, {}) if importer else {}
    registered = _date(raw.get("importer_registered"))
    if registered is not None:
        ent = {**ent, "registered": registered.toordinal()}
    when = _date(raw.get("date"))
    d = {
        "id": _text(raw.get("declaration_id") or raw.get("id")) or "",
        "date": when,
        "day": (when or date.today()).toordinal(),
        "office": office_code(raw.get("office")),
        "trade_mode": _text(raw.get("trade_mode")),
        "transport_mode": lower_text(raw.get("transport_mode")),
        "currency": upper_text(raw.get("currency")),
        "importer_id": importer,
        "declarant_id": _text(raw.get("declarant_id")),
        "seller_id": _text(raw.get("seller_id")),
        "carrier_id": _text(raw.get("carrier_id")),
        "hs_code": hs,
        "hs6": hs[:6] or None,
        "chapter": hs[:2] or None,
        "origin": upper_text(raw.get("origin_country") or raw.get("origin")),
        "departure": upper_text(raw.get("departure_country") or raw.get("departure")),
        "route": route,
        "ports": ports,
        "transit_countries": transit_countries,
        "transit_count": transit_count,
        "n_licences": licence_count(raw.get("licence_ids")),
        "value": raw.get("value"),
        "quantity": raw.get("quantity"),
        "net_mass": raw.get("net_mass"),
        "tax_rate": raw.get("tax_rate"),
        "importer_category": category(raw.get("importer_category"), ent),
        "community": ent.get("community"),
        "network_risk": float(ent.get("risk") or 0.0),
        "enterprise": ent,
    }
    for column in (*state.extra_numeric, *state.extra_categorical):  # only the mapped columns the model knows
        d[column] = _text(raw.get(column))
    return d


#: the prepared fields :func:`rule_view` reads (``scoring.batch`` passes only these, per row)
RULE_FIELDS = (
    "date",
    "office",
    "importer_category",
    "hs_code",
    "value",
    "net_mass",
    "quantity",
    "n_licences",
    "origin",
    "departure",
    "transit_countries",
    "ports",
    "route",
    "transport_mode",
    "network_risk",
)


def rule_view(d: dict) -> RuleView:
    value = _number(d["value"])
    mass, qty = _number(d["net_mass"]), _number(d["quantity"])
    unit = None
    if value is not None and mass:
        unit = value / mass
    elif value is not None and qty:
        unit = value / qty
    return RuleView(
        date=d["date"],
        office=d["office"],
        importer_category=d["importer_category"],
        hs_code=d["hs_code"],
        value=value,
        unit_value=unit,
        has_licence=d["n_licences"] > 0,
        origin=d["origin"],
        departure=d["departure"],
        transit_countries=d["transit_countries"],
        ports=d["ports"],
        route=d["route"],
        transport_mode=d["transport_mode"],
        network_risk=d["network_risk"],
    )


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _explained(decision: Decision, explain: str) -> bool:
    if explain == "all":
        return True
    if explain == "targeted":
        return decision.channel != CHANNELS["low"]
    return explain == "inspection" and decision.channel == CHANNELS["high"]


def _shown(name: str, value: float, d: dict):
    """A feature's value as a person reads it: the category itself, not its code."""
    if name.startswith(("cat_", "id_")) or name in d and name.startswith("feature_"):
        return d.get(name.removeprefix("cat_").removeprefix("id_"))
    return None if math.isnan(value) else round(float(value), 4)


def _link_used(link: dict) -> dict:
    """What the decision log keeps of a link: the identifier, how many firms, violators, cases, network."""
    net = link["network"]
    return {
        "identifier": link["identifier"],
        "value": link["value"],
        "firms": link["firms"],
        "violators": link["violators"],
        "cases": link["cases"],
        "network": net and net["id"],
        "strength": link["weight"],
    }


def combine(probability: float, rule_weights, network_risk: float, network_weight: float) -> float:
    """The 0-100 score (noisy-OR of model, rule hits and network risk)."""
    keep = (1.0 - probability) * (1.0 - network_weight * min(max(network_risk, 0.0), 1.0))
    for w in rule_weights:
        keep *= 1.0 - w
    return round(100.0 * (1.0 - keep), 2)


def combine_many(probabilities, rule_weights: list[list[float]], network_risks, network_weight: float) -> list[float]:
    """:func:`combine` of each row: the rows without rule weights for whole columns (its operations, so the same
    floats), the others one by one.

    >>> combine_many([0.2, 0.2], [[], [0.5]], [1.0, 0.0], 0.3)
    [44.0, 60.0]
    """
    p, risk = np.asarray(probabilities, dtype=float), np.asarray(network_risks, dtype=float)
    kept = (1.0 - p) * (1.0 - network_weight * np.clip(risk, 0.0, 1.0))
    scores = [round(x, 2) for x in (100.0 * (1.0 - kept)).tolist()]
    for i in [i for i, w in enumerate(rule_weights) if w]:
        scores[i] = combine(float(p[i]), rule_weights[i], float(risk[i]), network_weight)
    return scores


_LABELS = {
    "peer_z": "unit value against peers in the same money unit (robust z)",
    "importer_age_days": "importer's age in days",
    "importer_category_rank": "importer's credit category (AA=0 .. D=4)",
    "community_size": "firms in the importer's network community",
    "log_degree": "importer's links in the shared-identifier graph (log)",
    "n_licences": "licences and certificates declared",
    "transit_count": "transit ports",
    "origin_is_departure": "origin equals departure country",
}
for _key in HISTORY_KEYS:
    _who = _key.removesuffix("_id")
    _LABELS[f"{_key}_prior_rate"] = f"{_who}: violation rate in earlier inspections"
    _LABELS[f"{_key}_prior_violations"] = f"{_who}: violations found earlier"
    _LABELS[f"{_key}_prior_inspected"] = f"{_who}: earlier inspections"
    _LABELS[f"{_key}_prior_n"] = f"{_who}: earlier declarations (log)"


class Scorer:
    """Scores declarations from the published model, its feature state, the rules and the scoring configuration."""

    def __init__(
        self,
        model: PublishedModel,
        state: FeatureState,
        config: ScoringConfig,
        rules: list[Rule],
        targets: TargetModels | None = None,
    ):
        self.model = model
        self.targets = targets
        if not hasattr(state, "money"):  # a snapshot from before money had a basis: US dollars
            state.money = Money()
        self.state = state
        self.config = config
        self.names = state.names()
        self.journal_offset = 0  # how far the violator journal has been applied to ``state.links``
        #: the network reason's weight and text per risk: a chunk's importers recur
        self._network_reasons = BoundedMemo(self._network_reason, limit=100_000)
        self.set_rules(rules)
        self.lookouts = LookoutIndex()
        self.watchlists = WatchlistIndex()
        self.set_new_firm_policies([])
        self.operations = OperationBook()
        self.capacity: CapacityAllocator | None = None
        self.routing = Routing()

    def set_new_firm_policies(self, policies: list[NewFirmPolicy]) -> None:
        self.new_firms = NewFirmPolicies(self.config.new_firm_rate, {p.owner: p for p in policies})

    def revise_new_firms(self, decisions: list[Decision], offices, probabilities, known) -> dict[int, NewFirmTerms]:
        """Re-decide the declarations of importers the graph does not know (``known[i]`` false) under the
        new-firm policy of their office (``scoring.new_firms``); before targets, lookouts and explanations.
        Returns, by position, the terms :meth:`score_targets` revises those declarations' target scores by."""
        revised = {}
        for i in [i for i, k in enumerate(known) if not k]:
            policy, cap = self.new_firms.for_office(offices[i])
            revised[i] = revise_new_firm(
                decisions[i], policy, cap, float(probabilities[i]), network_weight=self.config.network_weight,
                levels=self.config.levels_for(offices[i]), combine=combine, channels=CHANNELS,
            )  # fmt: skip
        return revised

    def set_operations(self, operations: OperationBook) -> None:
        self.operations = operations

    def set_capacity(self, capacity: CapacityAllocator | None) -> None:
        self.capacity = capacity

    def set_routing(self, routing: Routing) -> None:
        self.routing = routing

    def set_lookouts(self, lookouts: LookoutIndex) -> None:
        self.lookouts = lookouts

    def set_watchlists(self, watchlists: WatchlistIndex) -> None:
        self.watchlists = watchlists

    def set_rules(self, rules: list[Rule]) -> None:
        self.rules = [(r, compile_rule(r)) for r in rules if r.enabled]
        self.rules_by_id = {r.id: r for r, _ in self.rules}

    def score(self, raw: dict) -> Decision:
        return self.score_many([raw])[0]

    def score_many(self, raws: list[dict], explain: str = "targeted") -> list[Decision]:
        """Decisions in input order.

        ``explain`` says which decisions get the model's top contributions among their reasons (TreeSHAP
        costs about 0.5 ms a declaration, five times the decision itself): ``all``, ``targeted`` (not
        released: medium, high or random), ``inspection`` (sent to physical inspection) or ``none``.
        Rule hits and network risk are always among the reasons. ``scoring.batch.score_frame`` gives the
        same decisions for a chunk of a file, column by column.
        """
        prepared = [prepare_declaration(r, self.state) for r in raws]
        if not prepared:
            return []
        index = self.state.links
        if index is not None and len(index):
            for raw, d in zip(raws, prepared, strict=True):
                risk, links = index.evidence(d["importer_id"], declaration_identifiers(raw))
                if risk > d["network_risk"]:
                    d["network_risk"], d["links"] = risk, links
        matrix = np.array([declaration_features(d, self.state) for d in prepared], dtype=float)
        probabilities = self.model.predict(matrix)
        decisions = [
            self.decide(d["id"], d["office"], float(p), self.rule_hits(d), d["network_risk"], d.get("links"))
            for d, p in zip(prepared, probabilities, strict=True)
        ]
        offices, known = [d["office"] for d in prepared], [d["importer_id"] in self.state.enterprises for d in prepared]
        revised = self.revise_new_firms(decisions, offices, probabilities, known)
        self.score_targets(decisions, matrix, probabilities, [d["network_risk"] for d in prepared], revised)
        if len(self.lookouts):
            for raw, d, decision in zip(raws, prepared, decisions, strict=True):
                self.apply_lookouts(decision, declaration_keys(raw, memoised), d["date"])
        if len(self.watchlists):
            for raw, decision in zip(raws, decisions, strict=True):
                apply_watchlist_hits(decision, party_hits(self.watchlists, raw))
        self.operations.apply(decisions, prepared, rule_view)  # special operations (scoring.operations)
        self.handle(decisions, prepared)
        self.explain(decisions, explain, matrix, prepared.__getitem__)
        return decisions

    def apply_lookouts(self, decision: Decision, keys: set[tuple[str, str]], day: date | None) -> None:
        """Send the decision at least where the active lookouts naming ``keys`` ask (``scoring.lookouts``).
        Before :meth:`explain`, which then explains it as the channel it goes to."""
        apply_hits(decision, self.lookouts.matches(keys, day))

    def handle(self, decisions: list[Decision], prepared: list[dict]) -> None:
        """The last word on the channel, once every hit is in: the office's capacity of the lodging day
        (``scoring.capacity``, with a capacity set), then the inspection each decision not released orders
        (``scoring.inspection``) and the inspector on the day's roster it goes to (``scoring.roster``)."""
        if self.capacity is not None:
            self.capacity.allocate(decisions, prepared, self.config)
        self.routing.assign(decisions, [d["office"] for d in prepared], self.rules_by_id)
        if self.capacity is not None:
            self.capacity.assign_officers(decisions, prepared)

    def score_targets(
        self,
        decisions: list[Decision],
        matrix: np.ndarray,
        probabilities,
        network_risks: list[float],
        new_firms: dict[int, NewFirmTerms] | None = None,
    ) -> None:
        """Each decision's score per risk target: the target's probability, the rules aimed at it that hit,
        and the same network evidence, combined as the overall score is; the leading target scores highest
        (the first in the targets' order on a tie). A new firm's (``new_firms``, by position: what
        :meth:`revise_new_firms` returned) are capped and weighed as its overall score was. Call before the
        model's contributions join the reasons."""
        if self.targets is None or not decisions:
            return
        predicted = self.targets.predict(matrix, np.asarray(probabilities, dtype=float))
        names = list(predicted)
        per_target = {name: p.tolist() for name, p in predicted.items()}  # plain floats: one pass per decision
        w_net = self.config.network_weight
        # most decisions hit no rule and are no new firm's: their target scores are combine(p, [], risk, w_net),
        # computed for whole columns at once (the same operations, so the same floats)
        kept = 1.0 - w_net * np.clip(np.asarray(network_risks, dtype=float), 0.0, 1.0)
        plain = {n: [round(x, 2) for x in (100.0 * (1.0 - (1.0 - p) * kept)).tolist()] for n, p in predicted.items()}
        shown = {n: [round(x, 4) for x in p] for n, p in per_target.items()}
        leading = np.argmax(np.array([plain[n] for n in names]), axis=0).tolist() if names else []
        columns = [(n, plain[n], shown[n]) for n in names]
        for i, decision in enumerate(decisions):
            terms = new_firms.get(i) if new_firms else None
            if terms is None and not any(r["kind"] == "rule" for r in decision.reasons):
                network = [r for r in decision.reasons if r["kind"] in _NETWORK_EVIDENCE]  # one list, read only
                decision.targets = {n: {"score": s[i], "probability": q[i], "reasons": network} for n, s, q in columns}
                decision.leading_target = names[leading[i]] if names else None
            else:
                self._target_scores(decision, [(n, per_target[n][i]) for n in names], network_risks[i], terms)

    def _target_scores(
        self, decision: Decision, probabilities: list[tuple[str, float]], risk: float, terms: NewFirmTerms | None
    ) -> None:
        """One decision's target scores with the rules aimed at each target and the network evidence."""
        network, rules = [], {}
        for r in decision.reasons:  # the reasons are read once, not once per target
            if r["kind"] == "rule":
                rules.setdefault(r["target"], []).append(r)
            elif r["kind"] in _NETWORK_EVIDENCE:
                network.append(r)
        scores = {}
        for name, p in probabilities:
            aimed = rules.get(name, [])
            if terms is None:
                score, probability = combine(p, [r["weight"] for r in aimed], risk, self.config.network_weight), p
            else:
                score, probability = terms.target_score(p, [r["weight"] for r in aimed], combine)
            scores[name] = {"score": score, "probability": round(probability, 4), "reasons": [*aimed, *network]}
        decision.targets = scores
        decision.leading_target = max(scores, key=lambda t: scores[t]["score"]) if scores else None

    def rule_hits(self, d: dict) -> list[Rule]:
        """The enabled rules a prepared declaration (or the fields :func:`rule_view` reads) hits, in order."""
        if not self.rules:
            return []
        view = rule_view(d)
        return [r for r, matches in self.rules if matches(view)]

    def decide(
        self, declaration_id: str, office, p: float, hits: list[Rule], network_risk: float, links: list | None
    ) -> Decision:
        """One decision from the model's probability, the rule hits and the network risk (with its links)."""
        score = combine(p, [r.weight for r in hits] if hits else (), network_risk, self.config.network_weight)
        return self._decision(declaration_id, office, p, hits, network_risk, links, score)

    def decide_many(self, ids, offices, probabilities: list[float], hits, risks: list[float], links) -> list[Decision]:
        """:meth:`decide` of each declaration of a chunk: the scores of those without rule hits are computed for
        whole columns (the operations of :func:`combine`, so the same floats)."""
        weights = [[r.weight for r in h] if h else [] for h in hits]
        scores = combine_many(probabilities, weights, risks, self.config.network_weight)
        return list(map(self._decision, ids, offices, probabilities, hits, risks, links, scores))

    def _network_reason(self, network_risk: float) -> tuple[float, str]:
        return (
            round(self.config.network_weight * network_risk, 3),
            f"importer's network risk {network_risk:.2f} (riskgraph analyze)",
        )

    def _decision(
        self, declaration_id: str, office, p: float, hits: list[Rule], network_risk: float, links, score: float
    ) -> Decision:
        """:meth:`decide` once the score is known."""
        medium, high = self.config.levels_for(office)
        level = "high" if score >= high else "medium" if score >= medium else "low"
        chosen = self._random(declaration_id)
        reasons = (
            [
                {"kind": "rule", "rule": r.id, "target": r.target, "weight": r.weight, "detail": r.description}
                for r in hits
            ]
            if hits
            else []
        )
        if links:
            reasons += [
                {
                    "kind": "link",
                    **_link_used(x),
                    "weight": round(self.config.network_weight * x["weight"], 3),
                    "with": x["with"],
                    "detail": x["detail"],
                }  # fmt: skip
                for x in links
            ]
        elif network_risk > 0:
            weight, detail = self._network_reasons[network_risk]
            reasons.append({"kind": "network", "weight": weight, "detail": detail})
        if chosen:
            reasons.insert(0, {"kind": "random", "detail": "random selection for unbiased feedback"})
        return Decision(
            declaration_id=declaration_id,
            score=score,
            probability=round(p, 4),
            level=level,
            channel=CHANNELS["high"] if chosen else CHANNELS[level],
            random=chosen,
            reasons=reasons,
            rule_hits=[r.id for r in hits] if hits else [],
            links=[_link_used(x) for x in links] if links else [],
        )

    def explain(self, decisions: list[Decision], explain: str, matrix: np.ndarray, shown) -> None:
        """Add the model's contributions to the decisions ``explain`` asks for; ``shown(i)`` gives row ``i``'s
        prepared fields (the categories a reason quotes)."""
        wanted = [i for i, x in enumerate(decisions) if _explained(x, explain)]
        if wanted:
            self._explain([decisions[i] for i in wanted], [shown(i) for i in wanted], matrix[wanted])

    def _random(self, declaration_id: str) -> bool:
        share = self.config.random_share
        if share <= 0:
            return False
        digest = hashlib.blake2b((self.config.salt + declaration_id).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < share

    def _explain(self, decisions: list[Decision], prepared: list[dict], matrix: np.ndarray) -> None:
        """The model's strongest positive contributions (SHAP values from the trees) as reasons."""
        contributions = self.model.contributions(matrix)
        for decision, d, row, values in zip(decisions, prepared, contributions, matrix, strict=True):
            top = np.argsort(-row)[:_TOP_CONTRIBUTIONS]
            model_reasons = [
                {
                    "kind": "model",
                    "feature": self.names[i],
                    "value": _shown(self.names[i], values[i], d),
                    "contribution": round(float(row[i]), 4),
                    "detail": _LABELS.get(self.names[i], self.names[i].removeprefix("cat_").removeprefix("id_")),
                }
                for i in top
                if row[i] > 0
            ]
            at = next((i for i, r in enumerate(decision.reasons) if r["kind"] not in _FIRST), len(decision.reasons))
            decision.reasons[at:at] = model_reasons  # after what decided the channel outright
