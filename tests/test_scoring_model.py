"""The learned model and batch scoring against the real local Neo4j, plus leakage and parity checks.

Uses ``trained`` (tests/scoring_setup.py): 6,000 generated declarations loaded, analysed and trained on once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.features import declaration_features, fit_state, prepare_frame, training_features
from scoring.scorer import prepare_declaration
from scoring.snapshot import thresholds_from_capacity
from tests.conftest import run_cli

pytest_plugins = ("tests.scoring_setup",)  # the shared ``trained`` fixture


def test_train_validates_on_newer_declarations_and_beats_random_selection(trained):
    env, _, summary = trained
    m = summary["metrics"]
    assert m["train_until"] <= m["test_from"] <= m["test_to"]
    assert m["train"] > m["test"] > 20
    for rate in ("1%", "2%", "5%", "10%"):
        assert 0 <= m[f"precision@{rate}"] <= 1 and 0 <= m[f"revenue@{rate}"] <= 1
        assert rate in " ".join(m["final_score"])
    assert m["precision@10%"] > m["base_rate"]  # ranking by the model beats inspecting at random
    home = Path(env["RISKGRAPH_HOME"])
    spec = json.loads((home / "models" / summary["model_version"] / "spec.json").read_text())
    assert spec["metrics"]["test"] == m["test"] and "importer_id_prior_rate" in spec["features"]
    assert "id_importer_id" in spec["features"] and "log_value_declared" in spec["features"]
    for rate in ("5%", "10%"):  # the published model is never below the raw-column baseline
        assert m[f"precision@{rate}"] >= m["baseline"][f"precision@{rate}"]
    assert m["calibration"]["brier_after"] >= 0 and len(m["calibration"]["reliability"]) > 1
    published = json.loads((home / "scoring" / summary["snapshot"] / "config.json").read_text())
    assert published["model_version"] == summary["model_version"]


def test_train_learns_one_model_per_target_never_below_its_baseline(trained):
    """Labels from violation types (the generator's wording is built in); a target with too few violations
    falls back and says why; a published target model is never below that target's plain baseline."""
    env, _, summary = trained
    t = summary["metrics"]["targets"]
    assert t["source"] == "types" and list(t["models"]) == ["tax", "security", "ipr", "drugs"]
    assert t["other"]["count"] == sum(t["other"]["types"].values()) and set(t["other"]["types"]) <= {"licence missing"}
    assert t["models"]["tax"]["published"] != "fallback" and t["models"]["tax"]["train_positives"] > 50
    for name, m in t["models"].items():
        if m["published"] == "fallback":
            assert "falls back to the overall model" in m["why"], name
            continue
        for rate in ("precision@5%", "precision@10%"):
            assert m["candidates"][m["published"]][rate] >= m["candidates"]["baseline"][rate], name
    assert set(t["at_rate"]) == set(t["models"]) and {"3%", "10%"} <= set(t["at_rate"]["tax"])
    folder = Path(env["RISKGRAPH_HOME"]) / "scoring" / summary["snapshot"] / "targets"
    assert json.loads((folder / "targets.json").read_text())["source"] == "types"


def test_target_labels_from_types_or_from_a_flag_alone():
    from graph.targets import TargetTable
    from scoring.targets import target_labels

    frame = pd.DataFrame(
        {"violation": [1, 1, 1, 0, 1], "violation_type": ["Under-valuation", "走私毒品", "smuggling", None, None]}
    )
    labels, info = target_labels(frame, TargetTable({}))
    assert labels.to_dict("list") == {
        "tax": [1, 0, 0, 0, 0],
        "security": [0, 0, 0, 0, 0],
        "ipr": [0, 0, 0, 0, 0],
        "drugs": [0, 1, 0, 0, 0],
    }
    assert info["other"] == {"count": 2, "types": {"smuggling": 1, "(no type)": 1}}
    assert info["unknown"] == {"smuggling": 1, "(no type)": 1}
    flagged, info = target_labels(frame.assign(violation_type=None), TargetTable({}))
    assert info["source"] == "flag" and flagged.to_dict("list") == {"any": [1, 1, 1, 0, 1]}


def test_score_command_writes_a_ranked_decision_per_declaration(trained, tmp_path):
    env, sample, _ = trained
    new = tmp_path / "new.csv"
    rows = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str).head(400)
    rows.drop(columns=["inspected", "violation", "violation_type", "revenue_recovered"]).to_csv(new, index=False)
    out = tmp_path / "scored.csv"
    done = run_cli(env, "score", str(new), "--out", str(out), "--json")
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["read"] == 400 and counts["scored"] + counts["quarantined"] == 400
    with out.open() as f:
        decisions = list(csv.DictReader(f))
    assert list(decisions[0]) == [
        *("declaration_id", "score", "probability", "level", "channel", "random", "reasons"),
        *("score_tax", "score_security", "score_ipr", "score_drugs", "leading_target"),
    ]
    assert {d["leading_target"] for d in decisions} <= {"tax", "security", "ipr", "drugs"}
    assert all(max(float(d[f"score_{t}"]) for t in ("tax", "security", "ipr", "drugs")) ==
               float(d[f"score_{d['leading_target']}"]) for d in decisions)  # fmt: skip
    assert len(decisions) == counts["scored"]
    channel = {"low": "fast release", "medium": "document check", "high": "physical inspection"}
    for d in decisions:
        assert 0 <= float(d["score"]) <= 100 and 0 <= float(d["probability"]) <= 1
        assert d["channel"] == ("physical inspection" if d["random"] == "1" else channel[d["level"]])
        reasons = json.loads(d["reasons"])
        if d["random"] == "1":
            assert reasons[0]["kind"] == "random"
        assert any(r["kind"] == "model" for r in reasons) == (d["channel"] == "physical inspection")


