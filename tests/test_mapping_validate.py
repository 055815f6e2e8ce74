"""Mappings, readers and validation: pure, no database. Every bad row is accounted for, with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import normalize as nz
from ingest import readers
from ingest.mapping import Mapping, MappingError, load_mapping, parse_mapping
from ingest.readers import IngestError, _encoding, _read_csv_pandas, count_rows, input_files, read_chunks
from ingest.validate import QUARANTINE_COLUMNS, QuarantineWriter, new_offices, validate

MAPPING_YAML = """
fields:
  declaration_id: ENTRY_NO
  date: ENTRY_DATE
  importer_id: CONSIGNEE
  hs_code: HS
  value: CIF
constants:
  direction: I
  currency: USD
features:
  - CTYPE
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- mapping ---------------------------------------------------------------------------------


def test_mapping_applies_fields_constants_and_features(tmp_path):
    mapping = load_mapping(_write(tmp_path, "m.yaml", MAPPING_YAML))
    raw = pd.DataFrame(
        {"ENTRY_NO": ["E-1"], "ENTRY_DATE": ["2026/05/30"], "CONSIGNEE": ["C1"], "HS": ["90121"], "CIF": ["10"]}
    )
    raw["CTYPE"] = "40HC"
    out = mapping.apply(raw, "entries.csv")
    assert set(out.columns) == {
        "declaration_id",
        "date",
        "importer_id",
        "hs_code",
        "value",
        "direction",
        "currency",
        "feature_CTYPE",
    }
    assert out.loc[0, "direction"] == "I" and out.loc[0, "feature_CTYPE"] == "40HC"


def test_features_as_a_mapping_and_case_insensitive_columns():
    mapping = parse_mapping(
        {
            "fields": {"declaration_id": "entry_no", "date": "D", "importer_id": "I", "hs_code": "H", "value": "V"},
            "features": {"container": "CTYPE"},
        }
    )
    raw = pd.DataFrame({"ENTRY_NO": ["1"], "d": ["20260101"], "I": ["x"], "H": ["010121"], "V": ["1"], "ctype": ["a"]})
    out = mapping.apply(raw)
    assert out.loc[0, "declaration_id"] == "1" and out.loc[0, "feature_container"] == "a"


def test_unknown_field_is_named_with_the_valid_ones(tmp_path):
    path = _write(tmp_path, "m.yaml", "fields:\n  declaration_number: ENTRY_NO\n")
    with pytest.raises(
        MappingError, match=r"unknown field 'declaration_number'.*valid fields are: declaration_id, date"
    ):
        load_mapping(path)


def test_unknown_constant_is_refused():
    doc = {"fields": {"declaration_id": "A", "date": "B", "importer_id": "C", "hs_code": "D", "value": "E"}}
    with pytest.raises(MappingError, match="unknown field 'currencyy' in 'constants:'"):
        parse_mapping(doc | {"constants": {"currencyy": "USD"}})


def test_mapping_must_cover_required_fields():
    with pytest.raises(MappingError, match="required fields not mapped: importer_id, hs_code, value"):
        parse_mapping({"fields": {"declaration_id": "A", "date": "B"}})
    # a constant covers a required field too
    parse_mapping(
        {"fields": {"declaration_id": "A", "date": "B", "importer_id": "C", "hs_code": "D"}, "constants": {"value": 1}}
    )


def test_bad_mapping_files(tmp_path):
    with pytest.raises(MappingError, match="cannot read"):
        load_mapping(tmp_path / "absent.yaml")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(_write(tmp_path, "bad.yaml", "fields: [unclosed\n"))
    with pytest.raises(MappingError, match="unknown section 'field'"):
        load_mapping(_write(tmp_path, "typo.yaml", "field:\n  date: D\n"))
    with pytest.raises(MappingError, match="'date' is both"):
        parse_mapping({"fields": {"date": "D"}, "constants": {"date": "2026-01-01"}})


def test_missing_source_column_names_column_and_file():
    mapping = Mapping(fields={"declaration_id": "ENTRY_NO", "value": "CIF"}, origin="m.yaml")
    with pytest.raises(MappingError, match=r"entries\.csv: no column 'CIF'.*m\.yaml"):
        mapping.apply(pd.DataFrame({"ENTRY_NO": ["1"]}), "entries.csv")


