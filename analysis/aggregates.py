"""What the analysis needs from the declarations, aggregated by the analytical engine over the columnar copy.

The declarations are never streamed into Python: the declarations engine (:mod:`columnar.engines`: DuckDB, or
Spark beyond one machine) folds them per importer (activity counts, recent and history windows, brokers, sellers,
routes and chapters used, violations by type, the uses of consignment ids shared by several importers) and
compares every declaration's unit value with its peers', returning only the sums per importer and HS6 code.
Each query is defined once, below, in DuckDB's dialect; Spark runs it transpiled (:mod:`columnar.spark`).
Enterprises, their own identifiers and the case outcomes are
enterprise-sized and come from Neo4j, the system of record; the copy is checked against it first
(:func:`columnar.sync.sync_store`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date

import neo4j
import numpy as np
import pandas as pd
import pyarrow as pa

from algorithms.activity import (
    CONSIGNMENT_COLUMNS,
    HISTORY_DAYS,
    IMPORTER_COLUMNS,
    USAGE_COLUMNS,
    VIOLATION_COLUMNS,
    Activity,
)
from algorithms.frames import in_values
from algorithms.peers import combine_peer_parts
from analysis.graph_io import CASE_VIOLATORS, CONFIRMED_CASE_OUTCOMES, LINK_COLUMNS, SAME_FIRM_LINKS
from analysis.identities import Identities, read_identities
from analysis.pipeline import AnalysisInputs
from analysis.seizures import seizure_violators
from columnar.engines import DeclarationEngine, arrow_frame, open_declarations
from columnar.store import DeclarationStore
from columnar.sync import SyncReport, sync_store
from graph.currency import Money, money_basis
from graph.paging import read_pages

__all__ = [
    "read_analysis_inputs",
    "aggregate_declarations",
    "analysis_inputs",
    "declaration_aggregates",
    "firm_activity",
    "newest_date",
    "DeclarationAggregates",
    "PEER_SUMS",
    "QUERIES",
    "AUDIT_YEARS",
    "AUDIT_COLUMNS",
    "audit_period",
    "rates_table",
    "register_rates",
]

LATEST_DATE = "SELECT max(date) FROM declarations"
CURRENCIES = "SELECT DISTINCT currency FROM declarations WHERE date <= $as_of AND currency IS NOT NULL"
ALL_CURRENCIES = "SELECT DISTINCT currency FROM declarations WHERE currency IS NOT NULL"
IMPORTER_IDS = "SELECT DISTINCT importer_id FROM declarations WHERE importer_id IS NOT NULL"
# each importer's first and last declaration: does one firm succeed another (probable same firms)?
FIRM_ACTIVITY = """
SELECT importer_id AS id, CAST(min(date) AS VARCHAR) AS first_seen, CAST(max(date) AS VARCHAR) AS last_seen
FROM declarations WHERE importer_id IS NOT NULL GROUP BY importer_id
"""
VIOLATED = "SELECT DISTINCT importer_id FROM declarations WHERE importer_id IS NOT NULL AND violation = 1"
# what was known on $as_of: the violations found on declarations lodged by then
VIOLATED_BY = VIOLATED + " AND date <= $as_of"

# the declarations up to $as_of with their place in the recent window and the history before it
_DATED = """
WITH dated AS (
  SELECT d.*,
         CASE WHEN d.date > $window_start THEN 1 ELSE 0 END AS recent,
         CASE WHEN d.date <= $window_start AND d.date > $history_start THEN 1 ELSE 0 END AS history
  FROM declarations d
  WHERE d.importer_id IS NOT NULL AND d.date <= $as_of
)
"""
IMPORTERS = (
    _DATED
    + """
SELECT importer_id AS id, count(*) AS n, sum(recent) AS recent, sum(history) AS history,
       min(CASE WHEN history = 1 THEN date END) AS first_history,
       count(route) AS routed,
       sum(CASE WHEN length(route) - length(replace(route, '>', '')) >= 2 THEN 1 ELSE 0 END) AS transit
FROM dated GROUP BY importer_id
"""
)
# algorithms.activity.ACTIVITY_KINDS, as columns; routes and chapters only when new in the window (NEW_ONLY_KINDS)
USAGE = (
    _DATED
    + """
