"""Scale benchmark: the cost curve of every stage at 100k, 1M and 3M declarations (10M with --ten-million).

Each stage is the ``riskgraph`` command a user runs, in its own process against a local Neo4j of its own:
generate, ingest (bulk first load of the year less its last day, then that day through Cypher into the
loaded graph), analyze (full, then incremental after the day when ``riskgraph analyze`` has ``--full``),
model train and batch scoring of the year. Per stage it prints wall time, the CPU seconds of the command and
of the Neo4j server, the command's peak memory (max RSS of the process and the children it waited for,
e.g. ``neo4j-admin import``; from ``os.wait4``), the server's peak memory (VmHWM) and the cost per 1,000
declarations (wall and CPU seconds). The table is printed again at the end and kept as JSON lines.

Usage: python -m benchmarks.scale [--sizes 100000,1000000,3000000] [--ten-million] [--day 50000]
       [--port 7699] [--work DIR] [--heap 4g] [--pagecache 4g] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
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

    def row(self) -> str:
        per_k = 1000 / max(self.rows, 1)
        db_cpu = "-" if self.neo4j_cpu is None else f"{self.neo4j_cpu:8.1f}"
        db_peak = "-" if self.neo4j_peak_mb is None else f"{self.neo4j_peak_mb:8,.0f}"
        cpu_k = self.cpu + (self.neo4j_cpu or 0.0)
        costs = f"{self.wall * per_k:8.3f} {cpu_k * per_k:8.3f}" if self.rows else f"{'-':>8} {'-':>8}"
        return (
            f"{self.size:>10,} {self.stage:<20} {self.rows:>10,} {self.wall:8.1f} {self.cpu:8.1f} {db_cpu:>8} "
            f"{self.peak_mb:8,.0f} {db_peak:>8} {costs}  {self.note}"
        )


HEADER = (
    f"{'year':>10} {'stage':<20} {'rows':>10} {'wall s':>8} {'cpu s':>8} {'db cpu':>8} "
    f"{'peak MB':>8} {'db MB':>8} {'s/1k':>8} {'cpu/1k':>8}  note"
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

    def __init__(self, home: Path, port: int, heap: str, pagecache: str, log: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
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
                [sys.executable, "-m", "riskgraph", *args], env=self.env, stdout=subprocess.PIPE, stderr=log, text=True
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
        result = Stage(
            size, stage, rows, wall, usage.ru_utime + usage.ru_stime, db_cpu, usage.ru_maxrss / 1024, db_peak, note
        )
        print(result.row(), flush=True)
        return result, out


def _supports_full(runner: Runner) -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", "riskgraph", "analyze", "--help"], env=runner.env, capture_output=True, text=True
    ).stdout
    return "--full" in help_text


def _summary(out: str) -> dict:
    """The JSON summary a command printed as its last line ({} when none)."""
    lines = [line for line in out.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def curve_point(size: int, day: int, work: Path, port: int, heap: str, pagecache: str) -> list[Stage]:
    """Every stage at one size, in a fresh home; the server is stopped at the end."""
    folder = work / f"n{size}"
    shutil.rmtree(folder, ignore_errors=True)
    home, data = folder / "home", folder / "data"
    runner = Runner(home, port, heap, pagecache, folder / "commands.log")
    folder.mkdir(parents=True)
    stages = []
    stage, _ = runner.run(size, "generate", size, "generate", "--out", str(data / "year"), "--declarations", str(size))
    stages.append(stage)
    base, (today,) = split_days(data / "year", data, day)
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
        stages.append(runner.run(size, "model train", size, "model", "train")[0])
        stage, out = runner.run(size, "score", size - day, "score", str(base), "--out", str(folder / "scores.csv"))
        stages.append(stage)
    finally:
        runner.run(size, "neo4j stop", 0, "neo4j", "stop")
    return stages


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
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([10_000_000] if args.ten_million else [])
    args.work.mkdir(parents=True, exist_ok=True)
    results = args.work / "scale.jsonl"
    print(HEADER, flush=True)
    everything: list[Stage] = []
    for size in sizes:
        points = curve_point(size, min(args.day, size // 10), args.work, args.port, args.heap, args.pagecache)
        everything += points
        with results.open("a") as out:
            out.writelines(json.dumps(asdict(p)) + "\n" for p in points)
        if not args.keep:
            shutil.rmtree(args.work / f"n{size}" / "data", ignore_errors=True)
            shutil.rmtree(args.work / f"n{size}" / "home", ignore_errors=True)
    print("\n" + HEADER)
    for point in everything:
        print(point.row())
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"kept: {results}")


if __name__ == "__main__":
    main()
