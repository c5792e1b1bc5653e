"""How the live scan reads: each resource once, only with the permissions ``copyguard
permissions`` prints, a progress bar only on a terminal, and Regions when profiles have none."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import (
    LIVE_FLAGS,
    PROFILES,
    Lab,
    assert_clean,
    clean_env,
    copyguard_cmd,
    run_cli,
    vault_name,
)

pytestmark = pytest.mark.emulator


class Shared:
    """Several failed copy jobs sharing keys and vaults, and two plans sharing vaults."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        key, other_key = lab.seed_key(), lab.seed_key()
        vault = vault_name(lab.vault("source"))
        self.rps = [lab.ebs_recovery_point(key, vault=vault)[0] for _ in range(3)]
        self.rps.append(lab.ebs_recovery_point(other_key, vault=vault)[0])
        dest_key = lab.cmk("destination")
        self.dest = lab.vault("destination", dest_key)
        self.dest2 = lab.vault("destination", dest_key)
        self.jobs = [lab.failed_copy(rp, vault, self.dest)["CopyJobId"] for rp in self.rps]
        self.jobs.append(lab.failed_copy(self.rps[0], vault, self.dest2)["CopyJobId"])
        self.jobs.append(lab.failed_copy(self.rps[1], vault, self.dest)["CopyJobId"])  # again
        backup = lab.client("source", "backup")
        self.plans = [
            backup.create_backup_plan(
                BackupPlan={
                    "BackupPlanName": f"shared-{i}",
                    "Rules": [
                        {
                            "RuleName": f"to-{j}",
                            "TargetBackupVaultName": vault,
                            "CopyActions": [{"DestinationBackupVaultArn": dest}],
                        }
                        for j, dest in enumerate((self.dest, self.dest2))
                    ],
                }
            )["BackupPlanId"]
            for i in range(2)
        ]
        self.sessions = {p: lab.sessions[p] for p in PROFILES}


@pytest.fixture(scope="module")
def shared(local: tuple[Any, Lab]) -> Shared:
    return Shared(local[1])


def scan(shared: Shared, **target: Any) -> tuple[Any, Any]:
    from copyguard import api

    return api.scan(shared.sessions, region="us-east-1", **target)


def assert_read_once(live: Any) -> None:
    log = live.reader.log
    repeated = {entry for entry in log if log.count(entry) > 1}
    assert not repeated, repeated
    assert sum(live.reader.calls.values()) == len(log)


def test_each_resource_read_once_over_several_jobs(shared: Shared) -> None:
    report, live = scan(shared, failed_since=timedelta(days=1))
    assert set(shared.jobs) <= set(report.copies)
    assert_read_once(live)
    ops = [(role, op, args) for role, _, _, op, args in live.reader.log]
    # five jobs, two source keys, one destination key: each key described once
    described = [json.loads(a)["KeyId"] for r, op, a in ops if op == "describe_key"]
    assert len(described) == len(set(described)) == 3
    assert sum(1 for _, op, _ in ops if op == "get_backup_vault_access_policy") == 2
    assert sum(1 for _, op, _ in ops if op == "describe_organization") == 2  # source, dest
    assert sum(1 for _, op, _ in ops if op == "describe_global_settings") == 1


def test_each_resource_read_once_over_plans(shared: Shared) -> None:
    report, live = scan(shared, all_plans=True)
    assert len(report.copies) >= 2 * 2 * len(shared.rps)
    assert_read_once(live)
    listed = [e for e in live.reader.log if e[3] == "list_recovery_points_by_backup_vault"]
    assert len(listed) == 1  # four rules, one vault


def test_permissions_cover_every_call(shared: Shared, capsys: pytest.CaptureFixture[str]) -> None:
    from copyguard.cli.scan import permissions_document

    lab = shared.lab
    rds = lab.failed_copy(*lab.rds_recovery_point(lab.seed_key()), shared.dest)
    efs = lab.failed_copy(*lab.efs_recovery_point(lab.seed_key()), shared.dest)
    used: set[tuple[str, str]] = set()
    for target in (
        {"job_id": shared.jobs[0]},
        {"job_id": rds["CopyJobId"]},
        {"job_id": efs["CopyJobId"]},
        {"failed_since": timedelta(days=1)},
        {"all_plans": True},
    ):
        _, live = scan(shared, **target)
        used |= live.reader.permissions_used()
    # without a management profile, the organization's settings are read from the source
    from copyguard import api

    _, live = api.scan(
        {p: shared.sessions[p] for p in ("source", "destination")},
        job_id=shared.jobs[0],
        region="us-east-1",
    )
    used |= live.reader.permissions_used()
    # fix --live --apply: a fresh read before writing, the write, the read back (source key)
    used |= {("source", "kms:GetKeyPolicy"), ("source", "kms:PutKeyPolicy")}
    for role in PROFILES:
        printed = run_cli(clean_env(Path(".")), "permissions", "--role", role, "--apply")
        assert printed.code == 0
        document = json.loads(printed.out)
        assert document == permissions_document(role, apply=True)
        allowed = set()
        for statement in document["Statement"]:
            actions = statement["Action"]
            allowed |= {actions} if isinstance(actions, str) else set(actions)
        needed = {action for r, action in used if r == role}
        assert needed, role
        assert needed <= allowed, (role, needed - allowed)
        # least privilege: what is printed is called by some path; these two by copies the
        # emulator does not make (Aurora cluster snapshots; types read through the recovery
        # point, such as FSx)
        extra = allowed - needed
        assert extra <= {"rds:DescribeDBClusterSnapshots", "backup:DescribeRecoveryPoint"}, (
            role,
            extra,
        )
    read_only = json.loads(run_cli(clean_env(Path(".")), "permissions", "--role", "source").out)
    flat = {a for s in read_only["Statement"] for a in s["Action"]}
    assert "kms:PutKeyPolicy" not in flat


