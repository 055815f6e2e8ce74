"""New firms at lodging over real HTTP: an importer the graph does not know, tied to a ring, goes to physical
inspection; an honest one, or a tenant of a busy address, is not held; the new-firm policy of a sub-centre
changes that only once someone other than its proposer approves it.

Uses ``trained`` (tests/scoring_setup.py: 6,000 generated declarations, seed 3, analysed and trained on) with a
copy of its home and the sample in the graph. Ring firms are the generator's (``truth/rings.csv``): each ring
member's first declaration is lodged again by a new firm (a new id and name) that keeps the member's address,
phone and representative, as a ring's next shell company would; the same declarations without those party
fields are the comparison. Honest new firms lodge honest importers' first declarations with party fields of
their own; business-centre tenants give the busiest address in the graph. All lodge through ordinary
intermediaries (the busiest seller and broker of honest importers, their median price, no transit), so only
the party fields can tie a ring firm to its ring.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.reference import jurisdiction, resolve_office, sub_centres
from ingest.validate import validate
from tests.scoring_setup import home_copy

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture

PARTY = ("importer_name", "importer_address", "importer_phone", "importer_legal_rep")
_OUTCOMES = ("inspected", "violation", "violation_type", "revenue_recovered")
BUSIEST_ADDRESS = """
MATCH (a:Address)<-[:HAS_ADDRESS]-(e:Enterprise)
WITH a, count(e) AS firms ORDER BY firms DESC, a.key LIMIT 1
RETURN a.text AS text, firms
"""
PHYSICAL = "physical inspection"


def _valid(path) -> pd.DataFrame:
    """The rows of a generated file that ingest stores (the generator plants bad ones too)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return raw[raw["declaration_id"].isin(validate(raw, path.name)[0]["declaration_id"])]


def _rows(frame: pd.DataFrame) -> list[dict]:
    frame = frame.drop(columns=[c for c in _OUTCOMES if c in frame.columns])
    return [{k: v for k, v in r.items() if v != ""} for r in frame.to_dict("records")]


def _intermediaries(honest: pd.DataFrame):
    """A function lodging rows as an ordinary newcomer would: through the busiest seller and broker of ``honest``
    importers' declarations, at their median unit value of the goods, shipped from the origin with no transit
    and no consignment shared."""
    seller = honest[honest["seller_id"] == honest["seller_id"].value_counts().index[0]].iloc[0]
    broker = honest["declarant_id"].value_counts().index[0]
    fields = {k: seller[k] for k in ("seller_id", "seller_name", "seller_country")} | {"declarant_id": broker}
    unit = pd.to_numeric(honest["value"], errors="coerce") / pd.to_numeric(honest["net_mass"], errors="coerce")
    fair = unit.groupby([honest["hs_code"], honest["currency"]]).median()

    def lodge(rows: list[dict]) -> list[dict]:
        out = []
        for r in rows:
            row = {k: v for k, v in r.items() if k not in ("consignment_id", "transit_ports")}
            row.update(fields, departure_country=r.get("origin_country"))
            price, mass = (
                fair.get((r.get("hs_code"), r.get("currency"))),
                pd.to_numeric(r.get("net_mass"), errors="coerce"),
            )
            if price == price and price is not None and mass == mass and mass:
                row["value"] = f"{price * mass:.2f}"
            out.append(row)
        return out

    return lodge


