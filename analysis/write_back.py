"""Writing analysis results back onto the graph in bounded transactions, shown all at once.

An enterprise's results are an ``Assessment`` version linked from it (``ASSESSED``), a scored network a ``Network``
version with its members (``MEMBER_OF``); each is valid for the runs numbered ``since`` up to ``until``. A run
numbered *n* compares what it found with the versions current now (by a digest of the values, floats to 12
digits) and writes only what changed: in one statement the old version is closed (``until = n``) and a new one
opened (``since = n``). Readers take the versions valid for the run the ``AnalysisRun`` pointer names
(:mod:`graph.runs`), so they see the previous run whole until the pointer moves to *n*, in a transaction of its
own after everything else, and the new run whole after.

Every statement holds a bounded number of rows, halved again if the server still refuses it the memory, so the
size of a run no longer matters to the server's transaction memory. A run killed before the pointer moved leaves
versions no reader is shown, and the pointer marked unfinished; the next run removes them first. Versions no
longer valid for the run shown nor the one before it (closed two runs ago) are removed by the next run, in batches,
while it analyses (:func:`sweeping_outdated`): Neo4j is idle then, and the write-back no longer waits for
the deletions (88,871 firms' versions: 18 s of a full run's write-back at 1M).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime

import neo4j
import numpy as np
import pandas as pd

from algorithms.frames import significant
from graph.model import SchemaError, schema
from graph.runs import OPEN

__all__ = ["ENTERPRISE_RESULT_PROPERTIES", "write_run", "current_snapshot", "sweeping_outdated"]

#: rows (or network members) per write-back transaction, before the server's refusals halve it
BATCH_SIZE = 5_000

#: what Neo4j answers when a transaction needs more memory than it may have (one transaction's limit, or all
#: transactions' together)
MEMORY_REFUSALS = (
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    "Neo.TransientError.General.TransactionMemoryLimit",
)

#: an enterprise's results (declared in graph/schema/Assessment.yaml)
ENTERPRISE_RESULT_PROPERTIES = (
    "community",
    "community_size",
    "network_id",
    "pagerank",
    "betweenness",
    "degree",
    "propagated_risk",
    "risk",
    "reasons",
)
_undeclared = set(ENTERPRISE_RESULT_PROPERTIES) - set(schema().node("Assessment").properties)
if _undeclared:
    raise SchemaError(f"Enterprise results written by the analysis are not declared: {sorted(_undeclared)}")
schema().relationship("ASSESSED")
schema().relationship("MEMBER_OF")
schema().node("AnalysisRun")

#: what makes a result a version (added on write)
VERSION_PROPERTIES = ("digest", "version", "since", "until")

SHOWN_RUN = """
MATCH (r:AnalysisRun {id: 'current'})
RETURN r.number AS number, r.snapshot AS snapshot, coalesce(r.legacy_swept, false) AS legacy_swept,
       coalesce(r.written, false) AS finished
"""
LEGACY_SWEPT = "MATCH (r:AnalysisRun {id: 'current'}) SET r.legacy_swept = true"

CURRENT_ASSESSMENTS = """
MATCH (a:Assessment) WHERE a.until = $open
RETURN collect([a.enterprise, a.version, a.digest]) AS rows
"""
CURRENT_NETWORKS = """
MATCH (n:Network) WHERE n.until = $open
RETURN collect([n.id, n.version, n.digest]) AS rows
"""
# an incremental run's: those of the firms and networks it writes, found through their indexed ids (a day's write-back
# read every current version before, 88,871 firms' at 1M)
CURRENT_ASSESSMENTS_OF = """
UNWIND $ids AS id
MATCH (:Enterprise {id: id})-[:ASSESSED]->(a:Assessment) WHERE a.until = $open
RETURN collect([a.enterprise, a.version, a.digest]) AS rows
"""
CURRENT_NETWORKS_OF = """
UNWIND $ids AS id
MATCH (n:Network {id: id}) WHERE n.until = $open
RETURN collect([n.id, n.version, n.digest]) AS rows
"""

# One statement per batch: close a changed firm's version (``closes``, null for a firm new to the results) and
# create its new one; properties listed rather than ``SET a = row``, which makes the planner buffer every row.
WRITE_ASSESSMENTS = (
    """
UNWIND $rows AS row
OPTIONAL MATCH (old:Assessment {version: row.closes})
SET old.until = $run
WITH row
MATCH (e:Enterprise {id: row.enterprise})
CREATE (e)-[:ASSESSED]->(:Assessment {"""
    + ", ".join(f"{p}: row.{p}" for p in (*ENTERPRISE_RESULT_PROPERTIES, *VERSION_PROPERTIES, "enterprise"))
    + """})
