"""Speed benchmark: ``copyguard simulate --batch FILE`` against @cloud-copilot/iam-simulate.

Generates COUNT requests, each with its own key policy (``tests/differential/generate.py``),
then times, as whole processes on the same file in the same run (wall clock, best of REPEAT,
the two tools interleaved so both see the same machine state):

- ``python -m copyguard simulate --batch FILE``
- ``node tests/differential/iam_simulate_runner.mjs FILE``

Prints both times, throughputs and the ratio, and exits 1 if copyguard's throughput is below
MIN_RATIO times iam-simulate's (2 if a tool is missing or a run fails).

    python bench/bench_simulate.py [--count 5000] [--repeat 3] [--min-ratio 5] [--seed 11]

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

REPO = Path(__file__).resolve().parent.parent
DIFF = REPO / "tests" / "differential"
RUNNER = DIFF / "iam_simulate_runner.mjs"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("copyguard_bench_generate", DIFF / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(cmd: list[str], env: dict[str, str] | None, expected: int) -> float:
    """Wall-clock seconds of one whole run; checks it answered every line."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    elapsed = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if len(lines) != expected:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} ...: {len(lines)} result lines for {expected} requests "
            f"(exit {proc.returncode})\n{proc.stderr[-2000:]}"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="copyguard vs iam-simulate batch speed")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--min-ratio", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="also write the corpus here")
    args = parser.parse_args(argv)

    node = shutil.which("node")
    if node is None or not (DIFF / "node_modules").is_dir():
        print(
            "bench: needs node and `npm ci --prefix tests/differential` (iam-simulate)",
            file=sys.stderr,
        )
        return 2

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)
    generate = load_generator()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "bench.jsonl"
        with corpus.open("w", encoding="utf-8") as fh:
            for req in generate.generate(args.seed, args.count):
                fh.write(json.dumps(req, separators=(",", ":")) + "\n")
        if args.keep:
            shutil.copyfile(corpus, args.keep)
        cg_cmd = [sys.executable, "-m", "copyguard", "simulate", "--batch", str(corpus)]
        sim_cmd = [node, str(RUNNER), str(corpus)]
        cg_times: list[float] = []
        sim_times: list[float] = []
        try:
            for _ in range(args.repeat):
                cg_times.append(timed(cg_cmd, env, args.count))
                sim_times.append(timed(sim_cmd, None, args.count))
        except RuntimeError as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 2

    cg, sim = min(cg_times), min(sim_times)
    ratio = sim / cg
    print(f"requests          : {args.count} (seed {args.seed}, one key policy per request)")
    print(
        f"copyguard         : {cg:7.3f} s  ({args.count / cg:9.0f} req/s)  "
        f"runs {', '.join(f'{t:.3f}' for t in cg_times)}"
    )
    print(
        f"iam-simulate      : {sim:7.3f} s  ({args.count / sim:9.0f} req/s)  "
        f"runs {', '.join(f'{t:.3f}' for t in sim_times)}"
    )
    print(f"throughput ratio  : {ratio:7.2f}x  (required: >= {args.min_ratio:g}x)")
    if ratio < args.min_ratio:
        print(
            f"FAIL: copyguard is {ratio:.2f}x iam-simulate's throughput, below {args.min_ratio:g}x"
        )
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
