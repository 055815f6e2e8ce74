"""Intelligence over real HTTP and the command line: records in the real Neo4j, hit at lodging by a running server.

Uses ``live_server`` (the trained sample, tests/scoring_setup.py) with its own copy of the home. The records
name a phone written one way and declarations write it another; new and withdrawn records reach the running
server through ``riskgraph intel load``/``withdraw`` (another process), so what is measured is the server
following the published lookouts, not the route that wrote them.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from tests.conftest import remove_intel, run_cli

pytest_plugins = ("tests.scoring_setup",)

TODAY = date.today()
GRADED = {"scale": "admiralty", "source_grade": "B", "info_grade": "2"}


def _declaration(n: int, importer: str, phone: str | None, day: date = TODAY, **extra) -> dict:
    row = {
        "declaration_id": f"INTEL-{n}",
        "date": day.isoformat(),
        "importer_id": importer,
        "hs_code": "392690",
        "value": 1200.0,
        "office": "Shanghai",
        **extra,
    }
    if phone is not None:
        row["importer_phone"] = phone
    return row


def _lookout(phone: str, target: str = "drugs", **extra) -> dict:
    return {
        "kind": "lookout",
        "target": target,
        "summary": "phone that arranged a cocaine shipment",
        "entities": [{"type": "phone", "value": phone}],
        **GRADED,
        **extra,
    }


@pytest.fixture(scope="module")
def server(live_server, driver):
    remove_intel(driver)  # the sample graph is shared with other modules: only this module's records count
    yield live_server()
    remove_intel(driver)


@pytest.fixture(scope="module")
def env(trained, server):
    """The CLI environment of the server's home (the records it loads are the server's)."""
    return {**trained[0], "RISKGRAPH_HOME": str(server.home)}


def _score(server, row: dict) -> dict:
    answer = server.client.post("/v1/score", json=row)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _until(server, row: dict, hit: bool, seconds: float = 3.0) -> tuple[dict, float]:
    """Score ``row`` until its intel hits are (or are not) there; the decision and the seconds it took."""
    started = time.monotonic()
    while True:
        decision = _score(server, row)
        if bool(decision["intel_hits"]) == hit or time.monotonic() - started > seconds:
            return decision, time.monotonic() - started
        time.sleep(0.05)


def _undrawn(server, n: int, importer: str, phone: str) -> tuple[dict, dict]:
    """A declaration the random sample leaves alone, and its decision: the sample draws 1 in 100 by the
    snapshot's salt, new on every training, and a drawn one would be inspected before any record named it."""
    for k in range(50):
        row = _declaration(n, importer, phone, declaration_id=f"INTEL-{n}-{k}")
        decision = _score(server, row)
        if not decision["random"]:
            return row, decision
    raise AssertionError("the random sample drew 50 declarations in a row")


def test_a_posted_lookout_on_a_phone_written_another_way_sends_the_next_declaration_to_physical_inspection(server):
    (mine, before), (other, other_before) = (
        _undrawn(server, 1, "NEW-FIRM-A", "021-55550101"),
        _undrawn(server, 2, "NEW-FIRM-B", "021-55550202"),
    )
    assert before["intel_hits"] == [] and other_before["intel_hits"] == []
    assert before["channel"] != "physical inspection"  # else the test could not fail

    created = server.client.post("/v1/intel", json=_lookout("+86 21 5555 0101"))
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["id"].startswith("INT-") and created.headers["Location"] == f"/v1/intel/{record['id']}"
    assert record["status"] == "active" and record["entities"] == [{"type": "phone", "value": "+86 21 5555 0101"}]

    after = _score(server, mine)  # the server that recorded it follows before it answers
    assert after["channel"] == "physical inspection" and after["level"] == "high"
    assert after["intel_hits"] == [record["id"]] and after["score"] == before["score"]  # the score is the model's
    first = after["reasons"][0]  # what decided the channel comes first
    assert first["kind"] == "intel" and first["record"] == record["id"]
    assert record["id"] in first["detail"] and "cocaine" not in json.dumps(after)  # id and target only
    untouched = _score(server, other)
    assert {k: untouched[k] for k in ("score", "channel", "intel_hits", "reasons")} == {
        k: other_before[k] for k in ("score", "channel", "intel_hits", "reasons")
    }
    again = server.client.post("/v1/intel", json=_lookout("+86 21 5555 0101"))  # the same record posted twice
    assert again.status_code == 201 and again.json()["id"] == record["id"]
    listed = server.client.get("/v1/intel", params={"kind": "lookout"}).json()
    assert [r["id"] for r in listed["data"]].count(record["id"]) == 1


