"""One declaration contract for file and API: the API's model is made from ingest's field table, and a
declaration the API refuses is one ingest quarantines, with the same field and the same sentence.

Pure: the pydantic model (what ``POST /v1/score`` validates with) against ``ingest.validate``; the
HTTP round trip of the same model is in ``test_minimal_profile.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from api.models import DeclarationIn
from ingest.fields import CANONICAL_FIELDS, OUTCOME_FIELDS, REQUIRED_FIELDS
from ingest.validate import validate
from sample.generator import generate

GOOD = {"declaration_id": "D1", "date": "2025-07-10", "importer_id": "X1", "hs_code": "8517130000", "value": "100"}


def _api_refusal(row: dict) -> tuple[str, str] | None:
    try:
        DeclarationIn.model_validate({k: v for k, v in row.items() if k not in OUTCOME_FIELDS})
    except ValidationError as exc:
        error = exc.errors()[0]
        return str(error["loc"][0]), error["msg"].removeprefix("Value error, ")
    return None


def _ingest_refusal(row: dict) -> tuple[str, str] | None:
    _, bad = validate(pd.DataFrame([row]), "f.csv")
    return None if bad.empty else (bad.loc[0, "field"], bad.loc[0, "reason"])


def test_the_api_model_has_every_canonical_field_but_the_outcomes():
    fields = DeclarationIn.model_fields
    assert set(fields) - {"features"} == set(CANONICAL_FIELDS) - set(OUTCOME_FIELDS)
    assert {n for n, f in fields.items() if f.is_required()} == set(REQUIRED_FIELDS)


@pytest.mark.parametrize(
    "change",
    [
        {"importer_id": " "},
        {"hs_code": ""},
        {"date": "30/05/2026"},
        {"date": "2025/02/30"},
        {"importer_registered": "soon"},
        {"value": "12 USD"},
        {"value": "see invoice"},
        {"quantity": "-3"},
        {"net_mass": "-0.5"},
        {"tax_rate": "abc"},
        {"hs_code": "1234"},
        {"hs_code": "HS8517"},
    ],
)
def test_a_row_the_api_refuses_ingest_quarantines_with_the_same_field_and_reason(change):
    row = GOOD | change
    refused = _api_refusal(row)
    assert refused is not None and refused == _ingest_refusal(row)


@pytest.mark.parametrize(
    "change",
    [
        {"hs_code": "90121"},  # lost its leading zero
        {"date": "2025/07/10"},
        {"date": "20250723"},
        {"transport_mode": "40"},
        {"transport_mode": "pipeline"},
        {"office": "30"},
        {"value": "1,250.50"},
        {"importer_address": "Room 1, 8 Huaihai Rd", "importer_phone": "+86 21 5555", "importer_legal_rep": "Li Wei"},
        {"seller_name": "Acme", "seller_country": "Vietnam", "loading_port": "??"},
        {"direction": "IMPORT", "importer_category": "b"},
    ],
)
def test_every_form_ingest_repairs_the_api_accepts(change):
    row = GOOD | change
    assert _ingest_refusal(row) is None and _api_refusal(row) is None
    model = DeclarationIn.model_validate(row).canonical()
    clean, _ = validate(pd.DataFrame([row]), "f.csv")
    for field in ("date", "hs_code", "value"):
        assert model[field] == clean.loc[0, field]


def test_generated_rows_agree_row_by_row(tmp_path):
    """Every row of the generator's own output: stored by ingest if and only if the API accepts it."""
    generate(tmp_path, 2000, 5)
    rows = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(tmp_path.glob("*.csv"))])
    rows = rows.reset_index(drop=True)
    clean, bad = validate(rows, "generated")
    stored = set(clean["row"].tolist())
    disagreements = []
    for i, row in enumerate(rows.to_dict("records"), start=1):
        api = _api_refusal(row)
        if (api is None) != (i in stored) and "duplicate" not in str(bad.loc[bad["row"] == i, "reason"].tolist()):
            disagreements.append((i, api))
        elif api is not None:
            ingest = bad.loc[bad["row"] == i, ["field", "reason"]].iloc[0]
            assert api[0] in ingest["field"].split(";") and api[1] in ingest["reason"], (api, ingest.to_dict())
    assert disagreements == []
    assert len(bad) > 0  # the generator plants bad rows: the comparison saw refusals too


def test_the_scalar_repairs_agree_with_the_column_repairs():
    """The API's plain-Python date and HS code repairs give what ingest's column-wise ones give."""
    from hypothesis import example, given, settings
    from hypothesis import strategies as st

    from ingest import normalize as nz

    dates = st.one_of(
        st.text(max_size=12),
        st.from_regex(r"\A\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\Z"),
        st.from_regex(r"\A\d{8}\Z"),
        st.from_regex(r"\A\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}\Z"),
    )
    codes = st.one_of(st.text(max_size=12), st.from_regex(r"\A[\d .\-]{4,12}\Z"), st.from_regex(r"\A\d{5,11}(\.0)?\Z"))

    @settings(max_examples=150, deadline=None)
    @given(dates, codes)
    @example("౨0000101", "")  # Telugu digits: int() reads them, pandas does not; both must refuse
    def agree(date_text, code_text):
        column = nz.parse_dates(pd.Series([date_text], dtype="str")).iloc[0]
        assert nz.parse_date(date_text) == (None if pd.isna(column) else column)
        column = nz.repair_hs_codes(pd.Series([code_text], dtype="str")).iloc[0]
        assert nz.repair_hs_code(code_text) == (None if pd.isna(column) else column)

    agree()


def test_the_schema_declares_every_property_the_loader_writes_and_the_required_ones():
    from graph.model import schema
    from ingest.batch import DECLARATION_PROPERTIES

    declared = schema().node("Declaration")
    assert set(DECLARATION_PROPERTIES) | {"date"} <= set(declared.properties)
    renamed = {"declaration_id": "id"}
    assert set(declared.required) == {renamed.get(f, f) for f in REQUIRED_FIELDS}
