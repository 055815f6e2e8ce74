"""Access control over real HTTP: API keys, roles, jurisdiction scoping and the audit log.

The hand-built graph of ``tests.explore_setup`` is lodged at Shanghai (the shell ring, BRIDGE, HONEST1)
and Qingdao (HONEST2), so a key of the Qingdao sub-centre must not see the ring and one of the Shanghai
sub-centre must.
"""

from __future__ import annotations

import json
import time

import httpx

from tests.conftest import run_cli

pytest_plugins = ("tests.explore_setup",)

RULE = {
    "id": "huangpu-phones",
    "description": "phones from the Huangpu sub-centre's list",
    "target": "tax",
    "weight": 0.5,
    "owner": "SC-HUANGPU",
    "effective_from": "2025-01-01",
    "conditions": {"hs_prefix": ["61"]},
}


def test_no_key_or_a_wrong_key_is_401_and_the_page_and_health_stay_open(explore_server):
    server, _ = explore_server
    for method, path in (
        ("GET", "/v1/search?q=shell"),
        ("POST", "/v1/score"),
        ("GET", "/v1/rules"),
        ("GET", "/v1/audit"),
    ):
        bare = httpx.request(method, server.url + path, json={}, timeout=30)
        assert bare.status_code == 401 and bare.json()["error"]["code"] == "unauthenticated", (path, bare.text)
        forged = httpx.request(method, server.url + path, json={}, headers={"X-API-Key": "rg_0000_guess"}, timeout=30)
        assert forged.status_code == 401 and "unknown or revoked" in forged.json()["error"]["message"]
    assert httpx.get(server.url + "/health", timeout=30).status_code == 200
    assert httpx.get(server.url + "/", timeout=30).status_code == 200


def test_each_role_reaches_its_own_work_only(explore_server):
    server, _ = explore_server
    clearance = server.client_as("clearance-system")
    investigator = server.client_as("investigator")
    auditor = server.client_as("auditor")
    analyst = server.client_as("analyst", "SC-SHANGHAI")  # the ring is lodged at Shanghai

    assert clearance.get("/v1/search", params={"q": "shell"}).status_code == 403
    assert clearance.get("/v1/rules").status_code == 403
    assert clearance.post("/v1/score", json={}).status_code == 422  # let through; the body is what is wrong
    for reader in (investigator, auditor, analyst):
        assert reader.get("/v1/enterprises/SHELL1").status_code == 200
        assert reader.post("/v1/score", json={}).status_code == 403
        assert reader.get("/v1/audit").status_code == 403
    assert investigator.get("/v1/rules").status_code == 403
    assert auditor.post("/v1/rules", json=RULE).status_code == 403
    assert analyst.get("/v1/rules").status_code == 200
    # special operations are risk parameters: analysts only
    assert analyst.get("/v1/operations").status_code == 200 and analyst.get("/v1/trends").status_code == 200
    # rosters: every reader reads them and utilisation, only analysts put them, the clearance system neither
    for reader in (investigator, auditor, analyst):
        assert reader.get("/v1/utilisation").status_code == 200
    for other in (investigator, auditor, clearance):
        assert other.put("/v1/roster/Qingdao", json={"officers": []}).status_code == 403
    assert clearance.get("/v1/utilisation").status_code == 403
    assert analyst.put("/v1/roster/Shanghai", json={"officers": [{"officer": "a", "hours": 25}]}).status_code == 422
    for other in (clearance, investigator, auditor):
        assert other.get("/v1/operations").status_code == 403 and other.get("/v1/trends").status_code == 403
        assert other.post("/v1/operations", json={}).status_code == 403
    # intelligence: investigators, auditors and analysts read and record it, the clearance system neither
    assert clearance.get("/v1/intel").status_code == 403 and clearance.post("/v1/intel", json={}).status_code == 403
    for reader in (investigator, auditor, analyst):
        assert reader.get("/v1/intel").status_code == 200
        assert reader.post("/v1/intel", json={}).status_code == 422  # let through; the body is what is wrong
    assert analyst.post("/v1/intel/INT-unknown/withdraw").status_code == 404
    refused = investigator.post("/v1/score", json={})
    assert refused.json()["error"] == {"code": "forbidden", "message": "role investigator may not change /v1/score"}