def test_a_record_loaded_by_the_command_line_reaches_the_running_server_within_a_second(server, env, tmp_path):
    row = _declaration(3, "NEW-FIRM-C", "+86 (21) 5555-0303")
    assert _score(server, row)["intel_hits"] == []
    path = tmp_path / "lookouts.jsonl"
    path.write_text(json.dumps(_lookout("021 5555 0303", target="security", id="NCEN-2026-0042")) + "\n")
    loaded = json.loads(run_cli(env, "intel", "load", str(path), "--json").stdout.strip().splitlines()[-1])
    assert loaded["recorded"] == 1 and loaded["ids"] == ["NCEN-2026-0042"]
    decision, seconds = _until(server, row, hit=True)
    assert decision["intel_hits"] == ["NCEN-2026-0042"] and decision["channel"] == "physical inspection"
    assert seconds < 1.5, seconds  # checked at most once a second, plus a request's time on a busy machine

    run_cli(env, "intel", "withdraw", "NCEN-2026-0042")
    decision, seconds = _until(server, row, hit=False)
    assert decision["intel_hits"] == [] and seconds < 1.5, seconds
    withdrawn = server.client.get("/v1/intel/NCEN-2026-0042").json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_by"].endswith("(command line)")
    loaded_again = run_cli(env, "intel", "load", str(path), "--json")  # a withdrawn record stays withdrawn
    assert json.loads(loaded_again.stdout.strip().splitlines()[-1])["recorded"] == 1
    assert _until(server, row, hit=True, seconds=1.2)[0]["intel_hits"] == []


def test_an_expired_or_not_yet_valid_record_hits_nothing(server):
    past = _lookout("021-55550404", valid_from=(TODAY - timedelta(days=60)).isoformat())
    past["valid_to"] = (TODAY - timedelta(days=1)).isoformat()
    record = server.client.post("/v1/intel", json=past).json()["id"]
    assert _score(server, _declaration(4, "NEW-FIRM-D", "021-55550404"))["intel_hits"] == []
    then = _score(server, _declaration(5, "NEW-FIRM-D", "021-55550404", TODAY - timedelta(days=10)))
    assert then["intel_hits"] == [record]  # it did hit a declaration of its time: the check can fail
    future = server.client.post(
        "/v1/intel", json=_lookout("021-55550505", valid_from=(TODAY + timedelta(days=5)).isoformat())
    )
    assert future.status_code == 201
    assert _score(server, _declaration(6, "NEW-FIRM-E", "021-55550505"))["intel_hits"] == []


def test_a_tax_lookout_asks_for_a_document_check_and_never_lowers_a_channel(server):
    tax = _lookout("021-55550606", target="tax")
    tax["entities"].append({"type": "enterprise", "value": "NEW-FIRM-F"})
    record = server.client.post("/v1/intel", json=tax).json()["id"]
    by_firm = _score(server, _declaration(7, "NEW-FIRM-F", None))  # named by its code alone
    assert by_firm["intel_hits"] == [record] and by_firm["channel"] in ("document check", "physical inspection")
    both = server.client.post("/v1/intel", json=_lookout("021-55550606", target="ipr")).json()["id"]
    decision = _score(server, _declaration(8, "NEW-FIRM-G", "021 5555 0606"))
    assert decision["intel_hits"] == sorted([record, both]) and decision["channel"] == "physical inspection"


def test_a_batch_sends_each_named_declaration_to_its_channel(server):
    record = server.client.post("/v1/intel", json=_lookout("021-55550707")).json()["id"]
    rows = [_declaration(10 + i, f"NEW-FIRM-H{i}", "021-55550707" if i % 2 else "021-55550708") for i in range(4)]
    answer = server.client.post("/v1/score/batch", json={"declarations": rows})
    assert answer.status_code == 200, answer.text
    hits = [d["intel_hits"] for d in answer.json()["data"]]
    assert hits == [[], [record], [], [record]]