@pytest.fixture(scope="module")
def setup(trained, reload_graph, start_server, tmp_path_factory, driver):
    env, sample, _ = trained
    env = home_copy(env, tmp_path_factory.mktemp("new-firms-home"))
    reload_graph(env, sample)
    frame = pd.concat([_valid(p) for p in sorted(sample.glob("declarations-*.csv"))])
    frame = frame[frame["importer_id"] != ""].sort_values(["date", "declaration_id"])
    first = frame.drop_duplicates("importer_id")
    rings = pd.read_csv(sample / "truth" / "rings.csv", dtype=str)
    ring_firms = set(rings.loc[rings["role"] == "importer", "enterprise_id"])
    planted = set(pd.read_csv(sample / "truth" / "enterprises.csv", dtype=str)["enterprise_id"])
    ordinary = _intermediaries(frame[~frame["importer_id"].isin(planted)])
    ring = ordinary(_rows(first[first["importer_id"].isin(ring_firms)]))
    for i, row in enumerate(ring):  # the ring's next shell company: new id and name, the ring's identifiers
        row.update(declaration_id=f"NF-RING-{i}", importer_id=f"NEWRING{i:04d}", importer_name=f"Xinyuan {i} Trading")
    honest = ordinary(_rows(first[~first["importer_id"].isin(planted)].head(120)))
    for i, row in enumerate(honest):  # a new honest firm: identifiers nobody else uses
        row.update(
            declaration_id=f"NF-HONEST-{i}",
            importer_id=f"NEWHONEST{i:04d}",
            importer_name=f"Honest Newco {i} Import Co Ltd",
            importer_address=f"Room {100 + i}, No. {7 + i} Qinglan Road, Suzhou",
            importer_phone=f"+86 512 6{i:03d} 4{i:03d}",
            importer_legal_rep=f"Newman {i}",
        )
    busy = driver.execute_query(BUSIEST_ADDRESS, database_="neo4j").records[0]
    centre = [
        {
            **row,
            "declaration_id": f"NF-CENTRE-{i}",
            "importer_id": f"NEWCENTRE{i:04d}",
            "importer_address": busy["text"],
        }
        for i, row in enumerate(honest[:60])
    ]
    everyone = _rows(frame.sample(600, random_state=3))
    return start_server(env), {"ring": ring, "honest": honest, "centre": centre, "all": everyone}, busy["firms"]


def _batch(server, rows: list[dict]) -> list[dict]:
    out = []
    for at in range(0, len(rows), 200):
        response = server.client.post("/v1/score/batch", json={"declarations": rows[at : at + 200]})
        assert response.status_code == 200, response.text
        out += response.json()["data"]
    return out


def _physical(decisions: list[dict]) -> float:
    return sum(d["channel"] == PHYSICAL for d in decisions) / len(decisions)


def _strongest(decision: dict) -> float:
    return max((x["strength"] for x in decision["links"]), default=0.0)


def _policy(decision: dict) -> dict:
    """The new-firm policy's reason: which policy, the tie through the importer's own identifiers, why."""
    return next(r for r in decision["reasons"] if r["kind"] == "new_firm")


def _without_party(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in PARTY} for r in rows]


def test_ring_firms_first_declarations_go_to_physical_inspection(setup):
    server, groups, _ = setup
    assert len(groups["ring"]) >= 10
    tied, untied = _batch(server, groups["ring"]), _batch(server, _without_party(groups["ring"]))
    assert _physical(tied) >= 0.5, [(_strongest(d), d["channel"]) for d in tied]
    assert _physical(tied) - _physical(untied) >= 0.4
    assert any(_policy(d)["tie"] >= 0.5 for d in tied)
    for decision in tied:  # the policy's bar decides: every firm whose tie reaches inspect_from (0.5) is inspected
        if _policy(decision)["tie"] >= 0.5:
            assert (
                decision["channel"] == PHYSICAL and decision["reasons"][int(decision["random"])]["kind"] == "new_firm"
            ), (decision["links"], _policy(decision))
    estimate = server.client.get("/v1/rules/new-firms").json()["estimate"]
    for decision in untied:  # no party fields: no tie, and the probability at new firms' rate at most
        assert _policy(decision)["tie"] == 0 and decision["probability"] <= estimate


def test_honest_new_firms_and_business_centre_tenants_are_not_held(setup):
    server, groups, firms_at_address = setup
    assert firms_at_address >= 10  # a busy address: the generator's business centre
    bar = 2 * _physical(_batch(server, groups["all"])) + 0.05
    honest, centre = _batch(server, groups["honest"]), _batch(server, groups["centre"])
    assert _physical(honest) <= bar and _physical(centre) <= bar
    # the busy address weighs little, however tainted its tenants: many firms share it
    assert all(x["strength"] < 0.2 for d in centre for x in d["links"] if x["identifier"] == "address")
    assert all(_policy(d)["tie"] < 0.5 for d in centre)


