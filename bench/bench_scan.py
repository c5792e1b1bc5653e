#!/usr/bin/env python3
"""How ``scan --all-plans`` grows with the number of copy rules, on the local emulator.

Starts an in-process emulator, creates backup plans whose rules copy to another account
(each rule backs up into its own vault, which holds recovery points of EBS volumes under the
rule's own KMS key; every other key does not allow the destination yet), and runs
``copyguard.api.scan(all_plans=True)`` at each size. For each size it prints:

- wall time of the scan (best of --repeat), and per rule;
- API calls: HTTP requests actually sent (botocore retries included), counted by a hook on
  the sessions;
- distinct resources read: distinct (account, service, Region, operation, arguments);
- calls per resource read (goal: exactly 1.0);
- the most requests in flight at once (above 1: the scan's reads overlapped);

then the least-squares slope of time against rules, and the ratio of the time per rule at
the largest size to the smallest. Exit status: 0 if every size reads each resource once and
the ratio is at most --max-ratio (default 3), 1 otherwise, 2 if the emulator cannot run.

    python bench/bench_scan.py                  # sizes 5, 10, 20, 40
    python bench/bench_scan.py --sizes 5,10 --repeat 1
    python bench/bench_scan.py --process --workers 1   # emulator in its own process; 1 thread
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

ROLES = ("source", "destination", "management")
REGION = "us-east-1"


def _seed_policy(source: str) -> dict[str, Any]:
    root = f"arn:aws:iam::{source}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": [root]},
                "Action": ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*"],
                "Resource": "*",
            },
            {
                "Sid": "Allow attachment of persistent resources",
                "Effect": "Allow",
                "Principal": {"AWS": [root]},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }


def _shared_policy(source: str, destination: str) -> dict[str, Any]:
    policy = _seed_policy(source)
    for statement in policy["Statement"][1:]:
        statement["Principal"]["AWS"].append(f"arn:aws:iam::{destination}:root")
    return policy


class World:
    """The emulator's accounts, and the copy rules made so far."""

    def __init__(self, emu: Any, recovery_points: int) -> None:
        self.emu = emu
        self.recovery_points = recovery_points
        self.source = emu.accounts["source"]
        self.destination = emu.accounts["destination"]
        s, d = emu.session("source"), emu.session("destination")
        self.kms, self.ec2, self.backup = s.client("kms"), s.client("ec2"), s.client("backup")
        self.dkms, self.dbackup = d.client("kms"), d.client("backup")
        self.role = f"arn:aws:iam::{self.source}:role/service-role/AWSBackupDefaultServiceRole"
        self.rules = 0
        self.destinations: list[str] = []

    def destination_vault(self) -> str:
        """One destination vault (with its own key) per five rules."""
        if self.rules % 5 == 0 or not self.destinations:
            key = self.dkms.create_key()["KeyMetadata"]["Arn"]
            name = f"central-{len(self.destinations)}"
            arn = self.dbackup.create_backup_vault(BackupVaultName=name, EncryptionKeyArn=key)
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{self.source}:root"},
                        "Action": "backup:CopyIntoBackupVault",
                        "Resource": "*",
                    }
                ],
            }
            self.dbackup.put_backup_vault_access_policy(
                BackupVaultName=name, Policy=json.dumps(policy)
            )
            self.destinations.append(arn["BackupVaultArn"])
        return self.destinations[-1]

    def add_rule(self) -> None:
        i = self.rules
        policy = (
            _seed_policy(self.source)
            if i % 2 == 0
            else _shared_policy(self.source, self.destination)
        )
        key = self.kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
        vault = f"rule-vault-{i}"
        self.backup.create_backup_vault(BackupVaultName=vault)
        for _ in range(self.recovery_points):
            volume = self.ec2.create_volume(
                AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True, KmsKeyId=key
            )["VolumeId"]
            job = self.backup.start_backup_job(
                BackupVaultName=vault,
                ResourceArn=f"arn:aws:ec2:{REGION}:{self.source}:volume/{volume}",
                IamRoleArn=self.role,
            )
            _wait_backup(self.backup, job["BackupJobId"])
        destination = self.destination_vault()
        self.backup.create_backup_plan(
            BackupPlan={
                "BackupPlanName": f"plan-{i}",
                "Rules": [
                    {
                        "RuleName": f"daily-{i}",
                        "TargetBackupVaultName": vault,
                        "ScheduleExpression": "cron(0 5 ? * * *)",
                        "CopyActions": [
                            {
                                "DestinationBackupVaultArn": destination,
                                "Lifecycle": {"DeleteAfterDays": 35},
                            }
                        ],
                    }
                ],
            }
        )
        self.rules += 1


def _wait_backup(backup: Any, job_id: str) -> None:
    deadline = time.monotonic() + 30
    while backup.describe_backup_job(BackupJobId=job_id)["State"] not in (
        "COMPLETED",
        "FAILED",
        "ABORTED",
        "PARTIAL",
    ):
        if time.monotonic() > deadline:
            raise RuntimeError(f"backup job {job_id} did not finish")
        time.sleep(0.05)