SELECT importer_id, kind, value, count(*) AS n, sum(recent) AS recent, sum(history) AS history
FROM (
  SELECT importer_id, 'declarant' AS kind, declarant_id AS value, recent, history FROM dated
  UNION ALL SELECT importer_id, 'seller', seller_id, recent, history FROM dated
  UNION ALL SELECT importer_id, 'route', route, recent, history FROM dated
  UNION ALL SELECT importer_id, 'chapter', substr(hs6, 1, 2), recent, history FROM dated
) used
WHERE value IS NOT NULL
GROUP BY importer_id, kind, value
HAVING kind IN ('declarant', 'seller') OR (sum(recent) > 0 AND sum(history) = 0)
"""
)
VIOLATIONS = (
    _DATED
    + """
SELECT importer_id, violation_type AS type, count(*) AS n FROM dated
WHERE violation = 1 AND violation_type IS NOT NULL
GROUP BY importer_id, violation_type
"""
)
# shared: two importers or more, as min <> max; unlike a distinct count, min and max spill to disk (10M
# consignments overran DuckDB's 1 GB)
SHARED_CONSIGNMENTS = """
WITH uses AS (
  SELECT importer_id, consignment_id, date FROM declarations
  WHERE importer_id IS NOT NULL AND date <= $as_of AND consignment_id IS NOT NULL AND consignment_id <> ''
),
shared AS (SELECT consignment_id FROM uses GROUP BY consignment_id HAVING min(importer_id) <> max(importer_id))
SELECT uses.importer_id, uses.consignment_id, uses.date
FROM uses JOIN shared ON shared.consignment_id = uses.consignment_id
"""

# algorithms.peers.unit_value_anomalies then peer_stat_parts, per (importer, HS6 code): unit value in the money
# unit per kg (else per unit), log scale, peers of the same HS6, origin and basis (else HS6 and basis) when they
# number $min_peers others, robust z against their median and MAD, strongly below at z <= -$strong_z
PEER_SUMS = """
WITH priced AS (
  SELECT d.importer_id, d.hs6, coalesce(d.origin, '') AS origin, d.value / r.per_unit AS money, d.tax_rate,
         CASE WHEN d.net_mass > 0 THEN d.value / r.per_unit / d.net_mass
              WHEN d.quantity > 0 THEN d.value / r.per_unit / d.quantity END AS uv,
         CASE WHEN d.net_mass > 0 THEN 'kg' WHEN d.quantity > 0 THEN 'unit' END AS basis
  FROM declarations d LEFT JOIN rates r ON r.currency = d.currency
  WHERE d.date <= $as_of AND d.hs6 IS NOT NULL
),
scored AS (SELECT priced.*, ln(uv) AS log_uv FROM priced WHERE uv > 0),
fine AS (SELECT hs6, origin, basis, median(log_uv) AS med, count(*) AS cnt FROM scored GROUP BY hs6, origin, basis),
fine_mad AS (
  SELECT s.hs6, s.origin, s.basis, median(abs(s.log_uv - f.med)) AS mad
  FROM scored s JOIN fine f ON f.hs6 = s.hs6 AND f.origin = s.origin AND f.basis = s.basis
  GROUP BY s.hs6, s.origin, s.basis
),
coarse AS (SELECT hs6, basis, median(log_uv) AS med, count(*) AS cnt FROM scored GROUP BY hs6, basis),
coarse_mad AS (
  SELECT s.hs6, s.basis, median(abs(s.log_uv - c.med)) AS mad
  FROM scored s JOIN coarse c ON c.hs6 = s.hs6 AND c.basis = s.basis
  GROUP BY s.hs6, s.basis
),
grouped AS (
  SELECT s.importer_id, s.hs6, s.money, s.uv, s.log_uv, s.tax_rate,
         CASE WHEN f.cnt - 1 >= $min_peers THEN f.med ELSE c.med END AS med,
         CASE WHEN f.cnt - 1 >= $min_peers THEN fm.mad ELSE cm.mad END AS mad
  FROM scored s
  JOIN fine f ON f.hs6 = s.hs6 AND f.origin = s.origin AND f.basis = s.basis
  JOIN fine_mad fm ON fm.hs6 = s.hs6 AND fm.origin = s.origin AND fm.basis = s.basis
  JOIN coarse c ON c.hs6 = s.hs6 AND c.basis = s.basis
  JOIN coarse_mad cm ON cm.hs6 = s.hs6 AND cm.basis = s.basis
  WHERE f.cnt - 1 >= $min_peers OR c.cnt - 1 >= $min_peers
),
judged AS (
  SELECT importer_id, hs6, tax_rate,
         (log_uv - med) / greatest(1.4826 * mad, $min_scale) <= -$strong_z AS below,
         greatest(money * (exp(med) / uv) - money, 0) AS shortfall
  FROM grouped
)
SELECT importer_id, hs6, count(*) AS compared,
       sum(CASE WHEN below THEN 1 ELSE 0 END) AS below,
       sum(CASE WHEN below THEN shortfall ELSE 0 END) AS short,
       sum(CASE WHEN below THEN coalesce(shortfall * tax_rate, 0) ELSE 0 END) AS tax,
       sum(CASE WHEN below AND tax_rate IS NOT NULL THEN 1 ELSE 0 END) AS taxed