BAD = [
    ({"entities": [{"type": "fax", "value": "1"}]}, 422, "entities"),
    ({"entities": [{"type": "phone", "value": "call me"}]}, 422, "cannot be read as one"),
    ({"entities": []}, 422, "entities"),
    ({"source_grade": "G"}, 422, "admiralty source grade"),
    ({"scale": "5x5x5", "source_grade": "A", "info_grade": "1"}, 422, "handling code"),
    ({"scale": "5x5x5", "source_grade": "F", "info_grade": "1", "handling": "1"}, 422, "5x5x5 source grade"),
    ({"handling": "2"}, 422, "only the 5x5x5 scale"),
    ({"valid_from": "2026-05-30", "valid_to": "2026-05-01"}, 422, "before valid_from"),
    ({"target": "smuggling"}, 422, "not a risk target in force"),
    ({"kind": "rumour"}, 422, "kind"),
    ({"jurisdiction": "Atlantis"}, 422, "not a customs office"),
    ({"colour": "red"}, 422, "colour"),
]


@pytest.mark.parametrize(("change", "status", "says"), BAD)
def test_a_bad_record_is_refused_with_why_and_nothing_is_recorded(server, change, status, says):
    before = server.client.get("/v1/intel", params={"limit": 500}).json()["count"]
    answer = server.client.post("/v1/intel", json={**_lookout("021-55550909"), **change})
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]["message"] or says in json.dumps(answer.json()["error"])
    assert server.client.get("/v1/intel", params={"limit": 500}).json()["count"] == before


def test_a_bad_file_is_refused_whole_with_each_rows_number(server, env, tmp_path):
    before = server.client.get("/v1/intel", params={"limit": 500}).json()["count"]
    path = tmp_path / "mixed.csv"
    path.write_text(
        "kind,target,summary,entities,source_grade,info_grade\n"
        "lookout,drugs,good row,phone:021-55551010,A,1\n"
        "lookout,drugs,bad grade,phone:021-55551011,Z,1\n"
        "seizure,drugs,bad entity,boat:EVER GIVEN,A,1\n"
    )
    done = run_cli(env, "intel", "load", str(path), check=False)
    assert done.returncode != 0
    assert "row 3: source_grade" in done.stderr and "row 4: entities" in done.stderr and "nothing loaded" in done.stderr
    assert server.client.get("/v1/intel", params={"limit": 500}).json()["count"] == before
    assert _score(server, _declaration(20, "NEW-FIRM-J", "021-55551010"))["intel_hits"] == []


def test_a_csv_file_loads_once_however_often_it_is_loaded(server, env, tmp_path):
    path = tmp_path / "records.csv"
    path.write_text(
        "kind,target,summary,entities,source_grade,info_grade,scale,handling,valid_from\n"
        "tip,tax,under-invoiced toys,enterprise:Shanghai Huaxin Trading Co. Ltd.;phone:021-55551111,C,3,5x5x5,2,\n"
        f"lookout,security,dual-use via Dubai,consignment:MSKU1234565,B,2,admiralty,,{TODAY.isoformat()}\n"
    )
    first = json.loads(run_cli(env, "intel", "load", str(path), "--json").stdout.strip().splitlines()[-1])
    second = json.loads(run_cli(env, "intel", "load", str(path), "--json").stdout.strip().splitlines()[-1])
    assert first["ids"] == second["ids"] and first["kinds"] == {"lookout": 1, "tip": 1}
    listed = [json.loads(x) for x in run_cli(env, "intel", "list", "--json").stdout.strip().splitlines()]
    assert sum(r["id"] in first["ids"] for r in listed) == 2
    tip = next(r for r in listed if r["kind"] == "tip" and r["id"] in first["ids"])
    assert (tip["scale"], tip["source_grade"], tip["info_grade"], tip["handling"]) == ("5x5x5", "C", "3", "2")
    hit = _until(server, _declaration(21, "NEW-FIRM-K", None, consignment_id="MSKU1234565"), hit=True)[0]
    assert hit["intel_hits"] == [first["ids"][1]] and hit["channel"] == "physical inspection"
    tipped = _score(server, _declaration(22, "NEW-FIRM-L", "021-55551111"))
    assert tipped["intel_hits"] == []  # a tip-off is recorded and linked, but only lookouts hit at lodging


