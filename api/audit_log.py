"""The audit log: who read or changed which enterprise, network, case or rule, and when.

One JSON line per request under ``$RISKGRAPH_HOME/audit/audit-YYYY-MM.jsonl``, appended after the
response so the status is known, refused attempts (401/403) included. Kept in files rather than in
Neo4j so that it is written even when the graph is down and cannot be edited through the API.
Clearance scoring is not logged here (the decision log holds every decision), nor are ``/health``
and the static page. A file per month; when a new month's file is started, the files older than
``retention_months`` (``RISKGRAPH_AUDIT_RETENTION_MONTHS``, 0 = keep all) are deleted.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from graph.home import AUDIT

__all__ = ["AuditLog", "AuditTrail"]

SKIPPED = ("/health", "/v1/score", "/docs", "/openapi.json", "/redoc", "/static/")
SECRET_PARAM = "x-api-key"
RESOURCES = {
    "enterprise_id": "enterprise",
    "other_id": "other_enterprise",
    "network_id": "network",
    "case_id": "case",
    "rule_id": "rule",
    "intel_id": "intel",
    "alert_id": "alert",
}


class AuditLog:
    def __init__(self, home: Path, retention_months: int = 0) -> None:
        self.folder = Path(home) / AUDIT
        self.retention_months = retention_months
        self._lock = threading.Lock()

    def append(self, entry: dict) -> None:
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        month = entry["at"][:7]
        path = self.folder / f"audit-{month}.jsonl"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            started = not path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # private, whoever writes it
            with os.fdopen(fd, "a", encoding="utf-8") as out:
                out.write(line)
            if started:
                self.prune(month)

    def prune(self, month: str) -> list[str]:
        """Delete the monthly files older than the retention before ``month`` (``YYYY-MM``); their names."""
        if self.retention_months <= 0:
            return []
        year, number = int(month[:4]), int(month[5:7])
        index = year * 12 + number - 1 - (self.retention_months - 1)
        oldest = f"audit-{index // 12:04d}-{index % 12 + 1:02d}.jsonl"
        dropped = [p for p in self.folder.glob("audit-*.jsonl") if p.name < oldest]
        for path in dropped:
            path.unlink(missing_ok=True)
        return sorted(p.name for p in dropped)

    def tail(
        self, limit: int, key_id: str | None = None, resource: str | None = None, keep: Callable | None = None
    ) -> list[dict]:
        """The newest ``limit`` entries, newest first, optionally for one key or one resource id, or those
        ``keep(entry)`` accepts."""
        found: deque[dict] = deque(maxlen=limit)
        for path in sorted(self.folder.glob("audit-*.jsonl")):
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    entry = json.loads(line)
                    if key_id and entry.get("key") != key_id:
                        continue
                    if resource and resource not in entry.get("resources", {}).values():
                        continue
                    if keep is None or keep(entry):
                        found.append(entry)
        return list(reversed(found))


class AuditTrail:
    """Plain ASGI middleware writing one :class:`AuditLog` entry per audited request."""

    def __init__(self, app, log: AuditLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] == "/" or scope["path"].startswith(SKIPPED):
            await self.app(scope, receive, send)
            return
        status, location = 500, None

        async def remember(message) -> None:
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = message["status"]
                location = dict(message.get("headers", [])).get(b"location")
            await send(message)

        try:
            await self.app(scope, receive, send=remember)
        finally:
            self.log.append(_entry(scope, status, location.decode("latin-1") if location else None))


def _entry(scope, status: int, location: str | None) -> dict:
    """``location`` is where a created resource lives (the Location header of a 201)."""
    key = scope.get("state", {}).get("principal")
    route = scope.get("route")
    params = scope.get("path_params", {})
    resources = {RESOURCES[p]: str(v) for p, v in params.items() if p in RESOURCES}
    query = _without_secrets(scope.get("query_string", b"").decode("latin-1"))
    return {
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "key": key.id if key else None,
        "name": key.name if key else None,
        "role": key.role if key else None,
        "method": scope["method"],
        "path": scope["path"],
        "route": getattr(route, "path_format", None),  # the template without converters (:entity)
        "query": query or None,
        "resources": resources,
        "status": status,
        "created": location,
        "client": (scope.get("client") or [None])[0],
    }


def _without_secrets(query: str) -> str:
    """The query string with any API key in it blanked (such a request is refused, but still recorded)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() == SECRET_PARAM for name, _ in pairs):
        return query
    return urlencode([(name, "[redacted]" if name.lower() == SECRET_PARAM else value) for name, value in pairs])
