"""One table of reference rates: conversions, the generator's invoices, and the sums of leads, report and
performance feedback in Neo4j.

The database test builds its own tiny graph (one importer, declarations in dollars, yen and a currency
without a rate) on the session Neo4j; expected figures are computed here from those rows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.run import run_analysis
from columnar.store import DeclarationStore
from graph.currency import CURRENCY_PER_USD, to_usd, value_in_usd
from investigate.leads import rank_leads
from investigate.report import analysis_report
from sample.generator.flows import to_currency
from scoring.decision_log import DecisionLog
from scoring.performance import performance_report


def test_vector_and_scalar_conversions_agree_and_leave_unknown_currencies_out():
    codes = [*CURRENCY_PER_USD, "XYZ", None]
    values = np.arange(1.0, len(codes) + 1) * 100.0
    vector = to_usd(values, codes)
    scalar = [value_in_usd(v, c) for v, c in zip(values, codes, strict=True)]
    np.testing.assert_allclose(vector, scalar, equal_nan=True)
    assert vector[list(CURRENCY_PER_USD).index("JPY")] == pytest.approx(values[2] / 150.0)
    assert np.isnan(vector[-2:]).all()  # not at par: 100 of an unknown currency is not 100 dollars


def test_generator_invoices_at_the_same_rates():
    usd = np.array([1000.0] * len(CURRENCY_PER_USD))
    codes = np.array(list(CURRENCY_PER_USD), dtype=object)
    np.testing.assert_allclose(to_usd(to_currency(usd, codes), codes), usd, rtol=1e-4)


ROWS = [  # value, currency, tax rate, revenue recovered
    (1000.0, "USD", 0.10, 50.0),
    (150000.0, "JPY", 0.10, 15000.0),  # 1,000 USD and 100 USD recovered
    (920.0, "EUR", 0.05, None),  # 1,000 USD
    (5000.0, "XYZ", 0.10, 700.0),  # no rate: left out of every sum
    (300.0, None, 0.10, None),  # no currency: likewise
]

CREATE = """
MERGE (e:Enterprise {id: 'JPIMP'}) SET e.name = 'Yen Importer'
WITH e
UNWIND $rows AS row
CREATE (d:Declaration {id: row.id, date: date('2025-12-01'), importer_id: 'JPIMP', office: 'CD-NINGBO',
                       value: row.value, currency: row.currency, tax_rate: row.tax_rate, inspected: 1,
                       violation: row.violation, revenue_recovered: row.recovered, channel: 'document check'})
CREATE (e)-[:FILED {role: 'consignee'}]->(d)
"""


def test_leads_report_and_performance_sum_in_dollars(empty_graph, tmp_path):
    rows = [  # the first found in violation, so the analysis gives the importer a risk and it is a lead
        {"id": f"CUR{i}", "value": v, "currency": c, "tax_rate": t, "recovered": r, "violation": int(i == 0)}
        for i, (v, c, t, r) in enumerate(ROWS)
    ]
    empty_graph.execute_query(CREATE, rows=rows, database_="neo4j")
    run_analysis(empty_graph, "neo4j", tmp_path)  # the leads' figures are the analysis's (its engine, its rates)
    dollars = [(value_in_usd(v, c), t, value_in_usd(r or 0.0, c)) for v, c, t, r in ROWS]
    known = [d for d in dollars if not math.isnan(d[0])]
    assert len(known) == 3

    (lead,) = rank_leads(empty_graph, "neo4j", "audit", home=tmp_path)
    assert lead["figures"]["declared_value"] == pytest.approx(sum(v for v, _, _ in known)) == pytest.approx(3000.0)
    assert lead["figures"]["duty_declared"] == pytest.approx(sum(v * t for v, t, _ in known))
    assert lead["figures"]["declarations"] == len(ROWS)

    totals = analysis_report(empty_graph, "neo4j", tmp_path)["totals"]
    assert totals["declarations"] == len(ROWS)
    assert totals["declared_value"] == pytest.approx(3000.0)
    assert totals["revenue_recovered"] == pytest.approx(sum(r for _, _, r in known)) == pytest.approx(150.0)

    channel = performance_report(DeclarationStore(tmp_path), DecisionLog(tmp_path), [])["channels"]["document check"]
    assert channel["inspected"] == len(ROWS) and channel["revenue_recovered"] == pytest.approx(150.0)
