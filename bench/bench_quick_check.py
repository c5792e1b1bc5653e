"""Start-up benchmark: the quick form on the seed example, as a whole process, against a bare
``python -c pass``.

Times, wall clock, REPEAT runs of each, interleaved so all see the same machine state:

- ``python -m copyguard check --key-policy examples/seed-key-policy.json
  --source-account 111122223333 --destination-account 444455556666 --format json``
  (the seed article's exact situation in one line; it exits 1, verdict fail), answered by the
  console entry point's quick path (``copyguard/cli/quick.py``: no click);
- the same command through the click command group (``COPYGUARD_QUICK_PATH=0``), for
  comparison;
- with ``--script``, also the installed ``copyguard`` console script next to the interpreter
  (what a user types; pip's script imports ``re`` first, ``-m`` imports ``runpy``);
- ``python -c pass``

with the same interpreter (``sys.executable``) and the same environment. Bytecode is cached
in a private ``PYTHONPYCACHEPREFIX`` directory, warmed before timing, so the numbers are those
of an installed package (``pip install`` compiles to bytecode), even where
``PYTHONDONTWRITEBYTECODE`` is set. Prints the median and the best of each, wall clock and CPU
time (user + system: less sensitive to a busy machine than wall clock), and the ratio of the
wall-clock medians (quick form / ``python -c pass``); exits 1 if that ratio is above
MAX_RATIO (default 5), 2 if a run fails.

    python bench/bench_quick_check.py [--repeat 21] [--max-ratio 5] [--script]
        [--baseline-src DIR]      # DIR: another tree's src/, timed in the same run
        [--instructions]          # instructions counted by valgrind instead of time

``--instructions`` runs each case once under valgrind's callgrind (``PYTHONHASHSEED=0``) and
compares instruction counts: a figure a busy machine does not change (wall clock and even CPU
time do), but not a time: ``python -c pass`` spends relatively more of its time outside
counted instructions (loading the interpreter, page faults, system calls), so the instruction
ratio is higher than the time ratio.

This is a script, not a timed test: timings depend on the machine (the project's machines
have 2 cores, shared); compare runs on the same machine, in one run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARGS = [
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
    env.pop("COPYGUARD_QUICK_PATH", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env.setdefault("COPYGUARD_LANG", "en")
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def run(argv: list[str], env: dict[str, str], expected: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system, from ``wait4``)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != expected:
            err.seek(0)
            sys.stderr.write(
                f"bench: {' '.join(argv)} exited {proc.returncode}, expected {expected}\n"
                + err.read().decode(errors="replace")[-2000:]
            )
            raise SystemExit(2)
    return elapsed, usage.ru_utime + usage.ru_stime


def instructions(argv: list[str], env: dict[str, str], expected: int) -> int:
    """User-space instructions of one run, counted by valgrind's callgrind."""
    run(argv, env, expected)  # bytecode cache written, exit code checked
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-cg-") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
            cwd=REPO,
            env={**env, "PYTHONHASHSEED": "0"},
            capture_output=True,
            text=True,
            check=False,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != expected or not found:
        sys.stderr.write(f"bench: callgrind run of {' '.join(argv)} failed\n{done.stderr[-2000:]}")
        raise SystemExit(2)
    return int(found.group(1))


def count_instructions(
    cases: dict[str, tuple[list[str], dict[str, str], int]], limit: float
) -> int:
    if shutil.which("valgrind") is None:
        sys.stderr.write("bench: --instructions needs valgrind (apt-get install valgrind)\n")
        return 2
    counts = {name: instructions(*case) for name, case in cases.items()}
    bare = counts["python -c pass"]
    print(f"{'instructions (callgrind, PYTHONHASHSEED=0)':46s} {'millions':>9s} {'/ pass':>8s}")
    for name, n in counts.items():
        print(f"{name:46s} {n / 1e6:9.1f} {n / bare:7.2f}x")
    ratio = counts["quick form (python -m copyguard)"] / bare
    print(f"quick form / python -c pass (instructions): {ratio:.2f}x (goal: at most {limit:g}x)")
    return 0 if ratio <= limit else 1


