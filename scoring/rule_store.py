"""The versioned store of risk parameters: ``$RISKGRAPH_HOME/rules/rules.json``.

Why a file and not Neo4j: clearance scoring must keep answering with the graph down, and a
parameter an analyst sets must take effect at once, without rebuilding the scoring snapshot. The
scorer re-reads this one small file when its modification time changes. Every change appends a
new version of the rule (nothing is overwritten), so the store is its own audit trail: who changed
what, when. Writes take an exclusive lock and replace the file atomically, so a reader never sees
half a file and two writers never lose each other's change.

Four eyes: a change (a new rule, a new version, a disable) is first *proposed*
(:meth:`RuleStore.propose`, kept in ``rules/pending.json``, not read by the scorer) and takes effect
only when someone else approves it (:meth:`RuleStore.approve`); the version then records both who
changed it and who approved it. The proposer cannot approve their own change. Special operations
(``scoring.operations``) are risk parameters too and go through the same pending changes
(``add_operation``, ``end_operation``).

The new-firm policies (``scoring.new_firms``: one per sub-centre) are risk parameters too: kept in the
same file, versioned and proposed and approved the same way (action ``policy``).
The routes of the risk targets (inspection type and instruction per target and channel, ``scoring.inspection``)
are changed the same way (``route``), and kept, every version, in ``rules/routing.json``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from graph.home import RULES
from graph.reference import ancestors, department_code
from scoring.inspection import Route
from scoring.new_firms import POLICY_ID, NewFirmPolicy, parse_policy
from scoring.operations import Operation, OperationStore, parse_operation
from scoring.rules import Rule, RuleError, parse_rule

__all__ = ["RuleStore", "RuleForbidden"]

_POLICY_FIELDS = {"owner", "no_history_probability", "link_weight", "inspect_from"}


class RuleForbidden(RuleError):
    """The change is someone else's to make or approve (another sub-centre's rule, one's own proposal)."""

    status, code = 403, "forbidden"


