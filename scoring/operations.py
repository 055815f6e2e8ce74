"""Special operations: a time-boxed campaign that sends a share of one scope to physical inspection.

An operation is a risk parameter like a rule (owner sub-centre, offices, dates, a scope in the rules'
condition vocabulary, matched by the same compiled predicate: ``scoring.rules.compile_conditions``), but
instead of moving a score it guarantees a rate: while it runs, about ``inspection_rate`` of the declarations
in its scope go to physical inspection, the riskiest first by the score of the operation's target, each
naming the operation in its reasons. Declarations outside the scope are not touched.

"Riskiest first" on a stream: a declaration is selected when fewer than ``rate * n`` of the ``n`` in-scope
declarations seen so far scored higher on the target (ties share what is left, by a hash of the id). That
is the running ``1 - rate`` quantile of the scope's own score distribution, kept as a histogram of target
scores in tenths (:class:`Tally`): O(1) per declaration, whatever the stream's length. The histogram is
shared by every API worker and survives restarts through a small SQLite file beside the rules: each
worker adds what it saw and reads everyone's totals once a second (``scoring.live``).

Operations are proposed and approved through the rules' pending changes (``scoring.rule_store``); this
module keeps the approved ones in ``$RISKGRAPH_HOME/rules/operations.json``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graph.errors import RiskGraphError
from graph.home import RULES
from scoring.lookouts import raise_channel
from scoring.rules import Conditions, check_offices, check_owner, check_target, compile_conditions, office_scope

__all__ = [
    "Operation",
    "OperationError",
    "OperationStore",
    "OperationBook",
    "Tally",
    "parse_operation",
    "new_operation_id",
]

INSPECTION = "physical inspection"
#: target scores 0..100 counted in tenths
BINS = 1001


class OperationError(RiskGraphError, ValueError):
    """An operation that cannot be stored or changed; the message says what is wrong."""

    status, code = 422, "invalid_operation"


class Operation(BaseModel):
    """One special operation, as proposed and then approved."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    id: str = Field(pattern=r"^op-[a-z0-9][a-z0-9_-]{1,60}$", description="set when proposed")
    name: str = Field(min_length=3, max_length=200)
    target: str = Field(description="the risk target whose score ranks the scope: tax, security, ipr, drugs, ...")
    owner: str = Field(description="the department, a sub-centre or a district (for its own offices) running it")
    offices: list[str] = Field(default_factory=list, description="district codes; empty = the owner's jurisdiction")
    start: date
    end: date
    inspection_rate: float = Field(gt=0, le=1, description="share of the scope sent to physical inspection")
    scope: Conditions = Field(description="which declarations the operation covers, as a rule's conditions")
    description: str | None = Field(None, max_length=1000)
    proposed_by: str = Field(min_length=1, max_length=100)
    approved_by: str | None = Field(None, max_length=100)
    approved_at: datetime | None = None
    ended_on: date | None = Field(None, description="ended early: nothing dated this day or later is selected")
    ended_by: str | None = Field(None, max_length=100)

    @field_validator("target")
    @classmethod
    def _target(cls, value: str) -> str:
        return check_target(value)

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        return check_owner(value)

    @model_validator(mode="after")
    def _consistent(self) -> Operation:
        self.offices = check_offices(self.owner, self.offices)
        if self.end < self.start:
            raise ValueError(f"end: {self.end} is before start ({self.start})")
        return self

    @property
    def last_day(self) -> date:
        """The last day it selects (before ``start`` for one ended before it began)."""
        return min(self.end, self.ended_on - timedelta(days=1)) if self.ended_on else self.end

    @property
    def half_time(self) -> date:
        return self.start + (self.end - self.start) / 2

    def status_on(self, today: date) -> str:
        if today < self.start:
            return "scheduled"
        return "running" if today <= self.last_day else "ended"


def new_operation_id() -> str:
    return f"op-{os.urandom(4).hex()}"


def parse_operation(data: object, proposed_by: str) -> Operation:
    """A validated operation (a new id unless the data has one), or :class:`OperationError` naming each fault."""
    if not isinstance(data, dict):
        raise OperationError("an operation must be a mapping of fields")
    given = {k: v for k, v in data.items() if k not in ("approved_by", "approved_at", "ended_on", "ended_by")}
    for field in ("proposed_by", "approved_by"):
        if field in data:
            raise OperationError(f"{field}: set by who proposes and approves, not in the operation")
    try:
        return Operation.model_validate({"id": new_operation_id(), **given, "proposed_by": proposed_by})
    except ValidationError as exc:
        faults = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            faults.append(f"{where}: {message}" if where else message)
        raise OperationError(f"operation {data.get('name', '?')!r} refused: " + "; ".join(faults)) from None


