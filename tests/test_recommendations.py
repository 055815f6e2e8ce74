"""Policy recommendations (``investigate.recommendations``) on a hand-built year whose right answers are obvious:
transformers (HS 850440) under-valued a third of the time, medicines (heading 3004) without a licence hitting, a
Qingdao office whose 200 inspections find nothing; T-shirts (610910) clean enough to propose nothing."""

from __future__ import annotations

import pandas as pd

from graph.reference import jurisdiction
from investigate.report import analysis_report
from tests.conftest import run_cli
from visualizations.report import render_report


def _rows() -> pd.DataFrame:
    rows = []

    def add(n, hs, office, unit, licence="", violation=0, vtype=""):
        for _ in range(n):
            i = len(rows)
            rows.append(
                {
                    "declaration_id": f"REC-{i:04d}",
                    "date": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}",
                    "importer_id": f"IMP-{i % 17}",
                    "hs_code": hs,
                    "office": office,
                    "value": unit * 100,
                    "net_mass": 100,
                    "currency": "USD",
                    "licence_ids": licence,
                    "inspected": 1,
                    "violation": violation,
                    "violation_type": vtype,
                }
            )

    add(20, "8504401000", "CD-SHANGHAI", 10.0, licence="CCC-1")
    add(10, "8504401000", "CD-SHANGHAI", 2.0, licence="CCC-1", violation=1, vtype="Under-valuation")
    add(12, "3004900000", "CD-SHANGHAI", 50.0)
    add(8, "3004900000", "CD-SHANGHAI", 50.0, violation=1, vtype="unlicensed medicine")
    add(20, "3004900000", "CD-SHANGHAI", 50.0, licence="MED-9")
    add(39, "6109100000", "CD-SHANGHAI", 4.0, licence="TX-1")
    add(1, "6109100000", "CD-SHANGHAI", 4.0, licence="TX-1", violation=1, vtype="misclassification")
    add(200, "6109100000", "CD-QINGDAO", 4.0, licence="TX-1")
    return pd.DataFrame(rows)


def test_findings_become_proposals_with_their_evidence(empty_graph, rg_env, tmp_path):
    _rows().to_csv(tmp_path / "year.csv", index=False)
    run_cli({**rg_env, "RISKGRAPH_HOME": str(tmp_path / "home")}, "ingest", str(tmp_path / "year.csv"))
    found = analysis_report(empty_graph, "neo4j", tmp_path / "home")["recommendations"]
    by_kind = {(r["kind"], r["subject"]): r for r in found}
    assert set(by_kind) == {
        ("reference price", "HS 850440"),
        ("licence requirement", "HS heading 3004"),
        ("procedure change", "Qingdao Customs"),
    }, sorted(by_kind)
    price = by_kind[("reference price", "HS 850440")]
    assert price["proposal"] == "set a reference price of 10.00 USD/kg for HS 850440"
    assert price["evidence"].items() >= {"inspected": 30, "under_valued": 10, "under_valued_unit_value": 2.0}.items()
    licence = by_kind[("licence requirement", "HS heading 3004")]["evidence"]
    assert (licence["inspected_without_licence"], licence["hits_without_licence"]) == (20, 8)
    assert licence["hit_rate_with_licence"] == 0.0
    office = by_kind[("procedure change", "Qingdao Customs")]
    assert "less than half" in office["proposal"] and office["evidence"]["inspected"] == 200
    # a key of the Qingdao sub-centre sees its own office's findings only: nothing hits there
    qingdao = frozenset(jurisdiction("SC-QINGDAO"))
    assert analysis_report(empty_graph, "neo4j", tmp_path / "home", districts=qingdao)["recommendations"] == []
    # the report's page shows each proposal
    page = render_report(analysis_report(empty_graph, "neo4j", tmp_path / "home"))
    assert "Policy recommendations" in page and "require a licence or certificate for HS heading 3004" in page
