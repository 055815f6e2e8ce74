"""The same graph gives the same PageRank digits on every run.

igraph's PageRank (PRPACK) sums over its OpenMP threads in an order that varies from run to run: two runs of
the same analysis differed by up to 1.5e-12 in ``pagerank`` and ``propagated_risk``, so a firm's digest moved and
it was written back with nothing changed, and an investigator could not reproduce a figure. On one thread the
sums are always in one order; on this 2-core machine a 2.6M-edge PageRank took no longer for it.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

__all__ = ["one_thread"]


def one_thread() -> threadpool_limits:
    """A context in which OpenMP code (igraph's PageRank) runs on one thread, in one order."""
    return threadpool_limits(limits=1, user_api="openmp")
