"""One family for every failure the project expects: :class:`RiskGraphError`.

Each kind carries the HTTP status and error code the API answers with (``api/errors.py``) and the exit
status the command line ends with (``riskgraph/cli.py``), so both translate the whole family in one place
and a new error needs no new table entry. Subclasses keep their builtin base (``ValueError``,
``RuntimeError``...) so callers that catch those still do.
"""

from __future__ import annotations

__all__ = ["RiskGraphError"]


class RiskGraphError(Exception):
    """A failure the caller can understand from its message; never shown as a stack trace."""

    status: int = 500
    code: str = "internal_error"
    exit_code: int = 1