# --- readers ---------------------------------------------------------------------------------

ROWS = [{"declaration_id": f"D{i}", "value": str(i * 10), "hs_code": "851712"} for i in range(1, 8)]


def _chunks(paths, n):
    chunks = list(read_chunks(paths, n))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    rows = np.concatenate([c.rows for c in chunks])
    return chunks, frame, rows


def test_csv_in_chunks_as_text_with_row_numbers(tmp_path):
    path = _write(
        tmp_path, "a.csv", "declaration_id,value,hs_code,note\nD1,10,090121,NA\nD2,,851712,\nD3,30,0901,null\n"
    )
    chunks, frame, rows = _chunks([path], 2)
    assert [len(c.frame) for c in chunks] == [2, 1]
    assert all(c.source == path for c in chunks)
    assert rows.tolist() == [1, 2, 3]
    assert frame["hs_code"].tolist() == ["090121", "851712", "0901"]  # leading zeros kept
    assert frame["note"].tolist() == ["NA", "", "null"]  # no NA guessing
    assert frame["value"].tolist() == ["10", "", "30"]


def test_parquet_in_chunks_with_row_numbers(tmp_path):
    path = tmp_path / "a.parquet"
    table = pa.table({"declaration_id": [r["declaration_id"] for r in ROWS], "value": [float(i) for i in range(7)]})
    pq.write_table(table.append_column("hs", pa.array([None, *[90121] * 6])), path)
    chunks, frame, rows = _chunks([path], 3)
    assert [len(c.frame) for c in chunks] == [3, 3, 1]
    assert rows.tolist() == list(range(1, 8))
    assert frame["value"].tolist()[:2] == ["0", "1"]
    assert frame["hs"].tolist()[:2] == ["", "90121"]


def test_jsonl_rows_are_line_numbers(tmp_path):
    lines = [json.dumps(r) for r in ROWS[:3]]
    path = _write(
        tmp_path, "a.jsonl", lines[0] + "\n\n" + lines[1] + "\n" + json.dumps({"value": 2.5, "x": None}) + "\n"
    )
    _, frame, rows = _chunks([path], 2)
    assert rows.tolist() == [1, 3, 4]
    assert frame["declaration_id"].tolist() == ["D1", "D2", ""]
    assert frame["value"].tolist() == ["10", "20", "2.5"]
    assert frame["x"].tolist()[1:] == ["", ""]  # a key missing from one line is empty there


def test_folder_reads_supported_files_sorted_and_skips_truth(tmp_path):
    _write(tmp_path, "b.csv", "declaration_id\nB1\n")
    _write(tmp_path, "a.ndjson", '{"declaration_id": "A1"}\n')
    _write(tmp_path, "notes.txt", "not data")
    (tmp_path / "truth").mkdir()
    _write(tmp_path / "truth", "labels.csv", "declaration_id\nT1\n")
    assert [p.name for p in input_files([tmp_path])] == ["a.ndjson", "b.csv"]
    assert [c.frame.iloc[0, 0] for c in read_chunks([tmp_path], 10)] == ["A1", "B1"]
    assert count_rows([tmp_path]) == 2


