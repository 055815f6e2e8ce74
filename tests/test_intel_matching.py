"""Lookout matching as the scorers do it (``ingest.entities`` keys, ``scoring.lookouts`` index), property-based.

Pure functions, no database: a declaration carries a random subset of its optional party fields, each naming
a different entity of ``tests/data/entity_variants.yaml`` (CN), and a lookout names one entity written
another way; it hits exactly when the field naming that entity is among those sent. The same on rows of the
second data profile (``riskgraph generate --profile minimal``: ids only), read through its mapping and
ingest's validation as ``riskgraph score`` reads them. Record checks (grading, dates, files) close the module.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.entities import KEY_FIELDS, declaration_keys, entity_keys
from investigate.intel_records import IntelError, check_record, read_intel_file
from scoring.lookouts import Lookout, LookoutIndex

CN = yaml.safe_load((Path(__file__).parent / "data" / "entity_variants.yaml").read_text())["CN"]
#: "&" and "and" give two keys (a known limit of the name normaliser), so that group is left out
NAMES = [g for g in CN["names"] if not any("&" in v for v in g)]
PERSONS = [["Wang Wei", "WANG WEI", "wang  wei", " Wang Wei "], ["Li Na", "LI NA"], ["Wang Wen", "WANG WEN"]]
IDS = [["91310000MA1FL0XX01", " 91310000MA1FL0XX01 "], ["91310000MA1FL0XX02"], ["91440300MA5D000001"]]
BOXES = [["MSKU1234565", " MSKU1234565"], ["MSKU1234566"], ["TGHU7654321"]]
VESSELS = [["EVER GIVEN", "ever  given", " Ever Given "], ["EVER GIFTED"], ["MAERSK ALABAMA"]]

#: declaration field -> (entity type a lookout names it with, the groups of variants of one entity each)
FIELDS = {
    "importer_phone": ("phone", CN["phones"]),
    "importer_name": ("enterprise", NAMES),
    "seller_name": ("seller", NAMES),
    "importer_address": ("address", CN["addresses"]),
    "importer_legal_rep": ("person", PERSONS),
    "importer_id": ("enterprise", IDS),
    "declarant_id": ("enterprise", IDS),
    "carrier_id": ("enterprise", IDS),
    "seller_id": ("seller", IDS),
    "consignment_id": ("consignment", BOXES),
    "feature_vessel": ("vessel", VESSELS),
}
TODAY = date(2026, 6, 1)


def _index(entity_type: str, value: str, valid_from=None, valid_to=None) -> LookoutIndex:
    return LookoutIndex([(Lookout("INT-1", "drugs", valid_from, valid_to), entity_keys(entity_type, value))])


@st.composite
def cases(draw):
    """(declaration, lookout entity type and value, whether it must hit)."""
    field = draw(st.sampled_from(sorted(FIELDS)))
    entity_type, groups = FIELDS[field]
    group = draw(st.integers(0, len(groups) - 1))
    named = draw(st.sampled_from(groups[group]))
    sent = draw(st.sets(st.sampled_from(sorted(FIELDS))))
    row = {"declaration_id": "D1", "date": TODAY.isoformat(), "hs_code": "392690", "value": 10.0}
    for other in sent:
        other_groups = FIELDS[other][1]
        if other == field:
            row[other] = draw(st.sampled_from(groups[group]))
        else:  # another entity than the lookout's: never the same group of the same table
            choices = [i for i in range(len(other_groups)) if other_groups is not groups or i != group]
            row[other] = draw(st.sampled_from(other_groups[draw(st.sampled_from(choices))]))
    return row, entity_type, named, field in sent


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_lookout_hits_when_the_named_entity_is_sent_in_any_of_its_spellings(case):
    row, entity_type, named, must_hit = case
    hits = _index(entity_type, named).hits(declaration_keys(row), TODAY)
    assert [h.id for h in hits] == (["INT-1"] if must_hit else []), (row, entity_type, named)


@settings(max_examples=100, deadline=None)
@given(
    st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    st.integers(-400, 400),
    st.integers(0, 400),
)
def test_a_lookout_hits_only_declarations_dated_within_its_validity(day, start, length):
    valid_from = TODAY + timedelta(days=start)
    valid_to = valid_from + timedelta(days=length)
    index = _index("phone", "+86 21 5555 1234", valid_from, valid_to)
    hit = bool(index.hits({("phone", "+862155551234")}, day))
    assert hit == (valid_from <= day <= valid_to)


@pytest.fixture(scope="module")
def minimal_rows(tmp_path_factory) -> pd.DataFrame:
    """Validated rows of the minimal profile (200 declarations, seed 4), as ``riskgraph score`` reads them."""
    from ingest.mapping import load_mapping
    from ingest.validate import validate
    from sample.generator.minimal import generate_minimal

    folder = tmp_path_factory.mktemp("minimal-intel")
    generate_minimal(folder, 200, 4)
    raw = pd.read_csv(folder / "declarations.csv", dtype=str, keep_default_na=False)
    clean, _ = validate(load_mapping(folder / "mapping.yaml").apply(raw, "declarations.csv"), "minimal")
    assert {"importer_id", "declarant_id"} <= set(clean.columns)
    return clean


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_on_the_minimal_profile_a_lookout_hits_the_rows_that_name_its_firm(minimal_rows, data):
    """Rows of another administration (ids only, no names, phones or addresses): a lookout on a firm's code,
    written with stray spaces, hits the rows it is importer or agent of among the fields kept, and no other."""
    rows = minimal_rows.to_dict("records")
    row = data.draw(st.sampled_from(rows))
    role = data.draw(st.sampled_from(["importer_id", "declarant_id"]))
    firm = row[role]
    kept = data.draw(st.sets(st.sampled_from([c for c in KEY_FIELDS if c in minimal_rows.columns])))
    index = _index("enterprise", f"  {firm} ")
    for other in data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=5)) + [row]:
        sent = {k: v for k, v in other.items() if k not in KEY_FIELDS or k in kept}
        hit = bool(index.hits(declaration_keys(sent), None))
        assert hit == any(sent.get(f) == firm for f in ("importer_id", "declarant_id")), (firm, sent)


# ------------------------------------------------------------------ records


def _record(**change) -> dict:
    base = {
        "kind": "lookout",
        "target": "drugs",
        "summary": "s",
        "entities": [{"type": "phone", "value": "021-55551234"}],
        "source_grade": "A",
        "info_grade": "1",
    }
    return {**base, **change}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["admiralty", "5x5x5"]),
    st.text("ABCDEFGZ", min_size=0, max_size=2),
    st.text("0123467", min_size=0, max_size=2),
    st.one_of(st.none(), st.text("0123456", min_size=1, max_size=2)),
)
def test_grading_takes_exactly_the_grades_of_its_scale(scale, source, info, handling):
    sources, infos, handlings = {"admiralty": ("ABCDEF", "123456", None), "5x5x5": ("ABCDE", "12345", "12345")}[scale]
    fine = (
        len(source) == 1
        and source in sources
        and len(info) == 1
        and info in infos
        and (
            handling is None
            if handlings is None
            else handling is not None and len(handling) == 1 and handling in handlings
        )
    )
    raw = _record(scale=scale, source_grade=source, info_grade=info, handling=handling)
    if fine:
        assert check_record(raw).source_grade == source
    else:
        with pytest.raises(IntelError, match="grade|handling"):
            check_record(raw)


def test_the_same_record_has_the_same_id_and_another_one_another():
    one = check_record(_record())
    assert check_record(_record(entities=[{"type": "phone", "value": "+86 21 5555 1234"}])).id == one.id
    assert check_record(_record(target="security")).id != one.id
    assert check_record(_record(id="NCEN-1")).id == "NCEN-1"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"valid_from": "30/05/2026"}, "valid_from: '30/05/2026' is not a date"),
        ({"valid_from": "2026-06-02", "valid_to": "2026-06-01"}, "before valid_from"),
        ({"entities": "phone"}, "entity 1 is not {type, value}"),
        ({"entities": "[oops"}, "not a JSON list"),
        ({"entities": [{"type": "email", "value": "a@b"}]}, "entity type 'email'"),
        ({"summary": " "}, "summary"),
        ({"id": "bad id!"}, "id: 1 to 64"),
    ],
)
def test_a_bad_record_says_which_field_and_why(change, says):
    with pytest.raises(IntelError) as refused:
        check_record(_record(**change))
    assert says in str(refused.value)


def test_a_json_lines_file_with_a_bad_line_is_refused_whole(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(_record()) + "\n\n[1, 2]\n" + json.dumps(_record(info_grade="9")) + "\n")
    with pytest.raises(IntelError) as refused:
        read_intel_file(path)
    assert "line 3: not a JSON object" in str(refused.value) and "line 4: info_grade" in str(refused.value)
    path.write_text(json.dumps(_record()) + "\n" + json.dumps(_record(kind="seizure")) + "\n")
    assert [r.kind for r in read_intel_file(path)] == ["lookout", "seizure"]