def test_a_sub_centre_key_sees_only_enterprises_lodged_in_its_districts(explore_server):
    server, summary = explore_server
    ring = summary["top_networks"][0]["id"]
    qingdao = server.client_as("investigator", "SC-QINGDAO")
    shanghai = server.client_as("investigator", "Shanghai Parameter Sub-centre")

    outside = qingdao.get("/v1/enterprises/SHELL1")
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "outside_jurisdiction"
    for path in ("/v1/enterprises/SHELL1/network", "/v1/enterprises/SHELL1/timeline", "/v1/enterprises/SHELL1/chart"):
        assert qingdao.get(path).status_code == 403, path
    assert qingdao.get(f"/v1/networks/{ring}").status_code == 403
    assert qingdao.get(f"/v1/networks/{ring}/chart").status_code == 403
    assert qingdao.get("/v1/paths", params={"from": "SHELL1", "to": "HONEST2"}).status_code == 403
    assert qingdao.get("/v1/enterprises/HONEST2").status_code == 200
    assert qingdao.get("/v1/enterprises/NOBODY").status_code == 404  # unknown stays unknown, not forbidden
    assert qingdao.get("/v1/search", params={"q": "shell"}).json()["items"] == []
    assert ring not in [n["id"] for n in qingdao.get("/v1/networks").json()["items"]]

    assert shanghai.get("/v1/enterprises/SHELL1").status_code == 200
    assert shanghai.get(f"/v1/networks/{ring}").status_code == 200
    assert {n["id"] for n in shanghai.get("/v1/search", params={"q": "shell"}).json()["items"]} == {
        "SHELL1",
        "SHELL2",
        "SHELL3",
    }
    assert ring in [n["id"] for n in shanghai.get("/v1/networks").json()["items"]]
    district = server.client_as("investigator", "Qingdao")  # a district key: the same rule, narrower
    assert district.get("/v1/enterprises/HONEST2").status_code == 200
    assert district.get("/v1/enterprises/HONEST1").status_code == 403


def test_an_analyst_changes_only_its_own_sub_centres_rules_and_a_second_one_approves(explore_server):
    server, _ = explore_server
    huangpu = server.client_as("analyst", "SC-HUANGPU")
    qingdao = server.client_as("analyst", "SC-QINGDAO")

    forged = huangpu.post("/v1/rules", json={**RULE, "changed_by": "someone else"})
    assert forged.status_code == 422 and "set from the API key" in forged.json()["error"]["message"]
    proposed = huangpu.post("/v1/rules", json=RULE)
    assert proposed.status_code == 202, proposed.text
    change = proposed.json()
    assert proposed.headers["location"] == f"/v1/rules/changes/{change['id']}"
    assert change["proposed_by"] == "test-analyst" and change["rule_id"] == "huangpu-phones"
    assert "huangpu-phones" not in [r["id"] for r in huangpu.get("/v1/rules").json()["data"]]  # not yet in force
    own = huangpu.post(f"/v1/rules/changes/{change['id']}/approve")
    assert own.status_code == 403 and "someone else approves it" in own.json()["error"]["message"]
    foreign_approval = qingdao.post(f"/v1/rules/changes/{change['id']}/approve")
    assert foreign_approval.status_code == 403
    assert change["id"] not in [c["id"] for c in qingdao.get("/v1/rules/changes").json()["data"]]

    foreign = qingdao.post("/v1/rules", json={**RULE, "id": "qingdao-try"})
    assert foreign.status_code == 403 and "acts for SC-QINGDAO" in foreign.json()["error"]["message"]
    assert "huangpu-phones" not in [r["id"] for r in qingdao.get("/v1/rules").json()["data"]]


def test_four_eyes_the_key_names_who_changed_and_who_approved(explore_server):
    server, _ = explore_server
    li = server.client_as("analyst", "SC-SHANGHAI")
    wang = server.client_as("analyst", "SC-SHANGHAI")
    qingdao = server.client_as("analyst", "SC-QINGDAO")
    rule = {**RULE, "id": "shanghai-shirts", "owner": "SC-SHANGHAI"}
    change = li.post("/v1/rules", json=rule).json()
    # another key with the same name is the same person: the name, not just the key, is compared
    assert wang.post(f"/v1/rules/changes/{change['id']}/approve").status_code == 403
    admin = server.client
    approved = admin.post(f"/v1/rules/changes/{change['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["changed_by"], approved.json()["approved_by"], approved.json()["version"]) == (
        "test-analyst",
        "test-admin",
        1,
    )
    assert "shanghai-shirts" in [r["id"] for r in li.get("/v1/rules").json()["data"]]
    assert li.post(f"/v1/rules/changes/{change['id']}/approve").status_code == 404  # applied once

    taking = qingdao.post("/v1/rules/shanghai-shirts/disable", json={"acting_for": "SC-QINGDAO"})
    assert taking.status_code == 403  # another sub-centre's rule: forbidden, not a validation error
    taking = admin.post("/v1/rules/shanghai-shirts/disable", json={"acting_for": "SC-QINGDAO"})
    assert taking.status_code == 403 and taking.json()["error"]["code"] == "forbidden"
    assert li.post("/v1/rules/shanghai-shirts/disable", json={"changed_by": "x"}).status_code == 422
    off = li.post("/v1/rules/shanghai-shirts/disable")
    assert off.status_code == 202
    done = admin.post(f"/v1/rules/changes/{off.json()['id']}/approve").json()
    assert (done["enabled"], done["version"], done["changed_by"], done["approved_by"]) == (
        False,
        2,
        "test-analyst",
        "test-admin",
    )


