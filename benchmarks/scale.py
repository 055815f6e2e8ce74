"""Scale benchmark: the cost curve of every stage at 100k, 1M and 3M declarations (10M with --ten-million).

Each stage is the ``riskgraph`` command a user runs, in its own process against a local Neo4j of its own:
generate, ingest (bulk first load of the year less its last day, then that day through Cypher into the
loaded graph), analyze (full, then incremental after the day when ``riskgraph analyze`` has ``--full``),
what an analyst reads then (audit leads, the report, ``performance``), model train and batch scoring of the
year. Per stage it prints wall time, the CPU seconds of the command and of the Neo4j server, the command's
peak memory (max RSS of the process and the children it waited for,
e.g. ``neo4j-admin import``; from ``os.wait4``), the server's peak memory (VmHWM) and the cost per 1,000
declarations (wall and CPU seconds), with the load average when it ended. The table is printed again at the
end and kept as JSON lines.

``--baseline REV`` runs every stage after generate with the code of git revision REV first (a worktree of it, its
own home and server, the same generated files), then with this checkout's, so the two are measured in the same
run; ``--no-model`` leaves out training and scoring, and ``--model-only`` runs only them, on the homes a run with
``--keep`` left (the graph loaded and analysed). ``--reuse-year`` starts from the year a ``--keep`` run generated
(nine minutes at 10M) instead of generating it again.

Usage: python -m benchmarks.scale [--sizes 100000,1000000,3000000] [--ten-million] [--day 50000]
       [--port 7699] [--work DIR] [--heap 4g] [--pagecache 4g] [--keep] [--baseline REV] [--no-model]
       [--reuse-year]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

from benchmarks._graph import split_days

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Stage:
    size: int  # declarations in the year
    stage: str
    rows: int  # declarations the stage worked on
    wall: float
    cpu: float  # the command's user + system seconds (with its waited-for children)
    neo4j_cpu: float | None
    peak_mb: float
    neo4j_peak_mb: float | None
    note: str = ""
    code: str = "this"  # which code ran it: this checkout or a baseline revision
    load: float = 0.0  # the 1-minute load average when it ended

    def row(self) -> str:
        per_k = 1000 / max(self.rows, 1)
        db_cpu = "-" if self.neo4j_cpu is None else f"{self.neo4j_cpu:8.1f}"
        db_peak = "-" if self.neo4j_peak_mb is None else f"{self.neo4j_peak_mb:8,.0f}"
        cpu_k = self.cpu + (self.neo4j_cpu or 0.0)
        costs = f"{self.wall * per_k:8.3f} {cpu_k * per_k:8.3f}" if self.rows else f"{'-':>8} {'-':>8}"
        return (
            f"{self.size:>10,} {self.code:<8} {self.stage:<20} {self.rows:>10,} {self.wall:8.1f} {self.cpu:8.1f} "
            f"{db_cpu:>8} {self.peak_mb:8,.0f} {db_peak:>8} {costs} {self.load:5.1f}  {self.note}"
        )


HEADER = (
    f"{'year':>10} {'code':<8} {'stage':<20} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'db cpu':>8} "
    f"{'peak MB':>8} {'db MB':>8} {'s/1k':>8} {'cpu/1k':>8} {'load':>5}  note"
)


def _server_pid(home: Path) -> int | None:
    try:
        return int((home / "neo4j" / "neo4j.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _server_usage(pid: int | None) -> tuple[float, float] | None:
    """(CPU seconds, peak RSS in MB) of the running server, from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    peak = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")), 0.0)
    return cpu, peak