FROM judged GROUP BY importer_id, hs6
"""

#: how far back a post-clearance audit may reach: the period of the audit leads' figures
AUDIT_YEARS = 3
# What an audit of each importer would reach over the audit period ($since to $as_of), in the money unit: a
# declaration in a currency without a rate is left out of the sums (not taken at par), a missing duty rate
# counts as no duty but is counted apart (``with_duty_rate``), so that "no duty known" is not "no duty".
AUDIT_FIGURES = """
SELECT d.importer_id AS id, count(*) AS declarations, sum(d.value / r.per_unit) AS declared_value,
       sum(d.value / r.per_unit * coalesce(d.tax_rate, 0.0)) AS duty_declared, count(d.tax_rate) AS with_duty_rate,
       sum(coalesce(d.inspected, 0)) AS inspected, sum(coalesce(d.violation, 0)) AS violations
FROM declarations d LEFT JOIN rates r ON r.currency = d.currency
WHERE d.importer_id IS NOT NULL AND d.date >= $since AND d.date <= $as_of
GROUP BY d.importer_id
"""
#: the audit figures as the snapshot keeps them, one column each
AUDIT_COLUMNS = ("declarations", "declared_value", "duty_declared", "with_duty_rate", "inspected", "violations")

#: algorithms.peers.unit_value_anomalies' defaults
PEER_SETTINGS = {"min_peers": 5, "min_scale": 0.1, "strong_z": 3.0}


@dataclass
class DeclarationAggregates:
    """Everything the analysis takes from the declarations, enterprise-sized."""

    activity: Activity
    peer_parts: pd.DataFrame  # peer sums per (importer_id, hs6), algorithms.peers.peer_stat_parts
    importer_ids: set[str]  # every importer, dated after as_of or not
    violated: set[str]  # importers with a declaration found in violation, whatever its date (or up to as_of)
    currencies: list[str]
    audit: pd.DataFrame  # AUDIT_FIGURES, indexed by importer id


#: every query above by name (the engines' agreement test runs each on both)
QUERIES = {
    "LATEST_DATE": LATEST_DATE,
    "CURRENCIES": CURRENCIES,
    "IMPORTER_IDS": IMPORTER_IDS,
    "VIOLATED": VIOLATED,
    "VIOLATED_BY": VIOLATED_BY,
    "IMPORTERS": IMPORTERS,
    "FIRM_ACTIVITY": FIRM_ACTIVITY,
    "USAGE": USAGE,
    "VIOLATIONS": VIOLATIONS,
    "SHARED_CONSIGNMENTS": SHARED_CONSIGNMENTS,
    "PEER_SUMS": PEER_SUMS,
    "AUDIT_FIGURES": AUDIT_FIGURES,
}


def _frame(engine: DeclarationEngine, query: str, params: dict, columns) -> pd.DataFrame:
    frame = engine.frame(query, params)
    return frame[list(columns)] if len(frame) else pd.DataFrame(columns=list(columns))


def _arrow_frame(engine: DeclarationEngine, query: str, params: dict, columns) -> pd.DataFrame:
    """:func:`_frame` for an answer as long as the declarations, as Arrow (:func:`columnar.engines.arrow_frame`)."""
    return arrow_frame(engine.arrow(query, params)).reindex(columns=list(columns))


def _ids(engine: DeclarationEngine, query: str, params: dict | None = None) -> set[str]:
    return set(engine.frame(query, params).iloc[:, 0])


def newest_date(engine: DeclarationEngine) -> pd.Timestamp | None:
    """The newest declaration's date in the engine's copy (None: no dated declaration)."""
    latest = engine.frame(LATEST_DATE).iloc[0, 0]
    return None if pd.isna(latest) else pd.Timestamp(latest)


def firm_activity(engine: DeclarationEngine) -> pd.DataFrame:
    """``id``, ``first_seen`` and ``last_seen`` (ISO dates, null when no declaration of it is dated) of every
    importer: the consignees the resolution links."""
    return _frame(engine, FIRM_ACTIVITY, {}, ("id", "first_seen", "last_seen"))


def register_rates(engine: DeclarationEngine) -> Money:
    """The money basis of every stored declaration, registered as the ``rates`` table that priced queries join
    (the report's, ``performance``'s); returns it."""
    money = money_basis(engine.frame(ALL_CURRENCIES).iloc[:, 0].tolist())
    engine.register("rates", rates_table(money))
    return money


def rates_table(money: Money) -> pa.Table:
    """The ``rates`` PEER_SUMS joins: money units per unit of each currency (typed, so an empty one joins too)."""
    return pa.table(
        {
            "currency": pa.array(list(money.per_unit), pa.string()),
            "per_unit": pa.array(list(money.per_unit.values()), pa.float64()),
        }
    )


def audit_period(as_of: pd.Timestamp) -> tuple[date, date]:
    """The audit period ending at ``as_of``: the :data:`AUDIT_YEARS` before it."""
    return (as_of - pd.Timedelta(days=round(365.25 * AUDIT_YEARS))).date(), as_of.date()


def _priced(engine: DeclarationEngine, as_of, money: Money) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The peer sums and the audit figures: the two aggregates that price declarations in the money unit."""
    engine.register("rates", rates_table(money))
    try:
        parts = engine.frame(PEER_SUMS, {"as_of": as_of, **PEER_SETTINGS})
        since, _ = audit_period(pd.Timestamp(as_of))
        audit = _frame(engine, AUDIT_FIGURES, {"since": since, "as_of": as_of}, ("id", *AUDIT_COLUMNS))
    finally:
        engine.unregister("rates")
    parts = parts.sort_values(["importer_id", "hs6"]).set_index(["importer_id", "hs6"])
    parts = parts.astype({"compared": np.int64, "below": np.int64, "short": float, "tax": float, "taxed": np.int64})
    counts = ("declarations", "with_duty_rate", "inspected", "violations")
    audit = audit.astype({c: np.int64 for c in counts} | {"declared_value": float, "duty_declared": float})
    return parts, audit.set_index("id")


