"""The one Neo4j driver of a process, and the error a user sees when the database is away.

The API's driver (:func:`serving`) is bounded by ``RISKGRAPH_GRAPH_TIMEOUT``: connecting, taking a
connection from the pool and each query, with no retries, so a slow or frozen database costs a request
about that long before it answers 503, instead of the driver's minute of waiting and retrying. The
command line keeps the driver's patient defaults: a long analysis or load should wait, not fail.
"""

from __future__ import annotations

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ConnectionAcquisitionTimeoutError, ServiceUnavailable, SessionExpired

from graph.config import Settings, settings
from graph.errors import RiskGraphError

__all__ = [
    "DatabaseUnavailable",
    "BoundedDriver",
    "credentials",
    "driver",
    "check",
    "serving",
    "database",
    "disconnect",
    "reconnect",
]

# Errors meaning the server could not be reached, or not within the bound.
UNREACHABLE = (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError, OSError)


class DatabaseUnavailable(RiskGraphError, RuntimeError):
    """Neo4j cannot be reached; the message names the URI and what to do."""

    status, code = 503, "graph_unavailable"


def _advice(cfg: Settings) -> str:
    if cfg.local:
        return "start it with `riskgraph neo4j start` (or point NEO4J_URI at your server)"
    return "check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD, and that the server is up"


_open: dict[tuple, neo4j.Driver] = {}  # by server, credentials and bound: the command line's and the API's


def _new_driver(uri: str, user: str, password: str, bound: float | None, retry: float) -> neo4j.Driver:
    limits = {"connection_timeout": 5.0, "max_transaction_retry_time": retry}
    if bound is not None:
        limits = {"connection_timeout": bound, "connection_acquisition_timeout": bound, "max_transaction_retry_time": 0}
    # Counting a declared type that holds no data yet is normal here, not worth a warning on stderr.
    return GraphDatabase.driver(
        uri,
        auth=(user, password),
        max_connection_lifetime=3600,
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        **limits,
    )


def credentials(cfg: Settings) -> tuple[str, str]:
    """(user, password): ``NEO4J_USER``/``NEO4J_PASSWORD`` for your server, the generated ones for the local one."""
    if cfg.local:
        from graph.local_server import USER, password

        return USER, password(cfg)
    return cfg.neo4j_user, cfg.neo4j_password


def driver(cfg: Settings | None = None, bounded: bool = False) -> neo4j.Driver:
    cfg = cfg or settings()
    key = (cfg.uri, *credentials(cfg), cfg.graph_timeout if bounded else None, cfg.write_retry)
    found = _open.get(key)
    return found if found is not None else _open.setdefault(key, _new_driver(*key))


def database(cfg: Settings | None = None) -> str:
    return (cfg or settings()).neo4j_database


def check(cfg: Settings | None = None, bounded: bool = False) -> neo4j.Driver:
    """The driver, once the server has answered; raises DatabaseUnavailable with a one-line reason."""
    cfg = cfg or settings()
    drv = driver(cfg, bounded)
    try:
        drv.verify_connectivity()
    except AuthError as exc:
        raise DatabaseUnavailable(f"Neo4j at {cfg.uri} refused the credentials: {exc.message}") from None
    except UNREACHABLE as exc:
        raise DatabaseUnavailable(
            f"Neo4j is not reachable at {cfg.uri} ({type(exc).__name__}); {_advice(cfg)}"
        ) from None
    return drv


def serving(cfg: Settings | None = None) -> BoundedDriver:
    """The API's driver once the server has answered: queries bounded by ``graph_timeout``, no retries."""
    cfg = cfg or settings()
    return BoundedDriver(check(cfg, bounded=True), cfg.graph_timeout)


class BoundedDriver:
    """A driver whose every query carries ``timeout`` seconds (the server ends it after that).

    Plain-text queries of ``execute_query`` and ``session().run`` become ``neo4j.Query(text, timeout)``,
    and transaction functions are wrapped in ``neo4j.unit_of_work(timeout=...)``; anything else is the
    driver's own.
    """

    def __init__(self, inner: neo4j.Driver, timeout: float) -> None:
        self._inner, self.timeout = inner, timeout

    def execute_query(self, query, *args, **kwargs):
        return self._inner.execute_query(_bounded(query, self.timeout), *args, **kwargs)

    def session(self, **config) -> _BoundedSession:
        return _BoundedSession(self._inner.session(**config), self.timeout)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class _BoundedSession:
    def __init__(self, inner: neo4j.Session, timeout: float) -> None:
        self._inner, self.timeout = inner, timeout

    def __enter__(self) -> _BoundedSession:
        return self

    def __exit__(self, *exc) -> None:
        self._inner.close()

    def run(self, query, *args, **kwargs):
        return self._inner.run(_bounded(query, self.timeout), *args, **kwargs)

    def execute_read(self, work, *args, **kwargs):
        return self._inner.execute_read(neo4j.unit_of_work(timeout=self.timeout)(work), *args, **kwargs)

    def execute_write(self, work, *args, **kwargs):
        return self._inner.execute_write(neo4j.unit_of_work(timeout=self.timeout)(work), *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


def _bounded(query, timeout: float) -> neo4j.Query:
    if isinstance(query, neo4j.Query):
        return query if query.timeout is not None else neo4j.Query(query.text, query.metadata, timeout)
    return neo4j.Query(query, timeout=timeout)


def disconnect(cfg: Settings | None = None) -> None:
    """Close the process's drivers; the next ``driver()`` opens a new one.

    Before stopping the local server: Bolt waits seconds for open connections to go away.
    """
    stale = list(_open.values())
    _open.clear()
    for drv in stale:
        drv.close()


def reconnect(cfg: Settings | None = None) -> neo4j.Driver:
    """A new driver once the local store was replaced (bulk import); the old one is closed.

    The old driver's bookmarks name transactions the new store never had, so its queries would
    wait for them and time out.
    """
    disconnect(cfg)
    return check(cfg)
