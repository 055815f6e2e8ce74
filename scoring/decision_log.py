"""The log of clearance decisions: what was scored, when, how, which rules, lookouts and links were used.

A local SQLite file (``$RISKGRAPH_HOME/decisions.sqlite``, WAL mode) because the API must record
every decision while Neo4j may be down, and several server processes may write at once. Feedback
joins an outcome to its decision from here; performance reads rule hits from here.

Recording only queues the rows: one writer thread commits what was queued every ``WRITE_EVERY``
seconds, in one transaction, so a commit or a WAL checkpoint (an fsync) never holds up a clearance
answer. It wakes on that clock, not per decision: a writer woken by every request took the GIL from the
event loop several hundred times a second and was the HTTP latency's tail. Reads, :meth:`DecisionLog.flush`
and :meth:`DecisionLog.close` (the server's shutdown) commit everything queued before they return, so a
clean stop loses nothing; a killed process loses at most the last ``WRITE_EVERY`` seconds.
"""

from __future__ import annotations

import json
import math
import sqlite3
import sys
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from graph.home import DECISIONS
from scoring.memo import BoundedMemo
from scoring.scorer import Decision

__all__ = ["DecisionLog", "log_rows", "as_json", "reasons_json"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
  declaration_id TEXT PRIMARY KEY,
  scored_at TEXT NOT NULL,
  snapshot TEXT,
  score REAL, probability REAL, level TEXT, channel TEXT, random INTEGER, rule_hits TEXT, links TEXT,
  leading_target TEXT, targets TEXT, operations TEXT, inspection TEXT, intel_hits TEXT
)
"""
_COLUMNS = (
    "declaration_id, scored_at, snapshot, score, probability, level, channel, random, rule_hits, links, "
    "leading_target, targets, operations, inspection, intel_hits"
)
_INSERT = f"INSERT OR REPLACE INTO decisions ({_COLUMNS}) VALUES ({', '.join('?' * 15)})"
#: columns a log written by an earlier version lacks
_ADDED = dict.fromkeys(("links", "leading_target", "targets", "operations", "inspection", "intel_hits"), "TEXT")
#: ``json.dumps(value, ensure_ascii=False)`` without making an encoder per call (a batch logs a million)
as_json = json.JSONEncoder(ensure_ascii=False).encode
#: seconds between the writer's commits
WRITE_EVERY = 0.1
#: the connection's page cache, KiB
_CACHE_KIB = 65_536


def _operations(decision: Decision) -> str | None:
    """The special operations that selected the decision (``scoring.operations``), as JSON; None for none."""
    ops = [r["operation"] for r in decision.reasons if r["kind"] == "operation"]
    return json.dumps(ops) if ops else None


# A batch logs a million decisions, most of them alike: the JSON of their commonest values is written here
# (the same text json writes, proven by the batch tests) or kept, not encoded again row by row.

#: per tuple of target names: the JSON text before each score ('{"tax": ', ', "ipr": ')
_SCORE_KEYS: dict[tuple, list[str]] = {}
#: JSON texts of values that recur (an inspection order, a network reason), by their items
_RECURRING = BoundedMemo(lambda items: as_json(dict(items)), limit=100_000)


def _scores_json(targets: dict[str, dict]) -> str | None:
    """``json.dumps({target: score})``; finite float scores (all of them, but for a score made elsewhere) are
    written with the float's repr, as json writes them."""
    if not targets:
        return None
    scores = [v["score"] for v in targets.values()]
    if not all(type(x) is float and math.isfinite(x) for x in scores):
        return json.dumps({t: v["score"] for t, v in targets.items()})
    names = tuple(targets)
    keys = _SCORE_KEYS.get(names)
    if keys is None:
        keys = _SCORE_KEYS[names] = [("{" if i == 0 else ", ") + json.dumps(t) + ": " for i, t in enumerate(names)]
    return "".join([k + repr(x) for k, x in zip(keys, scores, strict=True)]) + "}"


def _recurring_json(value: dict) -> str:
    """``as_json(value)`` of a flat dict of text and finite numbers, kept by its items (which set the text)."""
    return _RECURRING[tuple(value.items())]


def _flat(value: dict) -> bool:
    """Whether a dict's JSON is set by its items' equality: text values, and numbers other than 0 (-0.0 == 0)."""
    return all(type(v) is str or (type(v) is float and math.isfinite(v) and v != 0) for v in value.values())


def reasons_json(reasons: list[dict]) -> str:
    """``as_json(reasons)``: most decisions give none, or the importer's network risk alone."""
    if not reasons:
        return "[]"
    if len(reasons) == 1 and reasons[0].get("kind") == "network" and _flat(reasons[0]):
        return "[" + _recurring_json(reasons[0]) + "]"
    return as_json(reasons)


def _inspection_json(inspection: dict | None) -> str | None:
    """``as_json(inspection)``: the inspection orders are a handful of texts."""
    if not inspection:
        return None
    return _recurring_json(inspection) if _flat(inspection) else as_json(inspection)