def test_reader_errors_name_the_file(tmp_path):
    with pytest.raises(IngestError, match=r"notes\.txt: unsupported file type"):
        list(read_chunks([_write(tmp_path, "notes.txt", "x")], 10))
    bad = _write(tmp_path, "bad.jsonl", '{"a": 1}\n{oops\n')
    with pytest.raises(IngestError, match=r"bad\.jsonl: line 2 is not JSON"):
        list(read_chunks([bad], 10))
    ragged = _write(tmp_path, "ragged.csv", "a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(IngestError, match=r"ragged\.csv: cannot read"):
        list(read_chunks([ragged], 10))
    with pytest.raises(IngestError, match="no such file"):
        list(read_chunks([tmp_path / "gone.csv"], 10))


#: CSV text with what tells two readers apart: quotes, separators and line breaks inside and outside quotes,
#: blank and whitespace lines, BOM, non-ASCII text
_CSV_TEXT = st.lists(st.sampled_from([*'ab ,"\n\r\t\ufeff名２#', "\r\n", '""', "NA"]), max_size=40).map("".join)
_CSV_FIELD = st.one_of(
    st.text(alphabet=st.sampled_from(list("aZ9 -.#名")), max_size=6),
    st.builds(
        lambda t: '"' + t.replace('"', '""') + '"', st.text(alphabet=st.sampled_from(list('a ,"\n\r名')), max_size=6)
    ),
)
_CSV_LINE = st.lists(_CSV_FIELD, min_size=0, max_size=5).map(",".join)
_CSV_LINES = st.builds(
    lambda header, lines, end: "\n".join([header, *lines]) + end,
    st.lists(st.sampled_from(["a", "b", "c", "d", " e", "a"]), min_size=1, max_size=4).map(",".join),
    st.lists(_CSV_LINE, max_size=8),
    st.sampled_from(["", "\n", "\r\n"]),
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(_CSV_LINES, _CSV_TEXT), chunk_rows=st.integers(1, 4), block_bytes=st.sampled_from([16, 64, 1 << 20])
)
def test_csv_reader_reads_as_pandas_does(tmp_path_factory, text, chunk_rows, block_bytes):
    """Arrow reads the regular files, pandas the rest: the chunks, their row numbers and errors are pandas'."""
    path = tmp_path_factory.mktemp("csv") / "a.csv"
    path.write_bytes(text.encode("utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(readers, "_BLOCK_BYTES", block_bytes)  # a file of many blocks, as the large ones are
        _same_as_pandas(path, chunk_rows)


def test_csv_reader_gives_way_to_pandas_after_its_first_chunks(tmp_path, monkeypatch):
    """A short row far into the file: pandas reads on from where Arrow stopped, no chunk given twice."""
    lines = ["a,b", *(f"{i},x" for i in range(3000)), "short", *(f"{i},y" for i in range(30))]
    path = _write(tmp_path, "late.csv", "\n".join(lines) + "\n")
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 64)
    _same_as_pandas(path, 10)


def test_a_quote_left_open_is_an_error_not_the_rest_of_the_file_in_one_value(tmp_path):
    """Arrow would close the quote at the end of the file and give the two rows after it as one value."""
    for end in ("\n", ""):
        path = _write(tmp_path, f"open{len(end)}.csv", 'a,b\n1,"x\n2,y\n3,z' + end)
        with pytest.raises(IngestError, match="cannot read"):
            list(read_chunks([path], 10))
    closed = _write(tmp_path, "closed.csv", 'a,b\n1,"x\n"\n2,y\n')  # a quoted value ending in a line break
    assert [c.frame["b"].tolist() for c in read_chunks([closed], 10)] == [["x\n", "y"]]


def _same_as_pandas(path: Path, chunk_rows: int) -> None:
    try:
        expected = list(_read_csv_pandas(path, chunk_rows, _encoding(path))) if path.stat().st_size else []
    except (ValueError, UnicodeDecodeError):
        with pytest.raises(IngestError):
            list(read_chunks([path], chunk_rows))
        return
    got = list(read_chunks([path], chunk_rows))
    assert [c.rows.tolist() for c in got] == [c.rows.tolist() for c in expected]
    for mine, theirs in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(mine.frame, theirs.frame, check_exact=True)
        assert mine.frame.columns.dtype == theirs.frame.columns.dtype


def test_gbk_csv_is_read(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("declaration_id,importer_name\nD1,上海阿尔法贸易有限公司\n".encode("gbk"))
    assert next(read_chunks([path], 10)).frame.loc[0, "importer_name"] == "上海阿尔法贸易有限公司"


# --- validate --------------------------------------------------------------------------------

GOOD = {
    "declaration_id": "D1",
    "date": "2026/05/30",
    "office": "Ningbo",
    "importer_id": "913100001",
    "importer_name": "Alpha Trading Co., Ltd.",
    "importer_address": "Room 12, No. 8 Huaihai Rd, Shanghai",
    "importer_phone": "+86 21 5555 1234",
    "importer_legal_rep": "zhang  wei",
    "hs_code": "90121",
    "value": "1,000.50",
    "quantity": "3",
    "net_mass": "",
    "origin_country": "vn",
    "loading_port": "vnsgn",
    "transit_ports": "sgsin; hkhkg",
    "discharge_port": "CNSHA",
    "violation": "1",
}


def _frame(*changes: dict) -> pd.DataFrame:
    rows = [GOOD | {"declaration_id": f"D{i}"} | c for i, c in enumerate(changes, start=1)]
    return pd.DataFrame(rows, dtype=str)


def test_clean_rows_are_typed_and_normalised():
    clean, bad = validate(_frame({}), "f.csv", [7])
    assert bad.empty and list(bad.columns) == list(QUARANTINE_COLUMNS)
    row = clean.iloc[0]
    assert row["date"] == "2026-05-30"
    assert row["office"] == "CD-NINGBO"
    assert (row["hs_code"], row["hs6"], row["chapter"]) == ("090121", "090121", "09")
    assert row["value"] == 1000.5 and row["quantity"] == 3.0 and np.isnan(row["net_mass"])
    assert row["importer_name_norm"] == "alpha trading"
    assert row["importer_address_key"] == nz.address_key("RM 12 NO 8 HUAIHAI ROAD SHANGHAI CHINA", "CN")
    assert row["importer_address"] == "Room 12, No. 8 Huaihai Rd, Shanghai"
    assert row["importer_phone_norm"] == "+862155551234"
    assert row["importer_legal_rep_norm"] == "ZHANG WEI"
    assert (row["origin_country"], row["loading_port"], row["transit_ports"]) == ("VN", "VNSGN", "SGSIN;HKHKG")
    assert row["violation"] == 1 and row["inspected"] == 1  # a violation found means it was checked
    assert pd.isna(row["seller_id"])  # canonical columns absent from the file are present, empty
    assert (row["source"], row["row"]) == ("f.csv", 7)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.,+-eE xXnaifINFty_\t\n\u00a0\u0663", max_size=8), max_size=12))
def test_numbers_are_what_pandas_reads(texts):
    """The numbers of a column are pandas's reading of it (NaN where not a number), whichever parser read them."""
    from ingest.validate import _numbers

    text = pd.Series(texts, dtype="str").str.strip()
    cleaned = text.str.replace(r"[, \t]", "", regex=True)
    expected = pd.to_numeric(cleaned.where(cleaned != "", None), errors="coerce").astype(float)
    expected = expected.where(np.isfinite(expected))
    pd.testing.assert_series_equal(_numbers(text), expected, check_exact=True)


def test_empty_office_is_allowed():
    clean, bad = validate(_frame({"office": ""}), "f.csv")
    assert len(clean) == 1 and bad.empty and pd.isna(clean.loc[0, "office"])


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"importer_id": " "}, "importer_id", "missing required field 'importer_id'"),
        ({"hs_code": ""}, "hs_code", "missing required field 'hs_code'"),
        ({"date": "30/05/2026"}, "date", "unparseable date in 'date': '30/05/2026'"),
        ({"value": "12 USD"}, "value", "non-numeric 'value': '12 USD'"),
        ({"quantity": "-3"}, "quantity", "negative 'quantity': '-3'"),
        ({"net_mass": "-0.5"}, "net_mass", "negative 'net_mass': '-0.5'"),
        ({"hs_code": "1234"}, "hs_code", "invalid HS code in 'hs_code': '1234'"),
        ({"violation": "yes"}, "violation", "'violation' must be 0 or 1, got 'yes'"),
    ],
)
def test_each_reason_quarantines_the_row(change, field, reason):
    clean, bad = validate(_frame({}, change, {}), "f.csv", [2, 3, 4])
    assert len(clean) == 2 and len(bad) == 1
    assert bad.loc[0, "source"] == "f.csv" and bad.loc[0, "row"] == 3
    assert bad.loc[0, "field"] == field
    assert reason in bad.loc[0, "reason"]
    original = json.loads(bad.loc[0, "original"])
    assert original["declaration_id"] == "D2" and original[field] == (GOOD | change)[field]


