"""Known violators learnt between two analyses, for the running scorers' identifier index.

Feedback that finds a violation and a case closed ``confirmed`` are written to the graph at once, but
the scoring snapshot is rebuilt only after the next analysis. Each such event is also appended, as one
JSON line, to ``$RISKGRAPH_HOME/violators.jsonl``; every scorer (each server process, and
``riskgraph score``) applies the lines written after its snapshot read the graph, and a running server
reads new lines within a second (``scoring.live``), so the next declaration sharing an identifier with
that firm already sees it. Appends are made under an exclusive lock on the file, so several server
processes may write at once. A crash or a full disk can leave a line without its end: the next append
starts on a fresh line (it writes the missing newline first), and a reader skips a damaged line with a
warning; the line after it always counts.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from graph.home import VIOLATORS
from scoring.links import LinkIndex

__all__ = ["ViolatorEvent", "ViolatorJournal"]

log = logging.getLogger(__name__)


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
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # the end is checked and written by one process at a time
            os.write(fd, (b"" if _ends_a_line(fd) else b"\n") + lines.encode())
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
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                if event["at"] < index.read_at:
                    continue
                index.mark_violator(event["enterprise"], date.fromisoformat(event["day"][:10]), event.get("case"))
            except (ValueError, KeyError, TypeError):  # a damaged line must not stop scoring
                log.warning("%s: skipped a damaged line: %.80r", self.path, line)
        return offset + len(complete)


def _ends_a_line(fd: int) -> bool:
    """Whether the open file is empty or ends in a newline (else a crashed write left half a line)."""
    size = os.fstat(fd).st_size
    return size == 0 or os.pread(fd, 1, size - 1) == b"\n"
