"""Clearance scoring benchmark: in-process latency, HTTP at a fixed rate, batch of 100k.

Bars (DESIGN.md): p50 <= 1 ms per declaration in-process; p99 <= 20 ms over HTTP at 300 requests/s
for 60 s from another process with zero errors; 100k declarations scored in <= 10 s.

Needs a home holding a scoring snapshot (``riskgraph model train``). Declarations to score are
generated (canonical columns, validated as ``riskgraph score`` does) unless ``--data`` names a folder.
The HTTP server runs with ``NEO4J_URI`` pointing at a closed port: scoring must not need the graph.
The load generator is open-loop: latency counts from each request's scheduled send time, so a stall
is not hidden by the client waiting (no coordinated omission).

Usage: python -m benchmarks.scoring --home DIR [--data DIR] [--rate 300] [--seconds 60] [--batch 100000] [--workers 1]
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
from scoring.pipeline import score_file
from scoring.snapshot import load_scorer

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
    return f"p50 {np.percentile(ms, 50):.3f} ms, p99 {np.percentile(ms, 99):.3f} ms, max {ms.max():.2f} ms"


def bench_in_process(home: Path, records: list[dict], n: int = 5000) -> None:
    scorer, meta = load_scorer(home)
    sample = records[:n]
    for explain in ("none", "targeted"):
        took = []
        for raw in sample:
            began = time.perf_counter()
            scorer.score_many([raw], explain=explain)
            took.append(time.perf_counter() - began)
        label = "decision only" if explain == "none" else "decision + reasons (API default)"
        print(f"in-process, one at a time, {label}: {_percentiles(np.array(took) * 1000)} over {len(sample):,}")


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


def _load_client(port: int, key: str, bodies: list[bytes], rate: float, seconds: float, out) -> None:
    """Runs in its own process: open-loop requests at ``rate`` per second over keep-alive connections.

    A minimal HTTP/1.1 client on asyncio streams: httpx's async client costs several times more CPU
    per request, and on two shared cores the load generator must not be what is measured.
    """

    async def run() -> dict:
        total = int(rate * seconds)
        queue: asyncio.Queue = asyncio.Queue()
        scheduled_ms, service_ms, errors = [], [], []

        async def worker() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while (item := await queue.get()) is not None:
                i, due = item
                body = bodies[i % len(bodies)]
                sent = time.perf_counter()
                writer.write(
                    b"POST /v1/score HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                    b"X-API-Key: " + key.encode() + b"\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
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

    out.put(asyncio.run(run()))


def bench_http(home: Path, records: list[dict], rate: float, seconds: float, workers: int) -> None:
    from api.keys import KeyStore

    port = _free_port()
    key = KeyStore(home).create("clearance-system", name="benchmark")[1]  # the real key check is measured
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env |= {"RISKGRAPH_HOME": str(home), "NEO4J_URI": f"bolt://127.0.0.1:{_free_port()}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "riskgraph", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import httpx

        url = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        bodies = [json.dumps({k: r[k] for k in _API_FIELDS if r.get(k) is not None}).encode() for r in records[:5000]]
        for body in bodies[:200]:  # warm up
            httpx.post(url + "/v1/score", content=body, headers={"content-type": "application/json", "X-API-Key": key})
        spawn = mp.get_context("spawn")  # a fresh interpreter: nothing of this process's state
        queue = spawn.Queue()
        client = spawn.Process(target=_load_client, args=(port, key, bodies, rate, seconds, queue))
        client.start()
        result = queue.get()
        client.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    achieved = result["sent"] / result["elapsed"]
    print(
        f"HTTP POST /v1/score, {result['sent']:,} requests at {rate:.0f}/s for {seconds:.0f} s "
        f"(achieved {achieved:.0f}/s), {workers} server process(es), graph unreachable, "
        f"errors {len(result['errors'])}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:"
    )
    print(f"  from scheduled send: {_percentiles(np.array(result['scheduled']))}")
    print(f"  from actual send:    {_percentiles(np.array(result['service']))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("RISKGRAPH_HOME", ".riskgraph")))
    parser.add_argument("--data", type=Path, help="folder of declaration files to score (default: generate)")
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="server processes for the HTTP run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.data
        if folder is None:
            folder = Path(tmp) / "declarations"
            generate(folder, args.batch, 5)
        records = _records(folder, args.batch)
        print(f"{len(records):,} validated declarations to score; snapshot under {args.home / 'scoring'}")
        bench_in_process(args.home, records)
        bench_batch(args.home, records, folder, args.batch)
        bench_http(args.home, records, args.rate, args.seconds, args.workers)


if __name__ == "__main__":
    main()