def test_records_are_nodes_linked_to_the_very_nodes_ingest_made(server, driver):
    found = driver.execute_query(
        "MATCH (e:Enterprise)-[:HAS_PHONE]->(p:Phone), (e)-[:HAS_ADDRESS]->(a:Address) "
        "WHERE p.number STARTS WITH '+86' AND e.name IS NOT NULL RETURN e.id AS id, e.name AS name, p.number AS phone, "
        "a.text AS address LIMIT 1",
        database_="neo4j",
    ).records[0]
    local = "0" + found["phone"][3:]  # +8621... written as a local number, 021...
    body = {
        "kind": "seizure",
        "target": "drugs",
        "summary": "cocaine in a machine part",
        "entities": [
            {"type": "phone", "value": local},
            {"type": "enterprise", "value": found["name"].upper()},
            {"type": "address", "value": found["address"].lower()},
            {"type": "vessel", "value": "  ever   given "},
        ],
        **GRADED,
    }
    record = server.client.post("/v1/intel", json=body).json()["id"]
    linked = driver.execute_query(
        "MATCH (:Intel {id: $id})-[m:MENTIONS]->(n) RETURN labels(n)[0] AS label, m.as AS as, "
        "coalesce(n.number, n.id, n.key) AS key",
        id=record,
        database_="neo4j",
    ).records
    got = {(r["label"], r["as"], r["key"]) for r in linked}
    assert ("Phone", "phone", found["phone"]) in got and ("Enterprise", "enterprise", found["id"]) in got
    assert ("Vessel", "vessel", "EVER GIVEN") in got and any(r["label"] == "Address" for r in linked)
    phones = driver.execute_query(
        "MATCH (p:Phone {number: $n}) RETURN count(p) AS n", n=found["phone"], database_="neo4j"
    )
    assert phones.records[0]["n"] == 1  # the same node, not a second one for the other spelling


def test_a_key_sees_only_records_restricted_within_its_jurisdiction(server):
    shanghai = server.client_as("investigator", "SC-SHANGHAI")
    qingdao = server.client_as("investigator", "SC-QINGDAO")
    own = shanghai.post("/v1/intel", json=_lookout("021-55551212"))
    assert own.status_code == 201 and own.json()["jurisdiction"] == "SC-SHANGHAI"
    record = own.json()["id"]
    assert qingdao.get(f"/v1/intel/{record}").status_code == 404
    assert qingdao.post(f"/v1/intel/{record}/withdraw").status_code == 404
    assert record not in qingdao.get("/v1/intel").text
    assert shanghai.get(f"/v1/intel/{record}").status_code == 200
    assert record in server.client.get("/v1/intel").text  # the unlimited key sees it: the check can fail
    national = server.client.post("/v1/intel", json=_lookout("021-55551313")).json()["id"]
    assert shanghai.get(f"/v1/intel/{national}").status_code == 404
    refused = qingdao.post("/v1/intel", json=_lookout("021-55551414", jurisdiction="SC-SHANGHAI"))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "outside_jurisdiction"
    clearance = server.client_as("clearance-system")
    assert clearance.get("/v1/intel").status_code == 403 and clearance.post("/v1/intel", json={}).status_code == 403
    auditor = server.client_as("auditor")
    assert auditor.get("/v1/intel").status_code == 200
    assert auditor.post("/v1/intel", json=_lookout("021-55551515")).status_code == 201


def test_the_audit_log_says_who_recorded_read_and_withdrew_a_record(server):
    investigator = server.client_as("investigator")
    record = investigator.post("/v1/intel", json=_lookout("021-55551616")).json()["id"]
    assert investigator.get(f"/v1/intel/{record}").status_code == 200
    assert investigator.post(f"/v1/intel/{record}/withdraw").status_code == 200
    entries = server.client.get("/v1/audit", params={"key": investigator.key_id}).json()["items"]
    assert [(e["method"], e["route"], e["status"]) for e in entries] == [
        ("POST", "/v1/intel/{intel_id}/withdraw", 200),
        ("GET", "/v1/intel/{intel_id}", 200),
        ("POST", "/v1/intel", 201),
    ]
    assert entries[0]["resources"] == {"intel": record} and entries[2]["created"] == f"/v1/intel/{record}"


