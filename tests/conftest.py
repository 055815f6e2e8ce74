"""Test fixtures.

Every database test runs against a real local Neo4j, started once per session on its own port
with its own ``RISKGRAPH_HOME`` (a temp folder) and stopped at the end. ``make test`` runs two sessions side by
side (pytest-xdist, a module at a time on each): each worker has its own Neo4j, homes and ports. Tests that need an
empty graph take ``empty_graph``; ingest tests use small files from the generator or written inline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

# a plugin module (``pytest_plugins``) that other test helpers import too: its asserts are rewritten only if it is
# registered before the first import
pytest.register_assert_rewrite("tests.scoring_setup")


def _worker() -> int:
    """pytest-xdist's worker number (0 without it): each worker starts its own servers on ports of its own."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


TEST_PORT = int(os.environ.get("RISKGRAPH_TEST_BOLT_PORT", "7697")) + 100 * _worker()

#: the slowest modules, slowest first (setup and tests, seconds, in the fresh-clone CI of 2026-12-08 at dc94e8f:
#: engine_networks 216, backup 169, engine_agreement 166, ingest_bulk 131, analysis_incremental 85, ingest 83, ...).
#: ``make test`` hands modules to its two workers in this order (``--no-loadscope-reorder``), the rest after them
#: as collected: the longest first, so the two finish together. xdist's own order, by count of tests, put these
#: few-test modules last, where one of them kept one worker busy while the other had finished.
SLOWEST_FIRST = (
    "test_engine_networks.py",
    "test_backup.py",
    "test_engine_agreement.py",
    "test_ingest_bulk.py",
    "test_analysis_incremental.py",
    "test_ingest.py",
    "test_api_intel.py",
    "test_analysis_engines.py",
    "test_analysis_db.py",
    "test_api_fuzz.py",
    "test_api_limits.py",
    "test_write_back_memory.py",
    "test_jurisdiction_matrix.py",
    "test_columnar_store.py",
    "test_history_features.py",
    "test_operations.py",
    "test_resolve_analyze.py",
    "test_optional_columns.py",
    "test_roster.py",
    "test_analyze_atomic.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of :data:`SLOWEST_FIRST` first, in its order; the rest keep theirs (a stable sort)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def free_port() -> int:
    """A port nothing listens on, for a module's own server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def rg_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("riskgraph-home")


@pytest.fixture(scope="session")
def rg_env(rg_home) -> dict[str, str]:
    """Environment for the CLI and the settings: the test server, never a user's NEO4J_URI."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(
        {
            "RISKGRAPH_HOME": str(rg_home),
            "RISKGRAPH_BOLT_PORT": str(TEST_PORT),
            "RISKGRAPH_NEO4J_HEAP": "2g",
            "RISKGRAPH_NEO4J_PAGECACHE": "1g",
            # tests point many homes at the one test server: they all use its password
            "RISKGRAPH_NEO4J_PASSWORD_FILE": str(rg_home / "neo4j" / "password"),
        }
    )
    return env


@pytest.fixture(scope="session")
def cfg(rg_env):
    from graph.config import Settings

    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(rg_env)
    try:
        yield Settings()
    finally:
        os.environ.clear()
        os.environ.update(old)


@pytest.fixture(scope="session")
def neo4j_server(cfg):
    from graph import local_server

    local_server.start(cfg)
    yield cfg
    local_server.stop(cfg)


@pytest.fixture(scope="session")
def driver(neo4j_server):
    from graph.connection import check

    return check(neo4j_server)


def _gds_settings(env: dict[str, str]):
    from graph.config import Settings

    return Settings(
        home=Path(env["RISKGRAPH_HOME"]),
        bolt_port=int(env["RISKGRAPH_BOLT_PORT"]),
        neo4j_gds=True,
        neo4j_heap=env["RISKGRAPH_NEO4J_HEAP"],
        neo4j_pagecache=env["RISKGRAPH_NEO4J_PAGECACHE"],
        neo4j_password_file=Path(env["RISKGRAPH_NEO4J_PASSWORD_FILE"]),
    )


