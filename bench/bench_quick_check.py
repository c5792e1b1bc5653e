"""Start-up benchmark: the quick form on the seed example, as a whole process, against a bare
``python3 -c pass``.

Times, wall clock, best of REPEAT (the two interleaved so both see the same machine state):

- ``python -m copyguard check --key-policy examples/seed-key-policy.json
  --source-account 111122223333 --destination-account 444455556666 --format json``
  (the seed article's exact situation in one line; it exits 1, verdict fail)
- ``python -c pass``

with the same interpreter (``sys.executable``) and the same environment. Bytecode is cached
in a private ``PYTHONPYCACHEPREFIX`` directory, warmed once before timing, so the numbers are
those of an installed package (``pip install`` compiles to bytecode), even where
``PYTHONDONTWRITEBYTECODE`` is set. Prints both times and the ratio, and exits 1 if the ratio is
above MAX_RATIO (default 5), 2 if a run fails.

    python bench/bench_quick_check.py [--repeat 15] [--max-ratio 5]

This is a script, not a timed test: timings depend on the machine (the project's machines
have 2 cores); compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUICK = [
    "-m",
    "copyguard",
    "check",
    "--key-policy",
    "examples/seed-key-policy.json",
    "--source-account",
    "111122223333",
    "--destination-account",
    "444455556666",
    "--format",
    "json",
]
EXPECTED_QUICK_EXIT = 1  # verdict fail: CG101


def environment(cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env.setdefault("COPYGUARD_LANG", "en")
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def run(args: list[str], env: dict[str, str], expected: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], cwd=REPO, env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != expected:
        sys.stderr.write(
            f"bench: {' '.join(args)} exited {proc.returncode}, expected {expected}\n"
            + proc.stderr.decode(errors="replace")[-2000:]
        )
        raise SystemExit(2)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeat", type=int, default=15, help="runs of each, best kept (default 15)"
    )
    parser.add_argument(
        "--max-ratio", type=float, default=5.0, help="fail above this ratio (default 5)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-pyc-") as cache:
        env = environment(cache)
        # warm-up: writes the bytecode cache and the OS file cache
        for _ in range(2):
            run(QUICK, env, EXPECTED_QUICK_EXIT)
            run(["-c", "pass"], env, 0)
        quick: list[float] = []
        bare: list[float] = []
        for _ in range(max(1, args.repeat)):
            quick.append(run(QUICK, env, EXPECTED_QUICK_EXIT))
            bare.append(run(["-c", "pass"], env, 0))
    best_quick, best_bare = min(quick), min(bare)
    ratio = best_quick / best_bare
    print(f"python:            {sys.executable} ({sys.version.split()[0]})")
    print(f"bare python -c pass: {best_bare * 1000:7.1f} ms (best of {len(bare)})")
    print(f"copyguard quick form: {best_quick * 1000:7.1f} ms (best of {len(quick)})")
    print(f"ratio:               {ratio:7.2f}x (goal: at most {args.max_ratio:g}x)")
    if ratio > args.max_ratio:
        print(
            f"FAIL: the quick form takes more than {args.max_ratio:g}x the interpreter's start-up"
        )
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
