"""Speed benchmark: ``copyguard simulate --batch FILE`` against @cloud-copilot/iam-simulate.

Generates COUNT requests (``tests/differential/generate.py``), then times, as whole processes
on the same file in the same run (wall clock, best of REPEAT, the two tools interleaved so
both see the same machine state), and records each process's peak resident memory:

- ``python -m copyguard simulate --batch FILE``
- ``node tests/differential/iam_simulate_runner.mjs FILE``

Modes (``--mode``):

- ``held-out`` (default): the generated corpus, one key policy per request (5,000 requests);
  required ratio 10.
- ``big-policy``: each request's key policy padded with statements of other generated key
  policies to STATEMENTS (default 100) statements, no two lines alike (1,000 requests);
  required ratio 5.
- ``memory``: copyguard alone on 4,000 distinct big-policy requests; prints its peak RSS and
  the policy cache's byte bound.

Prints both times, throughputs, peak RSS and the ratio, and exits 1 if copyguard's
throughput is below MIN_RATIO times iam-simulate's (2 if a tool is missing or a run fails).

    python bench/bench_simulate.py [--mode held-out|big-policy|memory] [--count N]
        [--statements 100] [--repeat 3] [--min-ratio X] [--seed 11] [--keep FILE]
        [--workers auto|1|2] [--src DIR]

Needs ``npm ci --prefix tests/differential`` (iam-simulate is AGPL and only ever runs as a
separate test-time process).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DIFF = REPO / "tests" / "differential"
RUNNER = DIFF / "iam_simulate_runner.mjs"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("copyguard_bench_generate", DIFF / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(cmd: list[str], env: dict[str, str] | None, expected: int) -> tuple[float, int, float]:
    """(wall-clock seconds, peak RSS in bytes, CPU seconds: user + system, every thread) of
    one whole run; checks it answered every line and that no line was an error."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != expected:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} ...: {len(lines)} result lines for {expected} requests "
            f"(exit {proc.returncode})\n{stderr[-2000:]}"
        )
    errors = [line for line in lines if '"error"' in line]
    if errors:
        raise RuntimeError(f"{' '.join(cmd[:4])} ...: {len(errors)} error lines: {errors[0]}")
    # ru_maxrss is in KiB on Linux
    return elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def big_policies(generate: ModuleType, seed: int, count: int, statements: int) -> list[Any]:
    """COUNT requests whose key policies each hold STATEMENTS statements, all different.

    Each request keeps its own statements (which decide it) and is padded with statements
    of other generated key policies (with fresh Sids), so no two lines share policy text.
    """
    requests = list(generate.generate(seed, count))
    donors = generate.generate(seed + 1_000_003, 10**9)
    for req in requests:
        policy = req["key_policy"]
        own = (
            policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        )
        padded = list(own)
        size = len(json.dumps(policy, separators=(",", ":")))
        while len(padded) < statements:
            donor = next(donors)["key_policy"]["Statement"]
            for stmt in donor if isinstance(donor, list) else [donor]:
                text = json.dumps(stmt, separators=(",", ":"))
                if len(padded) >= statements or size + len(text) + 20 > 30_000:
                    continue
                stmt = dict(stmt, Sid=f"Pad{len(padded)}")
                padded.append(stmt)
                size += len(text) + 20
        policy["Statement"] = padded
    return requests


MODES = ("held-out", "big-policy", "memory")


def write_corpus(path: Path, args: argparse.Namespace, generate: ModuleType) -> None:
    if args.mode == "held-out":
        requests: Any = generate.generate(args.seed, args.count)
    else:
        requests = big_policies(generate, args.seed, args.count, args.statements)
    with path.open("w", encoding="utf-8") as fh:
        for req in requests:
            fh.write(json.dumps(req, separators=(",", ":")) + "\n")


