"""The one Neo4j driver of a process, and the error a user sees when the database is away."""

from __future__ import annotations

from functools import cache

import neo4j
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from graph.config import Settings, settings
from graph.errors import RiskGraphError

__all__ = ["DatabaseUnavailable", "credentials", "driver", "check", "database", "disconnect", "reconnect"]


class DatabaseUnavailable(RiskGraphError, RuntimeError):
    """Neo4j cannot be reached; the message names the URI and what to do."""

    status, code = 503, "graph_unavailable"


def _advice(cfg: Settings) -> str:
    if cfg.local:
        return "start it with `riskgraph neo4j start` (or point NEO4J_URI at your server)"
    return "check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD, and that the server is up"


@cache
def _driver(uri: str, user: str, password: str) -> neo4j.Driver:
    # Counting a declared type that holds no data yet is normal here, not worth a warning on stderr.
    return GraphDatabase.driver(
        uri,
        auth=(user, password),
        max_connection_lifetime=3600,
        connection_timeout=5.0,
        notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
    )


def credentials(cfg: Settings) -> tuple[str, str]:
    """(user, password): ``NEO4J_USER``/``NEO4J_PASSWORD`` for your server, the generated ones for the local one."""
    if cfg.local:
        from graph.local_server import USER, password

        return USER, password(cfg)
    return cfg.neo4j_user, cfg.neo4j_password


def driver(cfg: Settings | None = None) -> neo4j.Driver:
    cfg = cfg or settings()
    return _driver(cfg.uri, *credentials(cfg))


def database(cfg: Settings | None = None) -> str:
    return (cfg or settings()).neo4j_database


def check(cfg: Settings | None = None) -> neo4j.Driver:
    """The driver, once the server has answered; raises DatabaseUnavailable with a one-line reason."""
    cfg = cfg or settings()
    drv = driver(cfg)
    try:
        drv.verify_connectivity()
    except AuthError as exc:
        raise DatabaseUnavailable(f"Neo4j at {cfg.uri} refused the credentials: {exc.message}") from None
    except (ServiceUnavailable, OSError) as exc:
        raise DatabaseUnavailable(
            f"Neo4j is not reachable at {cfg.uri} ({type(exc).__name__}); {_advice(cfg)}"
        ) from None
    return drv


def disconnect(cfg: Settings | None = None) -> None:
    """Close the process's driver; the next ``driver()`` opens a new one.

    Before stopping the local server: Bolt waits seconds for open connections to go away.
    """
    stale = driver(cfg)
    _driver.cache_clear()
    stale.close()


def reconnect(cfg: Settings | None = None) -> neo4j.Driver:
    """A new driver once the local store was replaced (bulk import); the old one is closed.

    The old driver's bookmarks name transactions the new store never had, so its queries would
    wait for them and time out.
    """
    disconnect(cfg)
    return check(cfg)
