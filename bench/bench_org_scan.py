#!/usr/bin/env python3
"""An organization scan on the local emulator, as the number of member accounts grows.

For each size (``--sizes``, default 10,50,200 members) it starts ``copyguard emulator
--members N --seed S --write-aws-config DIR`` as its own process (timing its start-up, up to
the JSON line it prints once it listens), then runs, as whole processes, for each
``--max-workers`` value (``--workers``, default ``8,1``; 8 is the scan's default)::

    python -m copyguard scan --organization --management-profile management --all-plans \
        --format json --show-calls --max-workers W

and records per run: wall time, and time per member account; the API calls the scan made
and the distinct resources it read (``--show-calls``: ``calls total X distinct Y
http-requests Z``), so calls per resource (goal: exactly 1.0) and HTTP requests (retries
included); the verdict; and whether the findings are exactly what the emulator's start-up
line says is broken (``organization.broken``: each error finding's code and resource, one
CG902 naming the unreadable member).

Then the least-squares slope of scan time against members (at the first ``--workers``
value), and the time per member at the largest size over the smallest. Exit status: 0 if
every run reads each resource once and finds exactly the listed breakage; 1 otherwise; 2
if an emulator does not start or a scan fails outright.

    python bench/bench_org_scan.py                         # 10, 50, 200 members; 8 and 1 workers
    python bench/bench_org_scan.py --sizes 10,50 --workers 8,4,1 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CALLS = re.compile(r"calls total (\d+) distinct (\d+) http-requests (\d+)")


def _env(config_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(config_dir / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(config_dir / "credentials")
    env["COPYGUARD_LANG"] = "en"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_emulator(
    members: int, seed: int, config_dir: Path, latency_ms: int = 0
) -> tuple[Any, dict[str, Any], float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copyguard",
            "emulator",
            "--port",
            "0",
            "--format",
            "json",
            "--members",
            str(members),
            "--seed",
            str(seed),
            "--write-aws-config",
            str(config_dir),
            "--latency",
            str(latency_ms),
        ],
        env=_env(config_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - began
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"the emulator did not start: {err[-2000:]}")
    return proc, json.loads(line), took


def stop(proc: Any) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def expected(summary: dict[str, Any]) -> tuple[set[tuple[str, str]], set[str]]:
    broken = summary["organization"]["broken"]
    errors = {(b["code"], b["resource"]) for b in broken if b["code"] != "CG902"}
    unreadable = {b["account"] for b in broken if b["kind"] == "missing-role"}
    return errors, unreadable


def scan(config_dir: Path, workers: int) -> dict[str, Any]:
    args = [
        sys.executable,
        "-m",
        "copyguard",
        "scan",
        "--organization",
        "--management-profile",
        "management",
        "--all-plans",
        "--format",
        "json",
        "--show-calls",
        "--max-workers",
        str(workers),
    ]
    began = time.perf_counter()
    proc = subprocess.run(
        args, env=_env(config_dir), capture_output=True, text=True, timeout=3600, check=False
    )
    took = time.perf_counter() - began
    if proc.returncode not in (0, 1, 3):
        raise RuntimeError(f"scan failed ({proc.returncode}): {proc.stderr[-2000:]}")
    match = CALLS.search(proc.stderr)
    if match is None:
        raise RuntimeError(f"no call counts in the scan's stderr: {proc.stderr[-1000:]}")
    total, distinct, sent = (int(g) for g in match.groups())
    return {
        "seconds": took,
        "exit": proc.returncode,
        "report": json.loads(proc.stdout),
        "calls": total,
        "distinct": distinct,
        "http": sent,
    }


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return b, my - b * mx


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,50,200", help="member counts (default 10,50,200)")
    parser.add_argument("--workers", default="8,1", help="--max-workers values (default 8,1)")
    parser.add_argument("--repeat", type=int, default=1, help="scans per point (median kept)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--latency",
        type=int,
        default=0,
        metavar="MS",
        help="the emulator's --latency: each AWS request waits MS ms (an endpoint's round "
        "trip), so the workers' overlap shows as it does against AWS (default 0)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    workers = [int(w) for w in args.workers.split(",") if w]
    rows: list[dict[str, Any]] = []
    ok = True
    header = (
        f"{'members':>7} {'workers':>7} {'start s':>8} {'scan s':>8} {'ms/acct':>8} "
        f"{'calls':>6} {'distinct':>8} {'calls/res':>9} {'http':>6} {'copies':>6} "
        f"{'verdict':>7} {'as listed':>9}"
    )
    print(header)
    print("-" * len(header))
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            config_dir = Path(tmp) / "aws"
            try:
                proc, summary, started = start_emulator(size, args.seed, config_dir, args.latency)
            except RuntimeError as exc:
                print(f"copyguard bench: {exc}", file=sys.stderr)
                return 2
            try:
                want_errors, unreadable = expected(summary)
                for w in workers:
                    runs = []
                    for _ in range(max(1, args.repeat)):
                        try:
                            runs.append(scan(config_dir, w))
                        except RuntimeError as exc:
                            print(f"copyguard bench: {exc}", file=sys.stderr)
                            return 2
                    runs.sort(key=lambda r: r["seconds"])
                    run = runs[len(runs) // 2]
                    report = run["report"]
                    errors = {
                        (f["code"], f["resource"])
                        for f in report["findings"]
                        if f["severity"] == "error"
                    }
                    cg902 = [f for f in report["findings"] if f["code"] == "CG902"]
                    listed = (
                        errors == want_errors
                        and len(cg902) == len(unreadable)
                        and all(any(a in f["message"] for a in unreadable) for f in cg902)
                    )
                    per_resource = run["calls"] / run["distinct"] if run["distinct"] else 0.0
                    ok = ok and listed and per_resource <= 1.0
                    row = {
                        "members": size,
                        "workers": w,
                        "start": started,
                        "seconds": run["seconds"],
                        "calls": run["calls"],
                        "distinct": run["distinct"],
                        "per_resource": per_resource,
                        "http": run["http"],
                        "copies": len(report["copies"]),
                        "verdict": report["verdict"],
                        "listed": listed,
                    }
                    rows.append(row)
                    print(
                        f"{size:>7} {w:>7} {started:>8.2f} {run['seconds']:>8.2f} "
                        f"{1000 * run['seconds'] / size:>8.1f} {run['calls']:>6} "
                        f"{run['distinct']:>8} {per_resource:>9.3f} {run['http']:>6} "
                        f"{row['copies']:>6} {report['verdict']:>7} "
                        f"{'yes' if listed else 'NO':>9}",
                        flush=True,
                    )
            finally:
                stop(proc)
    first = [r for r in rows if r["workers"] == workers[0]]
    if len(first) >= 2:
        b, a = slope([r["members"] for r in first], [r["seconds"] for r in first])
        print(
            f"\nslope at {workers[0]} workers: {1000 * b:.1f} ms per member (intercept {a:.2f} s)"
        )
        small, large = first[0], first[-1]
        ratio = (large["seconds"] / large["members"]) / (small["seconds"] / small["members"])
        print(
            f"time per member at {large['members']} / at {small['members']}: {ratio:.2f} "
            "(about 1 or below is linear)"
        )
    worst = max((r["per_resource"] for r in rows), default=0.0)
    print(f"API calls per resource read: at most {worst:.3f} (goal 1.0)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
