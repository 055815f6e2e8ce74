"""Random small sets of declarations for the engine tests (helpers): a few importers, HS6 codes, origins,
currencies, dates around :data:`AS_OF`, masses and quantities that may be missing or zero, repeated consignments,
violations with and without types; any of :data:`OPTIONAL` may be dropped as another administration's file lacks it.
:func:`stored_year` writes them to a columnar copy in two loads, with outcomes recorded before or after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from columnar.store import DeclarationStore, declaration_table

__all__ = [
    "AS_OF",
    "OPTIONAL",
    "SPARK_EXAMPLES",
    "declaration_row",
    "declaration_frame",
    "outcome",
    "random_years",
    "stored_year",
]

#: hypothesis settings for the tests that run Spark: few examples and no shrinking (each Spark example takes
#: seconds, so shrinking a failure would take many minutes). Three: at eight, the engines' agreement alone took
#: 82-115 s of a CI run that must keep under 20 minutes, and at five 67-92 s (10-18 s an example); the fixed
#: examples beside it (spread unit values, the overlay, parts older than a column) are run every time
SPARK_EXAMPLES = settings(
    max_examples=3,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

AS_OF = pd.Timestamp("2026-06-30")
OPTIONAL = ("declarant_id", "seller_id", "consignment_id", "route", "origin", "currency", "net_mass", "quantity",
            "tax_rate", "violation", "violation_type")  # fmt: skip

declaration_row = st.fixed_dictionaries(
    {
        "importer_id": st.sampled_from(["I1", "I2", "I3", "I4"]),
        "days": st.integers(-600, 30),  # some after the analysis date, some before the history
        "declarant_id": st.sampled_from(["B1", "B2", None]),
        "seller_id": st.sampled_from(["S1", "S2", None]),
        "consignment_id": st.sampled_from(["C1", "C2", "C3", "", None]),
        "route": st.sampled_from(["CNSHA>NLRTM", "CNSHA>SGSIN>NLRTM", "CNSHA>SGSIN>AEJEA>NLRTM", None]),
        "hs6": st.sampled_from(["850440", "851712", "610910"]),
        "origin": st.sampled_from(["CN", "VN", None]),
        "value": st.floats(1, 1e5, allow_nan=False),
        "currency": st.sampled_from(["USD", "USD", "EUR", "XXX", None]),
        "net_mass": st.sampled_from([0.0, 1.0, 10.0, 250.0, None]),
        "quantity": st.sampled_from([0.0, 5.0, 100.0, None]),
        "tax_rate": st.sampled_from([0.0, 0.1, None]),
        "violation": st.sampled_from([0, 0, 1, None]),
        "violation_type": st.sampled_from(["undervaluation", "smuggling", None]),
    }
)


def declaration_frame(rows: list[dict], dropped: set[str]) -> pd.DataFrame:
    """The rows with ids ``D0``, ``D1``, ... and dates as text, without the columns ``dropped``."""
    frame = pd.DataFrame(rows)
    frame["id"] = [f"D{i}" for i in range(len(frame))]
    frame["date"] = (AS_OF + pd.to_timedelta(frame.pop("days"), unit="D")).dt.strftime("%Y-%m-%d")
    return frame.drop(columns=sorted(dropped))


outcome = st.fixed_dictionaries(
    {
        "row": st.integers(0, 59),
        "later": st.booleans(),  # recorded after the declaration was written (shown) or before (not)
        "violation": st.sampled_from([0, 1]),
        "violation_type": st.sampled_from(["undervaluation", "smuggling", None]),
        "channel": st.sampled_from(["red", None]),  # a decision recorded with the outcome, or none
        "act": st.sampled_from([None, "scan", "physical"]),  # an inspection act recorded with it, or none
    }
)


def _outcome_rows(frame: pd.DataFrame, outcomes: list[dict], written: datetime) -> list[dict]:
    rows = []
    for o in outcomes:
        if o["row"] < len(frame):
            at = written + timedelta(days=1 if o["later"] else -1)
            rows.append(
                {"id": frame["id"].iloc[o["row"]], "inspected": 1, "violation": o["violation"],
                 "violation_type": o["violation_type"], "feedback_kind": "inspection", "feedback_at": at,
                 "channel": o["channel"], "score": 0.5 if o["channel"] else None, "inspection_type": o.get("act"),
                 "officer": o.get("act") and "officer-1", "inspection_minutes": 30.0 if o.get("act") else None}
            )  # fmt: skip
    return rows


def stored_year(folder, rows, dropped, outcomes) -> DeclarationStore:
    """``rows`` without ``dropped`` as two loads of a columnar copy in ``folder``, ``outcomes`` recorded over them."""
    frame = declaration_frame(rows, dropped)
    store = DeclarationStore(folder)
    written = datetime.now(UTC)
    store.write(declaration_table(frame.iloc[: len(frame) // 2], written), "L1")
    store.write(declaration_table(frame.iloc[len(frame) // 2 :], written), "L2")
    store.write_outcomes(_outcome_rows(frame, outcomes, written))
    return store


def random_years(max_rows: int) -> dict:
    """Arguments of ``hypothesis.given`` for :func:`stored_year`: rows, optional columns dropped, outcomes."""
    return {
        "rows": st.lists(declaration_row, min_size=1, max_size=max_rows),
        "dropped": st.sets(st.sampled_from(OPTIONAL)),
        "outcomes": st.lists(outcome, max_size=8),
    }