class Runner:
    """Runs ``riskgraph`` commands against one home and port, measuring each."""

    def __init__(
        self, home: Path, port: int, heap: str, pagecache: str, log: Path, code: Path | None = None, label: str = "this"
    ) -> None:
        self.home, self.code, self.label = home, code, label
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
        if code is not None:
            self.env["PYTHONPATH"] = str(code)
        self.env |= {
            "RISKGRAPH_HOME": str(home),
            "RISKGRAPH_BOLT_PORT": str(port),
            "RISKGRAPH_NEO4J_HEAP": heap,
            "RISKGRAPH_NEO4J_PAGECACHE": pagecache,
        }
        self.log = log

    def run(self, size: int, stage: str, rows: int, *args: str, note: str = "") -> tuple[Stage, str]:
        before_pid = _server_pid(self.home)
        before = _server_usage(before_pid)
        with self.log.open("a") as log:
            log.write(f"\n$ riskgraph {' '.join(args)}\n")
            log.flush()
            began = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "riskgraph", *args],
                env=self.env,
                cwd=self.code,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - began
            proc.returncode = os.waitstatus_to_exitcode(status)
            log.write(out)
        if proc.returncode != 0:
            raise SystemExit(f"riskgraph {' '.join(args)} failed (exit {proc.returncode}); see {self.log}")
        after_pid = _server_pid(self.home)
        after = _server_usage(after_pid)
        db_cpu = db_peak = None
        if after is not None:
            # a restarted server (bulk import) counts from zero; the stopped one's few seconds are lost
            db_cpu = after[0] - (before[0] if before is not None and before_pid == after_pid else 0.0)
            db_peak = after[1]
        cpu = usage.ru_utime + usage.ru_stime
        result = Stage(
            size, stage, rows, wall, cpu, db_cpu, usage.ru_maxrss / 1024, db_peak, note, self.label, os.getloadavg()[0]
        )
        print(result.row(), flush=True)
        return result, out


def _supports_full(runner: Runner) -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", "riskgraph", "analyze", "--help"],
        env=runner.env,
        cwd=runner.code,
        capture_output=True,
        text=True,
    ).stdout
    return "--full" in help_text


def _summary(out: str) -> dict:
    """The JSON summary a command printed as its last line ({} when none)."""
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def generated(size: int, day: int, work: Path, port: int, reuse: bool = False) -> tuple[Stage | None, Path, Path]:
    """The year (generated once per size, or the one ``reuse`` finds there) split into the base and its last day.

    The split runs in a process of its own: pandas' arenas would otherwise keep the year's size in this
    one for the whole run, memory the stages measured after it need (8.7 GB at 10M).
    """
    folder = work / f"n{size}"
    data = folder / "data"
    summary = data / "year" / "truth" / "summary.json"
    stage = None
    if not (reuse and summary.exists() and json.loads(summary.read_text())["declarations"] == size):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        runner = Runner(folder / "gen-home", port, "1g", "1g", folder / "commands.log")
        stage, _ = runner.run(
            size, "generate", size, "generate", "--out", str(data / "year"), "--declarations", str(size)
        )
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as child:
        base, (today,) = child.submit(split_days, data / "year", data, day).result()
    return stage, base, today


def curve_point(size: int, day: int, base: Path, today: Path, runner: Runner, *, model: bool = True) -> list[Stage]:
    """Every stage after generate at one size, in the runner's fresh home; the server is stopped at the end."""
    shutil.rmtree(runner.home, ignore_errors=True)
    stages = []
    runner.run(size, "neo4j start", 0, "neo4j", "start")
    try:
        stage, out = runner.run(size, "ingest bulk", size - day, "ingest", str(base), "--bulk", "--json")
        stages.append(stage)
        full = _supports_full(runner)
        stages.append(runner.run(size, "analyze full", size - day, "analyze", *(["--full"] if full else []))[0])
        stage, out = runner.run(size, "ingest day (cypher)", day, "ingest", str(today), "--no-bulk", "--json")
        stage.note = f"{day / stage.wall:,.0f} rows/s incl. start-up"
        stages.append(stage)
        if full:
            stage, out = runner.run(size, "analyze incremental", day, "analyze", "--json")
            stages.append(stage)
        else:
            stages.append(runner.run(size, "analyze (no incr.)", size, "analyze", note="analyze has no --full here")[0])
        stages += read_stages(size, runner)
        if model:
            stages += model_stages(size, day, base, runner)
    finally:
        runner.run(size, "neo4j stop", 0, "neo4j", "stop")
    return stages


