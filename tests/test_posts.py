"""The post level under districts, and rules owned by a district for its own offices.

An offices file may place risk posts under a district: they fall within the district's and its sub-centre's
jurisdiction, take capacity and rosters, and a post under anything but a district is refused. A district owns
rules and operations for its own offices (itself and its posts): a rule aimed at an office outside them is
refused, its scope is the district and its posts, and only the district, its sub-centre or the department may
change it. Over real HTTP: a district analyst proposes a rule, another analyst of that district approves it (one
of a neighbouring district may not), and the rule hits declarations lodged at the district's post and not at a
neighbouring district.
"""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest

from graph.reference import OfficesError, jurisdiction, load_offices, sub_centre_of
from scoring.capacity import CapacityTable
from scoring.roster import Rosters, parse_duty
from scoring.rule_store import RuleForbidden, _check_owner_of
from scoring.rules import RuleError, office_scope, parse_rule
from tests.conftest import run_cli

pytest_plugins = ("tests.scoring_setup",)

OFFICES = "code,name,kind,parent\nP-QD-PORT,Qingdao Port Post,post,CD-QINGDAO\nP-QD-AIR,Qingdao Airport Post,post,CD-QINGDAO\n"
RULE = {
    "id": "qingdao-district-garments",
    "description": "garments at the Qingdao district's offices",
    "target": "tax",
    "weight": 1.0,
    "owner": "CD-QINGDAO",
    "effective_from": "2024-01-01",
    "conditions": {"hs_prefix": ["61"]},
}


@pytest.fixture
def posts(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKGRAPH_HOME", str(tmp_path))
    (tmp_path / "offices.csv").write_text(OFFICES)
    load_offices(tmp_path / "offices.csv")
    return tmp_path


def test_posts_sit_under_a_district_in_its_sub_centre_s_jurisdiction(posts):
    assert {"P-QD-PORT", "P-QD-AIR"} <= jurisdiction("CD-QINGDAO") and "P-QD-PORT" in jurisdiction("SC-QINGDAO")
    assert "P-QD-PORT" not in jurisdiction("CD-TIANJIN") and sub_centre_of("P-QD-PORT") == "SC-QINGDAO"
    assert CapacityTable(posts).set("Qingdao Port Post", 4)[0] == "P-QD-PORT"
    rosters = Rosters(posts)
    rosters.replace([parse_duty("P-QD-PORT", date(2026, 3, 2), "post-officer", hours=6)])
    assert rosters.inspector_hours("P-QD-PORT", date(2026, 3, 2)) == 6.0
    rosters.close()
    (posts / "bad.csv").write_text("code,name,kind,parent\nP-BAD,Bad Post,post,SC-QINGDAO\n")
    with pytest.raises(OfficesError, match="post 'P-BAD' must have a district as its parent"):
        load_offices(posts / "bad.csv")


def test_a_district_owns_rules_for_its_own_offices_only(posts):
    rule = parse_rule({**RULE, "offices": ["P-QD-PORT"], "changed_by": "li"})
    assert rule.owner == "CD-QINGDAO" and rule.offices == ["P-QD-PORT"]
    assert office_scope("CD-QINGDAO", []) == frozenset({"CD-QINGDAO", "P-QD-PORT", "P-QD-AIR"})
    with pytest.raises(RuleError, match="CD-TIANJIN is outside the jurisdiction of CD-QINGDAO"):
        parse_rule({**RULE, "offices": ["Tianjin"], "changed_by": "li"})
    with pytest.raises(RuleError, match="not the department, a sub-centre or a district"):
        parse_rule({**RULE, "owner": "P-QD-PORT", "changed_by": "li"})  # a post owns nothing
    for acting in ("CD-QINGDAO", "SC-QINGDAO", "GACC-DARM"):
        _check_owner_of("rule", "CD-QINGDAO", acting)
    for acting in ("CD-TIANJIN", "SC-SHANGHAI", "P-QD-PORT"):
        with pytest.raises(RuleForbidden):
            _check_owner_of("rule", "CD-QINGDAO", acting)


def _analyst(server, office: str, name: str) -> httpx.Client:
    """A client with an analyst key of its own name (four eyes compare names)."""
    from api.keys import KeyStore

    _, secret = KeyStore(server.home).create("analyst", office, name=name)
    client = httpx.Client(base_url=server.url, timeout=60, headers={"X-API-Key": secret})
    server._clients.append(client)  # closed with the server
    return client


def test_a_district_s_rule_is_proposed_approved_and_hits_at_its_post_over_http(live_server, trained):
    env, *_ = trained
    start = live_server
    server = start()
    (server.home / "offices.csv").write_text(OFFICES)
    run_cli(
        {**env, "RISKGRAPH_HOME": str(server.home)}, "offices", "load", str(server.home / "offices.csv"), "--extend"
    )
    li, wang = (_analyst(server, "CD-QINGDAO", name) for name in ("analyst li", "analyst wang"))
    neighbour = server.client_as("analyst", "CD-TIANJIN")
    assert neighbour.post("/v1/rules", json=RULE).status_code == 403
    assert li.post("/v1/rules", json={**RULE, "owner": "SC-QINGDAO"}).status_code == 403  # not above itself
    proposed = li.post("/v1/rules", json=RULE)
    assert proposed.status_code == 202, proposed.text
    change = proposed.json()["id"]
    assert neighbour.post(f"/v1/rules/changes/{change}/approve").status_code == 403
    assert change not in [c["id"] for c in neighbour.get("/v1/rules/changes").json()["data"]]
    assert li.post(f"/v1/rules/changes/{change}/approve").status_code == 403  # four eyes
    approved = wang.post(f"/v1/rules/changes/{change}/approve")
    assert approved.status_code == 200, approved.text
    assert RULE["id"] in [r["id"] for r in server.client_as("analyst", "SC-QINGDAO").get("/v1/rules").json()["data"]]
    clearance = server.client_as("clearance-system")
    body = {"declaration_id": "POST-1", "importer_id": "NEW-FIRM-1", "hs_code": "610910", "value": 1000,
            "origin_country": "CN", "date": "2026-03-02"}  # fmt: skip
    for _ in range(20):  # every worker reads the rules within a second
        at_post = clearance.post("/v1/score", json={**body, "office": "P-QD-PORT"}).json()
        if RULE["id"] in at_post["rule_hits"]:
            break
        time.sleep(0.2)
    assert RULE["id"] in at_post["rule_hits"], at_post
    elsewhere = clearance.post("/v1/score", json={**body, "declaration_id": "POST-2", "office": "CD-TIANJIN"}).json()
    assert RULE["id"] not in elsewhere["rule_hits"]