def log_rows(decisions: list[Decision], snapshot: str) -> list[tuple]:
    """The decisions as the log's rows, stamped now: a plain list, so a worker process can make them."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        (
            d.declaration_id,
            now,
            snapshot,
            d.score,
            d.probability,
            d.level,
            d.channel,
            int(d.random),
            json.dumps(d.rule_hits) if d.rule_hits else "[]",
            as_json(d.links) if d.links else None,
            d.leading_target,
            _scores_json(d.targets),
            _operations(d),
            _inspection_json(d.inspection),
            json.dumps(d.intel_hits) if d.intel_hits else None,
        )
        for d in decisions
    ]


class DecisionLog:
    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.path = self.home / DECISIONS
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # the declaration ids' index outgrows SQLite's default 2 MB page cache after a few hundred thousand
        # decisions; with 64 MB a batch's million inserts cost 30 % less CPU (9.6 -> 6.8 s)
        self._db.execute(f"PRAGMA cache_size={-_CACHE_KIB}")
        self._db.execute(_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(decisions)")}
        for column, kind in _ADDED.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE decisions ADD COLUMN {column} {kind}")
        self._lock = threading.Lock()
        #: rows to write, and the events of flushes waiting for them (a deque: appending takes no lock)
        self._pending: deque = deque()
        self._wake = threading.Event()
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, name="decision-log", daemon=True)
        self._writer.start()

    def record(self, decisions: list[Decision], snapshot: str) -> None:
        """Queue the decisions; the writer thread commits them within ``WRITE_EVERY`` seconds."""
        self.record_rows(log_rows(decisions, snapshot))

    def record_rows(self, rows: list[tuple]) -> None:
        """Queue rows :func:`log_rows` made (in a scoring worker process, say), as :meth:`record` does."""
        self._pending.append(rows)

    def _write_loop(self) -> None:
        while True:
            self._wake.wait(WRITE_EVERY)
            self._wake.clear()  # before draining: whatever is queued after this wakes the next round
            closing = self._closing
            self._write_queued()
            if closing:
                return

    def _write_queued(self) -> None:
        rows, flushes = [], []
        while self._pending:
            item = self._pending.popleft()
            if isinstance(item, threading.Event):
                flushes.append(item)
            else:
                rows.extend(item)
        try:
            if rows:
                with self._lock, self._db:
                    self._db.executemany(_INSERT, rows)
        except sqlite3.Error as exc:  # keep the writer alive (and the flushes answered) when the disk is full
            print(f"decision log: {len(rows)} decisions not written: {exc}", file=sys.stderr, flush=True)
        finally:
            for done in flushes:
                done.set()

    def flush(self) -> None:
        """Wait until every decision queued so far is committed."""
        if not self._writer.is_alive():  # closed: everything was committed then
            return
        done = threading.Event()
        self._pending.append(done)  # after every row queued before it: the writer drains in order
        self._wake.set()
        done.wait()

    def find(self, declaration_ids: list[str]) -> dict[str, dict]:
        self.flush()
        found = {}
        with self._lock:
            for start in range(0, len(declaration_ids), 500):
                ids = declaration_ids[start : start + 500]
                marks = ",".join("?" * len(ids))
                cursor = self._db.execute(f"SELECT * FROM decisions WHERE declaration_id IN ({marks})", ids)
                columns = [c[0] for c in cursor.description]
                for row in cursor:
                    item = dict(zip(columns, row, strict=True))
                    item["rule_hits"] = json.loads(item["rule_hits"])
                    item["links"] = json.loads(item["links"] or "[]")
                    item["targets"] = json.loads(item["targets"] or "{}")
                    item["operations"] = json.loads(item["operations"] or "[]")
                    item["inspection"] = json.loads(item["inspection"] or "null")
                    item["intel_hits"] = json.loads(item["intel_hits"] or "[]")
                    found[item["declaration_id"]] = item
        return found

    def rule_activity(self, since: str | None = None, until: str | None = None) -> dict[str, dict]:
        """Per rule id: hits and the last time it hit, among decisions scored in [since, until]."""
        query = "SELECT rule_hits, scored_at FROM decisions WHERE rule_hits != '[]'"
        params: list[str] = []
        if since:
            query += " AND scored_at >= ?"
            params.append(since)
        if until:
            query += " AND scored_at < ?"
            params.append(until)
        out: dict[str, dict] = {}
        self.flush()
        with self._lock:
            for hits, at in self._db.execute(query, params):
                for rule in json.loads(hits):
                    entry = out.setdefault(rule, {"hits": 0, "last_hit": at})
                    entry["hits"] += 1
                    entry["last_hit"] = max(entry["last_hit"], at)
        return out

    def selected_by(self, operation_id: str) -> list[tuple[str, str]]:
        """(declaration id, scored at) of the decisions the special operation sent to inspection, oldest first."""
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT declaration_id, scored_at, operations FROM decisions WHERE operations IS NOT NULL "
                "ORDER BY scored_at"
            ).fetchall()
        return [(d, at) for d, at, ops in rows if operation_id in json.loads(ops)]

    def channel_mix(self) -> dict:
        """Decisions per channel and level over the whole log, with the first and last time scored."""
        self.flush()
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, level, count(*), min(scored_at), max(scored_at) FROM decisions GROUP BY channel, level"
            ).fetchall()
        mix: dict = {"decisions": 0, "channels": {}, "levels": {}, "first": None, "last": None}
        for channel, level, n, first, last in rows:
            mix["decisions"] += n
            mix["channels"][channel] = mix["channels"].get(channel, 0) + n
            mix["levels"][level] = mix["levels"].get(level, 0) + n
            mix["first"] = min(filter(None, (mix["first"], first)))
            mix["last"] = max(filter(None, (mix["last"], last)))
        return mix

    def close(self) -> None:
        """Commit what is queued and stop the writer."""
        self._closing = True
        self._wake.set()
        self._writer.join()
        self._db.close()
