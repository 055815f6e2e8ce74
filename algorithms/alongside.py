"""Whole-graph work on the other core: a call run in a forked child while this process goes on.

igraph's C routines hold the GIL, so a thread cannot run one beside another; a child forked once the graph is
built shares its pages (copied only when written) and runs on the second core. The result comes back pickled
through a pipe, so it must be picklable and should be array-sized, not graph-sized.

>>> later = alongside(sum, [1, 2, 3])
>>> later.result()
6
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["Alongside", "Done", "alongside", "done"]


class Alongside:
    """A call running in a forked child; :meth:`result` waits for it. A child whose result is never taken (the
    parent failed meanwhile) is stopped when this is let go."""

    def __init__(self, pid: int, pipe: int) -> None:
        self.pid, self.pipe = pid, pipe
        self.done = False

    def result(self) -> Any:
        """The call's return value; its exception (as text, with its traceback) raised here as a
        ``ChildProcessError``, and the same error when the child died without answering (killed, out of memory)."""
        if self.done:
            raise RuntimeError("the result was already taken")
        self.done = True
        with os.fdopen(self.pipe, "rb") as pipe:
            data = pipe.read()  # before waiting: a child blocks on a full pipe until it is read
        _, status = os.waitpid(self.pid, 0)
        try:
            ok, value = pickle.loads(data)
        except (pickle.UnpicklingError, EOFError):  # nothing, or cut short: killed before or while answering
            raise ChildProcessError(f"the child process {self.pid} ended without a result ({_how(status)})") from None
        if not ok:
            raise ChildProcessError(f"the call failed in the child process:\n{value}")
        return value

    def __del__(self) -> None:
        if not self.done:
            self.done = True
            with contextlib.suppress(OSError):
                os.close(self.pipe)
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)


class Done:
    """A call already made here, with :class:`Alongside`'s ``result``: for work too small to be worth a fork."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


def done(call: Callable[..., Any], /, *args, **kwargs) -> Done:
    """``call(*args, **kwargs)`` made now, in this process."""
    return Done(call(*args, **kwargs))


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def alongside(call: Callable[..., Any], /, *args, **kwargs) -> Alongside | Done:
    """Start ``call(*args, **kwargs)`` in a child forked now (where there is no fork, or none to be had, make it
    here)."""
    if not hasattr(os, "fork"):
        return done(call, *args, **kwargs)
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory to fork into (strict overcommit) or no process left: made here, then
        os.close(read)
        os.close(write)
        return done(call, *args, **kwargs)
    if pid == 0:  # the child: no collection (it would write to every shared page), one answer, no clean-up
        try:
            os.close(read)
            gc.disable()
            try:
                answer = pickle.dumps((True, call(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as error:  # noqa: BLE001 - every failure, an unpicklable result too, goes back
                answer = pickle.dumps((False, "".join(traceback.format_exception(error))))
            with os.fdopen(write, "wb") as pipe:
                pipe.write(answer)
        finally:
            os._exit(0)
    os.close(write)
    return Alongside(pid, read)
