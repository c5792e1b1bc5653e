"""One 1 MB policy through ``copyguard check`` and ``fix``: under a second (GitHub issue 11).

What "a 1 MB policy" can be (README "Input limits", ``policy/files.py``, ``policy/parse.py``):

- a **vault access policy** (a resource policy): copyguard reads up to 1 MiB from an
  ``access_policy_file`` and has no limit of its own on one written inline in a scenario, so
  a 1 MB access policy is parsed, linted and evaluated in full. This is the bench's main case,
  written both ways (inline in a JSON scenario, and as ``access_policy_file``);
- a **key policy** cannot be: KMS refuses more than 32 KB (32,768 bytes, a quota that cannot
  be raised). ``--key-policy`` and ``policy_file`` stop reading at 32 KiB (exit 2), and a
  1 MB key policy written inline in a scenario is parsed and reported as the invalid
  document it is (CG901, exit 2). Both are timed too: refusing must be fast as well.

The access policy has ``--statements`` statements (default 2,500, about 1 MB): Allows and
Denies for other accounts and roles, with conditions, every one of which the evaluator must
look at; the statement that lets the source account copy in comes last, and the source key's
policy does not allow the destination, so the check fails with CG101 and ``fix`` proves a
key-policy change (its proof evaluates the copy against the 1 MB policy again).

Runs each case ``--repeat`` times (default 5) as a whole process (interpreter start-up
included) and prints the median wall and CPU time and the peak memory (``os.wait4``), with
the load average. Exit status: 0 if every median CPU time (user + system: what the run
costs, whatever the neighbours on a shared machine do; ``--wall`` judges the wall time
instead) is below ``--limit`` seconds (default 1.0), 1 if one is not, 2 if a run exits with
another code than expected.

    python bench/bench_big_policy.py
    python bench/bench_big_policy.py --statements 5000 --keep /tmp/big   # 2 MB, keep files
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
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SOURCE, DESTINATION, REGION = "111122223333", "444455556666", "us-east-1"
SOURCE_KEY = f"arn:aws:kms:{REGION}:{SOURCE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEST_KEY = f"arn:aws:kms:{REGION}:{DESTINATION}:key/5678ef01-56ef-78ab-90cd-567890abcdef"
VAULT = f"arn:aws:backup:{REGION}:{DESTINATION}:backup-vault:central"


def big_access_policy(statements: int, seed: int = 5) -> dict[str, Any]:
    """A vault access policy of ``statements`` statements; the last lets SOURCE copy in."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    actions = (
        "backup:CopyIntoBackupVault",
        ["backup:DescribeBackupVault", "backup:ListRecoveryPointsByBackupVault"],
        "backup:DeleteRecoveryPoint",
        ["backup:StartRestoreJob", "backup:GetRecoveryPointRestoreMetadata"],
    )
    for i in range(statements - 1):
        account = f"{rng.randrange(10**11, 10**12):012d}"
        principal = rng.choice(
            [f"arn:aws:iam::{account}:root", f"arn:aws:iam::{account}:role/backup-{i}"]
        )
        st: dict[str, Any] = {
            "Sid": f"Team{i:05d}",
            "Effect": "Deny" if i % 5 == 4 else "Allow",
            "Principal": {"AWS": principal},
            "Action": rng.choice(actions),
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": f"o-team{i:06d}abc"},
                "StringLike": {"aws:PrincipalTag/team": [f"team-{i}-*", f"ops-{i % 97}-*"]},
            },
        }
        if st["Effect"] == "Deny":  # a Deny for another caller: must not touch SOURCE's copy
            st["Condition"] = {"StringNotEquals": {"aws:PrincipalAccount": [account, SOURCE]}}
            st["Principal"] = {"AWS": f"arn:aws:iam::{account}:root"}
        out.append(st)
    out.append(
        {
            "Sid": "AllowCopiesFromSource",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
        }
    )
    return {"Version": "2012-10-17", "Statement": out}


def _key(arn: str, account: str, extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    statements = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        *(extra or []),
    ]
    return {
        "arn": arn,
        "manager": "CUSTOMER",
        "state": "Enabled",
        "policy": {"Version": "2012-10-17", "Statement": statements},
    }


