"""What a special operation selected and found, against the same scope before it started.

Selected: the decisions the operation sent to inspection (the decision log names it, ``scoring.operations``).
Inspected and found: the outcomes recorded on those declarations in the graph (feedback) after the operation
selected them, with the revenue recovered and the violations by type. The interim review counts what was
selected before half time. The baseline is the hit rate of the inspections of the same scope in the year
before the start, read from the columnar copy of the declarations and matched by the operation's own
compiled scope (dates aside).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import neo4j

from columnar.engines import DuckDBDeclarations
from columnar.store import DeclarationStore
from columnar.sync import sync_store
from columnar.views import examined, quoted
from graph.model import schema
from scoring.decision_log import DecisionLog
from scoring.operations import Operation, Tally
from scoring.rules import compile_conditions, office_scope
from scoring.scorer import prepare_declaration, rule_view

__all__ = ["operation_results", "operations_review", "BASELINE_DAYS"]

schema().node("Declaration")

#: how far before the start the baseline reaches
BASELINE_DAYS = 365

# only outcomes recorded after the operation selected the declaration are the operation's findings
OUTCOMES = """
UNWIND $rows AS row
MATCH (d:Declaration {id: row.id}) WHERE d.inspected = 1 AND d.feedback_at >= datetime(row.at)
RETURN d.id AS id, d.violation AS violation, d.violation_type AS type, d.revenue_recovered AS revenue
"""
#: what the scope matcher reads of a stored declaration (absent columns are read as missing)
_SCOPE_COLUMNS = (
    "id",
    "date",
    "office",
    "hs_code",
    "origin",
    "departure",
    "route",
    "value",
    "quantity",
    "net_mass",
    "licence_ids",
    "transport_mode",
    "importer_id",
    "inspected",
    "violation",
)


class _Bare:
    """The feature state without a snapshot: no importer known, no mapped columns."""

    enterprises: dict = {}
    extra_numeric: tuple = ()
    extra_categorical: tuple = ()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _found(outcomes: list[dict], selected: int) -> dict:
    hits = [o for o in outcomes if o["violation"] == 1]
    by_type: dict[str, int] = {}
    for o in hits:
        kind = o["type"] or "unspecified"
        by_type[kind] = by_type.get(kind, 0) + 1
    return {
        "selected": selected,
        "inspected": len(outcomes),
        "hits": len(hits),
        "hit_rate": _rate(len(hits), len(outcomes)),
        "revenue_recovered": round(sum(float(o["revenue"] or 0) for o in hits), 2),
        "by_type": dict(sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def baseline(engine: DuckDBDeclarations | None, state, operation: Operation) -> dict:
    """Inspections and hits of the operation's scope in the :data:`BASELINE_DAYS` before its start, from the copy
    ``engine`` reads (None: nothing stored)."""
    since, until = operation.start - timedelta(days=BASELINE_DAYS), operation.start
    window = {"from": since.isoformat(), "to": (until - timedelta(days=1)).isoformat()}
    if engine is None:
        return {**window, "inspected": 0, "hits": 0, "hit_rate": None}
    state = state if state is not None else _Bare()
    present = set(engine.columns())
    columns = ", ".join(quoted(c) if c in present else f"NULL AS {quoted(c)}" for c in _SCOPE_COLUMNS)
    frame = engine.frame(
        f"SELECT * FROM (SELECT {columns} FROM declarations "
        "WHERE TRY_CAST(date AS DATE) >= $since AND TRY_CAST(date AS DATE) < $until) "
        f"WHERE {examined()} = 1",
        {"since": since, "until": until},
    )
    in_scope = compile_conditions(operation.scope, office_scope(operation.owner, operation.offices), since, None)
    inspected = hits = 0
    for row in frame.to_dict("records"):
        flag = row.pop("violation")
        del row["inspected"]
        if not in_scope(rule_view(prepare_declaration(row, state))):
            continue
        inspected += 1
        hits += int(flag == 1)
    return {**window, "inspected": inspected, "hits": hits, "hit_rate": _rate(hits, inspected)}


@contextmanager
def _stored(driver: neo4j.Driver, database: str, store: DeclarationStore) -> Iterator[DuckDBDeclarations | None]:
    """The copy brought in line with the graph and open once for every baseline asked (None: nothing stored)."""
    if not store.declaration_files():
        yield None
        return
    sync_store(driver, database, store)
    with DuckDBDeclarations(store) as engine:
        yield engine


def operation_results(
    driver: neo4j.Driver,
    database: str,
    log: DecisionLog,
    store: DeclarationStore,
    state,
    tally: Tally,
    operation: Operation,
    today: date | None = None,
) -> dict:
    """The operation's results so far: in scope, selected, inspected, found; the interim review (what was selected
    before half time) once half time has passed; the baseline. ``state`` is the serving scorer's feature state
    (the importers' categories and network risk the scope may name; None: only what the declarations say)."""
    with _stored(driver, database, store) as engine:
        return _results(driver, database, log, engine, state, tally, operation, today or date.today())


def _results(driver, database, log: DecisionLog, engine, state, tally: Tally, operation: Operation, today) -> dict:
    selected = log.selected_by(operation.id)
    ids = [d for d, _ in selected]
    rows = [{"id": d, "at": at} for d, at in selected]
    records = driver.execute_query(OUTCOMES, rows=rows, database_=database).records if rows else []
    outcomes = [r.data() for r in records]
    half = operation.half_time
    results = {
        "operation": operation.model_dump(mode="json"),
        "status": operation.status_on(today),
        "half_time": half.isoformat(),
        "in_scope_seen": tally.seen(operation.id),
        "results": _found(outcomes, len(ids)),
        "interim": None,
    }
    if today >= half:
        before = {d for d, at in selected if at < half.isoformat()}
        results["interim"] = {
            "as_of": half.isoformat(),
            **_found([o for o in outcomes if o["id"] in before], len(before)),
        }
    results["baseline"] = baseline(engine, state, operation)
    return results


def _reaches(operation: Operation, districts: frozenset[str] | None) -> bool:
    reach = office_scope(operation.owner, operation.offices)
    return districts is None or reach is None or bool(reach & districts)


def operations_review(
    driver: neo4j.Driver,
    database: str,
    log: DecisionLog,
    store: DeclarationStore,
    state,
    tally: Tally,
    operations: list[Operation],
    districts: frozenset[str] | None = None,
) -> list[dict]:
    """The results of every operation that has started (for the report), those reaching ``districts`` only."""
    today = date.today()
    started = [o for o in operations if o.start <= today and _reaches(o, districts)]
    if not started:
        return []
    with _stored(driver, database, store) as engine:
        return [_results(driver, database, log, engine, state, tally, operation, today) for operation in started]
