"""Features of a declaration for the violation model, computed the same way in training and at clearance.

Training (:func:`training_features`) is vectorised over the whole labelled history, its history counts
run by the declarations engine (:mod:`scoring.history`: DuckDB or Spark); clearance
(:func:`declaration_features`) computes one declaration from a :class:`FeatureState`. A test checks
that both give the same numbers.

No leakage, by construction:

* history features (trader, broker, seller, goods, origin, route, network community) count only
  declarations lodged on *strictly earlier days* and their outcomes - never the declaration's own
  outcome, nor any outcome from the same day or later;
* peer unit-value references and category vocabularies are fitted on the training window only;
* from ``riskgraph analyze`` the model takes the community (built from shared addresses, phones,
  representatives - identifiers, not outcomes) and structural centralities; the analysed risk, which
  already counts every known violator, enters the final score instead, not the model.

Money is in one unit (:func:`graph.currency.money_basis`): the history's own currency when it has
only one (no rate needed), else US dollars, so ``log_value``, ``log_unit_value`` and ``peer_z``
compare a dollar invoice with yen-invoiced peers at the reference rate, not one yen to one dollar. A
declaration in a currency without a rate has those features missing (NaN), as the model already
handles for a declaration without a value.

Generator-specific fields are not used: every column is a canonical field or a mapped ``feature_*``
column, so the model learns from whatever labelled history and mapping an administration has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from algorithms.peers import robust_scale, robust_z
from graph.currency import Money, money_basis
from scoring.history import HISTORY_KEYS, OpenEngine, prior_counts

__all__ = [
    "HISTORY_KEYS",
    "CATEGORICAL",
    "IDENTITY",
    "raw_feature_names",
    "FeatureState",
    "fit_state",
    "training_features",
    "declaration_features",
    "chunk_features",
    "feature_names",
    "prepare_frame",
]

#: low-cardinality declaration fields, encoded against the training vocabulary
CATEGORICAL = ("office", "transport_mode", "trade_mode", "currency", "chapter", "origin")
#: parties and fine-grained codes as raw-id categoricals (feature ``id_<column>``): real data carries
#: identity signal (this importer, this seller) that smoothed history rates blur
IDENTITY = ("importer_id", "seller_id", "declarant_id", "carrier_id", "hs6", "route", "departure")
#: numeric features a plain model on the raw columns also has: value and unit value in the declaration's
#: own currency (no rate needed), quantities, duty rate, licences, transits
_RAW_NUMERIC = (
    "log_value_declared",
    "log_unit_value_declared",
    "log_quantity",
    "log_net_mass",
    "tax_rate",
    "n_licences",
    "transit_count",
    "origin_is_departure",
    "importer_category_rank",
)
_NUMERIC = (
    "log_value_declared",
    "log_unit_value_declared",
    "log_value",
    "log_quantity",
    "log_net_mass",
    "tax_rate",
    "log_unit_value",
    "peer_z",
    "peer_count",
    "n_licences",
    "transit_count",
    "origin_is_departure",
    "importer_category_rank",
    "importer_age_days",
    "community_size",
    "log_degree",
    "pagerank",
)
_HISTORY_STATS = ("prior_n", "prior_inspected", "prior_violations", "prior_rate")
_CATEGORY_RANK = {"AA": 0, "A": 1, "B": 2, "C": 3, "D": 4}
_PRIOR_WEIGHT = 5.0  # pseudo-inspections at the base rate, so one lucky inspection is not a 100 % rate
_MIN_PEERS = 5
_MIN_SCALE = 0.1


@dataclass
class FeatureState:
    """Everything clearance needs to compute features without the graph."""

    base_rate: float
    vocab: dict[str, dict[str, int]]
    extra_numeric: list[str]
    extra_categorical: list[str]
    peers: dict[tuple, tuple[float, float, int]] = field(default_factory=dict)
    #: per key and value: declarations, inspections, violations (tuples: a snapshot's hundreds of thousands unpickle in
    #: a third of the time lists take, and ``riskgraph analyze`` reads and writes the snapshot every run)
    history: dict[str, dict[str, tuple[float, float, float]]] = field(default_factory=dict)
    enterprises: dict[str, dict] = field(default_factory=dict)
    #: the unit values are compared in: the history's one currency, or US dollars (graph.currency)
    money: Money = field(default_factory=Money)
    #: identifier index for links at lodging (``scoring.links.LinkIndex``); None in snapshots built before it
    links: object = None

    def names(self) -> list[str]:
        return feature_names(self.extra_numeric, self.extra_categorical)


def feature_names(extra_numeric: list[str], extra_categorical: list[str]) -> list[str]:
    history = [f"{key}_{stat}" for key in HISTORY_KEYS for stat in _HISTORY_STATS]
    return [
        *_NUMERIC,
        *history,
        *(f"cat_{c}" for c in CATEGORICAL),
        *(f"id_{c}" for c in IDENTITY),
        *extra_numeric,
        *extra_categorical,
    ]


def raw_feature_names(extra_numeric: list[str], extra_categorical: list[str]) -> list[str]:
    """The baseline's features: raw mapped columns only (no history, peers or network), a subset of
    :func:`feature_names`, so one feature row serves both models."""
    return [
        *_RAW_NUMERIC,
        *(f"cat_{c}" for c in CATEGORICAL),
        *(f"id_{c}" for c in IDENTITY),
        *extra_numeric,
        *extra_categorical,
    ]


def categorical_names(extra_categorical: list[str]) -> list[str]:
    return [*(f"cat_{c}" for c in CATEGORICAL), *(f"id_{c}" for c in IDENTITY), *extra_categorical]


# ---------------------------------------------------------------- preparing declarations


def prepare_frame(decls: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """Declarations read from the graph with the derived columns features read (vectorised)."""
    out = decls.copy(deep=False)  # copy-on-write: the columns added here are this frame's own
    out["chapter"] = out["hs_code"].astype("string").str[:2]
    out["hs6"] = out["hs6"].fillna(out["hs_code"].astype("string").str[:6])
    route = out["route"].astype("string")
    out["transit_count"] = (route.str.count(">") - 1).clip(lower=0).astype(float)
    licences = out["licence_ids"].fillna("").astype(str)
    out["n_licences"] = licences.map(lambda s: len([x for x in s.split(";") if x])).astype(float)
    ent = enterprises.set_index("id")
    imp = out["importer_id"]
    out["importer_category"] = imp.map(ent["category"])
    out["importer_registered"] = imp.map(ent["registered"])
    for column in ("community", "community_size", "degree", "pagerank", "risk"):
        out[column] = imp.map(ent[column]).astype(float)
    out["community"] = out["community"].map(lambda c: None if pd.isna(c) else str(int(c)))
    return out


def _values(frame: pd.DataFrame, money: Money) -> np.ndarray:
    return money.convert(pd.to_numeric(frame["value"], errors="coerce"), frame["currency"])


def _log_unit_values(value, net_mass, quantity) -> tuple[np.ndarray, np.ndarray]:
    """log(value per kg), or per unit without a usable mass; basis 1 = kg, 2 = unit, 0 = none.

    ``value`` in the money unit (:func:`_values`), so that peers in other currencies compare.
    """
    value = np.asarray(value, dtype=float)
    mass = np.asarray(net_mass, dtype=float)
    qty = np.asarray(quantity, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_mass = np.where(mass > 0, value / mass, np.nan)
        by_qty = np.where(qty > 0, value / qty, np.nan)
    basis = np.where(~np.isnan(by_mass), 1, np.where(~np.isnan(by_qty), 2, 0))
    uv = np.where(basis == 1, by_mass, by_qty)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_uv = np.where(uv > 0, np.log(uv), np.nan)
    return log_uv, np.where(np.isnan(log_uv), 0, basis)


# ---------------------------------------------------------------- fitting the state


def _vocab(values: pd.Series) -> dict[str, int]:
    """Every value seen, uncapped: how rare a category may be and still split is the booster's
    ``min_data_per_group`` (tuned), not a vocabulary cut that throws identity away."""
    return {v: i for i, v in enumerate(sorted(values.dropna().astype(str).unique()))}


def _peer_table(frame: pd.DataFrame, money: Money) -> dict[tuple, tuple[float, float, int]]:
    log_uv, basis = _log_unit_values(_values(frame, money), frame["net_mass"], frame["quantity"])
    data = pd.DataFrame({"hs6": frame["hs6"], "origin": frame["origin"], "basis": basis, "log_uv": log_uv})
    data = data[data["basis"] > 0]
    table = {}
    for keys in (["hs6", "origin", "basis"], ["hs6", "basis"]):
        grouped = data.groupby(keys, dropna=True)["log_uv"]
        median = grouped.median()
        mad = (data["log_uv"] - grouped.transform("median")).abs().groupby([data[k] for k in keys]).median()
        count = grouped.size()
        for key in median.index:
            if count[key] >= _MIN_PEERS:
                scale = float(robust_scale(float(mad[key]), _MIN_SCALE))
                table[tuple(key)] = (float(median[key]), scale, int(count[key]))
    return table


def _extra_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric, categorical = [], []
    for column in sorted(c for c in frame.columns if str(c).startswith("feature_")):
        given = frame[column].dropna()
        if given.empty:
            continue
        parsed = pd.to_numeric(given, errors="coerce")
        (numeric if parsed.notna().mean() >= 0.95 else categorical).append(column)
    return numeric, categorical


def fit_state(frame: pd.DataFrame, window: pd.Series | None = None) -> FeatureState:
    """Vocabularies, peer references and history totals from prepared declarations.

    ``window`` (a boolean mask) limits what vocabularies and peer references learn from - the
    training period during validation; history totals always cover every row given.
    """
    fit = frame if window is None else frame[window]
    inspected = fit["inspected"].sum()
    base = float(fit["violation"].sum() / inspected) if inspected else 0.0
    extra_numeric, extra_categorical = _extra_columns(fit)
    vocab = {c: _vocab(fit[c]) for c in (*CATEGORICAL, *IDENTITY, *extra_categorical)}
    money = money_basis(frame["currency"])
    state = FeatureState(base, vocab, extra_numeric, extra_categorical, peers=_peer_table(fit, money), money=money)
    for key in HISTORY_KEYS:
        totals = frame.groupby(key, dropna=True)[["inspected", "violation"]].agg(["size", "sum"])
        n = totals[("inspected", "size")]
        insp, viol = totals[("inspected", "sum")], totals[("violation", "sum")]
        state.history[key] = {
            str(k): (float(a), float(b), float(c)) for k, a, b, c in zip(n.index, n, insp, viol, strict=True)
        }
    ent = frame.drop_duplicates("importer_id", keep="last")
    registered = ent["importer_registered"].map(lambda r: None if pd.isna(r) else pd.Timestamp(r).toordinal())
    table = pd.DataFrame(
        {
            "category": ent["importer_category"],
            "registered": registered,
            "community": ent["community"],
            **{c: ent[c] for c in ("community_size", "degree", "pagerank", "risk")},
        }
    )
    table = table.astype(object).where(table.notna(), None)
    state.enterprises = dict(zip(ent["importer_id"].astype(str), table.to_dict("records"), strict=True))
    return state


# ---------------------------------------------------------------- training (vectorised)


def training_features(
    frame: pd.DataFrame, state: FeatureState, engine: OpenEngine | None = None, rows: pd.Series | None = None
) -> pd.DataFrame:
    """The feature matrix of the prepared declarations (history strictly from earlier days): of every row, or of
    ``rows`` (a boolean mask) only - the matrix of the year is the largest thing training would hold, and the
    boosters learn from inspected declarations only.

    The history counts come from the declarations engine (:func:`scoring.history.prior_counts`): the one ``engine``
    opens, over its store (then ``frame`` holds the store's declarations), else DuckDB over the frame itself; either
    way every declaration counts, whichever rows are asked for.
    """
    counts = prior_counts(frame, engine, None if rows is None else rows.to_numpy())
    if rows is not None:
        frame = frame[rows]
    day = _ordinals(frame["date"])
    cols: dict[str, np.ndarray] = {}
    value = _values(frame, state.money)
    qty = pd.to_numeric(frame["quantity"], errors="coerce").to_numpy(dtype=float)
    mass = pd.to_numeric(frame["net_mass"], errors="coerce").to_numpy(dtype=float)
    declared = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    cols["log_value_declared"] = np.log1p(declared)
    cols["log_unit_value_declared"] = _log_unit_values(declared, mass, qty)[0]
    cols["log_value"] = np.log1p(value)
    cols["log_quantity"] = np.log1p(qty)
    cols["log_net_mass"] = np.log1p(mass)
    cols["tax_rate"] = pd.to_numeric(frame["tax_rate"], errors="coerce").to_numpy(dtype=float)
    log_uv, basis = _log_unit_values(value, mass, qty)
    cols["log_unit_value"] = log_uv
    cols["peer_z"], cols["peer_count"] = _peer_figures(state, frame["hs6"], frame["origin"], basis, log_uv)
    cols["n_licences"] = frame["n_licences"].to_numpy(dtype=float)
    cols["transit_count"] = frame["transit_count"].to_numpy(dtype=float)
    both = frame["origin"].notna() & frame["departure"].notna()
    cols["origin_is_departure"] = np.where(both, (frame["origin"] == frame["departure"]).astype(float), np.nan)
    cols["importer_category_rank"] = frame["importer_category"].map(_CATEGORY_RANK).to_numpy(dtype=float)
    cols["importer_age_days"] = day - _ordinals(frame["importer_registered"])
    cols["community_size"] = frame["community_size"].to_numpy(dtype=float)
    cols["log_degree"] = np.log1p(frame["degree"].to_numpy(dtype=float))
    cols["pagerank"] = frame["pagerank"].to_numpy(dtype=float)
    for at, key in enumerate(HISTORY_KEYS):
        prior = counts[:, 3 * at : 3 * at + 3]
        cols[f"{key}_prior_n"] = np.log1p(prior[:, 0])
        cols[f"{key}_prior_inspected"] = prior[:, 1]
        cols[f"{key}_prior_violations"] = prior[:, 2]
        cols[f"{key}_prior_rate"] = (prior[:, 2] + _PRIOR_WEIGHT * state.base_rate) / (prior[:, 1] + _PRIOR_WEIGHT)
    for column in (*CATEGORICAL, *IDENTITY, *state.extra_categorical):
        codes = frame[column].astype("string").map(state.vocab[column])
        cols[_encoded_name(column)] = pd.to_numeric(codes).to_numpy(dtype=float)
    for column in state.extra_numeric:
        cols[column] = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    # each column kept as computed (no copy into one block, none for the column order): three matrices of
    # the year at once were most of training's peak
    return pd.DataFrame({name: cols[name] for name in state.names()}, index=frame.index, copy=False)


def _ordinals(values: pd.Series) -> np.ndarray:
    """Each value's day number (``Timestamp.toordinal``; NaN where missing), once per distinct value: a year of
    declarations has 365 dates, and a firm's rows share its registration."""
    return _per_value_numbers(values, lambda v: math.nan if v is None else pd.Timestamp(v).toordinal())


def _peer_figures(state: FeatureState, hs6, origin, basis, log_uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's robust z against its peers (NaN without) and the peers' count (``log1p``; 0 without), the peers
    looked up once per distinct HS6 code, origin and unit basis, with the row's own values (a missing one as its
    column holds it): for a year in training and for a chunk in batch scoring alike."""
    columns = [np.asarray(hs6, dtype=object), np.asarray(origin, dtype=object), np.asarray(basis)]
    key = np.zeros(len(log_uv), dtype=np.int64)
    for column in columns:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        key = key * (len(uniques) + 1) + codes + 1
    _, first, which = np.unique(key, return_index=True, return_inverse=True)
    refs = [_peer(state, *(column[i] for column in columns)) for i in first.tolist()]
    centre, scale = (np.array([np.nan if r is None else r[j] for r in refs], dtype=float) for j in range(2))
    counted = np.array([0.0 if r is None else math.log1p(r[2]) for r in refs])  # as a declaration alone has it
    has = ~np.isnan(centre[which]) & ~np.isnan(log_uv)
    with np.errstate(divide="ignore", invalid="ignore"):
        peer_z = np.where(has, robust_z(log_uv, centre[which], scale[which]), np.nan)
    return peer_z, np.where(has, counted[which], 0.0)


def _encoded_name(column: str) -> str:
    return f"cat_{column}" if column in CATEGORICAL else f"id_{column}" if column in IDENTITY else column


def _peer(state: FeatureState, hs6, origin, basis) -> tuple[float, float, int] | None:
    if not basis or hs6 is None or (isinstance(hs6, float) and math.isnan(hs6)):
        return None
    return state.peers.get((hs6, origin, basis)) or state.peers.get((hs6, basis))


# ---------------------------------------------------------------- clearance (one declaration)


def _float(value) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _amounts(declared: float, rate: float | None, qty: float, mass: float) -> tuple:
    """The money and quantity features of one declaration, and its unit value's log and basis (1 kg, 2 unit)."""
    nan = math.nan
    value = declared / rate if rate else nan
    unit = mass if mass > 0 else qty if qty > 0 else nan
    if mass > 0 and value > 0:
        log_uv, basis = math.log(value / mass), 1
    elif qty > 0 and value > 0:
        log_uv, basis = math.log(value / qty), 2
    else:
        log_uv, basis = nan, 0
    return (
        math.log1p(declared) if declared >= 0 else nan,
        math.log(declared / unit) if declared > 0 and unit > 0 else nan,
        math.log1p(value) if value >= 0 else nan,
        math.log1p(qty) if qty >= 0 else nan,
        math.log1p(mass) if mass >= 0 else nan,
        log_uv,
        basis,
    )


def _history(state: FeatureState, key: str, key_value) -> list[float]:
    n, insp, viol = state.history[key].get(key_value, (0.0, 0.0, 0.0)) if key_value is not None else (0, 0, 0)
    return [math.log1p(n), insp, viol, (viol + _PRIOR_WEIGHT * state.base_rate) / (insp + _PRIOR_WEIGHT)]


def _code(state: FeatureState, column: str, value) -> float:
    return math.nan if value is None else state.vocab[column].get(str(value), math.nan)


def _importer(ent: dict, day: int) -> list[float]:
    registered = ent.get("registered")
    return [
        math.nan if registered is None else float(day - registered),
        _or_nan(ent.get("community_size")),
        math.nan if ent.get("degree") is None else math.log1p(ent["degree"]),
        _or_nan(ent.get("pagerank")),
    ]


def declaration_features(d: dict, state: FeatureState) -> list[float]:
    """One prepared declaration's features (see :func:`scoring.scorer.prepare_declaration`);
    :func:`chunk_features` computes the same for many, with the same helpers."""
    nan = math.nan
    declared = _float(d.get("value"))
    qty, mass = _float(d.get("quantity")), _float(d.get("net_mass"))
    *row, log_uv, basis = _amounts(declared, state.money.per_unit.get(d.get("currency")), qty, mass)
    row.insert(5, _float(d.get("tax_rate")))
    ref = _peer(state, d.get("hs6"), d.get("origin"), basis)
    row += [log_uv, nan, 0.0] if ref is None or math.isnan(log_uv) else [log_uv, (log_uv - ref[0]) / ref[1], ref[2]]
    row[-1] = math.log1p(row[-1])
    origin, departure = d.get("origin"), d.get("departure")
    row += [
        float(d["n_licences"]),
        float(d["transit_count"]),
        nan if origin is None or departure is None else float(origin == departure),
        _CATEGORY_RANK.get(d.get("importer_category"), nan),
        *_importer(d["enterprise"], d["day"]),
    ]
    for key in HISTORY_KEYS:
        row += _history(state, key, d.get(key))
    row += [_code(state, column, d.get(column)) for column in (*CATEGORICAL, *IDENTITY)]
    row += [_float(d.get(column)) for column in state.extra_numeric]
    row += [_code(state, column, d.get(column)) for column in state.extra_categorical]
    return row


def _per_value(values, fn) -> np.ndarray:
    """``fn`` of each distinct value (None for a missing one), spread back over the rows (object array)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    done = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):  # one by one: a result that is a tuple stays one value
        done[i] = fn(value)
    if (codes < 0).any():
        done[-1] = fn(None)
    return done[codes]


def _per_value_numbers(values, fn) -> np.ndarray:
    """:func:`_per_value` of a ``fn`` giving a number (or a tuple of numbers: one column each) as floats, spread
    by indexing an array of the distinct values' numbers rather than through objects, one per row. A Series is
    factorised as it is typed (a column of a million dates is not made a million objects first)."""
    column = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    done = [fn(value) for value in uniques]
    if (codes < 0).any():
        done.append(fn(None))
    return np.array(done, dtype=float)[codes]


def chunk_features(columns: dict, state: FeatureState) -> np.ndarray:
    """The feature matrix of a chunk of prepared declarations (``scoring.batch.prepare_columns``): the numbers
    :func:`declaration_features` gives each row, computed once per distinct value where they depend on one."""
    n = len(columns["id"])
    out = np.empty((n, len(state.names())))
    declared = np.fromiter(map(_float, columns["value"]), dtype=float, count=n)
    qty = np.fromiter(map(_float, columns["quantity"]), dtype=float, count=n)
    mass = np.fromiter(map(_float, columns["net_mass"]), dtype=float, count=n)
    rates = _per_value(columns["currency"], state.money.per_unit.get)
    amounts = list(map(_amounts, declared.tolist(), rates.tolist(), qty.tolist(), mass.tolist()))
    money = np.array([a[:6] for a in amounts], dtype=float).reshape(n, 6)
    basis = [a[6] for a in amounts]
    out[:, :5] = money[:, :5]
    out[:, 5] = np.fromiter(map(_float, columns["tax_rate"]), dtype=float, count=n)
    log_uv = money[:, 5]
    out[:, 6] = log_uv
    out[:, 7], out[:, 8] = _peer_figures(state, columns["hs6"], columns["origin"], basis, log_uv)
    origin, departure = columns["origin"], columns["departure"]
    out[:, 9] = columns["n_licences"]
    out[:, 10] = columns["transit_count"]
    out[:, 11] = [math.nan if o is None or d is None else float(o == d) for o, d in zip(origin, departure, strict=True)]
    out[:, 12] = _per_value_numbers(columns["importer_category"], lambda c: _CATEGORY_RANK.get(c, math.nan))
    out[:, 13:17] = np.array(list(map(_importer, columns["enterprise"], columns["day"])), dtype=float).reshape(n, 4)
    at = 17
    for key in HISTORY_KEYS:
        out[:, at : at + 4] = _per_value_numbers(columns[key], lambda v, k=key: _history(state, k, v)).reshape(n, 4)
        at += 4
    for column in (*CATEGORICAL, *IDENTITY):
        out[:, at] = _per_value_numbers(columns[column], lambda v, c=column: _code(state, c, v))
        at += 1
    for column in state.extra_numeric:
        out[:, at] = _per_value_numbers(columns[column], _float)
        at += 1
    for column in state.extra_categorical:
        out[:, at] = _per_value_numbers(columns[column], lambda v, c=column: _code(state, c, v))
        at += 1
    return out


def _or_nan(value) -> float:
    return math.nan if value is None else float(value)
