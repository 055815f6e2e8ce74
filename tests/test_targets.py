"""Risk targets as data: ``riskgraph targets load|list`` and the built-in wording (no database needed).

A file is checked whole: a bad row is refused with its row number and reason and the table in force does
not change. The built-in wording covers what the generator writes, in English and Chinese; an unknown
type is ``other``. A target the administration adds is one rules may aim at.
"""

from __future__ import annotations

import json

import pytest

from graph.targets import BUILT_IN, OTHER, TargetTable, normalise_type
from sample.generator.outcomes import VIOLATION_TYPES
from tests.conftest import run_cli


@pytest.fixture()
def env(rg_env, tmp_path):
    return {**rg_env, "RISKGRAPH_HOME": str(tmp_path / "home")}


def _listed(env) -> dict:
    return json.loads(run_cli(env, "targets", "list", "--json").stdout)


def test_built_in_wording_covers_the_generator_in_english_and_chinese():
    table = TargetTable({})
    expected = {
        "under-valuation": "tax",
        "mis-classification": "tax",
        "false origin": "tax",
        "split consignment": "tax",
        "drug smuggling": "drugs",
        "IPR infringement": "ipr",
        "dual-use goods without licence": "security",
        "licence missing": OTHER,
    }
    assert {t: table.target_of(t) for t in expected} == expected
    assert all(table.target_of(t) is not None for t in VIOLATION_TYPES)
    chinese = {"低报价格": "tax", "走私毒品": "drugs", "侵犯知识产权": "ipr", "两用物项无许可证": "security"}
    assert {t: table.target_of(t) for t in chinese} == chinese
    assert table.target_of("Cocaine concealed in bananas") == "drugs"  # key words, graver targets first
    targets, unknown = table.classify(["Under Valuation", "smuggling", "smuggling", ""])
    assert targets == ["tax", OTHER, OTHER, OTHER] and unknown == {"smuggling": 2, "": 1}
    assert normalise_type(" IPR_infringement ") == "ipr infringement"


def test_load_adds_types_and_targets_and_list_shows_them(env, tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text(
        "violation_type,target\nSmuggling,drugs\nWildlife products,environment\n野生动物制品,environment\n",
        encoding="utf-8",
    )
    done = run_cli(env, "targets", "load", str(path))
    assert "loaded 3 violation types" in done.stderr and "environment" in done.stderr
    listed = _listed(env)
    assert listed["targets"] == [*BUILT_IN, "environment"]
    assert {"violation_type": "smuggling", "target": "drugs"} in listed["loaded"]
    assert {"violation_type": "野生动物制品", "target": "environment"} in listed["loaded"]
    assert {"violation_type": "under valuation", "target": "tax"} in listed["built_in"]
    # --extend (the default) keeps earlier rows; a later row for the same type wins
    again = tmp_path / "more.csv"
    again.write_text("violation_type,target\nsmuggling,security\n", encoding="utf-8")
    run_cli(env, "targets", "load", str(again))
    assert {"violation_type": "smuggling", "target": "security"} in _listed(env)["loaded"]
    assert len(_listed(env)["loaded"]) == 3
    run_cli(env, "targets", "load", str(again), "--replace")
    assert _listed(env)["loaded"] == [{"violation_type": "smuggling", "target": "security"}]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("violation_type,target\nsmuggling,drugs\n,tax\n", "row 2: violation_type is empty"),
        ("violation_type,target\nsmuggling,Drugs!\n", "row 1: target 'Drugs!' is not a target name"),
        ("violation_type,target\nsmuggling,drugs\nfraud,any\n", "row 2: target 'any' is reserved"),
        (
            "violation_type,target\nsmuggling,drugs\nother,tax\nSMUGGLING,security\n",
            "row 3: violation_type 'SMUGGLING' is already mapped to 'drugs' in row 1",
        ),
        ("violation_type,target\nsmuggling,drugs,extra\n", "row 1: 3 fields, the header has 2"),
        ("type,target\nsmuggling,drugs\n", "no column violation_type"),
    ],
)
def test_a_bad_row_is_refused_with_row_and_reason_and_nothing_changes(env, tmp_path, text, reason):
    good = tmp_path / "good.csv"
    good.write_text("violation_type,target\nwildlife,environment\n", encoding="utf-8")
    run_cli(env, "targets", "load", str(good))
    before = _listed(env)
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    done = run_cli(env, "targets", "load", str(bad), check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert reason in done.stderr, done.stderr
    assert _listed(env) == before


def test_a_rule_may_aim_at_a_loaded_target_and_not_at_an_unknown_one(env, tmp_path):
    from graph.config import settings
    from scoring.rules import RuleError, parse_rule

    rule = {
        "id": "ivory",
        "description": "Carvings from range states",
        "target": "environment",
        "weight": 0.5,
        "owner": "GACC-DARM",
        "effective_from": "2025-01-01",
        "conditions": {"hs_prefix": ["9601"]},
        "changed_by": "analyst",
    }
    path = tmp_path / "targets.csv"
    path.write_text("violation_type,target\nivory,environment\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RISKGRAPH_HOME", env["RISKGRAPH_HOME"])
        settings.cache_clear()
        try:
            with pytest.raises(RuleError, match="target: 'environment' is not a risk target"):
                parse_rule(rule)
            run_cli(env, "targets", "load", str(path))
            assert parse_rule(rule).target == "environment"
        finally:
            mp.undo()
            settings.cache_clear()