def _toy_history() -> tuple[pd.DataFrame, pd.DataFrame]:
    days = pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-03", "2025-01-04"])
    decls = pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(6)],
            "date": days,
            "office": "CD-NINGBO",
            "trade_mode": "general trade",
            "transport_mode": "sea",
            "importer_id": ["A", "A", "A", "A", "B", "A"],
            "seller_id": ["S", "S", "T", "S", "S", "S"],
            "declarant_id": "K",
            "carrier_id": None,
            "hs_code": "8517130000",
            "hs6": "851713",
            "origin": "VN",
            "departure": "VN",
            "route": "VNHPH>CNNGB",
            "value": [100.0, 120, 90, 80, 300, 95],
            "currency": "USD",
            "quantity": 10.0,
            "net_mass": [5.0, 6, 5, 5, 10, 5],
            "tax_rate": 0.1,
            "licence_ids": None,
            "inspected": [1, 1, 1, 1, 0, 1],
            "violation": [1, 0, 1, 1, 0, 0],
            "revenue_recovered": [10.0, 0, 5, 7, None, 0],
        }
    )
    ents = pd.DataFrame(
        {
            "id": ["A", "B"],
            "category": ["C", "A"],
            "registered": pd.to_datetime(["2024-06-01", "2010-01-01"]),
            "risk": [0.4, 0.1],
            "community": [1, 1],
            "community_size": [2, 2],
            "degree": [3.0, 3.0],
            "pagerank": [0.01, 0.01],
        }
    )
    return decls, ents


def test_history_counts_only_strictly_earlier_days():
    decls, ents = _toy_history()
    frame = prepare_frame(decls, ents)
    feats = training_features(frame, fit_state(frame))
    # D3 (A, day 3): earlier days hold D0, D1, D2 for A -> 3 declarations, 3 inspected, 2 violations
    assert feats.loc[3, "importer_id_prior_inspected"] == 3 and feats.loc[3, "importer_id_prior_violations"] == 2
    assert feats.loc[0, "importer_id_prior_inspected"] == 0  # nothing before day 1, not even its same-day twin
    # changing the outcome of a declaration and of everything after it leaves its own features untouched
    changed = decls.copy()
    changed.loc[3:, "violation"] = 1 - changed.loc[3:, "violation"]
    refeats = training_features(prepare_frame(changed, ents), fit_state(frame))
    pd.testing.assert_frame_equal(feats.loc[:4], refeats.loc[:4])
    assert refeats.loc[5, "importer_id_prior_violations"] == feats.loc[5, "importer_id_prior_violations"] - 1


def test_clearance_features_equal_training_features():
    decls, ents = _toy_history()
    frame = prepare_frame(decls, ents)
    before = fit_state(frame[frame["date"] < "2025-01-04"])
    last = training_features(frame, before).iloc[-1].to_numpy()
    raw = frame.iloc[-1].to_dict()
    online = np.array(declaration_features(prepare_declaration(raw, before), before))
    np.testing.assert_allclose(online, last, equal_nan=True)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), blank_share=st.sampled_from([0.0, 0.3, 1.0]))