@pytest.fixture(scope="session")
def gds_env(rg_env, tmp_path_factory):
    """A second local Neo4j with Graph Data Science (Maven profile ``gds``), on its own port and home.

    Started once for the session (a start takes half a minute); each user empties it with :func:`wipe`.
    """
    from graph import local_server

    env = {
        **rg_env,
        "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("gds-home")),
        "RISKGRAPH_BOLT_PORT": str(TEST_PORT + 20),
        "RISKGRAPH_NEO4J_GDS": "1",
        "RISKGRAPH_NEO4J_HEAP": "1g",
        "RISKGRAPH_NEO4J_PAGECACHE": "256m",
    }
    local_server.start(_gds_settings(env))
    yield env
    local_server.stop(_gds_settings(env))


@pytest.fixture(scope="session")
def gds_driver(gds_env):
    from graph.connection import check

    return check(_gds_settings(gds_env))


@pytest.fixture(scope="session")
def spark():
    """One small local Spark session for every test that needs it (a start costs seconds and a JVM)."""
    from columnar.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4", "spark.driver.memory": "512m"})
    yield session
    session.stop()


def wipe(driver) -> None:
    """Leave only the schema and the customs-office reference data."""
    from graph.setup import ensure_schema, load_reference_data

    with driver.session(database="neo4j") as session:  # CALL IN TRANSACTIONS needs an auto-commit query
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    ensure_schema(driver, "neo4j")
    load_reference_data(driver, "neo4j")


def remove_intel(driver) -> None:
    """Remove intelligence records and alerts, and the nodes only records named: modules share the graph, and
    a lookout one module (or the fuzzer) recorded would hit the declarations another module scores."""
    for query in (
        "MATCH (n)<-[:MENTIONS]-(:Intel) WHERE NOT EXISTS { (n)-[r]-() WHERE type(r) <> 'MENTIONS' } "
        "WITH DISTINCT n DETACH DELETE n",
        "MATCH (x) WHERE x:Intel OR x:Alert DETACH DELETE x",
    ):
        driver.execute_query(query, database_="neo4j")


@pytest.fixture()
def empty_graph(driver):
    """A graph holding only the schema and the customs-office reference data."""
    wipe(driver)
    return driver


@pytest.fixture()
def page():
    """A fresh headless Chromium tab driven over DevTools (``tests.browser.Page``); closed after the test."""
    from tests.browser import Page

    opened = Page()
    try:
        with opened.connect():
            yield opened
    finally:
        opened.close()


def stop_process(process) -> None:
    """Terminate, and kill if it has not gone within 10 s (a ``Popen``, or a command ``tests.cli_process`` started):
    no test leaves a server or browser behind."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def always_beside(monkeypatch):
    """This process forks for work beside the analysis's igraph work whatever the graph's size (a test graph is
    far below the 100,000 edges that take it there)."""
    from graph.config import settings

    monkeypatch.setenv("RISKGRAPH_ALONGSIDE_MIN_EDGES", "0")
    settings.cache_clear()
    yield
    monkeypatch.delenv("RISKGRAPH_ALONGSIDE_MIN_EDGES")
    settings.cache_clear()


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    from tests import cli_process

    done = cli_process.run(list(args), env)
    if check and done.returncode != 0:
        raise AssertionError(f"riskgraph {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def add_rule(env: dict[str, str], path, by: str = "analyst", approver: str = "second analyst") -> str:
    """Propose the rule in ``path`` and have a second person approve it (four eyes); the change's id."""
    proposed = run_cli(env, "rules", "add", str(path), "--by", by)
    change = re.search(r"proposed change (chg-[0-9a-f]+)", proposed.stderr).group(1)
    run_cli(env, "rules", "approve", change, "--by", approver)
    return change
