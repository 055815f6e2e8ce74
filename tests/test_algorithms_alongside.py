"""A call on the other core: the same answer as in this process, and its failures reported, not lost."""

import os
import signal
import time

import igraph as ig
import pytest

from algorithms.alongside import alongside, done
from algorithms.centrality import betweenness_centrality
from analysis.engines import InProcessEngine, beside


def _raise():
    raise ValueError("no such firm")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_child_answers_what_this_process_would():
    g = ig.Graph.Barabasi(3000, 4)
    expected = g.betweenness(directed=False, sources=list(range(0, 3000, 30)))
    assert alongside(g.betweenness, directed=False, sources=list(range(0, 3000, 30))).result() == expected


def test_a_failure_in_the_child_is_raised_here_with_its_traceback():
    with pytest.raises(ChildProcessError, match="ValueError: no such firm"):
        alongside(_raise).result()


def test_a_child_killed_before_it_answers_is_an_error():
    with pytest.raises(ChildProcessError, match="SIGKILL"):
        alongside(_die).result()


def test_a_child_let_go_unanswered_is_stopped():
    later = alongside(signal.pause)
    pid = later.pid
    del later
    with pytest.raises(ChildProcessError):  # reaped: no such child any more
        os.waitpid(pid, os.WNOHANG)


def test_forked_betweenness_equals_the_inline_one(request):
    g = ig.Graph.Barabasi(6000, 3)
    g.vs["name"] = [f"f{i}" for i in range(g.vcount())]
    g.es["weight"] = [1.0] * g.ecount()
    how = {"seed": 3, "exact_max_vertices": 5000, "samples": 50}
    assert beside(g.ecount()) is done  # 18,000 edges: inline
    inline_pagerank, inline = InProcessEngine().start_centrality(g, **how)()
    request.getfixturevalue("always_beside")
    assert beside(g.ecount()) is alongside
    forked_pagerank, forked = InProcessEngine().start_centrality(g, **how)()
    assert forked.equals(inline) and forked_pagerank.equals(inline_pagerank)
    assert forked.equals(betweenness_centrality(g, **how)) and forked.attrs["method"] == "sampled"


def test_done_answers_at_once():
    assert done(sorted, [3, 1, 2]).result() == [1, 2, 3]


def test_no_fork_to_be_had_makes_the_call_here(monkeypatch):
    def refused():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", refused)
    assert alongside(sorted, [2, 1]).result() == [1, 2]


def test_a_child_killed_while_it_answers_is_an_error():
    later = alongside(bytes, 20_000_000)  # blocks on the full pipe until this process reads it
    time.sleep(1)
    os.kill(later.pid, signal.SIGKILL)
    with pytest.raises(ChildProcessError, match="SIGKILL"):
        later.result()
