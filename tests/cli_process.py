"""Runs ``riskgraph`` commands as fresh processes without paying their imports each time.

A test run calls the CLI over a hundred times and starts ``riskgraph serve`` about thirty times, and each new
Python spent two to five seconds importing pandas, LightGBM, FastAPI, the Neo4j driver and the rest. Each command
here is still its own process, with its own environment, exit status, stdout and stderr, but forked from a server
process that imported those third-party libraries once. None of RiskGraph's own modules are imported before the
fork, so no settings, cache or connection is shared between commands. :func:`run` waits for a command;
:func:`start` leaves one running (a server) and hands back what a test needs of a ``Popen``. The server ends
when the tests end (its stdin closes).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

PRELOAD = [
    "numpy", "pandas", "pyarrow", "neo4j", "networkx", "igraph", "community", "lightgbm", "sklearn.metrics",
    "typer", "click", "rich.console", "rich.progress", "pydantic", "pydantic_settings", "yaml", "phonenumbers",
    "cleanco", "rigour.names", "openpyxl", "pyvis.network", "fastapi", "splink",
]  # fmt: skip

_server: subprocess.Popen | None = None
_lock = threading.Lock()


def _ask(request: dict) -> int:
    """Send the server a request; its answer (an exit status, or the pid of a command left running)."""
    global _server
    with _lock:
        if _server is None or _server.poll() is not None:
            _server = subprocess.Popen(
                [sys.executable, "-m", "tests.cli_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
        _server.stdin.write(json.dumps({**request, "cwd": os.getcwd()}) + "\n")
        _server.stdin.flush()
        return int(_server.stdout.readline())


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """What ``python -m riskgraph *args`` run with ``env`` would give, captured."""
    with tempfile.TemporaryDirectory(prefix="riskgraph-cli-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        code = _ask({"args": list(args), "env": dict(env), "out": str(out), "err": str(err)})
        stdout = out.read_text(encoding="utf-8", errors="replace")
        stderr = err.read_text(encoding="utf-8", errors="replace")
    return subprocess.CompletedProcess(["riskgraph", *args], code, stdout, stderr)


class Started:
    """A command left running, as far as a test uses a ``Popen``: ``pid``, ``poll``, ``wait``, ``terminate``,
    ``kill`` and ``stderr`` (a file open for reading; stdout is discarded). The server, its parent, writes the exit
    status to ``status`` in the command's folder when the command ends."""

    def __init__(self, pid: int, folder: Path) -> None:
        self.pid, self.folder, self.returncode = pid, folder, None
        self.stderr = open(folder / "stderr", encoding="utf-8", errors="replace")  # noqa: SIM115 (read while it runs)

    def poll(self) -> int | None:
        status = self.folder / "status"
        if self.returncode is None and status.exists():
            self.returncode = int(status.read_text())
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["riskgraph"], timeout)
            time.sleep(0.02)
        return self.returncode

    def terminate(self) -> None:
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def close(self) -> None:
        """Let go of its files, once it has ended."""
        self.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _signal(self, which: signal.Signals) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile: the server writes its status
                os.kill(self.pid, which)


def start(args: list[str], env: dict[str, str]) -> Started:
    """``python -m riskgraph *args`` with ``env``, left running (``riskgraph serve``)."""
    folder = Path(tempfile.mkdtemp(prefix="riskgraph-started-"))
    (folder / "stderr").touch()
    request = {"args": list(args), "env": dict(env), "out": os.devnull, "err": str(folder / "stderr")}
    return Started(_ask({**request, "status": str(folder)}), folder)


def _command(request: dict) -> None:
    """The forked child: the environment, argv and standard streams a ``python -m riskgraph`` would have."""
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    for path, fd, flags in (
        (os.devnull, 0, os.O_RDONLY),
        (request["out"], 1, os.O_WRONLY | os.O_CREAT),
        (request["err"], 2, os.O_WRONLY | os.O_CREAT),
    ):
        target = os.open(path, flags, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = ["riskgraph", *request["args"]]
    code = 0
    try:
        from riskgraph.cli import main

        main()
    except SystemExit as exc:
        if isinstance(exc.code, int):
            code = exc.code
        elif exc.code is not None:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _serve() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    running: dict[int, Path] = {}  # commands left running: where each one's exit status goes

    def reap(*_) -> None:
        for pid, folder in list(running.items()):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                (folder / "status.tmp").write_text(str(os.waitstatus_to_exitcode(status)))
                (folder / "status.tmp").replace(folder / "status")
                del running[pid]

    signal.signal(signal.SIGCHLD, reap)
    for line in sys.stdin:
        request = json.loads(line)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # reaped only once it is in ``running``
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            _command(request)
        if "status" in request:
            running[pid] = Path(request["status"])
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        if "status" in request:
            print(pid, flush=True)
        else:
            _, status = os.waitpid(pid, 0)
            print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    _serve()