def test_training_peer_and_age_features_equal_each_declaration_alone(seed, blank_share):
    """Peer comparison and importer age, computed for the whole frame once per distinct value, equal what clearance
    computes for each declaration alone, with origins, masses, quantities and registrations missing or zero."""
    rng = np.random.default_rng(seed)
    n = 120
    decls = pd.DataFrame(
        {
            "id": [f"D{i}" for i in range(n)],
            "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
            "office": "CD-NINGBO",
            "importer_id": rng.choice(["A", "B", "C"], n),
            "hs_code": rng.choice(["8517130000", "8517620000", "6109100000"], n),
            "origin": np.where(rng.random(n) < blank_share, None, rng.choice(["VN", "CN"], n)),
            "departure": "VN",
            "value": rng.lognormal(5, 1, n),
            "currency": rng.choice(["USD", "EUR"], n),
            "quantity": np.where(rng.random(n) < blank_share, np.nan, 10.0),
            "net_mass": np.where(rng.random(n) < blank_share, 0.0, rng.choice([5.0, 50.0], n)),
            "inspected": 1,
            "violation": rng.integers(0, 2, n),
        }
    )
    toy, toy_ents = _toy_history()
    decls = decls.assign(hs6=decls["hs_code"].str[:6])
    decls = decls.assign(**{c: toy[c].iloc[0] for c in toy.columns if c not in decls})
    registered = pd.to_datetime(["2024-06-01", None, "2010-01-01"])
    ents = pd.concat([toy_ents.iloc[[0]]] * 3, ignore_index=True).assign(id=["A", "B", "C"], registered=registered)
    frame = prepare_frame(decls, ents)
    state = fit_state(frame)
    columns = ["peer_z", "peer_count", "importer_age_days"]
    whole = training_features(frame, state)[columns].to_numpy()
    at = [state.names().index(c) for c in columns]
    alone = np.array(
        [np.array(declaration_features(prepare_declaration(row, state), state))[at] for row in frame.to_dict("records")]
    )
    np.testing.assert_allclose(whole, alone, rtol=1e-12, equal_nan=True)
    if blank_share < 1.0:
        assert (~np.isnan(whole[:, 0])).any()  # some declarations had peers to compare with


def test_peer_z_compares_unit_values_in_us_dollars():
    """The same goods at the same price get the same peer_z in dollars and in yen, in training and at clearance."""
    decls, ents = _toy_history()
    yen = decls.assign(id=decls["id"] + "-JP", currency="JPY", value=decls["value"] * 150.0)
    frame = prepare_frame(pd.concat([decls, yen], ignore_index=True), ents)
    state = fit_state(frame)
    peer_z = training_features(frame, state)["peer_z"].to_numpy()
    dollars_only = prepare_frame(decls, ents)
    expected = training_features(dollars_only, fit_state(dollars_only))["peer_z"].to_numpy()
    assert not np.isnan(expected).any()
    np.testing.assert_allclose(peer_z[:6], expected)  # yen peers leave dollar declarations where they were
    np.testing.assert_allclose(peer_z[6:], expected)
    at = state.names().index("peer_z")
    online = {
        currency: declaration_features(prepare_declaration({**frame.iloc[5].to_dict(), **row}, state), state)[at]
        for currency, row in {
            "USD": {},
            "JPY": {"currency": "jpy", "value": frame.iloc[5]["value"] * 150.0},
            "XYZ": {"currency": "XYZ"},
        }.items()
    }
    assert online["USD"] == pytest.approx(expected[5]) and online["JPY"] == pytest.approx(expected[5])
    assert np.isnan(online["XYZ"])  # no rate: not compared rather than taken at par


def test_thresholds_follow_inspection_capacity():
    scores = np.arange(1000) / 10.0  # 0.0 .. 99.9
    offices = pd.Series(["CD-NINGBO"] * 500 + ["CD-QINGDAO"] * 500)
    cut = thresholds_from_capacity(scores, offices, 0.03, 0.10, {"CD-QINGDAO": 0.10})
    assert (scores >= cut["*"][1]).mean() == pytest.approx(0.03, abs=0.002)
    assert (scores >= cut["*"][0]).mean() == pytest.approx(0.13, abs=0.002)
    qingdao = scores[500:]
    assert (qingdao >= cut["CD-QINGDAO"][1]).mean() == pytest.approx(0.10, abs=0.004)


def test_score_command_reads_own_column_names_through_a_mapping(trained, tmp_path):
    env, sample, _ = trained
    rows = pd.read_csv(sample / "declarations-2025Q4.csv", dtype=str, keep_default_na=False).head(50)
    own = pd.DataFrame(
        {
            "ENTRY_NO": rows["declaration_id"],
            "ENTRY_DATE": rows["date"],
            "CONSIGNEE": rows["importer_id"],
            "HS": rows["hs_code"],
            "CIF": rows["value"],
            "PORT_OFFICE": rows["office"],
        }
    )
    own.loc[7, "HS"] = "not-a-code"
    own.to_csv(tmp_path / "own.csv", index=False)
    (tmp_path / "map.yaml").write_text(
        "fields: {declaration_id: ENTRY_NO, date: ENTRY_DATE, importer_id: CONSIGNEE, hs_code: HS, value: CIF, "
        "office: PORT_OFFICE}\n"
    )
    out = tmp_path / "scored.csv"
    args = ("score", str(tmp_path / "own.csv"), "--mapping", str(tmp_path / "map.yaml"), "--out", str(out), "--json")
    counts = json.loads(run_cli(env, *args).stdout.strip().splitlines()[-1])
    assert (counts["read"], counts["scored"], counts["quarantined"]) == (50, 49, 1)
    scored = pd.read_csv(out, dtype=str)
    assert scored["declaration_id"].tolist() == [i for n, i in enumerate(own["ENTRY_NO"]) if n != 7]
