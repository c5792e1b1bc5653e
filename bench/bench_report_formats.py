"""Report formats at scale: ``copyguard check FILE --format F`` on generated scenarios.

The scenarios are ``bench_check_scale.py``'s (default shape: N copies, N/10 source keys,
half of which fail with CG101, N/20 destination vaults). For every size and format (text,
text with ``--color``, markdown, json, sarif, html), one whole process per run, interpreter
start-up included: CPU time (user + system) and peak resident memory, the median of
``--repeat`` runs, and for each format the ratio of its CPU time at the largest size to the
next size down. What a format adds to the check is its time less json's (json is written
one finding at a time and the cheapest to lay out).

    python bench/bench_report_formats.py                       # 1,000 and 10,000 copies
    python bench/bench_report_formats.py --sizes 10000,100000 --formats text,sarif
    python bench/bench_report_formats.py --src /tmp/before/src # another tree, for before/after

Exit status: 0 if every format's ratio is at most ``--max-ratio`` (default 10: linear
growth), 1 if one is above, 2 if a run fails (these scenarios' check exits 1, verdict fail).
A script, not a timed test: compare runs on one machine.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check_scale import REPO, generate, run, write

FORMATS = {
    "text": ["--format", "text", "--no-color"],
    "text-color": ["--format", "text", "--color"],
    "markdown": ["--format", "markdown"],
    "json": ["--format", "json"],
    "sarif": ["--format", "sarif"],
    "html": ["--format", "html"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="copies (default 1000,10000)")
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help=f"some of {', '.join(FORMATS)} (default all)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median; default 3)")
    parser.add_argument("--max-ratio", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--src", default=str(REPO / "src"), help="the copyguard sources to time")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"--formats: unknown {', '.join(sorted(unknown))}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(args.src).resolve()), env.get("PYTHONPATH", "")) if p
    )
    env.setdefault("COPYGUARD_LANG", "en")
    samples: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-formats-") as tmp:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        run(["check", str(REPO / "examples" / "seed-failing.yaml")], env, 1)  # warm-up
        print(f"{'format':11} {'copies':>7} {'CPU s':>8} {'peak MB':>8} {'over json s':>12}")
        print("-" * 50)
        for n in sizes:
            path = Path(tmp) / f"scale-{n}.json"
            write(generate(n, args.seed), path)
            bound = ["--max-input-size", f"{path.stat().st_size // (1024 * 1024) + 1}M"]
            peaks: dict[str, float] = {}
            for _ in range(max(1, args.repeat)):  # rounds: each format once per round
                for fmt in formats:
                    _wall, spent, peak = run(["check", str(path), *FORMATS[fmt], *bound], env, 1)
                    samples.setdefault((fmt, n), []).append(spent)
                    peaks[fmt] = max(peaks.get(fmt, 0.0), peak / 1024)
            for fmt in formats:
                cpu[(fmt, n)] = statistics.median(samples[(fmt, n)])
            for fmt in formats:
                over = f"{cpu[(fmt, n)] - cpu[('json', n)]:>12.2f}" if "json" in formats else ""
                print(f"{fmt:11} {n:>7} {cpu[(fmt, n)]:>8.2f} {peaks[fmt]:>8.0f} {over}")
            path.unlink()
    failed = False
    print()
    for fmt in formats:
        for small, large in itertools.pairwise(sizes):
            ratio = cpu[(fmt, large)] / cpu[(fmt, small)]
            limit = args.max_ratio * large / small / 10  # linear: the copies' ratio
            failed |= ratio > limit
            print(f"{fmt}: CPU time at {large} / at {small} copies: {ratio:.2f}x (limit {limit:g})")
    if failed:
        print("FAIL: a format grows worse than linearly")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