def _listed(decision: dict) -> list[tuple[str, str]]:
    return [(r["entry"], r["party"]) for r in decision["reasons"] if r["kind"] == "watchlist"]


def test_a_watchlist_variant_is_matched_at_lodging_and_in_the_graph_and_a_look_alike_is_not(
    server, env, driver, tmp_path
):
    firm = driver.execute_query(
        "MATCH (e:Enterprise) WHERE e.name CONTAINS ' ' AND (e)-[:FILED]->() RETURN e.id AS id, e.name AS name "
        "ORDER BY e.id LIMIT 1",
        database_="neo4j",
    ).records[0]
    listed_as = firm["name"].upper().replace(",", " ").replace(".", " ")  # the list spells it its own way
    lines = [
        {"id": "os-firm", "schema": "Company", "properties": {"name": [listed_as]}},
        {"id": "os-bout", "schema": "Person", "properties": {"name": ["Viktor Bout"]}},
    ]
    path = tmp_path / "opensanctions.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    loaded = json.loads(run_cli(env, "watchlist", "load", str(path), "--list", "opensanctions", "--json").stdout)
    assert loaded["entries"] == 2

    named = _declaration(30, "NEW-FIRM-W", None, importer_name=firm["name"], importer_legal_rep="BOUT, Viktor")
    started = time.monotonic()
    while not _listed(decision := _score(server, named)) and time.monotonic() - started < 3:
        time.sleep(0.05)
    assert sorted(_listed(decision)) == [("os-bout", "importer_legal_rep"), ("os-firm", "importer_name")]
    assert decision["channel"] == "physical inspection" and time.monotonic() - started < 1.5
    first, *rest = firm["name"].split(" ")
    look_alike = " ".join(["Zhenyuan" if first.lower() != "zhenyuan" else "Qiaoxin", *rest])
    other = _score(
        server, _declaration(31, "NEW-FIRM-X", None, importer_name=look_alike, importer_legal_rep="Viktor Boutin")
    )
    assert _listed(other) == []

    screened = [json.loads(x) for x in run_cli(env, "watchlist", "screen", "--json").stdout.strip().splitlines()]
    assert any(m["id"] == firm["id"] and m["entry"] == "os-firm" and m["score"] >= 0.9 for m in screened)
    assert {m["entry"] for m in screened} <= {"os-firm", "os-bout"}


def test_a_phone_only_a_record_names_is_not_found_by_search(server, driver):
    record = server.client.post("/v1/intel", json=_lookout("021-55559876")).json()["id"]
    named = driver.execute_query(
        "MATCH (:Intel {id: $id})-[:MENTIONS]->(p:Phone) RETURN p.number AS n", id=record, database_="neo4j"
    ).records
    assert [r["n"] for r in named] == ["+862155559876"]  # the node is there, linked to the record
    found = server.client_as("investigator").get("/v1/search", params={"q": "2155559876"})
    assert found.status_code == 200 and "2155559876" not in found.text
    known = driver.execute_query(
        "MATCH (:Enterprise)-[:HAS_PHONE]->(p:Phone) RETURN p.number AS n LIMIT 1", database_="neo4j"
    )
    number = known.records[0]["n"]
    assert number in server.client.get("/v1/search", params={"q": number[-8:]}).text  # a used one is found


def _alerts_of(client, record: str, seconds: float = 5.0, at_least: int = 1) -> list[dict]:
    """The alerts ``client`` sees of ``record``, waiting up to ``seconds`` for ``at_least`` of them."""
    started = time.monotonic()
    while True:
        found = [a for a in client.get("/v1/alerts").json()["data"] if a["record"] == record]
        if len(found) >= at_least or time.monotonic() - started > seconds:
            return found
        time.sleep(0.1)


