"""The project's own Neo4j: Community 5.26 jars from Maven Central, run embedded in a JVM.

Used only when ``NEO4J_URI`` is not set. State (database, logs, pid) lives under
``$RISKGRAPH_HOME/neo4j``; Bolt listens on loopback at ``RISKGRAPH_BOLT_PORT``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from graph.config import Settings
from graph.errors import RiskGraphError
from graph.home import NEO4J

__all__ = [
    "LocalServerError",
    "ServerStatus",
    "USER",
    "build",
    "start",
    "stop",
    "status",
    "password",
    "private_home",
    "import_full",
    "dump",
    "load",
    "stage_load",
    "swap_store",
    "wait_online",
]

SERVER_DIR = Path(__file__).parent / "server"
CLASSPATH_FILE = SERVER_DIR / "target" / "classpath.txt"
GDS_CLASSPATH_FILE = SERVER_DIR / "target" / "classpath-gds.txt"
GDS_PLUGINS_DIR = SERVER_DIR / "target" / "gds-plugins"
STOP_TIMEOUT_S = 60
#: seconds a restored database has to come online once the server answers
ONLINE_TIMEOUT_S = 120
# Keep-alive chunks on every request, so a driver may give up on a silent connection after 2 x 5 s
# (the ``connection.recv_timeout_seconds`` hint) instead of the default 120 s: a frozen server then
# costs the API its bound, not two minutes, while a long query keeps its connection alive.
KEEP_ALIVE = (
    "server.bolt.connection_keep_alive_for_requests=ALL",
    "server.bolt.connection_keep_alive=5s",
    "server.bolt.connection_keep_alive_probes=2",
)
# A stop waits for the Bolt server's connections and then its thread pool, 5 s each by default, with no client
# left to wait for (``riskgraph neo4j stop``, before a bulk import or a restore): 1 s each.
QUICK_STOP = (
    "internal.server.bolt.connection_shutdown_wait_time=1s",
    "internal.server.bolt.thread_pool_shutdown_wait_time=1s",
)
#: where a database's files live under a Neo4j home: its store and its transaction logs
STORE_PARTS = ("databases", "transactions")
#: the local server's one user; its password is generated on first start (:func:`password`)
USER = "neo4j"
#: files and folders the project creates are its owner's only: state holds who is suspected of what
PRIVATE_UMASK = 0o077


class LocalServerError(RiskGraphError, RuntimeError):
    """The local Neo4j could not be built, started or stopped; the message says what to do."""

    status, code = 503, "graph_unavailable"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    uri: str
    home: Path


def _home(cfg: Settings) -> Path:
    return cfg.home.resolve() / NEO4J


def _pid_file(cfg: Settings) -> Path:
    return _home(cfg) / "neo4j.pid"


def private_home(cfg: Settings) -> Path:
    """``$RISKGRAPH_HOME``, created readable by its owner only (an existing one is made so)."""
    home = cfg.home.resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    return home


def password(cfg: Settings) -> str:
    """The local Neo4j's password: generated once into ``$RISKGRAPH_HOME/neo4j/password`` (mode 0600), or
    the file ``RISKGRAPH_NEO4J_PASSWORD_FILE`` names."""
    path = cfg.neo4j_password_file or private_home(cfg) / "neo4j" / "password"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, exist_ok=True)
    secret = secrets.token_hex(24)  # never a leading '-', which neo4j-admin would read as an option
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another command generated it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
    return secret


def _read_pid(cfg: Settings) -> int | None:
    try:
        pid = int(_pid_file(cfg).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _bolt_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def build(gds: bool = False) -> str:
    """Resolve the Neo4j jars with Maven (once) and return the JVM classpath.

    With ``gds``, the ``gds`` profile adds Graph Data Science and copies its jars into
    ``GDS_PLUGINS_DIR``: the embedded server registers procedures only from a plugins folder,
    while GDS's extension must be on the classpath, so the jars are in both.
    """
    target = GDS_CLASSPATH_FILE if gds else CLASSPATH_FILE
    sources = [SERVER_DIR / "pom.xml", *SERVER_DIR.glob("src/main/java/**/*.java")]
    stale = not target.exists() or any(p.stat().st_mtime > target.stat().st_mtime for p in sources)
    if stale:
        mvn = ["mvn", "-q", "-B", "-f", str(SERVER_DIR / "pom.xml")] + (["-Pgds"] if gds else [])
        # Two runs: the group filter of copy-dependencies would also filter build-classpath.
        commands = [mvn + ["compile", "dependency:build-classpath", f"-Dmdep.outputFile={target}"]]
        if gds:
            commands.append(
                mvn
                + [
                    "dependency:copy-dependencies",
                    "-DincludeGroupIds=org.neo4j.gds",
                    f"-DoutputDirectory={GDS_PLUGINS_DIR}",
                ]
            )
        for cmd in commands:
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                target.unlink(missing_ok=True)
                tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
                raise LocalServerError(f"could not build the local Neo4j with Maven ({' '.join(cmd)}):\n{tail}")
    return f"{SERVER_DIR / 'target' / 'classes'}{os.pathsep}{target.read_text().strip()}"


def status(cfg: Settings) -> ServerStatus:
    pid = _read_pid(cfg)
    return ServerStatus(pid is not None and _bolt_open(cfg.bolt_port), pid, cfg.uri, _home(cfg))


def start(cfg: Settings) -> ServerStatus:
    """Start the local Neo4j and return once Bolt answers; harmless when it already runs."""
    current = status(cfg)
    if current.running:
        return current
    if current.pid is None and _bolt_open(cfg.bolt_port):
        raise LocalServerError(
            f"port {cfg.bolt_port} is taken by another program; set RISKGRAPH_BOLT_PORT to a free port"
        )
    classpath = build(gds=cfg.neo4j_gds)
    secret = password(cfg)
    home = _home(cfg)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.chmod(0o700)
    log_path = home / "console.log"
    cmd = [
        "java",
        f"-Xmx{cfg.neo4j_heap}",
        "-XX:+UseG1GC",
        "-cp",
        classpath,
        "riskgraph.LocalNeo4j",
        str(home / "db"),
        str(cfg.bolt_port),
        cfg.neo4j_pagecache,
        *KEEP_ALIVE,
        *QUICK_STOP,
    ]
    if cfg.neo4j_transaction_memory:
        cmd.append(f"dbms.memory.transaction.total.max={cfg.neo4j_transaction_memory}")
    if cfg.neo4j_gds:
        cmd += ["dbms.security.procedures.unrestricted=gds.*", f"server.directories.plugins={GDS_PLUGINS_DIR}"]
    with os.fdopen(os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=dict(os.environ, RISKGRAPH_NEO4J_PASSWORD=secret),  # not in argv: `ps` shows that to all
            umask=PRIVATE_UMASK,
        )
    with os.fdopen(os.open(_pid_file(cfg), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as pid:
        pid.write(str(proc.pid))
    deadline = time.monotonic() + cfg.neo4j_start_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
            raise LocalServerError(f"the local Neo4j exited during start-up (log: {log_path}):\n{tail}")
        if _bolt_open(cfg.bolt_port):
            return status(cfg)
        time.sleep(0.3)
    stop(cfg)
    raise LocalServerError(
        f"the local Neo4j did not answer within {cfg.neo4j_start_timeout:g}s (log: {log_path}); "
        "on a busy machine raise RISKGRAPH_NEO4J_START_TIMEOUT"
    )


def stop(cfg: Settings) -> ServerStatus:
    """Stop the local Neo4j cleanly (SIGTERM, then SIGKILL after a minute); no JVM is left behind."""
    pid = _read_pid(cfg)
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        # Its first thread can be a zombie while the others still exit, Bolt's socket open (a busy machine: tens of
        # ms); a start then would take the port for another program's.
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline and _bolt_open(cfg.bolt_port):
            time.sleep(0.05)
    _pid_file(cfg).unlink(missing_ok=True)
    return status(cfg)


def _alive(pid: int) -> bool:
    try:
        # Reap our own child if we started it in this process; otherwise just probe.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not _exited(pid)


def _exited(pid: int) -> bool:
    """A process that has exited but that its parent has not collected yet (a zombie): when another
    process started the server (a test runner, say), stopping it from here must not wait for that."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _admin(cfg: Settings, *args: str, home: Path | None = None) -> str:
    """Run ``neo4j-admin`` (``org.neo4j.cli.AdminTool``, from the jars already on the server's classpath)
    on the stopped local store, or on the Neo4j home ``home`` (a staging one, any time); its output, or
    LocalServerError with its last lines."""
    if home is None:
        if status(cfg).pid is not None:
            raise LocalServerError("the local Neo4j must be stopped first (riskgraph neo4j stop)")
        home = _home(cfg) / "db"  # the embedded server's home: its neo4j.conf and data/ live here
    home.mkdir(parents=True, exist_ok=True)
    (home / "neo4j.conf").touch()
    cmd = ["java", f"-Xmx{cfg.neo4j_heap}", "-cp", build(gds=cfg.neo4j_gds), "org.neo4j.cli.AdminTool", *args]
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, umask=PRIVATE_UMASK)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise LocalServerError(f"neo4j-admin {' '.join(args[:2])} failed (exit {done.returncode}):\n{tail}")
    return output