def test_the_audit_log_says_who_read_or_changed_what(explore_server, rg_env):
    server, _ = explore_server
    reader = server.client_as("auditor", "SC-QINGDAO")
    assert reader.get("/v1/enterprises/HONEST2").status_code == 200
    assert reader.get("/v1/enterprises/SHELL2").status_code == 403
    opened = reader.post("/v1/cases", json={"enterprise_id": "HONEST2", "title": "duty check", "kind": "audit"})
    assert opened.status_code == 201, opened.text
    case = opened.json()["id"]

    entries = server.client.get("/v1/audit", params={"key": reader.key_id}).json()["items"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/cases", 201),
        ("GET", "/v1/enterprises/SHELL2", 403),
        ("GET", "/v1/enterprises/HONEST2", 200),
    ]
    assert entries[0]["created"] == f"/v1/cases/{case}"
    assert entries[2]["resources"] == {"enterprise": "HONEST2"} and entries[2]["role"] == "auditor"
    assert entries[2]["route"] == "/v1/enterprises/{enterprise_id}" and entries[2]["at"].startswith("20")
    about = server.client.get("/v1/audit", params={"resource": "SHELL2"}).json()["items"]
    assert reader.key_id in [e["key"] for e in about]

    env = {**rg_env, "RISKGRAPH_HOME": str(server.home)}
    lines = run_cli(env, "audit", "--key", reader.key_id, "--json").stdout.strip().splitlines()
    assert [json.loads(line)["status"] for line in lines] == [201, 403, 200]


def test_a_limited_admin_reads_only_its_jurisdictions_audit_entries(explore_server):
    """Search terms typed by another centre's key, and entries naming firms outside, are left out."""
    server, _ = explore_server
    shanghai = server.client_as("investigator", "SC-SHANGHAI")
    qingdao = server.client_as("investigator", "SC-QINGDAO")
    assert shanghai.get("/v1/search", params={"q": "harbourterm"}).status_code == 200
    assert qingdao.get("/v1/search", params={"q": "qingdaoterm"}).status_code == 200
    assert server.client.get("/v1/enterprises/SHELL2").status_code == 200  # a Shanghai firm

    seen = {}
    for office in ("SC-QINGDAO", "SC-SHANGHAI"):
        entries = server.client_as("admin", office).get("/v1/audit", params={"limit": 10_000}).json()["items"]
        seen[office] = json.dumps(entries)
    assert "qingdaoterm" in seen["SC-QINGDAO"] and "harbourterm" not in seen["SC-QINGDAO"]
    assert "SHELL2" not in seen["SC-QINGDAO"] and "outside jurisdiction" not in seen["SC-QINGDAO"]
    assert "harbourterm" in seen["SC-SHANGHAI"] and "qingdaoterm" not in seen["SC-SHANGHAI"]
    assert "/v1/enterprises/SHELL2" in seen["SC-SHANGHAI"]
    whole = json.dumps(server.client.get("/v1/audit", params={"limit": 10_000}).json())
    assert "harbourterm" in whole and "qingdaoterm" in whole  # an unlimited admin reads everything


def test_keys_from_the_cli_are_hashed_scoped_and_revocable(explore_server, rg_env):
    server, _ = explore_server
    env = {**rg_env, "RISKGRAPH_HOME": str(server.home)}
    made = run_cli(env, "keys", "create", "--role", "investigator", "--jurisdiction", "Qingdao", "--name", "wang")
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("rg_") and secret not in (server.home / "keys.json").read_text()
    client = httpx.Client(base_url=server.url, headers={"X-API-Key": secret}, timeout=30)
    assert client.get("/v1/enterprises/HONEST2").status_code == 200
    assert client.get("/v1/enterprises/SHELL1").status_code == 403

    listed = json.loads(run_cli(env, "keys", "list", "--json").stdout)
    mine = next(k for k in listed if k["name"] == "wang")
    assert mine["jurisdiction"] == "CD-QINGDAO" and "hash" not in mine
    run_cli(env, "keys", "revoke", mine["id"])
    time.sleep(1.2)  # the server re-reads the key file at most once a second
    assert client.get("/v1/enterprises/HONEST2").status_code == 401

    for bad in (["--role", "boss"], ["--role", "analyst"], ["--role", "analyst", "--jurisdiction", "Atlantis"]):
        refused = run_cli(env, "keys", "create", *bad, check=False)
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1 and "error:" in refused.stderr, bad
