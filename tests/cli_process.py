"""Runs ``riskgraph`` commands as fresh processes without paying their imports each time.

A test run calls the CLI over a hundred times, and each new Python spent two to five seconds importing
pandas, LightGBM, the Neo4j driver and the rest. Each command here is still its own process, with its
own environment, exit status, stdout and stderr, but forked from a server process that imported those
third-party libraries once. None of RiskGraph's own modules are imported before the fork, so no
settings, cache or connection is shared between commands. The server ends when the tests end (its
stdin closes).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path

PRELOAD = [
    "numpy", "pandas", "pyarrow", "neo4j", "networkx", "igraph", "community", "lightgbm", "sklearn.metrics",
    "typer", "click", "rich.console", "rich.progress", "pydantic", "pydantic_settings", "yaml", "phonenumbers",
    "cleanco", "rigour.names", "openpyxl", "pyvis.network", "fastapi", "splink",
]  # fmt: skip

_server: subprocess.Popen | None = None
_lock = threading.Lock()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """What ``python -m riskgraph *args`` run with ``env`` would give, captured."""
    global _server
    with _lock, tempfile.TemporaryDirectory(prefix="riskgraph-cli-") as folder:
        if _server is None or _server.poll() is not None:
            _server = subprocess.Popen(
                [sys.executable, "-m", "tests.cli_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        request = {"args": list(args), "env": dict(env), "out": str(out), "err": str(err), "cwd": os.getcwd()}
        _server.stdin.write(json.dumps(request) + "\n")
        _server.stdin.flush()
        code = int(_server.stdout.readline())
        stdout = out.read_text(encoding="utf-8", errors="replace")
        stderr = err.read_text(encoding="utf-8", errors="replace")
    return subprocess.CompletedProcess(["riskgraph", *args], code, stdout, stderr)


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
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _command(request)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    _serve()