class RuleStore:
    """All versions of all rules; the current rule is the highest version of each id."""

    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / RULES
        self.path = self.folder / "rules.json"
        self.pending_path = self.folder / "pending.json"
        self.operations = OperationStore(home)
        self.routing_path = self.folder / "routing.json"

    def mtime(self) -> int:
        """The newest change of the rules or the routes (0 without either)."""
        stamps = []
        for path in (self.path, self.routing_path):
            try:
                stamps.append(path.stat().st_mtime_ns)
            except FileNotFoundError:
                stamps.append(0)
        return max(stamps)

    def route_history(self) -> list[Route]:
        try:
            doc = json.loads(self.routing_path.read_text())
        except FileNotFoundError:
            return []
        return [Route.model_validate(r) for r in doc["routes"]]

    def routes(self) -> list[Route]:
        """The routes in force: the highest version per owner, target and channel."""
        latest: dict[tuple, Route] = {}
        for route in self.route_history():
            if route.key() not in latest or route.version > latest[route.key()].version:
                latest[route.key()] = route
        return sorted(latest.values(), key=Route.key)

    def _doc(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"rules": []}

    def history(self) -> list[Rule]:
        return [Rule.model_validate(r, context={"stored": True}) for r in self._doc()["rules"]]

    def policy_history(self) -> list[NewFirmPolicy]:
        """Every version of every owner's new-firm policy, oldest first."""
        return [NewFirmPolicy.model_validate(p) for p in self._doc().get("policies", [])]

    def policies(self) -> list[NewFirmPolicy]:
        """The new-firm policy in force per owner (its highest version)."""
        latest: dict[str, NewFirmPolicy] = {}
        for policy in self.policy_history():
            latest[policy.owner] = policy
        return sorted(latest.values(), key=lambda p: p.owner)

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

    def pending(self) -> list[dict]:
        """Proposed changes awaiting a second person's approval, oldest first."""
        try:
            return json.loads(self.pending_path.read_text())["changes"]
        except FileNotFoundError:
            return []

    def propose(
        self,
        action: str,
        by: str,
        *,
        rule: dict | None = None,
        rule_id: str | None = None,
        acting_for: str | None = None,
        key: str | None = None,
        operation: dict | None = None,
    ) -> dict:
        """Record a change (``add`` with the rule's fields, ``disable`` with ``rule_id``, ``policy`` with a
        new-firm policy's fields in ``rule``, ``add_operation`` with the operation's fields, ``end_operation``
        with its id in ``rule_id``) for approval.

        Checked now as it will be applied (a valid rule, the owner's to change), so a proposal that
        could never be approved is refused at once. ``key`` is the API key id that proposed it.
        """
        if action == "add":
            parsed = parse_rule({**(rule or {}), "changed_by": by, "version": 1})
            current = {r.id: r for r in self.current()}
            if parsed.id in current:
                _check_owner(current[parsed.id], parsed.owner)
            target, owner = parsed.id, parsed.owner
            payload = {k: v for k, v in (rule or {}).items() if k not in ("changed_by", "approved_by", "version")}
        elif action == "route":
            parsed = _parse_route({**(rule or {}), "changed_by": by})
            _check_owner_of(f"route of {parsed.target}", parsed.owner, acting_for or parsed.owner)
            target, owner = f"route:{parsed.target}:{parsed.channel}", parsed.owner
            payload = parsed.model_dump(
                mode="json", include={"target", "channel", "inspection_type", "instruction", "owner"}
            )
        elif action == "disable":
            last = self.get(rule_id)
            _check_owner(last, acting_for or last.owner)
            if not last.enabled:
                raise RuleError(f"rule {rule_id!r} is already disabled (version {last.version})")
            target, owner, payload = last.id, last.owner, None
        elif action == "policy":
            policy = parse_policy({**(rule or {}), "changed_by": by})
            if acting_for is not None and acting_for.strip().upper() not in (policy.owner, department_code()):
                raise RuleForbidden(f"the new-firm policy of {policy.owner} is not {acting_for}'s to change")
            target, owner = POLICY_ID, policy.owner
            payload = policy.model_dump(mode="json", include=_POLICY_FIELDS)
        elif action == "add_operation":
            parsed = parse_operation(operation or {}, by)
            target, owner, payload = parsed.id, parsed.owner, parsed.model_dump(mode="json")
        elif action == "end_operation":
            running = self.operations.get(rule_id)
            _check_owner_of(f"operation {running.id}", running.owner, acting_for or running.owner)
            if running.ended_on is not None or running.end < datetime.now(UTC).date():
                raise RuleError(f"operation {rule_id} has ended already ({running.last_day})")
            target, owner, payload = running.id, running.owner, None
        else:
            raise RuleError(f"unknown change {action!r}: add, disable, policy, add_operation, end_operation or route")
        change = {
            "id": f"chg-{secrets.token_hex(4)}",
            "action": action,
            "rule_id": target,
            "owner": owner,
            "rule": payload,
            "proposed_by": by,
            "proposed_key": key,
            "proposed_at": datetime.now(UTC).isoformat(),
        }
        with self._pending_locked() as changes:
            changes.append(change)
        return change

    def approve(self, change_id: str, by: str, *, key: str | None = None) -> Rule | NewFirmPolicy | Operation | Route:
        """Apply a proposed change, approved by ``by``; :class:`RuleForbidden` when ``by`` proposed it."""
        with self._pending_locked() as changes:
            found = next((c for c in changes if c["id"] == change_id), None)
            if found is None:
                raise RuleError(f"no pending change {change_id!r} (see `riskgraph rules pending`)")
            same_key = key is not None and key == found.get("proposed_key")
            if same_key or by.strip().casefold() == found["proposed_by"].strip().casefold():
                raise RuleForbidden(
                    f"change {change_id} was proposed by {found['proposed_by']}: someone else approves it"
                )
            if found["action"] == "add":
                rule = self.add(found["rule"], found["proposed_by"], approved_by=by)
            elif found["action"] == "policy":
                rule = self.set_policy(found["rule"], found["proposed_by"], approved_by=by)
            elif found["action"] == "add_operation":
                rule = self.operations.add(Operation.model_validate(found["rule"]), approved_by=by)
            elif found["action"] == "end_operation":
                rule = self.operations.end(found["rule_id"], f"{found['proposed_by']}, approved by {by}")
            elif found["action"] == "route":
                rule = self.set_route(found["rule"], found["proposed_by"], approved_by=by)
            else:
                rule = self.disable(found["rule_id"], found["proposed_by"], found["owner"], approved_by=by)
            changes.remove(found)
        return rule

    def add(self, data: dict, changed_by: str, approved_by: str | None = None) -> Rule:
        """Store a new rule, or a new version of an existing one (only its owner may change it)."""
        rule = parse_rule({**data, "changed_by": changed_by, "version": 1, "approved_by": approved_by})
        with self._locked() as (history, _):
            versions = [r for r in history if r.id == rule.id]
            if versions:
                last = max(versions, key=lambda r: r.version)
                _check_owner(last, rule.owner)
                rule = rule.model_copy(update={"version": last.version + 1})
            rule = rule.model_copy(update={"changed_at": datetime.now(UTC)})
            history.append(rule)
        return rule

    def set_route(self, data: dict, changed_by: str, approved_by: str | None = None) -> Route:
        """Store a new version of a target's route for one channel at its owner's offices."""
        route = _parse_route({**data, "changed_by": changed_by, "approved_by": approved_by})
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".routing.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            history = self.route_history()
            versions = [r.version for r in history if r.key() == route.key()]
            route = route.model_copy(update={"version": max(versions, default=0) + 1, "changed_at": datetime.now(UTC)})
            history.append(route)
            staging = self.folder / ".routing.json.tmp"
            staging.write_text(json.dumps({"routes": [r.model_dump(mode="json") for r in history]}, indent=1))
            os.replace(staging, self.routing_path)
        return route

    def disable(self, rule_id: str, changed_by: str, acting_for: str, approved_by: str | None = None) -> Rule:
        """A new version of the rule with ``enabled: false``; the owner or the department may do it."""
        with self._locked() as (history, _):
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
                    "approved_by": approved_by,
                    "changed_at": datetime.now(UTC),
                }
            )
            history.append(rule)
        return rule

    def set_policy(self, data: dict, changed_by: str, approved_by: str | None = None) -> NewFirmPolicy:
        """Store a new version of an owner's new-firm policy."""
        policy = parse_policy({**data, "changed_by": changed_by, "approved_by": approved_by})
        with self._locked() as (_, policies):
            version = 1 + sum(1 for p in policies if p["owner"] == policy.owner)
            policy = policy.model_copy(update={"version": version, "changed_at": datetime.now(UTC)})
            policies.append(policy.model_dump(mode="json"))
        return policy

    @contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            doc = self._doc()
            history = [Rule.model_validate(r, context={"stored": True}) for r in doc["rules"]]
            policies = doc.get("policies", [])
            yield history, policies
            doc = {"rules": [r.model_dump(mode="json") for r in history], "policies": policies}
            staging = self.folder / ".rules.json.tmp"
            staging.write_text(json.dumps(doc, indent=1))
            os.replace(staging, self.path)

    @contextmanager
    def _pending_locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".pending.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            changes = self.pending()
            yield changes
            staging = self.folder / ".pending.json.tmp"
            staging.write_text(json.dumps({"changes": changes}, indent=1))
            os.replace(staging, self.pending_path)


def _check_owner(rule: Rule, acting_for: str) -> None:
    _check_owner_of(f"rule {rule.id!r}", rule.owner, acting_for)


def _check_owner_of(what: str, owner: str, acting_for: str) -> None:
    """The owner itself, or an office above it (a district's sub-centre, the department), may change it."""
    acting_for = acting_for.strip().upper()
    if acting_for not in (*ancestors(owner), department_code()):
        raise RuleForbidden(f"{what} belongs to {owner}; {acting_for} may not change it")


def _parse_route(data: dict) -> Route:
    """A validated route, or :class:`RuleError` with one sentence per fault."""
    try:
        return Route.model_validate({k: v for k, v in data.items() if k not in ("version", "changed_at")})
    except ValidationError as exc:
        faults = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        ]
        raise RuleError("route refused: " + "; ".join(faults)) from None
