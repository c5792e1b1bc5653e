"""Scale benchmark: ``copyguard check`` (and ``fix``) on generated scenarios of N copies.

Generates one scenario per size, shape and format (JSON and YAML). Shape ``copies`` (the
default): N copies, N/10 source keys (key policies of 5 to 20 statements, about half of which
do not allow the destination, so half the copies fail with CG101 and carry a proven fix) and
N/20 destination vaults (each with its own key and access policy); shape ``keys``: a source
key per copy; shape ``vaults``: a destination vault per copy. Then runs, as whole processes
(interpreter start-up included), each with ``--max-input-size`` just above the file's size:

- ``python -m copyguard check FILE --format json`` (exits 1: verdict fail)
- ``python -m copyguard fix FILE --as json`` (skipped with ``--no-fix``; exits 0)

and records each run's wall time, CPU time (user + system) and peak resident memory (``resource.getrusage
(RUSAGE_CHILDREN)``, read in a fresh helper process per run so one run's peak is not hidden
by another's). ``--repeat N`` runs N rounds, each running every case once in turn (10k,
100k, 10k, 100k, ...: a slow spell of a shared machine then falls on both ends of a ratio,
not on the runs of one size), and compares the medians. ``--balanced`` also runs each size as
often as gives the largest size's copies in a round (ten 10,000-copy runs to one
100,000-copy run, their mean the round's figure; every other round in the opposite order):
a minute-long run and a six-second one otherwise sample different moments of a shared
machine, whose speed drifts by tens of percent within minutes.

Prints one row per run (with its round and the load average) and, for every size that has
one ten times smaller, the ratio of the CPU times (default ``--sizes 10000,100000``: 100k /
10k; with ``--repeat``, of the medians, and each round's own ratio beside it). CPU time,
not wall time, because the project's machines are shared: wall time also measures the
neighbours. Exit status: 0 if every such ratio is at most ``--max-ratio`` (default 10: linear
growth), 1 if one is above, 2 if a run fails (a ``check`` of these scenarios exits 1, verdict
fail; ``fix`` exits 0; anything else is an error).

The generated files take about 0.9 KB (JSON) or 0.7 KB (YAML) per copy: 100,000 copies are
92 MB of JSON, above the default 16 MiB scenario limit, hence ``--max-input-size``.

    python bench/bench_check_scale.py --no-fix              # 10k, 100k; JSON and YAML
    python bench/bench_check_scale.py --sizes 1000,10000 --shapes keys,vaults --no-fix
    python bench/bench_check_scale.py --keep DIR            # keep the generated scenarios
    python bench/bench_check_scale.py --src /tmp/base/src   # time another tree's sources

This is a script, not a timed test: timings depend on the machine (the project's machines
have 2 cores); compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOURCE_ACCOUNTS = ("111122223333", "222233334444", "333344445555")
DESTINATION = "444455556666"
REGION = "us-east-1"
KMS_USE = [
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
]
KMS_GRANT = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
FILLER_ACTIONS = (
    ["kms:Decrypt"],
    ["kms:Encrypt", "kms:GenerateDataKey"],
    ["kms:DescribeKey", "kms:GetKeyPolicy"],
    ["kms:Sign", "kms:Verify"],
    ["kms:TagResource", "kms:UntagResource"],
)


def _key_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _key_policy(rng: random.Random, account: str, allows_destination: bool) -> dict[str, Any]:
    principals = [f"arn:aws:iam::{account}:root"]
    if allows_destination:
        principals.append(f"arn:aws:iam::{DESTINATION}:root")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": KMS_USE,
            "Resource": "*",
        },
        {
            "Sid": "Allow attachment of persistent resources",
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": KMS_GRANT,
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]
    for i in range(rng.randint(2, 17)):  # 5 to 20 statements in all
        role = f"arn:aws:iam::{account}:role/app-{rng.randrange(1000)}"
        st: dict[str, Any] = {
            "Sid": f"App{i}",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": rng.choice(FILLER_ACTIONS),
            "Resource": "*",
        }
        if rng.random() < 0.5:
            st["Condition"] = {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
        statements.append(st)
    return {"Version": "2012-10-17", "Statement": statements}


#: how many source keys and destination vaults a scenario of N copies has, per shape
SHAPES = {
    "copies": (10, 20),  # N/10 source keys, N/20 destination vaults (the default)
    "keys": (1, 20),  # one source key per copy
    "vaults": (10, 1),  # one destination vault (with its own key) per copy
}


def generate(n: int, seed: int = 7, shape: str = "copies") -> dict[str, Any]:
    """A scenario with ``n`` copies and, for the default shape, ``n // 10`` source keys and
    ``n // 20`` destination vaults (``SHAPES``: one key or one vault per copy)."""
    rng = random.Random(seed)
    per_key, per_vault = SHAPES[shape]
    n_keys = max(1, n // per_key)
    n_vaults = max(1, n // per_vault)
    keys: list[dict[str, Any]] = []
    source_keys: list[str] = []
    for i in range(n_keys):
        account = SOURCE_ACCOUNTS[i % len(SOURCE_ACCOUNTS)]
        arn = f"arn:aws:kms:{REGION}:{account}:key/{_key_id(rng)}"
        source_keys.append(arn)
        keys.append(
            {
                "arn": arn,
                "manager": "CUSTOMER",
                "state": "Enabled",
                "policy": _key_policy(rng, account, allows_destination=i % 2 == 0),
            }
        )
    vaults: list[dict[str, Any]] = []
    for j in range(n_vaults):
        key_arn = f"arn:aws:kms:{REGION}:{DESTINATION}:key/{_key_id(rng)}"
        keys.append(
            {
                "arn": key_arn,
                "manager": "CUSTOMER",
                "state": "Enabled",
                "policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Enable IAM User Permissions",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{DESTINATION}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            }
        )
        vaults.append(
            {
                "arn": f"arn:aws:backup:{REGION}:{DESTINATION}:backup-vault:central-{j}",
                "key": key_arn,
                "access_policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "Allow copies from the source accounts",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": [f"arn:aws:iam::{a}:root" for a in SOURCE_ACCOUNTS]
                            },
                            "Action": "backup:CopyIntoBackupVault",
                            "Resource": "*",
                        }
                    ],
                },
                "lock": {"min_retention_days": 7, "max_retention_days": 3650},
            }
        )
    copies: list[dict[str, Any]] = []
    for c in range(n):
        key = source_keys[c % n_keys]
        account = key.split(":")[4]
        if c % 3 == 2:
            rtype = "RDS"
            resource = f"arn:aws:rds:{REGION}:{account}:db:db-{c}"
        else:
            rtype = "EBS"
            resource = f"arn:aws:ec2:{REGION}:{account}:volume/vol-{c:017x}"
        copies.append(
            {
                "name": f"copy-{c}",
                "resource_type": rtype,
                "resource_arn": resource,
                "resource_key": key,
                "source_vault": f"arn:aws:backup:{REGION}:{account}:backup-vault:local-{c % 7}",
                "destination_vault": vaults[c % n_vaults]["arn"],
                "lifecycle": {"delete_after_days": 35},
            }
        )
    return {
        "version": 1,
        "organization": {
            "id": "o-exampleorg1",
            "accounts": [*SOURCE_ACCOUNTS, DESTINATION],
            "cross_account_backup_enabled": True,
            "management_account": "111111111111",
        },
        "keys": keys,
        "vaults": vaults,
        "copies": copies,
    }