class OperationStore:
    """The approved operations, ``rules/operations.json``, replaced whole under a lock (as the rules are)."""

    def __init__(self, home: Path) -> None:
        self.folder = Path(home) / RULES
        self.path = self.folder / "operations.json"

    def mtime(self) -> int:
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def all(self) -> list[Operation]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        return [Operation.model_validate(o) for o in doc["operations"]]

    def get(self, operation_id: str) -> Operation:
        found = next((o for o in self.all() if o.id == operation_id), None)
        if found is None:
            raise OperationError(f"no operation {operation_id!r} (see `riskgraph operations list`)")
        return found

    def add(self, operation: Operation, approved_by: str) -> Operation:
        with self._locked() as operations:
            if any(o.id == operation.id for o in operations):
                raise OperationError(f"operation {operation.id} exists already")
            approved = operation.model_copy(update={"approved_by": approved_by, "approved_at": datetime.now(UTC)})
            operations.append(approved)
        return approved

    def end(self, operation_id: str, ended_by: str, on: date | None = None) -> Operation:
        """End the operation on ``on`` (today): it selects nothing dated that day or later."""
        on = on or date.today()
        with self._locked() as operations:
            at = next((i for i, o in enumerate(operations) if o.id == operation_id), None)
            if at is None:
                raise OperationError(f"no operation {operation_id!r}")
            if operations[at].ended_on is not None or operations[at].end < on:
                raise OperationError(f"operation {operation_id} has ended already ({operations[at].last_day})")
            operations[at] = operations[at].model_copy(update={"ended_on": on, "ended_by": ended_by})
            return operations[at]

    @contextmanager
    def _locked(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".operations.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            operations = self.all()
            yield operations
            staging = self.folder / ".operations.json.tmp"
            staging.write_text(json.dumps({"operations": [o.model_dump(mode="json") for o in operations]}, indent=1))
            os.replace(staging, self.path)


_TALLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS tally (operation TEXT NOT NULL, bin INTEGER NOT NULL, n INTEGER NOT NULL,
                                  PRIMARY KEY (operation, bin))
"""
_ADD = "INSERT INTO tally (operation, bin, n) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n"


class Tally:
    """Per operation, how many in-scope declarations scored each tenth of the target score: this worker's
    view (everyone's totals at the last :meth:`sync` plus what it saw since)."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / RULES / "operation-tally.sqlite"
        self._counts: dict[str, np.ndarray] = {}
        self._delta: dict[str, np.ndarray] = {}
        self._seen: dict[str, int] = {}  # the sum of each operation's counts, kept as they change
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()

    def choose(self, operation: str, score: float, rate: float, key: str) -> bool:
        """Count a declaration scoring ``score``; True when it ranks within the top ``rate`` of all counted."""
        b = min(max(int(round(score * 10)), 0), BINS - 1)
        with self._lock:
            counts = self._counts.get(operation)
            if counts is None:
                counts = self._counts[operation] = np.zeros(BINS, dtype=np.int64)
            delta = self._delta.get(operation)
            if delta is None:
                delta = self._delta[operation] = np.zeros(BINS, dtype=np.int64)
            counts[b] += 1
            delta[b] += 1
            n = self._seen[operation] = self._seen.get(operation, 0) + 1
            above = int(counts[b + 1 :].sum())
            tied = int(counts[b])
        quota = rate * n
        if above >= quota:
            return False
        share = (quota - above) / tied
        return share >= 1 or _unit(operation + key) < share

    def seen(self, operation: str) -> int:
        return self._seen.get(operation, 0)

    def sync(self) -> None:
        """Add what this worker counted since the last sync to the shared file and read everyone's totals."""
        with self._sync_lock:
            with self._lock:
                delta, self._delta = self._delta, {}
            rows = [(op, int(b), int(d[b])) for op, d in delta.items() for b in np.flatnonzero(d)]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_TALLY_SCHEMA)
                with db:
                    db.executemany(_ADD, rows)
                totals: dict[str, np.ndarray] = {}
                for op, b, n in db.execute("SELECT operation, bin, n FROM tally"):
                    totals.setdefault(op, np.zeros(BINS, dtype=np.int64))[b] = n
            finally:
                db.close()
            with self._lock:
                for op, since in self._delta.items():  # counted while this sync ran
                    totals.setdefault(op, np.zeros(BINS, dtype=np.int64))
                    totals[op] += since
                self._counts = totals
                self._seen = {op: int(counts.sum()) for op, counts in totals.items()}


def _unit(text: str) -> float:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class OperationBook:
    """The operations in force for a scorer, compiled once, and the shared tally that ranks their scopes."""

    def __init__(self, tally: Tally | None = None, operations: list[Operation] = ()) -> None:
        self.tally = tally
        self.compiled = [
            (o, compile_conditions(o.scope, office_scope(o.owner, o.offices), o.start, o.last_day)) for o in operations
        ]

    @classmethod
    def of(cls, home: Path) -> OperationBook:
        """The home's operations with its tally as it stands (read now): what ``riskgraph score`` applies."""
        operations = OperationStore(home).all()
        tally = Tally(home)
        if operations:
            tally.sync()
        return cls(tally, operations)

    def __len__(self) -> int:
        return len(self.compiled)

    def sync(self) -> None:
        """Hand what was counted here to the shared tally (a command's end)."""
        if self.compiled and self.tally is not None:
            self.tally.sync()

    def apply(self, decisions: list, prepared: list[dict], view) -> None:
        """Send the in-scope declarations each operation ranks high enough to physical inspection, naming it.

        ``view`` makes the rule matcher's view of a prepared declaration (``scoring.scorer.rule_view``). Call
        after the target scores are set and before the model's contributions join the reasons."""
        if not self.compiled or self.tally is None:
            return
        today = date.today()
        for decision, d in zip(decisions, prepared, strict=True):
            seen = view(d)
            for operation, in_scope in self.compiled:
                if not in_scope(seen):
                    continue
                if seen.date is None and not operation.start <= today <= operation.last_day:
                    continue
                target = decision.targets.get(operation.target)
                score = target["score"] if target else decision.score
                if self.tally.choose(operation.id, score, operation.inspection_rate, decision.declaration_id):
                    _select(decision, operation, score)


def _select(decision, operation: Operation, score: float) -> None:
    raise_channel(decision, INSPECTION)
    at = 1 if decision.random else 0
    decision.reasons.insert(
        at,
        {
            "kind": "operation",
            "operation": operation.id,
            "target": operation.target,
            "score": score,
            "channel": INSPECTION,
            "detail": f"special operation {operation.id} ({operation.name}): among the riskiest "
            f"{operation.inspection_rate:.0%} of its scope by {operation.target} score",
        },
    )