def scenario(
    access: dict[str, Any] | None, access_file: str | None, key_padding: int
) -> dict[str, Any]:
    source_key = _key(SOURCE_KEY, SOURCE)
    if key_padding:  # a key policy as large as the access policy: KMS would refuse it
        source_key["policy"]["Statement"] += [
            {
                "Sid": f"Pad{i:05d}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:role/app-{i}"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
            }
            for i in range(key_padding)
        ]
    vault: dict[str, Any] = {"arn": VAULT, "key": DEST_KEY, "lock": None}
    if access_file:
        vault["access_policy_file"] = access_file
    else:
        vault["access_policy"] = access
    return {
        "version": 1,
        "organization": {
            "id": "o-exampleorg1",
            "accounts": [SOURCE, DESTINATION],
            "cross_account_backup_enabled": True,
            "management_account": "111111111111",
        },
        "keys": [source_key, _key(DEST_KEY, DESTINATION)],
        "vaults": [vault],
        "copies": [
            {
                "name": "volume-to-central",
                "resource_type": "EBS",
                "resource_arn": f"arn:aws:ec2:{REGION}:{SOURCE}:volume/vol-0123456789abcdef0",
                "resource_key": SOURCE_KEY,
                "source_vault": f"arn:aws:backup:{REGION}:{SOURCE}:backup-vault:local",
                "destination_vault": VAULT,
            }
        ],
    }


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, int, int, bytes]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "copyguard", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, code, err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--statements", type=int, default=2500, help="access policy statements")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each case; medians")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds (median CPU time)")
    parser.add_argument("--wall", action="store_true", help="judge the wall time, not CPU")
    parser.add_argument("--keep", metavar="DIR", help="write the files to DIR and keep them")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p
    )
    env["COPYGUARD_LANG"] = "en"
    failed = False
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-policy-") as tmp:
        # bytecode cached as an installed copyguard has it (PYTHONDONTWRITEBYTECODE would
        # make every run compile copyguard's modules again), in a folder of the bench's own
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        access = big_access_policy(args.statements)
        policy_path = folder / "access-policy.json"
        policy_path.write_text(json.dumps(access, indent=1), encoding="utf-8")
        pad = max(1, policy_path.stat().st_size // 330)
        files = {
            "inline.json": scenario(access, None, 0),
            "file.json": scenario(None, policy_path.name, 0),
            "key-inline.json": scenario(
                {"Version": "2012-10-17", "Statement": access["Statement"][-1:]}, None, pad
            ),
        }
        for name, doc in files.items():
            (folder / name).write_text(json.dumps(doc, indent=1), encoding="utf-8")
        big_key = json.loads((folder / "key-inline.json").read_text())["keys"][0]["policy"]
        (folder / "key-policy.json").write_text(json.dumps(big_key, indent=1), encoding="utf-8")
        quick = [
            "--source-account", SOURCE, "--destination-account", DESTINATION,
        ]  # fmt: skip
        cases = [
            ("check, access policy inline", ["check", str(folder / "inline.json"), "--format", "json"], 1),
            ("fix, access policy inline", ["fix", str(folder / "inline.json"), "--as", "json"], 0),
            ("check, access_policy_file", ["check", str(folder / "file.json"), "--format", "json"], 1),
            ("fix, access_policy_file", ["fix", str(folder / "file.json"), "--as", "json"], 0),
            ("check, key policy inline (CG901)", ["check", str(folder / "key-inline.json")], 2),
            ("check --key-policy (refused)", ["check", "--key-policy", str(folder / "key-policy.json"), *quick], 2),
        ]  # fmt: skip
        size = policy_path.stat().st_size
        key_size = (folder / "key-policy.json").stat().st_size
        print(
            f"access policy: {args.statements} statements, {size:,} bytes; "
            f"key policy: {len(big_key['Statement'])} statements, {key_size:,} bytes"
        )
        print(f"{'case':36} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'load':>5}")
        print("-" * 67)
        for _, cli, _ in cases:  # warm-up, untimed: writes the bytecode cache
            run(cli, env)
        for label, cli, expected in cases:
            runs = []
            for _ in range(max(1, args.repeat)):
                wall, cpu, peak, code, err = run(cli, env)
                if code != expected:
                    sys.stderr.write(
                        f"bench: {label}: exit {code}, expected {expected}\n"
                        + err.decode("utf-8", "replace")[-2000:]
                    )
                    return 2
                runs.append((wall, cpu, peak))
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            peak = max(r[2] for r in runs)
            failed |= (wall if args.wall else cpu) >= args.limit
            print(
                f"{label:36} {wall:>7.3f} {cpu:>7.3f} {peak / 1024:>8.0f} "
                f"{os.getloadavg()[0]:>5.2f}",
                flush=True,
            )
    print(f"limit: {args.limit:g} s (median {'wall' if args.wall else 'CPU'} time, whole process)")
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
