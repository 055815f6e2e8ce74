"""The same graph gives the same PageRank digits on every run.

igraph's PageRank (PRPACK) summed over its OpenMP threads in an order that varied from run to run: two runs of
the same analysis differed by up to 1.5e-12 in ``pagerank`` and ``propagated_risk``, so a firm's digest moved and
it was written back with nothing changed, and an investigator could not reproduce a figure. The walk that
replaced it (:mod:`algorithms.walk`) takes its dot products from BLAS, which may split them over threads the same
way. On one thread the sums are always in one order.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

__all__ = ["one_thread"]


def one_thread() -> threadpool_limits:
    """A context in which OpenMP and BLAS code runs on one thread, in one order."""
    return threadpool_limits(limits=1)
