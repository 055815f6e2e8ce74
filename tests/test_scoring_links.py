"""The identifier index on hand-built firms whose right answer is obvious, and on minimal data in the real Neo4j."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from columnar.store import DeclarationStore
from graph.runs import shown_run
from ingest.pipeline import ingest_files
from ingest.writer import GraphWriter
from scoring.graph_read import read_declarations, read_enterprises, read_link_index, reading_started
from scoring.links import build_link_index, declaration_identifiers
from scoring.violator_journal import ViolatorEvent, ViolatorJournal

NO_CASES = pd.DataFrame(columns=["enterprise", "case_id", "closed"])


def _index(links: list[tuple[str, str, str]], violators=(), cases=NO_CASES, risk=None):
    frame = pd.DataFrame(links, columns=["enterprise", "kind", "key"])
    firms = sorted(set(frame["enterprise"]))
    enterprises = pd.DataFrame({"id": firms, "risk": [(risk or {}).get(f, 0.0) for f in firms], "network_id": None})
    violations = pd.DataFrame({"importer_id": [v for v, _ in violators], "date": [d for _, d in violators]})
    return build_link_index(
        frame, enterprises, violations, cases, [(12, "anti-smuggling", 88.0)], as_of=date(2026, 6, 1), read_at=""
    )


RING = [("V1", "phone", "2155550101"), ("R2", "phone", "2155550101"), ("R3", "legal_rep", "LI WEI")]
CENTRE = [(f"H{i}", "address", "BLDG CENTRE NO8") for i in range(60)]


def test_a_phone_shared_with_a_violator_weighs_more_than_a_busy_address():
    index = _index([*RING, *CENTRE, ("V1", "address", "BLDG CENTRE NO8")], violators=[("V1", "2026-03-02")])
    phone, [link] = index.evidence("NEW", [("phone", "2155550101")])
    address, _ = index.evidence("NEW", [("address", "BLDG CENTRE NO8")])
    assert link["with"][0] == "V1" and link["firms"] == 2 and link["violators"] == 1
    assert link["detail"] == "shares phone 2155550101 with 2 firms; 1 known violator (latest 2026-03-02)"
    assert phone > 0.5 and address < phone / 3
    both, links = index.evidence("NEW", [("phone", "2155550101"), ("address", "BLDG CENTRE NO8")])
    assert both == pytest.approx(1 - (1 - phone) * (1 - address)) and links[0]["identifier"] == "phone"


def test_a_firm_is_not_linked_to_itself_and_known_links_count_only_news():
    index = _index(RING, violators=[("V1", "2026-03-02")])
    assert index.evidence("R2", [("phone", "2155550101")]) == (0.0, [])  # in its analysed risk already
    assert index.evidence("V1", [("phone", "2155550101")]) == (0.0, [])  # R2 is no violator
    assert index.mark_violator("R2", date(2026, 6, 2), case_id="CASE-2026-000041")
    risk, [link] = index.evidence("V1", [("phone", "2155550101")])
    assert risk > 0.5 and link["cases"] == ["CASE-2026-000041"] and "case CASE-2026-000041" in link["detail"]
    assert not index.mark_violator("UNKNOWN", date(2026, 6, 2))


def test_honest_firms_without_risk_give_no_link():
    index = _index([("H1", "phone", "111111"), ("H2", "phone", "111111")])
    assert index.evidence("NEW", [("phone", "111111"), ("phone", "999999")]) == (0.0, [])
    index.mark_violator("H2", date(2026, 6, 2))  # the look-up's shortcut past clean groups must learn it
    risk, [link] = index.evidence("NEW", [("phone", "111111")])
    assert risk > 0.5 and link["with"][0] == "H2" and link["violators"] == 1


def test_identifiers_come_from_the_ingest_normalisers():
    raw = {"importer_phone": "0086-21-5555-0101", "importer_address": "Rm 12, No. 8 Huaihai Rd", "declarant_id": " B1 "}
    found = dict(declaration_identifiers(raw))
    assert found["phone"] == "+862155550101" and found["declarant"] == "B1"
    assert found["address"] == declaration_identifiers({"importer_address": "ROOM 12 NO 8 HUAIHAI ROAD"})[0][1]
    assert declaration_identifiers({"importer_phone": "  ", "hs_code": "851713"}) == []


def test_journal_applies_only_what_came_after_the_snapshot_read(tmp_path):
    journal = ViolatorJournal(tmp_path)
    journal.append([ViolatorEvent("R2", "2026-06-02", declaration="D1")])
    index = _index(RING)
    index.read_at = "9999"  # a snapshot read after that line: already in the graph it read
    assert journal.apply(index) == journal.size() and not index.fresh
    index.read_at = ""
    journal.append([ViolatorEvent("R3", "2026-06-03", case="CASE-2026-000007")])
    assert journal.apply(index) == journal.size() and index.fresh == {index.row_of["R2"], index.row_of["R3"]}
    assert index.cases[index.row_of["R3"]] == (("CASE-2026-000007", "2026-06-03"),)


def test_minimal_data_gives_an_empty_index(empty_graph, tmp_path):
    """Another administration's file: no names, addresses, phones, sellers, brokers or consignments."""
    rows = [
        {"declaration_id": f"M{i}", "date": f"2026-01-{1 + i % 28:02d}", "importer_id": f"IMP{i % 7}",
         "hs_code": "851713", "value": 100 + i, "violation": int(i % 5 == 0), "inspected": 1}
        for i in range(60)
    ]  # fmt: skip
    pd.DataFrame(rows).to_csv(tmp_path / "minimal.csv", index=False)
    ingest_files([tmp_path / "minimal.csv"], GraphWriter(empty_graph, "neo4j"), tmp_path / "quarantine")
    declarations = read_declarations(empty_graph, "neo4j", DeclarationStore(tmp_path / "home"))
    run = shown_run(empty_graph, "neo4j")
    enterprises = read_enterprises(empty_graph, "neo4j", run)
    index = read_link_index(empty_graph, "neo4j", declarations, enterprises, reading_started(), run)
    assert len(index) == 0 and len(declarations) == 60
    assert index.evidence("IMP1", declaration_identifiers({"importer_id": "NEW"})) == (0.0, [])