def read_stages(size: int, runner: Runner) -> list[Stage]:
    """What an analyst reads after the analysis, each a declaration-sized aggregation: the audit leads, the
    report and the hit rates of ``performance``."""
    out = runner.home / "read"
    out.mkdir(parents=True, exist_ok=True)
    return [
        runner.run(size, "leads audit", size, "leads", "--kind", "audit", "--out", str(out / "leads.csv"))[0],
        runner.run(size, "report", size, "report", "--out", str(out / "report.html"))[0],
        runner.run(size, "performance", size, "performance", "--json")[0],
    ]


def model_stages(size: int, day: int, base: Path, runner: Runner) -> list[Stage]:
    """Training on the runner's graph, then batch scoring of the year's base file."""
    trained = runner.run(size, "model train", size, "model", "train")[0]
    scored = runner.run(size, "score", size - day, "score", str(base), "--out", str(runner.home / "s.csv"))[0]
    return [trained, scored]


def kept_point(size: int, day: int, work: Path, runner: Runner) -> list[Stage]:
    """Training and scoring on a home a ``--keep`` run left."""
    if not runner.home.is_dir():
        raise SystemExit(f"{runner.home} is missing: run with --keep first")
    runner.run(size, "neo4j start", 0, "neo4j", "start")
    try:
        return model_stages(size, day, work / f"n{size}" / "data" / "base", runner)
    finally:
        runner.run(size, "neo4j stop", 0, "neo4j", "stop")


def baseline_checkout(rev: str, work: Path) -> Path:
    """A worktree of ``rev`` (made once, reused)."""
    folder = work / f"rev-{rev}"
    if not folder.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(folder), rev], check=True, capture_output=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,3000000", help="comma-separated declaration counts")
    parser.add_argument("--ten-million", action="store_true", help="add 10,000,000 to the sizes")
    parser.add_argument("--day", type=int, default=50_000, help="rows of the incremental day")
    parser.add_argument("--port", type=int, default=7699)
    parser.add_argument("--work", type=Path, default=Path("/tmp/riskgraph-scale"))
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--keep", action="store_true", help="keep each size's home and data")
    parser.add_argument("--baseline", help="a git revision whose code runs every stage first, in the same run")
    parser.add_argument("--no-model", action="store_true", help="leave out model training and batch scoring")
    parser.add_argument("--model-only", action="store_true", help="only training and scoring, on --keep homes")
    parser.add_argument("--reuse-year", action="store_true", help="use the year a --keep run generated there")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([10_000_000] if args.ten_million else [])
    args.work.mkdir(parents=True, exist_ok=True)
    results = args.work / "scale.jsonl"
    print(HEADER, flush=True)
    everything: list[Stage] = []
    codes = [(args.baseline, baseline_checkout(args.baseline, args.work))] if args.baseline else []
    codes.append(("this", None))
    for size in sizes:
        day = min(args.day, size // 10)
        if args.model_only:
            points = []
        else:
            stage, base, today = generated(size, day, args.work, args.port, args.reuse_year)
            points = [stage] if stage else []
        for label, code in codes:
            home = args.work / f"n{size}" / f"home-{label}"
            runner = Runner(
                home, args.port, args.heap, args.pagecache, args.work / f"n{size}" / "commands.log", code, label
            )
            if args.model_only:
                points += kept_point(size, day, args.work, runner)
            else:
                points += curve_point(size, day, base, today, runner, model=not args.no_model)
        everything += points
        with results.open("a") as out:
            out.writelines(json.dumps(asdict(p)) + "\n" for p in points)
        if not args.keep:
            shutil.rmtree(args.work / f"n{size}", ignore_errors=True)
    print("\n" + HEADER)
    for point in everything:
        print(point.row())
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"kept: {results}")


if __name__ == "__main__":
    main()
