"""Alerts for lookout hits at lodging, raised off the request path.

A scoring request only looks at each decision's ``intel_hits`` (empty for nearly all) and queues the hits it
finds; a thread writes what was queued to the graph every ``WRITE_EVERY`` seconds in one statement
(``investigate.alerts.raise_lodging_alerts``). Clearance never waits for Neo4j: while the graph is away the
hits stay queued (at most ``MAX_QUEUED``, the oldest dropped first) and are written when it answers (a batch
the graph refuses for another reason is reported on stderr, not retried); hits a
stopped server had not written yet are not lost to the inbox either, since the next analysis raises the same
(record, firm) alert once ingest has the declaration.
"""

from __future__ import annotations

import sys
import threading
from collections import deque

import neo4j

from graph.connection import DatabaseUnavailable, database, serving
from graph.reference import resolve_office
from investigate.alerts import raise_lodging_alerts

__all__ = ["LodgingAlerts"]

#: seconds between writes
WRITE_EVERY = 0.5
#: hits kept while the graph is away
MAX_QUEUED = 100_000


class LodgingAlerts:
    def __init__(self) -> None:
        self._queued: deque[dict] = deque(maxlen=MAX_QUEUED)
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._loop, name="lodging-alerts", daemon=True)
        self._writer.start()

    def offer(self, raws: list[dict], decisions: list) -> None:
        """Queue the lookout hits among ``decisions`` (scored from ``raws``, in order)."""
        for raw, decision in zip(raws, decisions, strict=True):
            if decision.intel_hits:
                self._queue(raw, decision)

    def _queue(self, raw: dict, decision) -> None:
        office = resolve_office(raw["office"]) if raw.get("office") else None  # the code ingest links it to
        for record in decision.intel_hits:
            self._queued.append(
                {
                    "record": record,
                    "enterprise": raw["importer_id"],
                    "name": raw.get("importer_name"),
                    "declaration": decision.declaration_id,
                    "office": office.code if office else raw.get("office"),
                    "via": decision.intel_via.get(record, ""),
                }
            )

    def _loop(self) -> None:
        while not self._stop.wait(WRITE_EVERY):
            self._write()

    def _write(self) -> None:
        hits = [self._queued.popleft() for _ in range(len(self._queued))]
        if not hits:
            return
        try:
            raise_lodging_alerts(serving(), database(), hits)
        except (DatabaseUnavailable, neo4j.exceptions.DriverError, neo4j.exceptions.TransientError) as exc:
            self._queued.extendleft(reversed(hits))  # the graph is away: kept for the next round (clearance goes on)
            print(f"lodging alerts: {len(hits)} hits kept for later: {exc}", file=sys.stderr, flush=True)
        except Exception as exc:  # a batch the graph refuses would be refused again: said, not retried for ever
            print(f"lodging alerts: {len(hits)} hits not raised: {exc!r}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Stop the writer after one last write."""
        self._stop.set()
        self._writer.join()
        self._write()