def test_a_lookout_hit_at_lodging_raises_an_alert_newest_first_and_the_decision_log_names_the_record(server):
    from scoring.decision_log import DecisionLog

    shanghai, qingdao = server.client_as("investigator", "SC-SHANGHAI"), server.client_as("investigator", "SC-QINGDAO")
    record = shanghai.post("/v1/intel", json=_lookout("+86 21 5555 9191")).json()["id"]
    assert _alerts_of(shanghai, record, seconds=0) == []
    row = _declaration(40, "NEW-FIRM-Y", "021-55559191", importer_name="Lodged Trading")
    assert _score(server, row)["intel_hits"] == [record]

    [alert] = _alerts_of(shanghai, record)
    assert (alert["source"], alert["enterprise"], alert["name"], alert["declaration"], alert["office"]) == (
        "lodging",
        "NEW-FIRM-Y",
        "Lodged Trading",
        "INTEL-40",
        "CD-SHANGHAI",
    )
    assert alert["via"].startswith("phone:") and alert["via"].endswith("55559191") and alert["status"] == "new"
    assert record in alert["why"] and "INTEL-40" in alert["why"] and "NEW-FIRM-Y" in alert["why"]
    _score(server, {**row, "declaration_id": "INTEL-41"})  # the same firm again: already linked, no second alert
    _score(server, _declaration(42, "NEW-FIRM-Z", "+86 21 5555 9191"))  # another firm: a new one
    assert _score(server, _declaration(44, "NEW-FIRM-Z", "021-55559192"))["intel_hits"] == []
    both = _alerts_of(shanghai, record, at_least=2)
    assert [a["enterprise"] for a in both] == ["NEW-FIRM-Z", "NEW-FIRM-Y"]  # newest first
    assert shanghai.get("/v1/alerts").json()["data"][0]["enterprise"] == "NEW-FIRM-Z"

    assert record not in qingdao.get("/v1/alerts").text  # outside the record's restriction: no trace
    assert qingdao.post(f"/v1/alerts/{alert['id']}/acknowledge").status_code == 404
    seen = shanghai.post(f"/v1/alerts/{alert['id']}/acknowledge")
    assert seen.status_code == 200 and seen.json()["status"] == "acknowledged"

    log = DecisionLog(server.home)
    try:
        logged = log.find(["INTEL-40", "INTEL-42", "INTEL-44"])
    finally:
        log.close()
    assert logged["INTEL-40"]["intel_hits"] == [record] and logged["INTEL-42"]["intel_hits"] == [record]
    assert logged["INTEL-44"]["intel_hits"] == []  # named by no lookout


def test_a_key_outside_a_records_restriction_sees_no_trace_of_it_in_paths_charts_or_alerts(server, driver):
    firm = driver.execute_query(
        "MATCH (o:CustomsOffice {code: 'CD-SHANGHAI'})<-[:LODGED_AT]-(:Declaration)<-[:FILED]-(e:Enterprise)"
        "-[:HAS_PHONE]->(p:Phone) RETURN e.id AS id, p.number AS phone LIMIT 1",
        database_="neo4j",
    ).records[0]
    national = server.client.post("/v1/intel", json=_lookout(firm["phone"])).json()["id"]  # unlimited keys only
    only_named = server.client.post("/v1/intel", json=_lookout("021-55554321")).json()["id"]
    shanghai = server.client_as("investigator", "SC-SHANGHAI")
    assert shanghai.get(f"/v1/intel/{national}").status_code == 404

    # a phone only the record names answers /v1/paths as a phone nobody has: its node's existence says nothing
    named = shanghai.get("/v1/paths", params={"from": "Phone:+862155554321", "to": firm["id"]})
    nobody = shanghai.get("/v1/paths", params={"from": "Phone:+862155554320", "to": firm["id"]})
    assert named.status_code == nobody.status_code == 404
    assert named.json()["error"]["code"] == nobody.json()["error"]["code"] == "not_found"
    assert server.client.get("/v1/paths", params={"from": "Phone:+862155554321", "to": firm["id"]}).status_code == 404

    lodged = _score(server, _declaration(43, firm["id"], firm["phone"]))  # a hit at lodging: the firm is alerted
    assert lodged["intel_hits"] == [national] and _alerts_of(server.client, national)[0]["enterprise"] == firm["id"]
    for answer in (
        shanghai.get(f"/v1/enterprises/{firm['id']}/chart"),
        shanghai.get(f"/v1/enterprises/{firm['id']}/network"),
        shanghai.get("/v1/paths", params={"from": f"Phone:{firm['phone']}", "to": firm["id"]}),
        shanghai.get("/v1/alerts"),
    ):
        assert answer.status_code == 200, answer.text
        assert national not in answer.text and only_named not in answer.text
