"""Scoring a chunk of a file column by column: the decisions :meth:`Scorer.score_many` gives, row by row.

``riskgraph score`` reads files of millions of declarations. Row by row, preparing each declaration as a
dict, looking up its links and computing its features cost about 200 µs a declaration; here each field is
prepared once per distinct value (offices, routes, importers, HS codes repeat), features are computed
with the single declaration's helpers (``scoring.features``) and only declarations whose identifiers may
link to a tainted firm are looked up one by one (``LinkIndex.evidence_many``). The decision itself (score,
level, reasons) is made as a single declaration's (:meth:`Scorer.decide_many`, :meth:`Scorer.decide`).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ingest.entities import KEY_FIELDS, declaration_keys
from scoring.features import CATEGORICAL, IDENTITY, _per_value, chunk_features
from scoring.links import identifier_columns
from scoring.lookouts import memoised
from scoring.scorer import (
    RULE_FIELDS,
    Decision,
    Scorer,
    _date,
    _text,
    category,
    hs_digits,
    licence_count,
    lower_text,
    office_code,
    route_fields,
    rule_view,
    upper_text,
)
from scoring.watchlists import PARTIES, apply_watchlist_hits, party_hits

__all__ = ["prepare_columns", "score_frame"]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as Python values, None where missing (or the whole column absent)."""
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    col = frame[name]
    return col.astype(object).where(col.notna(), None).to_numpy(dtype=object)


def _either(frame: pd.DataFrame, first: str, second: str) -> np.ndarray:
    """``raw.get(first) or raw.get(second)`` per row."""
    a = _column(frame, first)
    if second not in frame.columns:
        return a
    return np.array([x or y for x, y in zip(a, _column(frame, second), strict=True)], dtype=object)


def prepare_columns(frame: pd.DataFrame, state) -> dict:
    """:func:`scoring.scorer.prepare_declaration` of every row, as columns (lists and arrays)."""
    n = len(frame)
    when = _per_value(_column(frame, "date"), _date)
    today = date.today()
    hs = _per_value(_column(frame, "hs_code"), hs_digits)
    routes = _per_value(
        list(
            zip(
                *(_column(frame, c) for c in ("route", "loading_port", "transit_ports", "discharge_port")),
                strict=True,
            )
        ),
        lambda k: route_fields(*k),
    )
    importers = _per_value(_column(frame, "importer_id"), _text)
    registered = _per_value(_column(frame, "importer_registered"), _date)
    known = state.enterprises

    def enterprise(key):
        importer, when_registered = key
        ent = known.get(importer, {}) if importer else {}
        return ent if when_registered is None else {**ent, "registered": when_registered.toordinal()}

    ents = _per_value(list(zip(importers, registered, strict=True)), enterprise).tolist()
    cols = {
        "id": [_text(x) or "" for x in _either(frame, "declaration_id", "id")],
        "date": when.tolist(),
        "day": _per_value(when, lambda w: (w or today).toordinal()).tolist(),
        "office": _per_value(_column(frame, "office"), office_code).tolist(),
        "trade_mode": _per_value(_column(frame, "trade_mode"), _text).tolist(),
        "transport_mode": _per_value(_column(frame, "transport_mode"), lower_text).tolist(),
        "currency": _per_value(_column(frame, "currency"), upper_text).tolist(),
        "importer_id": importers.tolist(),
        "declarant_id": _per_value(_column(frame, "declarant_id"), _text).tolist(),
        "seller_id": _per_value(_column(frame, "seller_id"), _text).tolist(),
        "carrier_id": _per_value(_column(frame, "carrier_id"), _text).tolist(),
        "hs_code": hs.tolist(),
        "hs6": _per_value(hs, lambda h: (h or "")[:6] or None).tolist(),
        "chapter": _per_value(hs, lambda h: (h or "")[:2] or None).tolist(),
        "origin": _per_value(_either(frame, "origin_country", "origin"), upper_text).tolist(),
        "departure": _per_value(_either(frame, "departure_country", "departure"), upper_text).tolist(),
        "route": [r[0] for r in routes],
        "ports": [r[1] for r in routes],
        "transit_countries": [r[2] for r in routes],
        "transit_count": np.array([r[3] for r in routes], dtype=float),
        "n_licences": _per_value(_column(frame, "licence_ids"), licence_count).astype(float),
        "value": _column(frame, "value").tolist(),
        "quantity": _column(frame, "quantity").tolist(),
        "net_mass": _column(frame, "net_mass").tolist(),
        "tax_rate": _column(frame, "tax_rate").tolist(),
        "importer_category": [category(c, e) for c, e in zip(_column(frame, "importer_category"), ents, strict=True)],
        "community": [e.get("community") for e in ents],
        "network_risk": np.array([float(e.get("risk") or 0.0) for e in ents], dtype=float),
        "enterprise": ents,
    }
    for column in (*state.extra_numeric, *state.extra_categorical):
        cols[column] = _per_value(_column(frame, column), _text).tolist()
    assert all(len(v) == n for v in cols.values())
    return cols