def installed_script() -> Path | None:
    """The ``copyguard`` console script of this interpreter's environment, if installed."""
    script = Path(sys.executable).parent / "copyguard"
    return script if script.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21, help="runs of each (default 21)")
    parser.add_argument(
        "--max-ratio", type=float, default=5.0, help="fail above this ratio (default 5)"
    )
    parser.add_argument(
        "--script", action="store_true", help="also time the installed console script"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions instead (valgrind's callgrind, one run each, "
        "PYTHONHASHSEED=0): the same on a busy machine as on an idle one",
    )
    parser.add_argument(
        "--baseline-src",
        metavar="DIR",
        help="also time the quick form with PYTHONPATH=DIR (another tree's src/, e.g. "
        "from git archive), in the same run: before/after figures",
    )
    args = parser.parse_args(argv)
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-pyc-") as cache:
        env = environment(cache)
        click_env = {**env, "COPYGUARD_QUICK_PATH": "0"}
        cases: dict[str, tuple[list[str], dict[str, str], int]] = {
            "python -c pass": ([py, "-c", "pass"], env, 0),
            "quick form (python -m copyguard)": (
                [py, "-m", "copyguard", *ARGS],
                env,
                EXPECTED_QUICK_EXIT,
            ),
            "same through click (COPYGUARD_QUICK_PATH=0)": (
                [py, "-m", "copyguard", *ARGS],
                click_env,
                EXPECTED_QUICK_EXIT,
            ),
        }
        script = installed_script() if args.script else None
        if args.script and script is None:
            sys.stderr.write(f"bench: no copyguard script next to {py}\n")
            return 2
        if args.baseline_src:
            base_env = {**env, "PYTHONPATH": str(Path(args.baseline_src).resolve())}
            base_env["PYTHONPYCACHEPREFIX"] = os.path.join(cache, "baseline")
            cases["baseline tree (--baseline-src)"] = (
                [py, "-m", "copyguard", *ARGS],
                base_env,
                EXPECTED_QUICK_EXIT,
            )
        if script is not None:
            cases["quick form (console script)"] = ([str(script), *ARGS], env, EXPECTED_QUICK_EXIT)
        if args.instructions:
            return count_instructions(cases, args.max_ratio)
        for argv_, env_, code in cases.values():  # warm-up: bytecode cache and OS file cache
            for _ in range(2):
                run(argv_, env_, code)
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpu: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(max(1, args.repeat)):
            for name, (argv_, env_, code) in cases.items():
                wall, used = run(argv_, env_, code)
                times[name].append(wall)
                cpu[name].append(used)
    bare = statistics.median(times["python -c pass"])
    bare_cpu = statistics.median(cpu["python -c pass"])
    print(f"python: {py} ({sys.version.split()[0]}), {args.repeat} runs of each, interleaved")
    print(f"{'wall clock / CPU (user+system)':46s} {'median':>9s} {'best':>9s} {'/ pass':>8s}")
    for name, values in times.items():
        med, cmed = statistics.median(values), statistics.median(cpu[name])
        print(f"{name:46s} {med * 1000:7.1f}ms {min(values) * 1000:7.1f}ms {med / bare:7.2f}x")
        print(
            f"{'  CPU':46s} {cmed * 1000:7.1f}ms {min(cpu[name]) * 1000:7.1f}ms {cmed / bare_cpu:7.2f}x"
        )
    ratio = statistics.median(times["quick form (python -m copyguard)"]) / bare
    print(
        f"quick form / python -c pass (medians): {ratio:.2f}x (goal: at most {args.max_ratio:g}x)"
    )
    if ratio > args.max_ratio:
        print(
            f"FAIL: the quick form takes more than {args.max_ratio:g}x the interpreter's start-up"
        )
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