def test_progress_bar_only_on_a_terminal(shared: Shared) -> None:
    env = shared.lab.env
    args = ["scan", *LIVE_FLAGS, "--job-id", shared.jobs[0], "--format", "json"]
    piped = run_cli(env, *args)
    assert_clean(piped)
    assert piped.code == 1
    assert "reading AWS" not in piped.err and "\x1b[" not in piped.err and "\r" not in piped.err
    json.loads(piped.out)
    # stderr on a terminal: the bar goes there, never into the report on stdout
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [*copyguard_cmd(), *args],
            env={**env, "TERM": "xterm"},
            stdout=subprocess.PIPE,
            stderr=slave,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
    finally:
        os.close(slave)
    tty_err = b""
    try:
        while chunk := os.read(master, 65536):
            tty_err += chunk
    except OSError:
        pass
    finally:
        os.close(master)
    assert proc.returncode == 1, tty_err
    assert proc.stdout.startswith(b"{"), proc.stdout[:80]  # nothing but the report on stdout
    assert json.loads(proc.stdout)["verdict"] == "fail"
    assert b"reading AWS" in tty_err
    assert b"Traceback" not in tty_err


def test_profiles_without_region(shared: Shared, tmp_path: Path) -> None:
    lab = shared.lab
    assert lab.config_dir is not None
    config = (lab.config_dir / "config").read_text(encoding="utf-8")
    no_region = "\n".join(ln for ln in config.splitlines() if not ln.startswith("region"))
    (tmp_path / "config").write_text(no_region + "\n", encoding="utf-8")
    (tmp_path / "credentials").write_text(
        (lab.config_dir / "credentials").read_text(encoding="utf-8"), encoding="utf-8"
    )
    env = clean_env(tmp_path)
    job = shared.jobs[0]
    result = run_cli(env, "scan", *LIVE_FLAGS, "--job-id", job, "--format", "json")
    assert_clean(result)
    assert result.code == 1, result
    assert "no Region is configured for the profile 'source'" in result.err
    assert "CG101" in result.error_codes and "CG902" not in result.codes
    chosen = run_cli(
        env, "scan", *LIVE_FLAGS, "--job-id", job, "--format", "json", "--region", "us-east-1"
    )
    assert chosen.code == 1 and "no Region" not in chosen.err, chosen
    # --region chooses where the job is looked up (emulator bug worked around: its
    # DescribeCopyJob finds a job of any Region, where AWS answers "not found", so a job
    # from us-east-1 is still found here); the job's keys and vaults are then read in their
    # ARNs' Region, us-east-1, not in the profile's or --region's
    west = run_cli(
        env, "scan", *LIVE_FLAGS, "--job-id", job, "--region", "us-west-2", "--format", "json"
    )
    assert west.code == 1 and "CG101" in west.error_codes and "CG902" not in west.codes, west
    # keys and vaults are read in their ARNs' Regions whatever the profile says
    env_west = {**env, "AWS_DEFAULT_REGION": "us-west-2"}
    failed = run_cli(env_west, "scan", *LIVE_FLAGS, "--failed-since", "1d", "--region", "us-east-1")
    assert failed.code == 1 and "CG902" not in failed.out, failed


def test_show_calls(shared: Shared) -> None:
    result = run_cli(
        shared.lab.env, "scan", *LIVE_FLAGS, "--job-id", shared.jobs[0], "--show-calls"
    )
    lines = [ln for ln in result.err.splitlines() if ln.startswith("calls ")]
    assert "calls source backup.describe_copy_job 1" in lines
    total = lines[-1].split()
    assert (
        total[:2] == ["calls", "total"] and total[3] == "distinct" and total[5] == "http-requests"
    )
    assert total[2] == total[4] == total[6]  # each resource once, no retry


def test_destination_through_an_assumed_role(shared: Shared) -> None:
    lab = shared.lab
    iam = lab.client("destination", "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{lab.source}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="copyguard-reader", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="copyguard-reader",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
            }
        ),
    )
    arn = role["Role"]["Arn"]
    job = shared.jobs[0]
    # assumed with the source profile's credentials, keeping its settings (the endpoint)
    result = run_cli(
        lab.env,
        "scan",
        "--source-profile",
        "source",
        "--destination-profile",
        "source",
        "--destination-role-arn",
        arn,
        "--job-id",
        job,
        "--format",
        "json",
        "--show-calls",
    )
    assert_clean(result)
    assert result.code == 1, result
    assert result.error_codes == {"CG101"} and "CG902" not in result.codes
    assert "calls destination backup.get_backup_vault_access_policy 1" in result.err
    # without credentials to assume it with: a clear input error
    alone = run_cli(
        lab.env,
        "scan",
        "--source-profile",
        "source",
        "--destination-role-arn",
        arn,
        "--job-id",
        job,
    )
    assert alone.code == 2, alone
    assert f"cannot assume {arn} for the destination account with the default credentials" in (
        alone.err
    )