def declaration_aggregates(
    engine: DeclarationEngine,
    as_of: pd.Timestamp,
    *,
    window_days: int = 90,
    history_days: int = HISTORY_DAYS,
    known_then: bool = False,
) -> DeclarationAggregates:
    """The aggregates of the engine's ``declarations`` up to ``as_of`` (with ``known_then``, the violators too)."""
    activity = Activity(
        importers=pd.DataFrame(),
        usage=pd.DataFrame(),
        violations=pd.DataFrame(),
        consignments=pd.DataFrame(),
        as_of=as_of,
        window_days=window_days,
        history_days=history_days,
    )
    day = as_of.date()
    dated = {
        "as_of": day,
        "window_start": activity.window_start.date(),
        "history_start": activity.history_start.date(),
    }
    importers = _frame(engine, IMPORTERS, dated, IMPORTER_COLUMNS)
    importers["first_history"] = pd.to_datetime(importers["first_history"])
    activity.importers = importers.astype({c: np.int64 for c in ("n", "recent", "history", "routed", "transit")})
    usage = _arrow_frame(engine, USAGE, dated, USAGE_COLUMNS)
    activity.usage = usage.astype({"value": "str", "n": np.int64, "recent": np.int64, "history": np.int64})
    activity.violations = _frame(engine, VIOLATIONS, dated, VIOLATION_COLUMNS).astype({"n": np.int64})
    consignments = _frame(engine, SHARED_CONSIGNMENTS, {"as_of": day}, CONSIGNMENT_COLUMNS)
    consignments["date"] = pd.to_datetime(consignments["date"])
    activity.consignments = consignments
    currencies = sorted(engine.frame(CURRENCIES, {"as_of": day}).iloc[:, 0])
    peer_parts, audit = _priced(engine, day, money_basis(currencies))
    return DeclarationAggregates(
        activity=activity,
        peer_parts=peer_parts,
        importer_ids=_ids(engine, IMPORTER_IDS),
        violated=_ids(engine, VIOLATED_BY, {"as_of": day}) if known_then else _ids(engine, VIOLATED),
        currencies=currencies,
        audit=audit,
    )


