"""Clearance scoring benchmark: in-process latency, HTTP at a fixed rate, batch of 100k.

Bars (DESIGN.md): p50 <= 1 ms per declaration in-process; p99 <= 20 ms over HTTP at 300 requests/s
for 60 s from another process with zero errors; 100k declarations scored in <= 10 s. With links at lodging
(party fields sent): p50 <= 0.2 ms in-process and HTTP p99 <= 5 ms at 300 requests/s.

Needs a home holding a scoring snapshot (``riskgraph model train``). Declarations to score are
generated (canonical columns, validated as ``riskgraph score`` does) unless ``--data`` names a folder.
The HTTP server runs with ``NEO4J_URI`` pointing at a closed port: scoring must not need the graph.
The load generator is open-loop: latency counts from each request's scheduled send time, so a stall
is not hidden by the client waiting (no coordinated omission).

``--workers-curve 1,2`` measures throughput as the server's worker count grows: for each count, 2,000
requests a second for ``--seconds`` are queued on 32 connections (more than two cores answer, so the rate
is the server's), with each worker's memory from ``/health``.

In-process and HTTP figures come with and without links at lodging (``scoring.links``) in the same run;
``--index-at N`` also prints the identifier index's memory when built from N generated declarations.

Usage: python -m benchmarks.scoring --home DIR [--data DIR] [--rate 300] [--seconds 60] [--batch 100000]
       [--workers 1] [--workers-curve 1,2] [--index-at N] [--skip-batch]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.readers import input_files
from ingest.validate import validate
from sample.generator import generate
from scoring.links import build_link_index, party_links
from scoring.pipeline import score_file
from scoring.snapshot import load_scorer

#: the party fields that link a declaration to known firms (scoring.links); the HTTP run is made without
#: them too, as the same-run baseline
_PARTY_FIELDS = (
    "importer_name",
    "importer_address",
    "importer_phone",
    "importer_legal_rep",
    "seller_name",
    "consignment_id",
)
#: the party keys ingest's validation adds (scoring.links reads them instead of normalising again)
_NORMALISED = (
    "importer_address_key",
    "importer_phone_norm",
    "importer_legal_rep_norm",
    "importer_name_norm",
    "seller_name_norm",
)
_API_FIELDS = (
    "declaration_id",
    "date",
    "importer_id",
    "hs_code",
    "value",
    "office",
    "trade_mode",
    "transport_mode",
    "seller_id",
    "declarant_id",
    "origin_country",
    "departure_country",
    "loading_port",
    "transit_ports",
    "discharge_port",
    "quantity",
    "net_mass",
    "currency",
    "tax_rate",
    "licence_ids",
)


def _records(folder: Path, limit: int) -> list[dict]:
    frames, total = [], 0
    for path in input_files([folder]):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        clean, _ = validate(raw, path.name)
        clean = clean.drop(columns=["inspected", "violation", "violation_type", "revenue_recovered"])
        frames.append(clean)
        total += len(clean)
        if total >= limit:
            break
    clean = pd.concat(frames, ignore_index=True).head(limit)
    return clean.astype(object).where(clean.notna(), None).to_dict("records")


def _percentiles(ms: np.ndarray) -> str:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return f"p50 {p50:.3f} ms, p95 {p95:.3f} ms, p99 {p99:.3f} ms, max {ms.max():.2f} ms"


def bench_in_process(home: Path, records: list[dict], n: int = 5000) -> None:
    """One at a time, with the snapshot's identifier index (links at lodging) and without it (same run).

    The validated records carry ingest's normalised party keys; a clearance request carries the fields as
    written, so the run "as sent" drops the keys and scoring normalises them (cached between requests).
    """
    scorer, meta = load_scorer(home)
    index = scorer.state.links
    if index is not None:
        print(
            f"snapshot identifier index: {len(index):,} identifiers, {len(index.ids):,} importers, "
            f"{index.nbytes() / 1e6:.1f} MB"
        )
    sample = records[:n]
    as_sent = [{k: v for k, v in r.items() if k not in _NORMALISED} for r in sample]
    runs = [(index, sample, ", with links"), (index, as_sent, ", with links, party fields as sent")]
    runs = [*runs, (None, sample, ", without links")] if index is not None else [(None, sample, ", without links")]
    for links, rows, what in runs:
        scorer.state.links = links
        for explain in ("none", "targeted"):
            took, linked = [], 0
            for raw in rows:
                began = time.perf_counter()
                decision = scorer.score_many([raw], explain=explain)[0]
                took.append(time.perf_counter() - began)
                linked += bool(decision.links)
            label = ("decision only" if explain == "none" else "decision + reasons (API default)") + what
            print(
                f"in-process, one at a time, {label}: {_percentiles(np.array(took) * 1000)} over {len(rows):,}"
                + (f" ({linked:,} with a link)" if links is not None else "")
            )
    scorer.state.links = index


def bench_index_memory(folder: Path, limit: int) -> None:
    """The identifier index built from generated declarations as a snapshot would (graph read skipped)."""
    frames = []
    for path in input_files([folder]):
        frames.append(validate(pd.read_csv(path, dtype=str, keep_default_na=False), path.name)[0])
    clean = pd.concat(frames, ignore_index=True).head(limit)
    began = time.perf_counter()
    columns = {
        "address": "importer_address_key",
        "phone": "importer_phone_norm",
        "legal_rep": "importer_legal_rep_norm",
    }
    own = [
        clean[["importer_id", column]].dropna().drop_duplicates().set_axis(["enterprise", "key"], axis=1)
        for column in columns.values()
    ]
    own = [frame.assign(kind=kind) for frame, kind in zip(own, columns, strict=True)]
    names = pd.concat(
        [clean.set_index(f"{party}_id")[f"{party}_name_norm"].dropna() for party in ("importer", "seller")]
    )
    names = names[~names.index.duplicated(keep="last")]
    links = party_links(pd.concat(own, ignore_index=True), clean, names)
    enterprises = pd.DataFrame({"id": clean["importer_id"].unique(), "risk": 0.0, "network_id": None})
    violations = clean.loc[clean["violation"] == 1, ["importer_id", "date"]]
    index = build_link_index(
        links,
        enterprises,
        violations,
        pd.DataFrame(columns=["enterprise", "case_id", "closed"]),
        [],
        as_of=pd.Timestamp(clean["date"].max()).date(),
        read_at="",
    )
    took = time.perf_counter() - began
    print(
        f"identifier index at {len(clean):,} declarations: {len(index):,} identifiers, {len(index.ids):,} importers, "
        f"{index.nbytes() / 1e6:.1f} MB, built in {took:.1f} s"
    )


def bench_batch(home: Path, records: list[dict], folder: Path, limit: int) -> None:
    scorer, meta = load_scorer(home)
    began = time.perf_counter()
    decisions = scorer.score_many(records[:limit], explain="inspection")
    took = time.perf_counter() - began
    inspected = sum(d.channel == "physical inspection" for d in decisions)
    print(
        f"batch in memory: {len(decisions):,} declarations in {took:.2f} s "
        f"({len(decisions) / took:,.0f}/s; {inspected:,} to physical inspection, explained)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        counts = score_file(input_files([folder]), None, Path(tmp) / "out.csv", scorer, Path(tmp) / "q")
        took = time.perf_counter() - began
    print(f"riskgraph score end to end (read, validate, score, write CSV): {counts['read']:,} rows in {took:.2f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(key: str, body: bytes) -> bytes:
    """One raw ``POST /v1/score`` request (keep-alive)."""
    return (
        b"POST /v1/score HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + key.encode() + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


#: the baseline request: the same HTTP stack and middlewares, no work behind them
_LIVENESS = b"GET /health/live HTTP/1.1\r\nHost: bench\r\n\r\n"


def _load_client(port: int, requests: list[bytes], rate: float, seconds: float, out) -> None:
    """Runs in its own process: open-loop ``requests`` (raw HTTP/1.1, cycled) at ``rate`` per second over 32
    keep-alive connections.

    A minimal HTTP/1.1 client on asyncio streams (uvloop when installed): httpx's async client costs several
    times more CPU per request, and on two shared cores the load generator must not be what is measured;
    the ``/health/live`` run in the same benchmark shows what the client and the HTTP stack add.
    """
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        uvloop = None

    async def run() -> dict:
        total = int(rate * seconds)
        queue: asyncio.Queue = asyncio.Queue()
        scheduled_ms, service_ms, errors = [], [], []

        async def worker() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while (item := await queue.get()) is not None:
                i, due = item
                sent = time.perf_counter()
                writer.write(requests[i % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                await reader.readexactly(length)
                done = time.perf_counter()
                if not head.startswith(b"HTTP/1.1 200"):
                    errors.append(head.split(b"\r\n")[0].decode())
                scheduled_ms.append((done - due) * 1000)
                service_ms.append((done - sent) * 1000)
            writer.close()

        workers = [asyncio.create_task(worker()) for _ in range(32)]
        await asyncio.sleep(0.5)
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - start
        return {"sent": total, "elapsed": elapsed, "scheduled": scheduled_ms, "service": service_ms, "errors": errors}

    out.put(uvloop.run(run()) if uvloop is not None else asyncio.run(run()))


def _drive(port: int, requests: list[bytes], rate: float, seconds: float) -> dict:
    """:func:`_load_client` in a fresh interpreter (nothing of this process's state); its result."""
    spawn = mp.get_context("spawn")
    queue = spawn.Queue()
    client = spawn.Process(target=_load_client, args=(port, requests, rate, seconds, queue))
    client.start()
    result = queue.get()
    client.join()
    return result


def start_scoring_server(
    home: Path, workers: int = 1, wait_s: float = 30, source: Path | None = None
) -> tuple[subprocess.Popen, int, str]:
    """``riskgraph serve`` on ``home`` with the graph unreachable, once it answers /health: (process, port,
    a clearance-system key; the real key check is measured). ``source``: serve the code of that checkout
    (another commit, for a before/after in one run) instead of this one."""
    import httpx

    from api.keys import KeyStore

    port = _free_port()
    key = KeyStore(home).create("clearance-system", name="benchmark")[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env |= {"RISKGRAPH_HOME": str(home), "NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"}
    if source is not None:
        env["PYTHONPATH"] = str(source)  # ahead of the editable install of this checkout
    server = subprocess.Popen(
        [sys.executable, "-m", "riskgraph", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    return server, port, key


def _workers_memory(url: str, workers: int) -> dict[int, float]:
    """Resident MB of each worker, from ``/health`` on new connections until each has answered."""
    import httpx

    seen: dict[int, float] = {}
    for _ in range(40 * workers):
        health = httpx.get(url + "/health", timeout=10).json()
        seen[health["worker"]] = health["resident_mb"]
        if len(seen) == workers:
            break
    return seen


def bench_workers(home: Path, records: list[dict], counts: list[int], seconds: float) -> None:
    """Requests answered per second with 1, 2, ... worker processes, the load kept at 32 busy connections."""
    bodies = [json.dumps({k: r[k] for k in _API_FIELDS if r.get(k) is not None}).encode() for r in records[:5000]]
    for workers in counts:
        server, port, key = start_scoring_server(home, workers, wait_s=120)  # N workers load N snapshots
        try:
            memory = _workers_memory(f"http://127.0.0.1:{port}", workers)
            # 2,000/s, more than two cores answer: the queue never runs dry, so the rate is the server's
            result = _drive(port, [_post(key, b) for b in bodies], 2_000, seconds)
            answered = len(result["service"]) / result["elapsed"]
            print(
                f"throughput with {workers} worker(s): {answered:,.0f} scores/s, errors {len(result['errors'])}, "
                f"service {_percentiles(np.array(result['service']))}; memory per worker: "
                + ", ".join(f"{pid} {mb:,.0f} MB" for pid, mb in memory.items())
                + f"; load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


def _cpu_seconds(server: subprocess.Popen) -> float:
    """CPU seconds (user + system) of the server process (``--workers 1``: the one answering): what a request
    costs, however busy the machine is (latency on two shared cores also measures the others)."""
    from benchmarks.scale import _server_usage

    return _server_usage(server.pid)[0]


def bench_http(
    home: Path, records: list[dict], rate: float, seconds: float, workers: int, before: Path | None = None
) -> None:
    """The HTTP load against one server, in turns: ``GET /health/live`` (the baseline: what the client, the
    HTTP stack and the middlewares add), then ``POST /v1/score`` without the party fields and with them.
    With ``before`` (another checkout) a second server runs that code and each turn is measured on both,
    one after the other, so the before/after comparison shares the machine's load."""
    servers = [("this checkout", start_scoring_server(home, workers))]
    if before is not None:
        servers.append((f"code of {before}", start_scoring_server(home, workers, source=before)))
    try:
        import httpx

        runs = [("GET /health/live (baseline)", None)]
        runs += [("POST /v1/score without party fields", _API_FIELDS)]
        runs += [("POST /v1/score with party fields", _API_FIELDS + _PARTY_FIELDS)]
        for label, fields in runs:
            if fields is not None:
                bodies = [
                    json.dumps({k: r[k] for k in fields if r.get(k) is not None}).encode() for r in records[:5000]
                ]
            for served, (server, port, key) in servers if fields is not None else servers[:1]:
                url = f"http://127.0.0.1:{port}"
                if fields is None:  # on this checkout's server only: older code has no /health/live
                    requests = [_LIVENESS]
                else:
                    requests = [_post(key, b) for b in bodies]
                    headers = {"content-type": "application/json", "X-API-Key": key}
                    for body in bodies[:200]:  # warm up; the first request loads the normalisers
                        httpx.post(url + "/v1/score", content=body, headers=headers, timeout=120)
                cpu = _cpu_seconds(server)
                result = _drive(port, requests, rate, seconds)
                cpu = (_cpu_seconds(server) - cpu) / result["sent"] * 1000
                achieved = result["sent"] / result["elapsed"]
                print(
                    f"HTTP {label} [{served}], {result['sent']:,} requests at {rate:.0f}/s for {seconds:.0f} s "
                    f"(achieved {achieved:.0f}/s), {workers} server process(es), graph unreachable, "
                    f"errors {len(result['errors'])}; server CPU {cpu:.2f} ms a request"
                    f"{'' if workers == 1 else ' (parent process)'}; "
                    f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:"
                )
                print(f"  from scheduled send: {_percentiles(np.array(result['scheduled']))}")
                print(f"  from actual send:    {_percentiles(np.array(result['service']))}", flush=True)
    finally:
        for _, (server, _, _) in servers:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("RISKGRAPH_HOME", ".riskgraph")))
    parser.add_argument("--data", type=Path, help="folder of declaration files to score (default: generate)")
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="server processes for the HTTP run")
    parser.add_argument("--workers-curve", default="", help="comma-separated worker counts for throughput")
    parser.add_argument("--index-at", type=int, default=0, help="also build the identifier index from N generated")
    parser.add_argument("--skip-batch", action="store_true", help="leave out the 100k batch and file runs")
    parser.add_argument("--skip-in-process", action="store_true", help="leave out the in-process runs")
    parser.add_argument("--before", type=Path, help="a checkout of other code to serve too (before/after, one run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "declarations"
            generate(folder, args.batch, 5)
        records = _records(folder, args.batch)
        print(f"{len(records):,} validated declarations to score; snapshot under {args.home / 'scoring'}")
        if not args.skip_in_process:
            bench_in_process(args.home, records)
        if args.index_at:
            big = Path(tmp) / "index"
            generate(big, args.index_at, 6)
            bench_index_memory(big, args.index_at)
        if not args.skip_batch:
            bench_batch(args.home, records, folder, args.batch)
        if args.workers_curve:
            counts = [int(n) for n in args.workers_curve.split(",")]
            bench_workers(args.home, records, counts, args.seconds)
            return
        bench_http(args.home, records, args.rate, args.seconds, args.workers, args.before)


if __name__ == "__main__":
    main()