def score_frame(scorer: Scorer, frame: pd.DataFrame, explain: str = "targeted") -> list[Decision]:
    """Decisions for the rows of a validated chunk (``ingest.validate``), in order: those of
    ``scorer.score_many`` on the same rows as dicts."""
    if frame.empty:
        return []
    state = scorer.state
    cols = prepare_columns(frame, state)
    n = len(frame)
    network_risk = cols["network_risk"]
    links: list = [None] * n
    index = state.links
    if index is not None and len(index):
        risk, found = index.evidence_many(cols["importer_id"], identifier_columns(frame))
        for i in np.flatnonzero(risk > network_risk).tolist():
            network_risk[i], links[i] = risk[i], found[i]
    matrix = chunk_features(cols, state)
    probabilities = scorer.model.predict(matrix).tolist()
    risks = network_risk.tolist()
    if scorer.rules:
        fields = [cols[k] if k != "network_risk" else risks for k in RULE_FIELDS]
        hits = [scorer.rule_hits(dict(zip(RULE_FIELDS, row, strict=True))) for row in zip(*fields, strict=True)]
    else:
        hits = [[]] * n
    decisions = scorer.decide_many(cols["id"], cols["office"], probabilities, hits, risks, links)
    known = [i in state.enterprises for i in cols["importer_id"]]
    revised = scorer.revise_new_firms(decisions, cols["office"], probabilities, known)
    scorer.score_targets(decisions, matrix, probabilities, risks, revised)
    shown = (*CATEGORICAL, *IDENTITY, *state.extra_numeric, *state.extra_categorical)
    if len(scorer.lookouts):
        parties = frame[[c for c in dict.fromkeys(KEY_FIELDS) if c in frame.columns]].to_dict("records")
        for decision, row, day in zip(decisions, parties, cols["date"], strict=True):
            scorer.apply_lookouts(decision, declaration_keys(row, memoised), day)
    if len(scorer.watchlists):
        parties = frame[[c for c in PARTIES if c in frame.columns]].to_dict("records")
        for decision, row in zip(decisions, parties, strict=True):
            apply_watchlist_hits(decision, party_hits(scorer.watchlists, row))
    if len(scorer.operations):  # special operations, as score_many applies them
        fields = [cols[k] if k != "network_risk" else risks for k in RULE_FIELDS]
        rows = [dict(zip(RULE_FIELDS, row, strict=True)) for row in zip(*fields, strict=True)]
        scorer.operations.apply(decisions, rows, rule_view)
    scorer.handle(decisions, [{"office": o, "date": d} for o, d in zip(cols["office"], cols["date"], strict=True)])
    scorer.explain(decisions, explain, matrix, lambda i: {c: cols[c][i] for c in shown})
    return decisions