def _sub_centre(office: str) -> str:
    code = resolve_office(office).code
    return next(sc.code for sc in sub_centres() if code in jurisdiction(sc.code))


def test_the_policy_changes_the_channel_only_once_another_person_approves_it(setup):
    server, groups, _ = setup
    tied = [
        (row, d)
        for row, d in zip(groups["ring"], _batch(server, groups["ring"]), strict=True)
        if d["channel"] == PHYSICAL and not d["random"] and not d["rule_hits"] and _policy(d)["tie"] >= 0.5
    ]
    row, before = min(tied, key=lambda x: _policy(x[1])["tie"])
    owner = _sub_centre(row["office"])
    analyst, colleague = server.client_as("analyst", owner), server.client_as("analyst", owner)
    other = next(sc.code for sc in sub_centres() if sc.code != owner)
    assert analyst.post("/v1/rules/new-firms", json={"owner": other, "inspect_from": None}).status_code == 403
    refused = analyst.post("/v1/rules/new-firms", json={"owner": owner, "link_weight": 2})
    assert refused.status_code == 422
    policy = {"owner": owner, "inspect_from": None, "link_weight": 0.3, "no_history_probability": 0.01}
    proposed = analyst.post("/v1/rules/new-firms", json=policy)
    assert proposed.status_code == 202, proposed.text
    change = proposed.json()
    assert change["rule_id"] == "new-firms" and change["owner"] == owner
    assert server.client.post("/v1/score", json=row).json()["channel"] == PHYSICAL  # proposed, not in force
    own = analyst.post(f"/v1/rules/changes/{change['id']}/approve")
    assert own.status_code == 403 and "someone else approves it" in own.json()["error"]["message"]
    assert server.client.post("/v1/score", json=row).json()["channel"] == PHYSICAL
    approved = server.client_as("admin").post(f"/v1/rules/changes/{change['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["owner"], approved.json()["inspect_from"], approved.json()["version"]) == (owner, None, 1)
    listed = colleague.get("/v1/rules/new-firms").json()
    assert [p["owner"] for p in listed["data"]] == [owner] and listed["built_in"]["inspect_from"] == 0.5
    deadline = time.monotonic() + 10  # the server re-reads the rule file within a second
    after = server.client.post("/v1/score", json=row).json()
    while after["channel"] == PHYSICAL and time.monotonic() < deadline:
        time.sleep(0.2)
        after = server.client.post("/v1/score", json=row).json()
    assert after["channel"] != PHYSICAL and after["score"] < before["score"]
    assert (_policy(after)["policy"], _policy(after)["version"]) == (owner, 1)
    # the targets' scores follow the policy as the overall one does: capped, the links weighed at 0.3
    assert any(t["probability"] > 0.01 for t in before["targets"].values()), before["targets"]
    assert after["targets"] and all(t["probability"] <= 0.01 for t in after["targets"].values()), after["targets"]
    for name, target in after["targets"].items():
        assert target["score"] <= before["targets"][name]["score"], name
        if target["probability"] <= after["probability"]:  # its rules are among the overall score's
            assert target["score"] <= after["score"], (name, target, after["score"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_subset_of_party_fields_decides_by_the_links_it_gives(setup, data):
    """Whatever party fields a clearance system sends, a new firm's channel follows its tie to tainted firms:
    physical inspection from the bar of the policy in force, not for links below it (random selection aside)."""
    server, groups, _ = setup
    row = data.draw(st.sampled_from(groups["ring"][:20]))
    given_fields = data.draw(st.sets(st.sampled_from(PARTY)))
    decision = server.client.post(
        "/v1/score", json={k: v for k, v in row.items() if k not in set(PARTY) - given_fields}
    )
    assert decision.status_code == 200, decision.text
    d = decision.json()
    policy = _policy(d)
    if not given_fields:
        assert policy["tie"] == 0
    if "tied to known violators" in policy["detail"]:
        assert d["channel"] == PHYSICAL and policy["tie"] > 0 and _strongest(d) > 0
    elif not d["random"] and d["level"] != "high":
        assert d["channel"] != PHYSICAL