def import_full(
    cfg: Settings, nodes: list[tuple[str, Path]], relationships: list[tuple[str, Path]], multiline: bool = False
) -> str:
    """Replace the stopped local database with CSV files, using Neo4j's own importer (``neo4j-admin
    database import full``, shipped in the ``neo4j-import-tool`` jar already on the server's classpath).

    ``nodes`` and ``relationships`` are (label or type, file with its header) pairs, every node known by an
    integer (``:ID``, ``:START_ID``, ``:END_ID``); ``multiline`` when
    a quoted value spans lines (the importer is much slower then). Returns the
    importer's summary; raises LocalServerError with its last lines when it fails.
    """
    return _admin(
        cfg,
        "database",
        "import",
        "full",
        cfg.neo4j_database,  # before the file lists: --nodes and --relationships take several values
        "--overwrite-destination=true",
        "--id-type=INTEGER",  # every node is numbered (ingest.import_files): no string index to build
        f"--multiline-fields={str(multiline).lower()}",
        f"--report-file={_home(cfg) / 'import.report'}",
        *(f"--nodes={label}={path}" for label, path in nodes),
        *(f"--relationships={rel}={path}" for rel, path in relationships),
    )


def dump(cfg: Settings, folder: Path) -> Path:
    """Neo4j's own dump of the stopped local database into ``folder``; returns the dump file."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _admin(cfg, "database", "dump", cfg.neo4j_database, f"--to-path={folder}", "--overwrite-destination=true")
    return folder / f"{cfg.neo4j_database}.dump"


def load(cfg: Settings, folder: Path) -> None:
    """Replace the stopped local database with the dump in ``folder`` (made by :func:`dump`)."""
    _admin(cfg, "database", "load", cfg.neo4j_database, f"--from-path={folder}", "--overwrite-destination=true")


def stage_load(cfg: Settings, folder: Path) -> Path:
    """Load the dump in ``folder`` into a staging Neo4j home beside the live one, which is not touched (the
    server may run meanwhile); returns that home. A dump that does not read to its end fails here."""
    staging = _home(cfg) / "restore-staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True, mode=0o700)
    try:
        _admin(cfg, "database", "load", cfg.neo4j_database, f"--from-path={folder}", home=staging)
    except LocalServerError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def swap_store(cfg: Settings, incoming: Path) -> Path:
    """Put the database of the Neo4j home ``incoming`` in place of the stopped local one, whose files are
    moved to a home of their own (returned), so that a second call with it puts them back."""
    if status(cfg).pid is not None:
        raise LocalServerError("the local Neo4j must be stopped first (riskgraph neo4j stop)")
    live = _home(cfg) / "db"
    outgoing = _home(cfg) / f"restore-previous-{time.time_ns()}"
    for part in STORE_PARTS:
        here, there, aside = (h / "data" / part / cfg.neo4j_database for h in (live, incoming, outgoing))
        aside.parent.mkdir(parents=True, exist_ok=True)
        if here.exists():
            here.rename(aside)
        if there.exists():
            here.parent.mkdir(parents=True, exist_ok=True)
            there.rename(here)
    shutil.rmtree(incoming, ignore_errors=True)
    return outgoing


def wait_online(cfg: Settings, timeout: float = ONLINE_TIMEOUT_S) -> None:
    """Return once the local database answers a query: Bolt opens even when a store cannot be used."""
    import neo4j

    deadline, last = time.monotonic() + timeout, None
    with neo4j.GraphDatabase.driver(cfg.uri, auth=(USER, password(cfg))) as probe:
        while time.monotonic() < deadline:
            try:
                probe.execute_query("RETURN 1", database_=cfg.neo4j_database)
                return
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as exc:
                last = exc
                time.sleep(0.5)
    raise LocalServerError(f"the database {cfg.neo4j_database} did not come online within {timeout:g}s: {last}")
