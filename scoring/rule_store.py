"""The versioned store of risk parameters: ``$RISKGRAPH_HOME/rules/rules.json``.

Why a file and not Neo4j: clearance scoring must keep answering with the graph down, and a
parameter an analyst sets must take effect at once, without rebuilding the scoring snapshot. The
scorer re-reads this one small file when its modification time changes. Every change appends a
new version of the rule (nothing is overwritten), so the store is its own audit trail: who changed
what, when. Writes take an exclusive lock and replace the file atomically, so a reader never sees
half a file and two writers never lose each other's change.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from graph.home import RULES
from graph.reference import DEPARTMENT
from scoring.rules import Rule, RuleError, parse_rule

__all__ = ["RuleStore"]


class RuleStore:
    """All versions of all rules; the current rule is the highest version of each id."""

    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / RULES
        self.path = self.folder / "rules.json"

    def mtime(self) -> int:
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def history(self) -> list[Rule]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        return [Rule.model_validate(r) for r in doc["rules"]]

    def current(self, include_disabled: bool = True) -> list[Rule]:
        latest: dict[str, Rule] = {}
        for rule in self.history():
            if rule.id not in latest or rule.version > latest[rule.id].version:
                latest[rule.id] = rule
        rules = sorted(latest.values(), key=lambda r: r.id)
        return rules if include_disabled else [r for r in rules if r.enabled]

    def get(self, rule_id: str) -> Rule:
        for rule in self.current():
            if rule.id == rule_id:
                return rule
        raise RuleError(f"no rule with id {rule_id!r}")

    def add(self, data: dict, changed_by: str) -> Rule:
        """Store a new rule, or a new version of an existing one (only its owner may change it)."""
        rule = parse_rule({**data, "changed_by": changed_by, "version": 1})
        with self._locked() as history:
            versions = [r for r in history if r.id == rule.id]
            if versions:
                last = max(versions, key=lambda r: r.version)
                _check_owner(last, rule.owner)
                rule = rule.model_copy(update={"version": last.version + 1})
            rule = rule.model_copy(update={"changed_at": datetime.now(UTC)})
            history.append(rule)
        return rule

    def disable(self, rule_id: str, changed_by: str, acting_for: str) -> Rule:
        """A new version of the rule with ``enabled: false``; the owner or the department may do it."""
        with self._locked() as history:
            versions = [r for r in history if r.id == rule_id]
            if not versions:
                raise RuleError(f"no rule with id {rule_id!r}")
            last = max(versions, key=lambda r: r.version)
            _check_owner(last, acting_for)
            if not last.enabled:
                raise RuleError(f"rule {rule_id!r} is already disabled (version {last.version})")
            rule = last.model_copy(
                update={
                    "enabled": False,
                    "version": last.version + 1,
                    "changed_by": changed_by,
                    "changed_at": datetime.now(UTC),
                }
            )
            history.append(rule)
        return rule

    @contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            history = self.history()
            yield history
            doc = {"rules": [r.model_dump(mode="json") for r in history]}
            staging = self.folder / ".rules.json.tmp"
            staging.write_text(json.dumps(doc, indent=1))
            os.replace(staging, self.path)


def _check_owner(rule: Rule, acting_for: str) -> None:
    acting_for = acting_for.strip().upper()
    if acting_for not in (rule.owner, DEPARTMENT.code):
        raise RuleError(f"rule {rule.id!r} belongs to {rule.owner}; {acting_for} may not change it")
