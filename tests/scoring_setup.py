"""Session fixture shared by the scoring and API tests: a sample loaded, analysed and trained on once.

6,000 generated declarations (seed 3) go into the test Neo4j; ``riskgraph analyze`` and ``riskgraph
model train`` run on them with their own ``RISKGRAPH_HOME``. Other test modules wipe the graph, so a
test that needs the declarations in the graph again calls :func:`reload_sample`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests import cli_process
from tests.conftest import free_port, run_cli, stop_process

SAMPLE_SIZE, SAMPLE_SEED = 6000, 3
#: a server loading its snapshot on two cores shared with other test runs took 75 s (30 s was not enough)
START_SECONDS = 120


def reload_sample(driver, env: dict[str, str], sample: Path) -> None:
    """Make the graph, and the home's columnar copy, hold exactly the sample again (idempotent ingest after a
    wipe: the copy goes with the graph, as ``riskgraph store rebuild`` would make it)."""
    from columnar.store import DeclarationStore
    from graph.setup import ensure_schema, load_reference_data

    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
    DeclarationStore(Path(env["RISKGRAPH_HOME"])).clear()
    ensure_schema(driver, "neo4j")
    load_reference_data(driver, "neo4j")
    run_cli(env, "ingest", str(sample))


@pytest.fixture(scope="session")
def trained(driver, rg_env, tmp_path_factory):
    """(env, sample folder, ``model train --json`` summary)."""
    from sample.generator import generate

    sample = tmp_path_factory.mktemp("scoring-sample")
    generate(sample, SAMPLE_SIZE, SAMPLE_SEED)
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path_factory.mktemp("scoring-home"))}
    reload_sample(driver, env, sample)
    run_cli(env, "analyze")
    summary = json.loads(run_cli(env, "model", "train", "--json").stdout.strip().splitlines()[-1])
    return env, sample, summary


def home_copy(env: dict[str, str], home: Path) -> dict[str, str]:
    """``env`` with ``RISKGRAPH_HOME`` a copy of its home (snapshot, model, rules; not the decisions), so
    what a module's server changes stays in that module."""
    shutil.rmtree(home)
    shutil.copytree(env["RISKGRAPH_HOME"], home, ignore=shutil.ignore_patterns("neo4j", "decisions.sqlite*"))
    return {**env, "RISKGRAPH_HOME": str(home)}


@pytest.fixture(scope="session")
def reload_graph(driver):
    """:func:`reload_sample` as a fixture: ``reload_graph(env, sample)``."""
    return lambda env, sample: reload_sample(driver, env, sample)


@pytest.fixture(scope="module")
def live_server(trained, driver, start_server, tmp_path_factory):
    """A function starting ``riskgraph serve`` on the analysed sample: ``live_server(**extra_env)``.

    The server gets a copy of the trained home, so the rules and cases a test makes stay there; the
    graph is loaded and analysed again only when another module has replaced it.
    """
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("live-home"))
    counts = driver.execute_query(
        "RETURN COUNT { (:Declaration) } AS declarations, COUNT { (:Network) } AS networks", database_="neo4j"
    ).records[0]
    if counts["declarations"] < SAMPLE_SIZE // 2 or counts["networks"] == 0:
        reload_sample(driver, env, sample)
        run_cli(env, "analyze")
    return lambda **extra: start_server({**env, **extra})


@pytest.fixture(scope="session")
def start_server():
    """A function starting ``riskgraph serve`` with an environment (and more ``serve`` options); each server
    is stopped at the end."""
    started: list[Server] = []

    def start(env: dict[str, str], *options: str) -> Server:
        started.append(Server(env, *options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


class Server:
    """``riskgraph serve`` in a subprocess on a free port; stopped by its own pid.

    Tests call the API through ``server.client``: base URL set, and an admin key made for the
    occasion in the server's ``RISKGRAPH_HOME``. :meth:`client_as` gives a client in another role.
    """

    def __init__(self, env: dict[str, str], *options: str) -> None:
        self.home = Path(env["RISKGRAPH_HOME"])
        self._clients: list[httpx.Client] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = cli_process.start(["serve", "--port", str(self.port), *options], env)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"riskgraph serve exited: {self.process.stderr.read()}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    self.client = self.client_as("admin")
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"riskgraph serve did not answer within {START_SECONDS} s")

    def client_as(self, role: str, jurisdiction: str | None = None) -> httpx.Client:
        """A client sending a new key of ``role`` (limited to ``jurisdiction`` when given)."""
        from api.keys import KeyStore

        key, secret = KeyStore(self.home).create(role, jurisdiction, name=f"test-{role}")
        client = httpx.Client(base_url=self.url, timeout=60, headers={"X-API-Key": secret})
        client.key_id = key.id
        self._clients.append(client)
        return client

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        stop_process(self.process)
        self.process.close()
