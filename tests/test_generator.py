"""The synthetic sample-data generator: pure tests on a small year (no database)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from graph.reference import SEED_OFFICES
from ingest.fields import CANONICAL_FIELDS
from sample.generator import generate

N = 3000
SEED = 11


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("year")
    generate(out, N, SEED)
    return out


@pytest.fixture(scope="module")
def rows(year) -> pd.DataFrame:
    files = sorted(year.glob("declarations-*.csv"))
    frames = []
    for f in files:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df["_file"] = f.name
        df["_row"] = range(1, len(df) + 1)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def truth(year) -> dict[str, pd.DataFrame]:
    names = ("rings", "declarations", "lookalikes", "bad_rows", "enterprises")
    return {n: pd.read_csv(year / "truth" / f"{n}.csv", dtype=str, keep_default_na=False) for n in names}


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-8:]


def test_same_seed_gives_identical_bytes_and_another_seed_differs(year, tmp_path):
    generate(tmp_path / "again", N, SEED)
    generate(tmp_path / "other", N, SEED + 1)
    files = sorted(p.relative_to(year) for p in year.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file())
    for f in files:
        assert (year / f).read_bytes() == (tmp_path / "again" / f).read_bytes(), f
    assert (year / files[0]).read_bytes() != (tmp_path / "other" / files[0]).read_bytes()


def test_columns_are_exactly_the_canonical_fields(year):
    files = sorted(year.glob("declarations-*.csv"))
    assert [f.name for f in files] == [f"declarations-2025Q{q}.csv" for q in range(1, 5)]
    for f in files:
        with f.open() as fh:
            assert next(csv.reader(fh)) == list(CANONICAL_FIELDS)


def test_row_count_equals_request_and_summary_adds_up(year, rows):
    assert len(rows) == N
    summary = json.loads((year / "truth" / "summary.json").read_text())
    assert summary["declarations"] == N
    assert sum(summary["files"].values()) == N


def test_truth_stays_out_of_the_declaration_files(year, rows, truth):
    assert sorted(p.name for p in year.iterdir() if p.is_file()) == [f"declarations-2025Q{q}.csv" for q in range(1, 5)]
    text = "".join(f.read_text() for f in year.glob("declarations-*.csv"))
    for marker in ("SHELL-", "shell_ring", "undervaluation", "origin_laundering", "lookalike", "business_centre"):
        assert marker not in text
    assert set(truth["declarations"]["declaration_id"]) <= set(rows["declaration_id"])


def test_values_look_like_a_chinese_ports_imports(rows, truth):
    bad_dates = truth["bad_rows"].loc[truth["bad_rows"]["field"] == "date", "declaration_id"]
    good = rows[rows["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}") & ~rows["declaration_id"].isin(bad_dates)]
    assert good["date"].min() >= "2025-01-01" and good["date"].max() <= "2025-12-31"
    assert set(rows["direction"]) == {"I"}
    assert set(rows["office"]) <= {d.code for d in SEED_OFFICES if d.level == "district"}
    assert rows["currency"].value_counts().idxmax() == "USD"
    assert rows["importer_id"].str.fullmatch(r"91\d{6}[0-9A-Z]{10}|").all()
    assert set(rows["importer_category"]) <= {"AA", "A", "B", "C", "D"}
    inspected = rows["inspected"] == "1"
    assert 0.03 <= inspected.mean() <= 0.08
    assert (rows.loc[~inspected, ["violation", "violation_type", "revenue_recovered"]] == "").all().all()
    assert set(rows.loc[inspected, "violation"]) == {"0", "1"}


def test_shell_rings_share_identifiers_broker_and_seller(rows, truth):
    rings = truth["rings"]
    shell = rings[rings["scheme"] == "shell_ring"]
    assert shell["ring_id"].nunique() >= 8
    for ring_id, members in shell.groupby("ring_id"):
        firms = set(members.loc[members["role"] == "importer", "enterprise_id"])
        assert 4 <= len(firms) <= 10
        planted = truth["declarations"]
        ids = set(planted.loc[planted["ring_id"] == ring_id, "declaration_id"])
        r = rows[rows["declaration_id"].isin(ids)]
        assert set(r["importer_id"]) <= firms
        # written several ways, the same few phones and addresses serve the whole ring
        assert r["importer_phone"].map(_digits).nunique() <= 2, ring_id
        assert r["importer_legal_rep"].nunique() <= 3
        usual = r.groupby("importer_id")["importer_address"].agg(lambda s: s.value_counts().idxmax())
        assert usual.nunique() < len(usual), ring_id
        assert r["seller_id"].nunique() == 1
        assert r["declarant_id"].value_counts().iloc[0] >= 0.8 * len(r)
        registered = r.groupby("importer_id")["importer_registered"].first()
        first = r.groupby("importer_id")["date"].min()
        assert (pd.to_datetime(first, format="mixed") - pd.to_datetime(registered)).dt.days.lt(366).all()


def test_all_schemes_are_planted(truth):
    schemes = set(truth["declarations"]["scheme"])
    assert schemes == {
        "shell_ring",
        "undervaluation",
        "misclassification",
        "origin_laundering",
        "split_shipment",
        "drug_route",
        "ipr_counterfeit",
        "dual_use",
    }


def test_dual_use_rings_buy_controlled_goods_through_a_diversion_hub(rows, truth):
    """The security scheme's signature: dual-use machines and chips made in export-controlling countries,
    bought without a licence by young firms from a trader in a hub and shipped from there, one broker."""
    planted = truth["declarations"]
    ring_ids = sorted(set(planted.loc[planted["scheme"] == "dual_use", "ring_id"]))
    assert ring_ids
    for ring_id in ring_ids:
        r = rows[rows["declaration_id"].isin(planted.loc[planted["ring_id"] == ring_id, "declaration_id"])]
        assert len(r) >= 3
        assert r["hs_code"].str[:4].isin(["8479", "8542"]).all()
        assert r["origin_country"].isin(["DE", "JP", "US", "NL"]).all()
        assert r["departure_country"].nunique() == 1 and r["departure_country"].iloc[0] in {"AE", "TR", "MY"}
        assert (r["seller_country"] == r["departure_country"]).all()
        assert (r["licence_ids"] == "").all()
        assert r["declarant_id"].nunique() == 1
        registered = pd.to_datetime(r["importer_registered"])
        assert (pd.to_datetime(r["date"], format="mixed") - registered).dt.days.lt(366).all()
    found = rows.loc[rows["declaration_id"].isin(planted.loc[planted["scheme"] == "dual_use", "declaration_id"])]
    assert set(found["violation_type"]) <= {"", "dual-use goods without licence"}


def test_business_centre_lookalike_is_many_old_honest_firms(rows, truth):
    look = truth["lookalikes"]
    centre = look[look["kind"] == "business_centre"]
    assert len(centre) >= 30
    r = rows[rows["importer_id"].isin(centre["entity_id"])]
    assert r["importer_id"].nunique() == len(centre)
    assert (r["importer_address"].value_counts().iloc[0]) >= 30
    assert (pd.to_datetime(r["importer_registered"]) < "2024-01-01").all()
    assert not set(centre["entity_id"]) & set(truth["enterprises"]["enterprise_id"])
    assert {"shared_switchboard", "large_importer", "big_broker"} <= set(look["kind"])


def test_dirty_rows_are_listed_and_really_dirty(rows, truth):
    bad = truth["bad_rows"]
    assert {
        "missing importer_id",
        "non-numeric value",
        "unparseable date",
        "duplicate declaration_id",
    } <= set(bad["reason"])
    for _, b in bad.iterrows():
        row = rows[(rows["_file"] == b["file"]) & (rows["_row"] == int(b["row"]))].iloc[0]
        assert row["declaration_id"] == b["declaration_id"]
        if b["reason"] == "missing importer_id":
            assert row["importer_id"] == ""
        elif b["reason"] == "non-numeric value":
            with pytest.raises(ValueError):
                float(row["value"])
        elif b["reason"] == "unparseable date":
            assert pd.to_datetime(row["date"], errors="coerce", format="mixed") is pd.NaT
        elif b["reason"] == "duplicate declaration_id":
            assert (rows["declaration_id"] == row["declaration_id"]).sum() == 2
    assert not set(bad["declaration_id"]) & set(truth["declarations"]["declaration_id"])


def test_repairable_forms_are_present(rows):
    assert rows["date"].str.fullmatch(r"2025/\d{2}/\d{2}").any()
    assert rows["date"].str.fullmatch(r"2025\d{4}").any()
    lost_zero = rows["hs_code"].str.fullmatch(r"[1-9]\d{8}")
    assert lost_zero.any()
    assert rows.loc[lost_zero, "hs_code"].str.zfill(10).str.startswith("0").all()
    assert rows["hs_code"].str.fullmatch(r"0\d{9}").any()


def test_phoenix_firms_reappear_under_a_new_code(year, rows, truth):
    """A planted phoenix: the old code stops after a violation, the new one goes on with the same representative."""
    phoenix = pd.read_csv(year / "truth" / "phoenix.csv", dtype=str)
    assert len(phoenix) >= 3
    # dates as the generator writes them ("2025-07-10", "2025/07/10", ...), the deliberately bad ones left out
    good = rows[~rows["declaration_id"].isin(truth["bad_rows"]["declaration_id"])].copy()
    good["date"] = pd.to_datetime(good["date"], format="mixed").dt.strftime("%Y-%m-%d")
    rewritten = 0
    for old, new, stopped in phoenix.itertuples(index=False):
        before, after = good[good["importer_id"] == old], good[good["importer_id"] == new]
        rewritten += set(before["importer_legal_rep"]) != set(after["importer_legal_rep"])
        assert len(before) and len(after)
        assert before["date"].max() <= stopped < after["date"].min()
        assert (before.sort_values("date")["violation"].iloc[-1]) == "1"
        # the same person, however the new firm's filings write him ("Jianguo Gao", "GAO, Jianguo", "Gao Jian-guo")
        assert {_letters(n) for n in before["importer_legal_rep"]} == {_letters(n) for n in after["importer_legal_rep"]}
        assert set(before["importer_name"]) != set(after["importer_name"])
    assert rewritten  # some new firms write the representative another way
    look = pd.read_csv(year / "truth" / "lookalikes.csv", dtype=str)
    assert {"namesake_in_business_centre", "shared_representative", "namesake_next_door"} <= set(look["kind"])


def _letters(name: str) -> str:
    return "".join(sorted(c for c in name.lower() if c.isalpha()))
