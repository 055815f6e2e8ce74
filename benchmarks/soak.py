"""Soak: ``POST /v1/score`` at a fixed rate against ``riskgraph serve`` for a while, with the server's memory.

The issue-13 trial's soak: 200 requests/s for 60 s (``--rate``, ``--seconds``) from another process,
open-loop (latency from each request's scheduled send time, :func:`benchmarks.scoring._load_client`),
through the real request guard and key check. Reports p50/p99/max, errors, and the server's
resident memory (VmRSS) after warm-up, every ``--every`` seconds during the run, and at the end: a
leak shows as RSS climbing run after run, not as one step up while caches fill.

Needs a home holding a scoring snapshot (``riskgraph model train``). The server runs with ``NEO4J_URI``
at a closed port: scoring must not need the graph.

Usage: python -m benchmarks.soak --home DIR [--rate 200] [--seconds 60] [--every 10]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks.scoring import _API_FIELDS, _drive, _percentiles, _post, _records, start_scoring_server
from sample.generator import generate


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` (Linux ``/proc``), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def soak(home: Path, records: list[dict], rate: float, seconds: float, every: float) -> dict:
    server, port, key = start_scoring_server(home, wait_s=180)
    try:
        url = f"http://127.0.0.1:{port}"
        bodies = [json.dumps({k: r[k] for k in _API_FIELDS if r.get(k) is not None}).encode() for r in records]
        headers = {"content-type": "application/json", "X-API-Key": key}
        for body in bodies[:500]:  # warm up: caches and the first allocations are not a leak
            httpx.post(url + "/v1/score", content=body, headers=headers)
        samples = [(0.0, rss_mib(server.pid))]
        stop = threading.Event()
        began = time.perf_counter()

        def sample() -> None:
            while not stop.wait(every):
                samples.append((time.perf_counter() - began, rss_mib(server.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = _drive(port, [_post(key, b) for b in bodies], rate, seconds)
        stop.set()
        sampler.join()
        samples.append((time.perf_counter() - began, rss_mib(server.pid)))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {**result, "rss": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("RISKGRAPH_HOME", ".riskgraph")))
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between memory samples")
    parser.add_argument("--declarations", type=int, default=5000, help="generated declarations to send, cycled")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), args.declarations, 11)
        records = _records(Path(tmp), args.declarations)
    found = soak(args.home, records, args.rate, args.seconds, args.every)
    achieved = found["sent"] / found["elapsed"]
    print(
        f"soak POST /v1/score: {found['sent']:,} requests at {args.rate:.0f}/s for {args.seconds:.0f} s "
        f"(achieved {achieved:.0f}/s), errors {len(found['errors'])}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(f"  from scheduled send: {_percentiles(np.array(found['scheduled']))}")
    print(f"  from actual send:    {_percentiles(np.array(found['service']))}")
    print("  server RSS (MiB) at s: " + ", ".join(f"{t:.0f}: {m:.1f}" for t, m in found["rss"]))
    if found["errors"]:
        print(f"  first errors: {found['errors'][:5]}")


if __name__ == "__main__":
    main()
