"""Risk parameters: validation messages, jurisdiction, versions, matching, and the ``rules`` commands."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from scoring.rule_store import RuleStore
from scoring.rules import RuleError, RuleView, compile_rule, parse_rule
from tests.conftest import run_cli


def _rule(**changes) -> dict:
    rule = {
        "id": "ningbo-phones-cd",
        "description": "Phones from C and D importers at Ningbo",
        "target": "tax",
        "weight": 0.4,
        "owner": "SC-SHANGHAI",
        "offices": ["Ningbo"],
        "effective_from": "2025-01-01",
        "conditions": {"importer_category": ["C", "D"], "hs_prefix": ["8517"]},
        "changed_by": "analyst",
    }
    rule.update(changes)
    return rule


def _view(**changes) -> RuleView:
    view = {
        "date": date(2025, 6, 1),
        "office": "CD-NINGBO",
        "importer_category": "D",
        "hs_code": "8517130000",
        "value": 1000.0,
        "unit_value": 10.0,
        "has_licence": False,
        "origin": "CN",
        "departure": "HK",
        "transit_countries": frozenset(),
        "ports": frozenset({"HKHKG", "CNNGB"}),
        "route": "HKHKG>CNNGB",
        "transport_mode": "sea",
        "network_risk": 0.2,
    }
    view.update(changes)
    return RuleView(**view)


def test_valid_rule_resolves_office_names_to_codes():
    assert parse_rule(_rule()).offices == ["CD-NINGBO"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"offices": ["Shenzhen"]}, "offices: .*CD-SHENZHEN is outside the jurisdiction of SC-SHANGHAI"),
        ({"offices": ["Atlantis"]}, "'Atlantis' is not a customs office"),
        ({"owner": "SC-PARIS"}, "owner: .*'SC-PARIS' is not the department, a sub-centre or a district"),
        ({"weight": 1.5}, "weight: Input should be less than or equal to 1"),
        (
            {"target": "weather"},
            "target: 'weather' is not a risk target; target must be one of tax, security, ipr, drugs",
        ),
        ({"conditions": {}}, "conditions: a rule needs at least one condition"),
        ({"conditions": {"hs_prefix": ["85X7"]}}, "conditions.hs_prefix: '85X7' is not an HS prefix"),
        ({"conditions": {"value_min": 10, "value_max": 5}}, "value_min \\(10.0\\) is above value_max"),
        ({"conditions": {"origin": ["China"]}}, "conditions.origin: 'CHINA' is not an ISO 3166"),
        ({"conditions": {"colour": ["red"]}}, "conditions.colour: Extra inputs are not permitted"),
        ({"effective_to": "2024-01-01"}, "effective_to: 2024-01-01 is before effective_from"),
    ],
)
def test_invalid_rule_is_refused_saying_what_is_wrong(changes, message):
    with pytest.raises(RuleError, match=message):
        parse_rule(_rule(**changes))


def test_department_may_target_any_office():
    assert parse_rule(_rule(owner="GACC-DARM", offices=["Shenzhen", "Ningbo"])).offices == ["CD-NINGBO", "CD-SHENZHEN"]


def test_matching_checks_every_condition_scope_and_dates():
    hits = compile_rule(parse_rule(_rule()))
    assert hits(_view())
    assert not hits(_view(importer_category="B"))
    assert not hits(_view(hs_code="8471300000"))
    assert not hits(_view(office="CD-SHANGHAI"))  # same sub-centre, but the rule names Ningbo only
    assert not hits(_view(date=date(2024, 12, 31)))
    whole = compile_rule(parse_rule(_rule(offices=[])))
    assert whole(_view(office="CD-SHANGHAI")) and not whole(_view(office="CD-SHENZHEN"))
    route = compile_rule(
        parse_rule(_rule(conditions={"port": ["hkhkg"], "missing_licence": True, "network_risk_min": 0.2}))
    )
    assert route(_view()) and not route(_view(has_licence=True)) and not route(_view(network_risk=0.1))


def test_store_keeps_every_version_and_only_the_owner_changes_a_rule(tmp_path):
    store = RuleStore(tmp_path)
    assert store.add(_rule(), "ana").version == 1
    assert store.add(_rule(weight=0.6), "ana").version == 2
    with pytest.raises(RuleError, match="belongs to SC-SHANGHAI; SC-QINGDAO may not change it"):
        store.disable("ningbo-phones-cd", "bo", "SC-QINGDAO")
    with pytest.raises(RuleError, match="belongs to SC-SHANGHAI"):
        store.add(_rule(owner="SC-QINGDAO", offices=["Qingdao"]), "bo")
    disabled = store.disable("ningbo-phones-cd", "chen", "SC-SHANGHAI")
    assert (disabled.version, disabled.enabled, disabled.changed_by, disabled.weight) == (3, False, "chen", 0.6)
    assert [r.version for r in store.history()] == [1, 2, 3]
    assert store.current(include_disabled=False) == []
    with pytest.raises(RuleError, match="already disabled"):
        store.disable("ningbo-phones-cd", "chen", "GACC-DARM")


def test_rules_commands(rg_env, tmp_path):
    env = {**rg_env, "RISKGRAPH_HOME": str(tmp_path / "home")}
    good = tmp_path / "rule.json"
    good.write_text(json.dumps(_rule()))
    proposed = run_cli(env, "rules", "add", str(good), "--by", "ana")
    change = re.search(r"proposed change (chg-[0-9a-f]+)", proposed.stderr).group(1)
    assert json.loads(run_cli(env, "rules", "list", "--json").stdout) == []  # not in force before approval
    own = run_cli(env, "rules", "approve", change, "--by", "ana", check=False)
    assert own.returncode == 1 and "someone else approves it" in own.stderr
    run_cli(env, "rules", "approve", change, "--by", "bo")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: shenzhen-from-shanghai\ndescription: x y z\ntarget: tax\nweight: 0.3\nowner: SC-SHANGHAI\n"
        "offices: [CD-SHENZHEN]\neffective_from: 2025-01-01\nconditions: {origin: [VN]}\n"
    )
    done = run_cli(env, "rules", "add", str(bad), "--by", "ana", check=False)
    assert done.returncode == 1
    assert "CD-SHENZHEN is outside the jurisdiction of SC-SHANGHAI" in done.stderr
    assert "Traceback" not in done.stderr
    proposed = run_cli(env, "rules", "disable", "ningbo-phones-cd", "--by", "chen", "--as", "SC-SHANGHAI")
    change = re.search(r"proposed change (chg-[0-9a-f]+)", proposed.stderr).group(1)
    assert [c["id"] for c in json.loads(run_cli(env, "rules", "pending", "--json").stdout)] == [change]
    run_cli(env, "rules", "approve", change, "--by", "ana")
    listed = json.loads(run_cli(env, "rules", "list", "--json").stdout)
    assert [(r["id"], r["version"], r["enabled"]) for r in listed] == [("ningbo-phones-cd", 2, False)]
    assert (listed[0]["changed_by"], listed[0]["approved_by"]) == ("chen", "ana")
