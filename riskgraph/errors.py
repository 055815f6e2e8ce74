"""``UserError``: a command-line failure the user can fix (a bad option, a missing input), printed as one line.

Its own module so the command modules and ``riskgraph/cli.py`` (which registers them) can both import it
at the top without a circle.
"""

from __future__ import annotations

from graph.errors import RiskGraphError

__all__ = ["UserError"]


class UserError(RiskGraphError):
    """A failure the user can fix; printed as one line."""

    status, code = 422, "invalid_request"
