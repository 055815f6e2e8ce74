"""schemathesis against ``riskgraph serve`` on the analysed sample: no server error, no answer the
OpenAPI document does not describe (status, content type, body schema).

Bounded: a few examples per operation, a fixed seed, one worker, no stateful phase. The requests are counted by the
server itself (``GET /metrics``), 5xx answers included.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import remove_intel

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES, SEED = 5, 13


@pytest.fixture(scope="module")
def server(live_server, driver):
    yield live_server(RISKGRAPH_GRAPH_TIMEOUT="60")  # a slow shared machine must not turn into 503s
    remove_intel(driver)  # the lookouts the fuzzer recorded must not hit other modules' declarations


def _answered(server) -> dict[str, int]:
    """Requests the server has answered so far, by status class (1xx..5xx)."""
    counts: dict[str, int] = {}
    for status, n in re.findall(
        r'^riskgraph_http_requests_total\{.*status="(\d)\d\d"\} (\S+)$', server.client.get("/metrics").text, re.M
    ):
        counts[f"{status}xx"] = counts.get(f"{status}xx", 0) + int(float(n))
    return counts


def _reached(server) -> set[tuple[str, str, str]]:
    """(method, route template, status class) the server has answered so far."""
    return {
        (method, route, f"{status[0]}xx")
        for method, route, status in re.findall(
            r'^riskgraph_http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\}',
            server.client.get("/metrics").text,
            re.M,
        )
    }


def test_schemathesis_finds_no_server_error_and_no_schema_violation(server):
    before = _answered(server)
    started = time.monotonic()
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"X-API-Key: {server.client.headers['X-API-Key']}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",  # two threads race in CPython 3.11.7's ast.parse (gh-106905), which hypothesis calls
            "--request-timeout",
            "90",
            "--phases",
            "examples,coverage,fuzzing",  # the stateful phase chains requests without a bound of its own
            "--continue-on-failure",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    seconds = time.monotonic() - started
    after = _answered(server)
    fuzzed = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    print(f"\nschemathesis: {sum(fuzzed.values())} requests in {seconds:.0f}s, by status class {fuzzed}")
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert fuzzed.get("5xx", 0) == 0 and sum(fuzzed.values()) > 300, fuzzed
    # the intelligence and alert routes were fuzzed too, some requests accepted and some refused
    reached = _reached(server)
    for method, route in (("POST", "/v1/intel"), ("GET", "/v1/intel"), ("GET", "/v1/intel/{intel_id}")):
        assert (method, route, "4xx") in reached, (method, route)
    assert {("POST", "/v1/intel", "2xx"), ("GET", "/v1/intel", "2xx"), ("GET", "/v1/alerts", "2xx")} <= reached
    for route in ("/v1/intel/{intel_id}/withdraw", "/v1/alerts/{alert_id}/acknowledge", "/v1/alerts/{alert_id}/case"):
        assert any(m == "POST" and r == route for m, r, _ in reached), route
    # special operations and trend warnings too: refusals of what cannot be proposed or found, and the lists
    for method, route in (
        ("POST", "/v1/operations"),
        ("GET", "/v1/operations/{operation_id}"),
        ("POST", "/v1/operations/{operation_id}/end"),
        ("POST", "/v1/trends/{warning_id}/operation"),
    ):
        assert (method, route, "4xx") in reached, (method, route)
    assert {("GET", "/v1/operations", "2xx"), ("GET", "/v1/trends", "2xx")} <= reached
    # capacity, inspection acts and target routes were fuzzed too
    assert ("GET", "/v1/capacity", "2xx") in reached and ("POST", "/v1/inspections", "4xx") in reached
    assert any(m == "PUT" and r == "/v1/capacity/{office}" for m, r, _ in reached)
    # rosters and utilisation too
    assert ("GET", "/v1/utilisation", "2xx") in reached
    assert any(m == "PUT" and r == "/v1/roster/{office}" for m, r, _ in reached)
    assert any(m == "GET" and r == "/v1/roster/{office}" for m, r, _ in reached)
    assert ("GET", "/v1/rules/routes", "2xx") in reached and any(
        r == "/v1/rules/routes" for m, r, _ in reached if m == "POST"
    )