def test_duplicates_in_a_chunk_keep_the_first():
    frame = _frame({"declaration_id": "X"}, {"declaration_id": "X", "value": "oops"}, {"declaration_id": "X"}, {})
    clean, bad = validate(frame, "f.csv", [10, 11, 12, 13])
    assert clean["row"].tolist() == [10, 13]
    assert bad["row"].tolist() == [11, 12]
    assert bad.loc[0, "field"] == "value"  # a broken copy is quarantined for its own fault
    assert bad.loc[1, "reason"] == "duplicate declaration_id 'X' in this chunk (first at row 10)"


def test_unknown_office_is_kept_as_a_new_office_or_quarantined_on_request():
    clean, bad = validate(_frame({"office": "30"}, {}), "f.csv")
    assert bad.empty and clean["office"].tolist() == ["30", "CD-NINGBO"]
    assert new_offices(clean) == {"30"}
    clean, bad = validate(_frame({"office": "Atlantis"}, {}), "f.csv", unknown_offices="quarantine")
    assert len(clean) == 1 and bad.loc[0, "field"] == "office"
    assert "unknown office in 'office': 'Atlantis'" in bad.loc[0, "reason"]


def test_several_faults_in_one_row_are_all_reported():
    _, bad = validate(
        _frame({"date": "soon", "value": "-1", "office": "Nowhere"}), "f.csv", unknown_offices="quarantine"
    )
    assert bad.loc[0, "field"] == "date;value;office"
    assert bad.loc[0, "reason"].count(";") == 2