def mib(n: int) -> str:
    return f"{n / 1024 / 1024:7.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="copyguard vs iam-simulate batch speed")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="held-out",
        help="held-out: generated requests, one key policy each; big-policy: each line its "
        "own STATEMENTS-statement key policy; memory: copyguard alone on COUNT distinct "
        "big policies, reports its peak RSS against the policy cache's byte bound",
    )
    parser.add_argument("--count", type=int, help="requests (default 5000; 1000 big-policy)")
    parser.add_argument("--statements", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-ratio", type=float, help="default 10 (held-out), 5 (big-policy)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="also write the corpus here")
    parser.add_argument(
        "--workers",
        choices=("auto", "1", "2"),
        default="auto",
        help="COPYGUARD_BATCH_WORKERS for copyguard's runs: auto (a second process only "
        "when a core is idle), 1 (one process) or 2 (a second process whatever the load)",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=REPO / "src",
        help="the copyguard source tree to time (e.g. an older checkout's src, to compare)",
    )
    parser.add_argument("--write-corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.count is None:
        args.count = {"held-out": 5000, "big-policy": 1000, "memory": 4000}[args.mode]
    if args.min_ratio is None:
        args.min_ratio = 10.0 if args.mode == "held-out" else 5.0

    node = shutil.which("node")
    if args.mode != "memory" and (node is None or not (DIFF / "node_modules").is_dir()):
        print(
            "bench: needs node and `npm ci --prefix tests/differential` (iam-simulate)",
            file=sys.stderr,
        )
        return 2

    if args.write_corpus:
        write_corpus(args.write_corpus, args, load_generator())
        return 0
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(args.src), env.get("PYTHONPATH")) if p)
    env["COPYGUARD_BATCH_WORKERS"] = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        # Timed as installed: pip compiles the bytecode at install time, so the timed runs
        # load it from a cache (kept in the temporary directory, not in the checkout) that
        # an untimed first run fills; PYTHONDONTWRITEBYTECODE would otherwise make every
        # run compile copyguard's sources again.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        corpus = Path(tmp) / "bench.jsonl"
        # Written by a child process: a child's peak RSS counts the memory of the process it
        # was forked from, so this process stays small (the corpus is never held here).
        subprocess.run(
            [
                sys.executable,
                __file__,
                *(argv if argv is not None else sys.argv[1:]),
                "--count",
                str(args.count),
                "--write-corpus",
                str(corpus),
            ],
            check=True,
        )
        size = corpus.stat().st_size
        if args.keep:
            shutil.copyfile(corpus, args.keep)
        cg_cmd = [sys.executable, "-m", "copyguard", "simulate", "--batch", str(corpus)]
        sim_cmd = [str(node), str(RUNNER), str(corpus)]
        cg_runs: list[tuple[float, int, float]] = []
        sim_runs: list[tuple[float, int, float]] = []
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        try:
            subprocess.run(  # untimed: fills the bytecode cache
                [sys.executable, "-m", "copyguard", "simulate", "--batch", "-"],
                input=b"",
                env=env,
                cwd=REPO,
                check=False,
                capture_output=True,
            )
            for _ in range(args.repeat):
                cg_runs.append(timed(cg_cmd, env, args.count))
                if args.mode != "memory":
                    sim_runs.append(timed(sim_cmd, None, args.count))
        except RuntimeError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2
        load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    what = {
        "held-out": "one key policy per request",
        "big-policy": f"each its own {args.statements}-statement key policy",
        "memory": f"each its own {args.statements}-statement key policy",
    }[args.mode]
    print(f"mode              : {args.mode} (COPYGUARD_BATCH_WORKERS={args.workers}, {args.src})")
    print(f"load average      : {load:.2f} before, {load_end:.2f} after the timed runs (1 min)")
    print(f"requests          : {args.count} (seed {args.seed}, {what}; {size / 1e6:.1f} MB)")
    cg = min(t for t, _, _ in cg_runs)
    cg_rss = max(r for _, r, _ in cg_runs)
    cg_cpu = min(c for _, _, c in cg_runs)
    print(
        f"copyguard         : {cg:7.3f} s  ({args.count / cg:9.0f} req/s)  "
        f"peak RSS {mib(cg_rss)}  runs {', '.join(f'{t:.3f}' for t, _, _ in cg_runs)}  "
        f"CPU {cg_cpu:.3f} s"
    )
    if args.mode == "memory":
        sys.path.insert(0, str(REPO / "src"))
        from copyguard.evaluate.batch import DEFAULT_CACHE_BYTES

        print(f"policy cache bound: {mib(DEFAULT_CACHE_BYTES)} (estimated compiled size)")
        return 0
    sim = min(t for t, _, _ in sim_runs)
    ratio = sim / cg
    sim_cpu = min(c for _, _, c in sim_runs)
    print(
        f"iam-simulate      : {sim:7.3f} s  ({args.count / sim:9.0f} req/s)  "
        f"peak RSS {mib(max(r for _, r, _ in sim_runs))}  "
        f"runs {', '.join(f'{t:.3f}' for t, _, _ in sim_runs)}  CPU {sim_cpu:.3f} s"
    )
    print(f"throughput ratio  : {ratio:7.2f}x  (required: >= {args.min_ratio:g}x)")
    print(f"CPU time ratio    : {sim_cpu / cg_cpu:7.2f}x  (informative: less sensitive to load)")
    if ratio < args.min_ratio:
        print(
            f"FAIL: copyguard is {ratio:.2f}x iam-simulate's throughput, below {args.min_ratio:g}x"
        )
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
