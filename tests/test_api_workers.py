"""``riskgraph serve --workers 2`` over real HTTP: both worker processes answer scores from the same snapshot,
each says its memory, and feedback recorded through one is seen by the other (the violator journal,
``scoring.violator_journal``, which every worker re-reads within a second).

Uses ``trained`` (tests/scoring_setup.py) with a copy of its home and the sample loaded into the graph again;
each attempt opens a new connection, and the kernel hands connections to either worker, so within a few
attempts both have answered. A connection stays with the worker that accepted it: ``/health`` on it names the
worker that scores on it.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.scoring_setup import home_copy
from tests.test_api_links import PHONES, _links, _new_firm

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

ATTEMPTS = 60


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory, driver):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("workers-home"))
    reload_graph(env, sample)
    phones = [r.data() for r in driver.execute_query(PHONES, database_="neo4j").records]
    return start_server(env, "--workers", "2"), phones


def _by_worker(server, declaration: dict) -> dict[int, dict]:
    """The decision for ``declaration`` from each worker, on new connections until both answered."""
    answers: dict[int, dict] = {}
    for n in range(ATTEMPTS):
        with httpx.Client(base_url=server.url, headers=server.client.headers, timeout=30) as client:
            health = client.get("/health").json()
            decision = client.post("/v1/score", json={**declaration, "declaration_id": f"W-{n}"})
            assert decision.status_code == 200, decision.text
            answers.setdefault(health["worker"], {**decision.json(), "health": health})
        if len(answers) == 2:
            return answers
    raise AssertionError(f"only worker(s) {sorted(answers)} answered in {ATTEMPTS} new connections")


def test_two_workers_score_from_one_snapshot_and_say_their_memory(setup):
    server, _ = setup
    answers = _by_worker(server, _new_firm(20))
    snapshots = {a["snapshot"] for a in answers.values()}
    assert len(snapshots) == 1 and None not in snapshots
    assert len({a["score"] for a in answers.values()}) == 1  # same snapshot, same declaration, same score
    for worker, answer in answers.items():
        assert worker > 0 and answer["health"]["status"] == "ok"
        assert answer["health"]["resident_mb"] > 10  # the snapshot and the app, at least


def test_feedback_through_one_worker_reaches_the_other(setup):
    server, phones = setup
    clean = next(p for p in phones if p["violator"] == 0)
    firm = _new_firm(21, importer_phone=clean["phone"])
    before = _by_worker(server, firm)
    assert not any(link["violators"] for a in before.values() for link in _links(a))
    body = {"outcomes": [{"declaration_id": clean["declaration"], "violation": 1, "revenue_recovered": 500.0}]}
    recorded = server.client.post("/v1/feedback", json=body, timeout=60)
    assert recorded.status_code == 200 and recorded.json()["recorded"] == 1
    time.sleep(1.5)  # the other worker reads the journal within a second
    after = _by_worker(server, firm)
    for worker, answer in after.items():
        [link] = _links(answer)
        assert link["violators"] == 1 and link["with"] == [clean["firm"]], worker
        assert answer["score"] > before[worker]["score"]
