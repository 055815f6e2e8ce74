"""Known violators learnt between two analyses, for the running scorers' identifier index.

Feedback that finds a violation and a case closed ``confirmed`` are written to the graph at once, but
the scoring snapshot is rebuilt only after the next analysis. Each such event is also appended, as one
JSON line, to ``$RISKGRAPH_HOME/violators.jsonl``; every scorer (each server process, and
``riskgraph score``) applies the lines written after its snapshot read the graph, and a running server
reads new lines within a second (``scoring.live``), so the next declaration sharing an identifier with
that firm already sees it. Appends of one short line are atomic under ``O_APPEND``, so several server
processes may write at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from graph.home import VIOLATORS
from scoring.links import LinkIndex

__all__ = ["ViolatorEvent", "ViolatorJournal"]


@dataclass(frozen=True)
class ViolatorEvent:
    enterprise: str
    day: str  # ISO date of the violation (the declaration's date) or of the case's closing
    case: str | None = None
    declaration: str | None = None


class ViolatorJournal:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / VIOLATORS

    def append(self, events: list[ViolatorEvent]) -> None:
        if not events:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)  # home exists once anything was published
        at = datetime.now(UTC).isoformat()
        lines = "".join(json.dumps({"at": at, **e.__dict__}) + "\n" for e in events)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def apply(self, index: LinkIndex, offset: int = 0) -> int:
        """Mark the violators recorded from byte ``offset`` on (and after the index's graph read) in
        ``index``; returns the offset to continue from."""
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return 0
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written is read next time
        for line in complete.splitlines():
            try:
                event = json.loads(line)
                if event["at"] < index.read_at:
                    continue
                index.mark_violator(event["enterprise"], date.fromisoformat(event["day"][:10]), event.get("case"))
            except (ValueError, KeyError, TypeError):
                continue  # a damaged line must not stop scoring
        return offset + len(complete)