def test_invariant_on_a_mixed_chunk():
    rng = np.random.default_rng(3)
    changes = [
        {},
        {"date": "x"},
        {"value": ""},
        {"hs_code": "9"},
        {"office": "?"},
        {"violation": "2"},
        {"quantity": "-1"},
    ]
    frame = _frame(*[changes[i] for i in rng.integers(0, len(changes), 500)])
    frame.loc[rng.choice(500, 40, replace=False), "declaration_id"] = "DUP"
    clean, bad = validate(frame, "f.csv", np.arange(1, 501))
    assert len(clean) + len(bad) == 500
    assert sorted(clean["row"].tolist() + bad["row"].tolist()) == list(range(1, 501))
    assert (bad["reason"].str.len() > 10).all()


def test_original_is_the_files_own_row_after_a_mapping():
    mapping = parse_mapping(
        {"fields": {"declaration_id": "NO", "date": "DT", "importer_id": "IMP", "hs_code": "HS", "value": "CIF"}}
    )
    raw = pd.DataFrame({"NO": ["1", "2"], "DT": ["20260101", "bad"], "IMP": ["a", "b"], "HS": ["851712"] * 2})
    raw["CIF"] = "5"
    clean, bad = validate(mapping.apply(raw, "m.csv"), "m.csv", [1, 2])
    assert len(clean) == 1
    assert json.loads(bad.loc[0, "original"]) == {"NO": "2", "DT": "bad", "IMP": "b", "HS": "851712", "CIF": "5"}


def test_unmapped_headers_match_canonical_names_in_any_case():
    frame = _frame({}).rename(columns={"declaration_id": "Declaration_ID", "value": " VALUE "})
    clean, bad = validate(frame, "f.csv")
    assert len(clean) == 1 and clean.loc[0, "value"] == 1000.5


def test_a_file_without_a_required_column_is_refused():
    with pytest.raises(IngestError, match="no column for required field.*hs_code"):
        validate(_frame({}).drop(columns=["hs_code"]), "f.csv")


def test_quarantine_writer_appends_to_one_file(tmp_path):
    _, bad = validate(_frame({"date": "x"}, {"value": "y"}), "f.csv")
    writer = QuarantineWriter(tmp_path / "quarantine", "run/1")
    writer.write(bad.iloc[:0])
    assert writer.count == 0 and not writer.path.exists()
    writer.write(bad.iloc[:1])
    writer.write(bad.iloc[1:])
    assert writer.count == 2 and writer.path.parent == tmp_path / "quarantine"
    assert writer.path.name.endswith("-run_1.csv")
    saved = pd.read_csv(writer.path, dtype=str)
    assert list(saved.columns) == list(QUARANTINE_COLUMNS) and saved["row"].tolist() == ["1", "2"]
    other = QuarantineWriter(tmp_path / "quarantine", "run/1")  # same second, same name: its own file
    other.write(bad)
    assert other.path != writer.path and len(pd.read_csv(writer.path)) == 2