"""
)
CREATE_NETWORKS = """
UNWIND $rows AS row
CREATE (n:Network)
SET n = row.props
WITH n, row
UNWIND row.members AS member
MATCH (e:Enterprise {id: member})
CREATE (e)-[:MEMBER_OF]->(n)
"""
CLOSE_ASSESSMENTS = "UNWIND $versions AS v MATCH (a:Assessment {version: v}) SET a.until = $run"
CLOSE_NETWORKS = "UNWIND $versions AS v MATCH (n:Network {version: v}) SET n.until = $run"

# A run marks the pointer unfinished before it writes and finished when it moves it: an unfinished pointer found
# at the start is a run killed in between, whose versions must go first (so is a pointer from before the mark).
WRITING = "MATCH (r:AnalysisRun {id: 'current'}) SET r.written = false"
POINT_AT_RUN = """
MERGE (r:AnalysisRun {id: 'current'})
SET r.number = $run, r.analysed_at = $at, r.snapshot = $snapshot, r.mode = $mode, r.written = true
"""

VERSIONED = ("Assessment", "Network")

#: an enterprise's numeric result columns in the analysis table (``network_id`` and ``reasons`` are made here)
_ASSESSED_COLUMNS = ("community", "community_size", "pagerank", "betweenness", "degree", "propagated_risk", "risk")
#: transactions written at once, from threads, while the next chunk's rows are built here. Two: Neo4j commits one
#: transaction on one core, and the analysing process is idle by then (88,871 firms at 1M: 11.9 s with one writer,
#: mean of four, against 8.2 s with two, interleaved on a quiet host). They share the server's transaction memory,
#: so once the server refuses one the memory the rest of the run is written one transaction at a time (:class:`_Gate`)
WRITERS = 2


def _in_batches_of(match: str, action: str) -> str:
    """One cleanup statement in batches of its own (auto-commit ``CALL ... IN TRANSACTIONS``)."""
    return f"{match} CALL (x) {{ {action} }} IN TRANSACTIONS OF $batch ROWS"


# Versions a run killed before its pointer moved left: written, or closed, by it. Labels from the schema above.
UNFINISHED = [
    query
    for label in VERSIONED
    for query in (
        _in_batches_of(f"MATCH (x:{label}) WHERE x.since > $shown", "DETACH DELETE x"),
        _in_batches_of(f"MATCH (x:{label}) WHERE x.until > $shown AND x.until < $open", "SET x.until = $open"),
    )
]
# Versions valid neither for the run shown nor for the one before it (a reader may still be reading that one):
# closed by that one, $before, or earlier.
OUTDATED = [_in_batches_of(f"MATCH (x:{label}) WHERE x.until <= $before", "DETACH DELETE x") for label in VERSIONED]
# Results as versions before run-keyed results wrote them: on every firm, and networks without a version. Swept
# once (the pointer says so): nothing writes them any more, and the sweep reads every firm.
LEGACY = [
    _in_batches_of(
        "MATCH (x:Enterprise) WHERE "
        + " OR ".join(f"x.{p} IS NOT NULL" for p in (*ENTERPRISE_RESULT_PROPERTIES, "analysed_at")),
        "REMOVE " + ", ".join(f"x.{p}" for p in (*ENTERPRISE_RESULT_PROPERTIES, "analysed_at")),
    ),
    _in_batches_of("MATCH (x:Network) WHERE x.version IS NULL", "DETACH DELETE x"),
]


def _plain(value):
    """A Bolt-safe Python value: numpy scalars unwrapped, NaN as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


#: ``json.dumps(..., sort_keys=True)``, built once: the networks' digests
_DIGEST_ENCODER = json.JSONEncoder(sort_keys=True)


def _digest(values) -> str:
    """Equal for equal results: floats to 12 significant digits, since the analysis sums in an order of its own
    from run to run and the last bits of a risk or a PageRank differ when nothing changed."""
    return hashlib.blake2b(_DIGEST_ENCODER.encode(_rounded(values)).encode(), digest_size=8).hexdigest()


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _result_frame(enterprises: pd.DataFrame, networks: list[dict]) -> pd.DataFrame:
    """What an enterprise's version holds (:data:`ENTERPRISE_RESULT_PROPERTIES`), by ``enterprise``: the numbers as
    floats (whole ones too: NaN marks none), ``reasons`` as JSON text."""
    network_of = {m: float(net["id"]) for net in networks for m in net["members"]}
    ids = enterprises["id"].astype(str)
    frame = pd.DataFrame({k: pd.to_numeric(enterprises[k]).astype(float).to_numpy() for k in _ASSESSED_COLUMNS})
    frame["network_id"] = ids.map(network_of).astype(float).to_numpy()
    frame["reasons"] = [r if isinstance(r, str) else json.dumps(r) for r in enterprises["reasons"]]
    frame["enterprise"] = ids.to_numpy()
    return frame


