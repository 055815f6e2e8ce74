"""Routing follows the leading risk target, end to end over real HTTP against the real Neo4j.

Uses ``trained`` (tests/scoring_setup.py) with a copy of its home. A declaration the model alone leads with tax
and sends to document check gets the valuation review of the tax route. Three risk parameters, each aimed at a
grave target and approved under four eyes, name the loading port of that target's planted scheme (Guayaquil for
cocaine in bananas, Jebel Ali for diverted dual-use goods, Mersin for counterfeits); the same declaration loaded
at one of those ports leads with that target and goes where its route says: drugs and security to physical
inspection with the search for concealment or the licence and end-use check, IPR to a hold for the rights
holder. No rule carries an instruction of its own, so each instruction comes from the target's route.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.validate import validate
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

DEPARTMENT = "GACC-DARM"
PHYSICAL, DOCUMENTS = "physical inspection", "document check"
#: grave target -> (the port its rule names, what its route's instruction says, the channel it goes to)
GRAVE = {
    "drugs": ("ECGYE", "concealment", PHYSICAL),
    "security": ("AEJEA", "licence and end-use", PHYSICAL),
    "ipr": ("TRMER", "hold", PHYSICAL),
}


def _declaration(row: dict) -> dict:
    fields = ("declaration_id", "date", "office", "importer_id", "hs_code", "value", "currency", "origin_country",
              "departure_country", "net_mass", "quantity", "transport_mode", "seller_id", "declarant_id")  # fmt: skip
    return {k: row[k] for k in fields if row.get(k)}


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("routing-home"))
    reload_graph(env, sample)
    server = start_server(env)
    raw = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str, keep_default_na=False)
    rows, _ = validate(raw, "sample")
    rows = raw[raw["declaration_id"].isin(rows["declaration_id"])].head(600)
    declarations = [_declaration(r) for r in rows.to_dict("records")]
    scored = server.client.post("/v1/score/batch", json={"declarations": declarations[:300]})
    assert scored.status_code == 200, scored.text
    scored2 = server.client.post("/v1/score/batch", json={"declarations": declarations[300:]})
    assert scored2.status_code == 200, scored2.text
    decisions = [*scored.json()["data"], *scored2.json()["data"]]
    # the model alone leads these with tax and sends them to document check (no rule, no random selection)
    taxed = [
        (row, d)
        for row, d in zip(declarations, decisions, strict=True)
        if d["leading_target"] == "tax" and d["channel"] == DOCUMENTS and not d["random"] and not d["rule_hits"]
    ]
    assert len(taxed) >= 5, [(d["leading_target"], d["channel"]) for d in decisions[:20]]

    proposer, approver = server.client_as("analyst", DEPARTMENT), server.client
    for target, (port, _, _) in GRAVE.items():
        rule = {
            "id": f"route-{target}",
            "description": f"{target} profile: goods loaded at {port}",
            "target": target,
            "weight": 0.9,
            "owner": DEPARTMENT,
            "effective_from": "2025-01-01",
            "conditions": {"port": [port]},
        }
        change = proposer.post("/v1/rules", json=rule)
        assert change.status_code == 202, change.text
        assert proposer.post(f"/v1/rules/changes/{change.json()['id']}/approve").status_code == 403
        assert approver.post(f"/v1/rules/changes/{change.json()['id']}/approve").status_code == 200
    probe = {**taxed[0][0], "declaration_id": "ROUTE-PROBE", "loading_port": GRAVE["drugs"][0]}
    deadline = time.monotonic() + 10  # the server follows the rule store within a second
    while not _score(server, probe)["rule_hits"] and time.monotonic() < deadline:
        time.sleep(0.2)
    return server, taxed


def _score(server, row: dict) -> dict:
    answer = server.client.post("/v1/score", json=row)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_tax_led_declaration_goes_to_a_valuation_review(setup):
    _, taxed = setup
    for _, d in taxed:  # as /v1/score/batch answered them
        assert d["inspection"]["source"] == "target:tax", d["inspection"]
        assert "valuation review" in d["inspection"]["instruction"], d["inspection"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_grave_target_leading_takes_the_declaration_to_its_own_route(setup, data):
    server, taxed = setup
    row, before = data.draw(st.sampled_from(taxed))
    target = data.draw(st.sampled_from(sorted(GRAVE)))
    port, says, channel = GRAVE[target]
    n = data.draw(st.integers(0, 10**6))
    d = _score(server, {**row, "declaration_id": f"{row['declaration_id']}-{target}-{n}", "loading_port": port})
    assert d["rule_hits"] == [f"route-{target}"], d["rule_hits"]
    assert d["leading_target"] == target, d["targets"]
    assert d["targets"][target]["score"] >= 90 > before["targets"][target]["score"]
    assert d["channel"] == channel, d
    assert d["inspection"]["source"] == f"target:{target}", d["inspection"]
    assert says in d["inspection"]["instruction"], d["inspection"]
    # the route is the target's own: no other target's instruction, nor the channel's default
    others = {t: s for t, (_, s, _) in GRAVE.items() if t != target}
    assert not any(s in d["inspection"]["instruction"] for s in others.values()), d["inspection"]