def write(doc: dict[str, Any], path: Path) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    else:
        import yaml

        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        path.write_text(yaml.dump(doc, Dumper=dumper, sort_keys=False), encoding="utf-8")


_PEAK = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.buffer.write(p.stderr[-2000:])\n"
    "print(u.ru_maxrss, p.returncode, u.ru_utime + u.ru_stime)\n"
)


def run(args: list[str], env: dict[str, str], expected: int) -> tuple[float, float, int]:
    """Wall time, CPU time (user + system) and peak RSS (KiB on Linux) of one whole
    ``python -m copyguard`` process."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, sys.executable, "-m", "copyguard", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    elapsed = time.perf_counter() - start
    try:
        fields = proc.stdout.split()
        peak, code, cpu = int(fields[0]), int(fields[1]), float(fields[2])
    except (ValueError, IndexError):
        peak, code, cpu = 0, -1, 0.0
    if code != expected:
        sys.stderr.write(
            f"bench: copyguard {' '.join(args)} exited {code}, expected {expected}\n"
            + proc.stderr[-2000:]
        )
        raise SystemExit(2)
    return elapsed, cpu, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="copies per scenario (default 10000,100000)",
    )
    parser.add_argument("--formats", default="json,yaml", help="json, yaml or both (default)")
    parser.add_argument(
        "--shapes",
        default="copies",
        help="copies (N/10 keys, N/20 vaults; default), keys (a key per copy), vaults (a "
        "vault per copy), or several, comma-separated",
    )
    parser.add_argument("--no-fix", action="store_true", help="time check only, not fix")
    parser.add_argument(
        "--max-ratio",
        type=float,
        default=10.0,
        help="fail if 10x the copies takes more than this many times as long (default 10)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds, each running every case once (interleaved); the medians are compared",
    )
    parser.add_argument(
        "--balanced",
        action="store_true",
        help="run each size as often as gives the largest size's copies in each round (ten "
        "10,000-copy runs to one 100,000-copy run; their mean is the round's figure), every "
        "other round in the opposite order",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the scenarios to DIR and keep them")
    parser.add_argument(
        "--src",
        metavar="DIR",
        default=str(REPO / "src"),
        help="the copyguard sources to time (default: this checkout's src; e.g. an older "
        "tree from `git archive`, for before/after figures)",
    )
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    shapes = [f.strip() for f in args.shapes.split(",") if f.strip()]
    if not set(shapes) <= set(SHAPES):
        parser.error(f"--shapes: expected some of {', '.join(SHAPES)}")
    commands = ["check"] if args.no_fix else ["check", "fix"]

    env = dict(os.environ)
    src = str(Path(args.src).resolve())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env.setdefault("COPYGUARD_LANG", "en")

    # every scenario is written first; then --repeat rounds, each running every case once in
    # the same order, so a slow minute of a shared machine falls on both ends of a ratio
    # rather than on one size's runs only
    Case = tuple[str, str, str, int]  # shape, command, format, copies
    cpus: dict[Case, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-scale-") as tmp:
        # bytecode cached as an installed copyguard has it, in a folder of the bench's own
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        out_dir = Path(args.keep) if args.keep else Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        cases: list[tuple[Case, list[str], int, str]] = []  # case, arguments, exit, row start
        for shape in shapes:
            for n in sizes:
                doc = generate(n, args.seed, shape)
                n_keys, n_vaults = len(doc["keys"]), len(doc["vaults"])
                for fmt in formats:
                    path = out_dir / f"scale-{shape}-{n}.{fmt}"
                    write(doc, path)
                    size = path.stat().st_size
                    # files above the default 16 MiB need the bound raised, as a user would
                    bound = ["--max-input-size", f"{size // (1024 * 1024) + 1}M"]
                    for cmd in commands:
                        if cmd == "check":
                            cli, expected = ["check", str(path), "--format", "json", *bound], 1
                        else:
                            cli, expected = ["fix", str(path), "--as", "json", *bound], 0
                        row = (
                            f"{shape:6} {cmd:7} {fmt:6} {n:>7} {n_keys:>7} {n_vaults:>7} "
                            f"{size / 1e6:>6.1f}"
                        )
                        cases.append(((shape, cmd, fmt, n), cli, expected, row))
                del doc
        print(
            f"{'round':5} {'shape':6} {'command':7} {'format':6} {'copies':>7} {'keys':>7} "
            f"{'vaults':>7} {'MB':>6} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'load':>5}"
        )
        print("-" * 94)
        # warm-up, untimed: writes the bytecode cache
        run(["check", str(REPO / "examples" / "seed-failing.yaml")], env, 1)
        largest = max(sizes)
        for round_ in range(1, max(1, args.repeat) + 1):
            # --balanced: every size as many times as gives the largest size's copies (ten
            # 10,000-copy runs to one 100,000-copy run), the order turned round every other
            # round: both ends of a ratio then take about the same minutes of the machine
            order = cases if round_ % 2 or not args.balanced else cases[::-1]
            for case, cli, expected, row in order:
                times = largest // case[3] if args.balanced else 1
                spent = []
                for _ in range(max(1, times)):
                    elapsed, cpu, peak = run(cli, env, expected)
                    spent.append(cpu)
                    print(
                        f"{round_:>5} {row} {elapsed:>8.2f} {cpu:>8.2f} {peak / 1024:>8.0f} "
                        f"{os.getloadavg()[0]:>5.2f}",
                        flush=True,
                    )
                cpus.setdefault(case, []).append(statistics.mean(spent))
    worst = 0.0
    print()
    for (shape, cmd, fmt, n), runs in sorted(cpus.items()):
        small = cpus.get((shape, cmd, fmt, n // 10))
        if small:
            ratio = statistics.median(runs) / statistics.median(small)
            worst = max(worst, ratio)
            rounds = ", ".join(f"{a / b:.2f}x" for a, b in zip(runs, small, strict=True))
            print(
                f"{shape} {cmd} {fmt}: CPU time at {n} / at {n // 10} copies: {ratio:.2f}x "
                f"(limit {args.max_ratio:g})"
                + (
                    f"; medians of {len(runs)} rounds, each round: {rounds}"
                    if len(runs) > 1
                    else ""
                )
            )
    if worst > args.max_ratio:
        print("FAIL: growth is worse than linear")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