def aggregate_declarations(
    store: DeclarationStore,
    as_of=None,
    *,
    window_days: int = 90,
    history_days: int = HISTORY_DAYS,
    engine: str = "duckdb",
    known_then: bool = False,
    firms: Callable[[pd.DataFrame], None] | None = None,
) -> DeclarationAggregates | None:
    """The engine's aggregates of the copy up to ``as_of`` (default: the latest declaration's date); None when it
    holds no declaration. The caller checks the copy against the graph first (:func:`columnar.sync.sync_store`).
    ``firms`` is handed :func:`firm_activity` first, before the rest is aggregated: the resolution beside an
    analysis starts from it (a second engine over the copy cost it 0.6 s of a 1M day)."""
    with open_declarations(store, engine) as declarations:
        if firms is not None:
            firms(firm_activity(declarations))
        if as_of is None:
            as_of = newest_date(declarations)
            if as_of is None:
                return None
        return declaration_aggregates(
            declarations, pd.Timestamp(as_of), window_days=window_days, history_days=history_days, known_then=known_then
        )


def analysis_inputs(
    driver: neo4j.Driver,
    database: str,
    found: DeclarationAggregates,
    *,
    identities: Identities | Future[Identities] | None = None,
    known_then: bool = False,
) -> AnalysisInputs:
    """The analysis inputs: the engine's aggregates (``found``) with what Neo4j holds of the firms, their same-firm
    links and the case outcomes. ``identities`` are the enterprises' own records when the caller has read them
    (:mod:`analysis.identities`), or is reading them alongside (a future); with ``known_then``, the known violators
    are those ``found`` holds: confirmed cases and seizures carry no date of their own, so they are left out."""
    if isinstance(identities, Future):
        identities = identities.result()
    if identities is None:
        identities, _ = read_identities(driver, database)
    same_firm = read_pages(driver, database, SAME_FIRM_LINKS, LINK_COLUMNS)
    links = pd.concat([identities.links, same_firm.astype({"kind": str})], ignore_index=True)
    enterprises = identities.enterprises
    keep = in_values(enterprises["id"], found.importer_ids) | in_values(enterprises["id"], links["enterprise"])
    enterprises = enterprises[keep].reset_index(drop=True)
    enterprises["registered"] = pd.to_datetime(enterprises["registered"], format="%Y-%m-%d", errors="coerce")

    known = set(found.violated)
    if not known_then:
        cases = read_pages(driver, database, CASE_VIOLATORS, ("id",), outcomes=list(CONFIRMED_CASE_OUTCOMES))
        known |= set(cases["id"].dropna().astype(str)) | set(seizure_violators(driver, database)["id"].astype(str))
    # Arrow's allocator keeps the pages of the answers and records made pandas for its next allocation (0.1 GB at
    # 1M declarations): the analysis that follows allocates with numpy
    pa.default_memory_pool().release_unused()
    return AnalysisInputs(
        enterprises=enterprises,
        links=links,
        activity=found.activity,
        peer_stats=combine_peer_parts([found.peer_parts]),
        known_violators=known,
        peer_parts=found.peer_parts,
        currencies=found.currencies,
        audit=found.audit,
    )


def read_analysis_inputs(
    driver: neo4j.Driver,
    database: str,
    store: DeclarationStore,
    as_of=None,
    *,
    window_days: int = 90,
    history_days: int = HISTORY_DAYS,
    load_counts: dict[str, int] | None = None,
    engine: str = "duckdb",
    identities: Identities | Future[Identities] | None = None,
    known_then: bool = False,
) -> tuple[AnalysisInputs | None, SyncReport]:
    """The analysis inputs (None when there is no declaration) and what checking the copy changed: the copy made to
    agree with the graph, :func:`aggregate_declarations`, then :func:`analysis_inputs`.

    ``load_counts`` are the graph's declarations per load when already read; ``engine`` names the declarations
    engine (:data:`columnar.engines.DECLARATION_ENGINES`). With ``known_then``, the known violators are what was
    known on ``as_of``: the importers found in violation on declarations lodged by then.
    """
    synced = sync_store(driver, database, store, counts=load_counts)
    found = aggregate_declarations(
        store, as_of, window_days=window_days, history_days=history_days, engine=engine, known_then=known_then
    )
    if found is None:
        return None, synced
    return analysis_inputs(driver, database, found, identities=identities, known_then=known_then), synced