class ChildEmulator:
    """``copyguard emulator`` in its own process (its own interpreter), reached through the
    profiles it writes; the same face as the in-process ``Emulator`` for this bench."""

    def __init__(self) -> None:
        import os
        import socket
        import subprocess
        import tempfile

        import boto3

        self.dir = Path(tempfile.mkdtemp(prefix="bench-scan-"))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p
        )
        self.log = self.dir / "emulator.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "copyguard", "emulator"),
                    *("--port", str(port), "--write-aws-config", str(self.dir)),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while not (self.dir / "credentials").exists() or "Ctrl-C" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start: {self.log.read_text()[-500:]}")
            time.sleep(0.1)
        for name in list(os.environ):
            if name.startswith("AWS_"):
                del os.environ[name]
        os.environ["AWS_CONFIG_FILE"] = str(self.dir / "config")
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(self.dir / "credentials")
        self._boto3 = boto3
        self.region = boto3.Session(profile_name="source").region_name or REGION
        self.accounts = {
            name: self.session(name).client("sts").get_caller_identity()["Account"]
            for name in ROLES
        }

    def session(self, name: str) -> Any:
        return self._boto3.Session(profile_name=name)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except Exception:
            self.proc.kill()


def measure(emu: Any) -> dict[str, Any]:
    """One ``scan --all-plans`` with fresh sessions; its time and what it read."""
    from copyguard import api

    sent: Counter[str] = Counter()
    flight = {"now": 0, "max": 0}
    flight_lock = threading.Lock()

    def before_send(event_name: str = "", role: str = "", **_: Any) -> None:
        with flight_lock:
            sent.update([f"{role} {event_name}"])
            flight["now"] += 1
            flight["max"] = max(flight["max"], flight["now"])

    def received(**_: Any) -> None:
        with flight_lock:
            flight["now"] -= 1

    sessions = {}
    for role in ROLES:
        session = emu.session(role)
        session.events.register(
            "before-send", lambda event_name="", r=role, **kw: before_send(event_name, r, **kw)
        )
        session.events.register("response-received", received)
        sessions[role] = session
    start = time.perf_counter()
    report, live = api.scan(sessions, all_plans=True, region=emu.region)
    elapsed = time.perf_counter() - start
    log = live.reader.log
    return {
        "seconds": elapsed,
        "http_calls": sum(sent.values()),
        "reader_calls": len(log),
        "distinct": len(set(log)),
        "copies": len(report.copies),
        "verdict": report.verdict,
        "findings": len(report.findings),
        "in_flight": flight["max"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5,10,20,40", help="numbers of copy rules")
    parser.add_argument("--repeat", type=int, default=3, help="scans per size (best is kept)")
    parser.add_argument("--recovery-points", type=int, default=2, help="per rule's vault")
    parser.add_argument("--max-ratio", type=float, default=3.0)
    parser.add_argument(
        "--workers", type=int, help="threads of the scan's read pool (default: the scan's own)"
    )
    parser.add_argument(
        "--process",
        action="store_true",
        help="run the emulator as its own process (copyguard emulator) instead of in-process",
    )
    args = parser.parse_args(argv)
    if args.workers:
        from copyguard.sources import aws

        aws.MAX_WORKERS = args.workers
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    try:
        from copyguard.emulator import Emulator

        emu = ChildEmulator() if args.process else Emulator(port=0).start()
    except Exception as exc:  # moto missing, port trouble
        print(f"bench_scan: cannot start the emulator: {exc}", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    try:
        world = World(emu, args.recovery_points)
        print(
            f"scan --all-plans on the emulator; {args.recovery_points} recovery points per "
            f"rule's vault, one key per rule, best of {args.repeat}"
        )
        header = (
            f"{'rules':>5} {'copies':>6} {'seconds':>8} {'s/rule':>7} {'API calls':>9} "
            f"{'resources':>9} {'calls/resource':>14} {'in flight':>9}  verdict"
        )
        print(header)
        print("-" * len(header))
        for n in sizes:
            while world.rules < n:
                world.add_rule()
            if not rows:
                measure(emu)  # warm-up: first imports, knowledge data, connection pools
            runs = [measure(emu) for _ in range(max(1, args.repeat))]
            best = min(runs, key=lambda r: r["seconds"])
            best["rules"] = n
            # the worst reading of the repeats decides the reads-once goal
            best["calls_per_resource"] = max(r["http_calls"] / r["distinct"] for r in runs)
            rows.append(best)
            print(
                f"{n:>5} {best['copies']:>6} {best['seconds']:>8.3f} "
                f"{best['seconds'] / n:>7.4f} {best['http_calls']:>9} {best['distinct']:>9} "
                f"{best['calls_per_resource']:>14.3f} {best['in_flight']:>9}  {best['verdict']}"
            )
    finally:
        emu.stop()
    xs = [r["rules"] for r in rows]
    ys = [r["seconds"] for r in rows]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    first, last = rows[0], rows[-1]
    ratio = (last["seconds"] / last["rules"]) / (first["seconds"] / first["rules"])
    worst_reads = max(r["calls_per_resource"] for r in rows)
    print()
    print(f"slope: {slope * 1000:.1f} ms per rule (intercept {intercept:.3f} s)")
    print(
        f"time per rule at {last['rules']} rules / at {first['rules']} rules: {ratio:.2f} "
        f"(limit {args.max_ratio:g}; about 1 or below is linear)"
    )
    print(f"API calls per resource read: at most {worst_reads:.3f} (goal 1.0)")
    ok = worst_reads <= 1.0 and ratio <= args.max_ratio
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