def _digests(frame: pd.DataFrame) -> list[str]:
    """Each firm's digest of its results (:func:`_result_frame`): equal for equal results, floats compared to 12
    significant digits (:func:`algorithms.frames.significant`), hashed a column at a time (pandas' hash, with its fixed
    key) rather than a JSON text per firm (a second of a full run's write-back at 1M)."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for column in ENTERPRISE_RESULT_PROPERTIES:
        values = frame[column].to_numpy(dtype=object if column == "reasons" else float)
        if column != "reasons":
            values = significant(values, 12)
        combined = combined * np.uint64(1_000_003) ^ pd.util.hash_array(values)
    return [f"{h:016x}" for h in combined.tolist()]


def _assessments(frame: pd.DataFrame, chunk: int) -> Iterator[list[dict]]:
    """The firms of ``frame`` (:func:`_result_frame` with ``digest``) as rows to write, ``chunk`` at a time
    (``version``/``since``/``until`` are added on write): whole numbers as integers, NaN as null."""
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start : start + chunk]
        values = {k: [_plain(v) for v in part[k].tolist()] for k in (*ENTERPRISE_RESULT_PROPERTIES, "digest")}
        for k in ("community", "community_size", "network_id"):
            values[k] = [None if v is None else int(v) for v in values[k]]
        ids = part["enterprise"].tolist()
        yield [{**{k: values[k][i] for k in values}, "enterprise": eid} for i, eid in enumerate(ids)]


def _network_rows(networks: list[dict]) -> list[dict]:
    rows = []
    for net in networks:
        props = {
            "id": int(net["id"]),
            "score": float(net["score"]),
            "kind": net["kind"],
            "routing": net.get("routing"),
            "size": len(net["members"]),
            "value_at_stake": float(net["value_at_stake"]),
            "reasons": json.dumps(net["reasons"]),
        }
        members = sorted(str(m) for m in net["members"])
        props["digest"] = _digest([props, members])
        rows.append({"props": props, "members": members})
    return rows


def write_run(
    driver: neo4j.Driver,
    database: str,
    enterprises: pd.DataFrame,
    networks: list[dict],
    at: datetime,
    *,
    snapshot: str | None,
    mode: str = "full",
    replaced_networks: Iterable[int] = (),
    batch_size: int = BATCH_SIZE,
    before_pointer: Callable[[], None] | None = None,
) -> dict[str, int]:
    """Write one run's results and show them.

    A ``full`` run holds every analysed enterprise and network: the current versions of the rest are closed. An
    ``incremental`` run holds the rescored enterprises and the networks replacing those numbered
    ``replaced_networks``; everything else stays as it is. ``before_pointer()`` runs when all is written and the
    pointer has not moved yet (a test's fault injection). Returns what was written: versions opened and closed.
    """
    shown, legacy_swept, finished = _shown_run(driver, database)
    if not finished:
        _sweep(driver, database, UNFINISHED, batch_size, shown=shown, open=OPEN)
    run = shown + 1
    _execute(driver, database, WRITING)
    # Firms first, then networks: a network's members are firms (with more than one writer, two transactions
    # taking the same firms' locks could deadlock; the batches of one kind hold different firms).
    opened, closed = _write_assessments(driver, database, enterprises, networks, run, mode, batch_size)
    new_networks, closed_networks = _write_networks(
        driver, database, networks, run, mode, replaced_networks, batch_size
    )
    if before_pointer is not None:
        before_pointer()
    _execute(driver, database, POINT_AT_RUN, run=run, at=at, snapshot=snapshot, mode=mode)
    if not legacy_swept:
        _sweep(driver, database, LEGACY)
        _execute(driver, database, LEGACY_SWEPT)
    return {
        "run": run,
        "enterprises": opened,
        "enterprises_closed": closed,
        "networks": new_networks,
        "networks_closed": closed_networks,
    }


def _sweep_outdated(driver: neo4j.Driver, database: str) -> None:
    """Remove the versions no reader can be shown: those closed before the run before the one shown."""
    shown, _, _ = _shown_run(driver, database)
    _sweep(driver, database, OUTDATED, BATCH_SIZE, before=shown - 1)


def sweeping_outdated(driver: neo4j.Driver, database: str) -> Future:
    """The outdated versions removed in a thread, for the caller to go on meanwhile (an analysis, which leaves Neo4j
    idle) and wait for before it writes: one transaction at a time (two shared a small total transaction memory
    badly)."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="sweep")
    try:
        return pool.submit(_sweep_outdated, driver, database)
    finally:
        pool.shutdown(wait=False)  # the thread ends with the sweep


def _write_assessments(driver, database, enterprises, networks, run: int, mode: str, batch_size: int):
    """The firms' changed results as versions of run ``run`` (and, in a full run, the versions of firms no longer
    analysed closed); returns how many were opened and closed. Every firm is digested at once; rows are built, a
    chunk at a time while the last is written, only for the firms whose digest changed."""
    ids = enterprises["id"].astype(str)
    if mode == "full":
        current = _current(driver, database, CURRENT_ASSESSMENTS)
        gone = set(current) - set(ids)
    else:
        current, gone = _current(driver, database, CURRENT_ASSESSMENTS_OF, ids=ids.unique().tolist()), set()
    frame = _result_frame(enterprises, networks)
    frame["digest"] = _digests(frame)
    held = frame["enterprise"].map({e: digest for e, (_, digest) in current.items()})
    frame = frame[frame["digest"] != held]
    opened = closed = 0
    with _Writers(driver, database) as writers:
        writers.write(CLOSE_ASSESSMENTS, "versions", [current[e][0] for e in gone], batch_size, run=run)
        for rows in _assessments(frame, batch_size):
            for row in rows:
                row.update(version=f"{row['enterprise']}@{run}", since=run, until=OPEN)
                row["closes"] = current.get(row["enterprise"], (None,))[0]
            writers.write(WRITE_ASSESSMENTS, "rows", rows, batch_size, run=run)
            opened += len(rows)
            closed += sum(r["closes"] is not None for r in rows)
    return opened, closed + len(gone)


def _write_networks(driver, database, networks, run: int, mode: str, replaced: Iterable[int], batch_size: int):
    """The changed networks as versions of run ``run``, the versions they (and, in a full run, the networks no
    longer found; in an incremental one, ``replaced``) replace closed; returns how many were opened and closed."""
    rows = _network_rows(networks)
    if mode == "full":
        current = _current(driver, database, CURRENT_NETWORKS)
    else:
        ids = {n["props"]["id"] for n in rows} | {int(i) for i in replaced}
        current = _current(driver, database, CURRENT_NETWORKS_OF, ids=sorted(ids))
    unchanged = {
        n["props"]["id"] for n in rows if current.get(n["props"]["id"], (None, None))[1] == n["props"]["digest"]
    }
    new = [n for n in rows if n["props"]["id"] not in unchanged]
    if mode == "full":
        retired = set(current) - unchanged
    else:
        retired = ({n["props"]["id"] for n in new} | {int(i) for i in replaced}) - unchanged
    closed = [current[i][0] for i in retired if i in current]
    for row in new:
        row["props"].update(version=f"{row['props']['id']}@{run}", since=run, until=OPEN)
    with _Writers(driver, database) as writers:
        writers.write(CLOSE_NETWORKS, "versions", closed, batch_size, run=run)
        writers.write(CREATE_NETWORKS, "rows", new, batch_size, _weight)
    return len(new), len(closed)


def _weight(network: dict) -> int:
    """What a network costs a transaction, in assessment rows: the node and a relationship per member."""
    return 1 + len(network["members"])


def _shown_run(driver: neo4j.Driver, database: str) -> tuple[int, bool, bool]:
    """The run shown (0 before the first), whether the results written before versions were swept, and whether
    the last run to start writing finished (moved the pointer)."""
    records = driver.execute_query(SHOWN_RUN, database_=database).records
    if not records:
        return 0, False, False
    return int(records[0]["number"] or 0), records[0]["legacy_swept"], bool(records[0]["finished"])


def _current(driver: neo4j.Driver, database: str, query: str, **params) -> dict:
    """Current versions by what they are of (enterprise id or network id): ``(version, digest)``."""
    rows = driver.execute_query(query, open=OPEN, **params, database_=database).records[0]["rows"]
    return {key: (version, digest) for key, version, digest in rows}


def _sweep(driver: neo4j.Driver, database: str, statements: list[str], batch: int = BATCH_SIZE, **params) -> None:
    """Each statement in transactions of ``batch`` rows, fewer while the server refuses them the memory."""
    for query in statements:
        size = batch
        while True:
            try:
                with driver.session(database=database) as session:
                    session.run(query, batch=size, **params).consume()
                break
            except neo4j.exceptions.TransientError as exc:
                if exc.code not in MEMORY_REFUSALS or size == 1:
                    raise
                size //= 2  # what was done stays done: the statement goes on from there


def _batches(rows: list, size: int, weight=None) -> Iterator[list]:
    """``rows`` in batches of at most ``size`` rows (or of rows weighing ``size``: a network weighs its members)."""
    batch, held = [], 0
    for row in rows:
        w = 1 if weight is None else weight(row)
        if batch and held + w > size:
            yield batch
            batch, held = [], 0
        batch.append(row)
        held += w
    if batch:
        yield batch


class _Gate:
    """Up to ``writers`` transactions at once, then one at a time once the server refuses one the memory: two writers
    under a small total cap (10 MB in a test) were each refused while the other held its share, down to single rows,
    and the run failed. Alone, a refused batch is halved until it fits; a single row refused alone fails."""

    def __init__(self, writers: int) -> None:
        self.limit = writers
        self.active = 0
        self.changed = threading.Condition()

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Hold a place among the transactions running; yields whether this one runs alone."""
        with self.changed:
            self.changed.wait_for(lambda: self.active < self.limit)
            self.active += 1
            alone = self.limit == 1
        try:
            yield alone
        finally:
            with self.changed:
                self.active -= 1
                self.changed.notify_all()

    def narrow(self) -> None:
        """One transaction at a time from now on (those running finish first)."""
        with self.changed:
            self.limit = 1


class _Writers:
    """Batches written by :data:`WRITERS` threads at once, a transaction each; leaving waits for them all and raises
    the first failure (the batches not yet started are dropped)."""

    def __init__(self, driver: neo4j.Driver, database: str) -> None:
        self.driver, self.database = driver, database
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="write-back")
        self.gate = _Gate(WRITERS)
        self.pending: list[Future] = []

    def write(self, query: str, name: str, rows: list, size: int, weight=None, **params) -> None:
        """``query`` over ``rows`` in batches (see :func:`_batches`); waits while :data:`WRITERS` batches more than
        are written are queued, so only a few batches' rows are held at once."""
        for batch in _batches(rows, size, weight):
            while len(self.pending) >= 2 * WRITERS:
                self.pending.pop(0).result()
            job = (self.driver, self.database, query, name, batch, params, self.gate)
            self.pending.append(self.pool.submit(_write_batch, *job))

    def __enter__(self) -> _Writers:
        return self

    def __exit__(self, failed, *_) -> None:
        try:
            for future in self.pending if failed is None else ():
                future.result()
        finally:
            self.pool.shutdown(cancel_futures=True)


def _write_batch(driver, database, query: str, name: str, batch: list, params: dict, gate: _Gate) -> None:
    """One batch in one transaction; one the server refuses the memory for is written alone, split in two, down to
    single rows."""
    with gate.turn() as alone:
        try:
            _execute(driver, database, query, **{name: batch}, **params)
            return
        except neo4j.exceptions.TransientError as exc:
            if exc.code not in MEMORY_REFUSALS or (alone and len(batch) == 1):
                raise
    gate.narrow()
    if not alone:  # refused beside another transaction: the whole batch again, alone
        _write_batch(driver, database, query, name, batch, params, gate)
        return
    half = len(batch) // 2
    _write_batch(driver, database, query, name, batch[:half], params, gate)
    _write_batch(driver, database, query, name, batch[half:], params, gate)


def _execute(driver: neo4j.Driver, database: str, query: str, attempts: int = 5, **params) -> None:
    """One write transaction, again after a transient failure (a deadlock with a concurrent load); a refusal for
    memory goes back to the caller at once."""
    for attempt in range(attempts):
        try:
            with driver.session(database=database) as session, session.begin_transaction() as tx:
                tx.run(query, **params).consume()
                tx.commit()
            return
        except neo4j.exceptions.TransientError as exc:
            if exc.code in MEMORY_REFUSALS or attempt == attempts - 1:
                raise
        time.sleep(0.5 * 2**attempt)


def current_snapshot(driver: neo4j.Driver, database: str) -> str | None:
    """The snapshot version of the run the graph shows, or None before the first run."""
    records = driver.execute_query(SHOWN_RUN, database_=database).records
    return records[0]["snapshot"] if records else None
