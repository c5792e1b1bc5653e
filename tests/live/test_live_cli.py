"""The story end to end, as a user runs it: ``copyguard emulator --write-aws-config DIR`` in a
child process, the set-up made with plain boto3 calls from those profiles, then the real
``copyguard scan`` / ``fix --live`` / ``fix --rollback`` commands, and new copy jobs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import (
    LIVE_FLAGS,
    MSG_KEY,
    CliResult,
    EmulatorProcess,
    Lab,
    assert_clean,
    canonical,
    copyguard_cmd,
    run_cli,
    vault_name,
)

pytestmark = pytest.mark.emulator

MSG_ACCESS = "Access Denied trying to call AWS Backup service"


def scan(env: dict[str, str], *args: str) -> CliResult:
    result = run_cli(env, "scan", *LIVE_FLAGS, *args, "--format", "json")
    assert_clean(result)
    return result


def fix_live(
    env: dict[str, str], *args: str, stdin: str | None = "", cwd: Path | None = None
) -> CliResult:
    result = run_cli(env, "fix", "--live", *LIVE_FLAGS, *args, stdin=stdin, cwd=cwd)
    assert_clean(result)
    return result


def test_demo_tells_the_whole_story() -> None:
    import subprocess

    proc = subprocess.run(
        [*copyguard_cmd(), "demo", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "FAILED: Given key ID is not accessible" in out
    assert "CG101" in out
    assert ": COMPLETED" in out
    assert "Traceback" not in proc.stderr
    # no "applied: applied"; no rollback command for a backup that is gone when the demo ends
    assert "applied: applied" not in out
    assert "--rollback" not in out
    # the diagnosis is short: each action the copy needs, and the destination's role, once
    from copyguard.checks.facts import REQUIRED_ACTIONS

    slr = "role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
    assert out.count(slr) == 1, out
    words = out.replace(",", " ").split()
    needed = set(REQUIRED_ACTIONS)
    assert needed and {a: words.count(a) for a in needed} == dict.fromkeys(needed, 1), out
    # and the story ends with a passing scan of the copy that completed
    final = out.rsplit("[6]", 1)[1]
    assert "copyguard scan" in final and "verdict PASS" in final, out


def test_diagnose_fix_copy_rollback(
    emulator_process: EmulatorProcess, process_lab: Lab, tmp_path: Path
) -> None:
    env, lab = emulator_process.env, process_lab
    seed = lab.seed()
    before = lab.key_policy(seed.key)

    # 1. the diagnosis: the source key policy does not allow the destination
    diagnosis = scan(env, "--job-id", seed.job_id)
    assert diagnosis.code == 1, diagnosis
    report = diagnosis.json()
    assert report["verdict"] == "fail"
    assert diagnosis.error_codes == {"CG101"}
    (cg101,) = [f for f in report["findings"] if f["code"] == "CG101"]
    assert cg101["resource"] == seed.key and cg101["copy"] == seed.job_id
    (fix,) = [f for f in report["fixes"] if f["kind"] == "key-policy"]
    assert fix["resource"] == seed.key and fix["applicability"] == "safe"

    # 2. without --apply: the diff, and nothing changes
    backups = tmp_path / "backups"
    dry = fix_live(env, "--job-id", seed.job_id, "--backup-dir", str(backups))
    assert dry.code == 0, dry
    assert f'+          "arn:aws:iam::{lab.destination}:root"' in dry.out
    assert "nothing was changed" in dry.err
    assert lab.key_policy(seed.key) == before
    assert not backups.exists()

    # 3. --apply without --yes on a non-terminal stdin: refused, nothing changes
    refused = fix_live(env, "--job-id", seed.job_id, "--apply", "--backup-dir", str(backups))
    assert refused.code == 2, refused
    assert "--yes" in refused.err and "Nothing was changed" in refused.err
    assert lab.key_policy(seed.key) == before
    assert not backups.exists()

    # 4. --apply --yes: backed up (by default in ./copyguard-backups), written, verified,
    # with the way back printed
    applied = fix_live(env, "--job-id", seed.job_id, "--apply", "--yes", cwd=tmp_path)
    assert applied.code == 0, applied
    assert "copyguard: saved the previous policy to copyguard-backups/" in applied.err
    (tmp_path / "copyguard-backups").rename(backups)
    (backup,) = list(backups.glob("copyguard-backup-*.json"))
    record = json.loads(backup.read_text(encoding="utf-8"))
    assert record["key_arn"] == seed.key
    assert canonical(record["policy"]) == canonical(before)
    assert f"copyguard fix --rollback copyguard-backups/{backup.name}" in applied.err
    assert "--source-profile source" in applied.err
    after = lab.key_policy_doc(seed.key)
    assert after == fix["policy"]

    # 5. the copy again: it completes, and the diagnosis now passes
    again = lab.copy(seed.recovery_point, seed.source_vault, seed.destination_vault)
    assert again["State"] == "COMPLETED", again.get("StatusMessage")
    assert scan(env, "--job-id", again["CopyJobId"]).code == 0
    # the old job stays FAILED: its cause is gone, which is said (unknown), never a silent pass
    old = scan(env, "--job-id", seed.job_id).json()
    assert old["verdict"] == "unknown"
    assert [f["copy"] for f in old["findings"] if f["code"] == "CG902"] == [seed.job_id]
    noop = fix_live(env, "--job-id", seed.job_id, "--apply", "--yes", "--backup-dir", str(backups))
    assert noop.code == 0, noop
    assert len(list(backups.glob("*.json"))) == 1  # nothing to write, nothing saved

    # 6. the rollback as printed, confirmed like --apply (no terminal here: --yes); the diff
    # is shown and the old policy is back
    unconfirmed = run_cli(env, "fix", "--rollback", str(backup), "--source-profile", "source")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err, unconfirmed
    assert lab.key_policy_doc(seed.key) == after
    rolled = run_cli(env, "fix", "--rollback", str(backup), "--source-profile", "source", "--yes")
    assert_clean(rolled)
    assert rolled.code == 0, rolled
    assert "rolled back" in rolled.err
    assert "--- key policy (now)" in rolled.out
    assert canonical(lab.key_policy(seed.key)) == canonical(before)
    assert len(list(backups.glob("*.json"))) == 2  # the policy it replaced is saved too
    failed = lab.copy(seed.recovery_point, seed.source_vault, seed.destination_vault)
    assert (failed["State"], failed["StatusMessage"]) == ("FAILED", MSG_KEY)
    # rolling back twice changes nothing
    twice = run_cli(env, "fix", "--rollback", str(backup), "--source-profile", "source", "--yes")
    assert twice.code == 0 and "already equals" in twice.err, twice


def test_scan_text_report_names_aws_locations(
    emulator_process: EmulatorProcess, process_lab: Lab
) -> None:
    lab = process_lab
    key = lab.shared_key()
    rp, vault = lab.ebs_recovery_point(key)
    dest = lab.destination_vault(allow_source=False)
    job = lab.failed_copy(rp, vault, dest)
    result = run_cli(emulator_process.env, "scan", *LIVE_FLAGS, "--job-id", job["CopyJobId"])
    assert_clean(result)
    assert result.code == 1
    assert f"Location: backup vault {dest}: access policy" in result.out
    assert "Field: vaults[" not in result.out and "Location: live" not in result.out
    assert f"copyguard fix --live {' '.join(LIVE_FLAGS)} --job-id {job['CopyJobId']} --as cli" in (
        result.out.replace("\n     ", " ")
    )
    # markdown too; JSON keeps the field paths of the scenario model
    md = run_cli(
        emulator_process.env,
        "scan",
        *LIVE_FLAGS,
        "--job-id",
        job["CopyJobId"],
        "--format",
        "markdown",
    )
    assert f"backup vault {dest}: access policy" in md.out
    data = scan(emulator_process.env, "--job-id", job["CopyJobId"]).json()
    (cg201,) = [f for f in data["findings"] if f["code"] == "CG201"]
    assert cg201["path"] == f"vaults[{dest}].access_policy"
    # fix --live shows the vault access policy fix too, and says --apply does not write it
    shown = fix_live(emulator_process.env, "--job-id", job["CopyJobId"])
    assert shown.code == 1, shown
    assert "backup:CopyIntoBackupVault" in shown.out


# -- every failure the emulator produces, and its diagnosis ------------------------------------


def _seed_key_ebs(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.seed_key())
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _ebs_default_key(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(None, default_key=True)
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _rds_cmk_without_destination(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.rds_recovery_point(lab.seed_key())
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _rds_aws_managed_key(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.rds_recovery_point(None)
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _disabled_key(lab: Lab) -> dict[str, Any]:
    key = lab.shared_key()
    rp, vault = lab.ebs_recovery_point(key)
    # emulator (moto) bug worked around: DisableKey with a key ARN answers HTTP 500
    # (moto's disable_key looks the ARN up as a key ID); AWS accepts both, so use the ID.
    lab.client("source", "kms").disable_key(KeyId=key.rsplit("/", 1)[-1])
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _explicit_deny(lab: Lab) -> dict[str, Any]:
    key = lab.shared_key()
    policy = lab.key_policy_doc(key)
    policy["Statement"].append(
        {
            "Sid": "DenyGrantsToTheDestination",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": lab.destination}},
        }
    )
    lab.put_key_policy(key, policy)
    rp, vault = lab.ebs_recovery_point(key)
    return lab.failed_copy(rp, vault, lab.destination_vault())


def _no_vault_policy(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    return lab.failed_copy(rp, vault, lab.destination_vault(allow_source=False))


def _vault_policy_for_another_account(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    dest = lab.destination_vault(allow_source=False)
    other = lab.vault_policy()
    other["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::123456789012:root"}
    lab.put_vault_policy(dest, other)
    return lab.failed_copy(rp, vault, dest)


def _denying_vault_policy(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    dest = lab.destination_vault(allow_source=False)
    policy = lab.vault_policy()
    policy["Statement"].append(
        {
            "Sid": "DenyTheSourceAccount",
            "Effect": "Deny",
            "Principal": {"AWS": f"arn:aws:iam::{lab.source}:root"},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
        }
    )
    lab.put_vault_policy(dest, policy)
    return lab.failed_copy(rp, vault, dest)


def _destination_vault_on_aws_backup(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    return lab.failed_copy(rp, vault, lab.vault("destination", None))


def _vault_lock_out_of_range(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    dest = lab.destination_vault()
    lab.client("destination", "backup").put_backup_vault_lock_configuration(
        BackupVaultName=vault_name(dest), MinRetentionDays=7, MaxRetentionDays=365
    )
    return lab.failed_copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 1})


def _efs_vault_cmk_without_destination(lab: Lab) -> dict[str, Any]:
    rp, vault = lab.efs_recovery_point(lab.seed_key())
    return lab.failed_copy(rp, vault, lab.destination_vault())


FAILURES: dict[str, tuple[Callable[[Lab], dict[str, Any]], set[str], str]] = {
    "key-policy-without-destination": (_seed_key_ebs, {"CG101"}, MSG_KEY),
    "ebs-default-key": (
        _ebs_default_key,
        {"CG102"},
        "Encrypted snapshots with Amazon EBS default key cannot be shared",
    ),
    "rds-key-policy-without-destination": (
        _rds_cmk_without_destination,
        {"CG101"},
        "The source snapshot KMS key [",
    ),
    "rds-aws-managed-key": (
        _rds_aws_managed_key,
        {"CG102"},
        "Snapshots encrypted with the AWS managed key can't be shared.",
    ),
    "disabled-source-key": (_disabled_key, {"CG103"}, MSG_KEY),
    "explicit-deny-on-source-key": (_explicit_deny, {"CG104"}, MSG_KEY),
    "no-vault-access-policy": (_no_vault_policy, {"CG201"}, MSG_ACCESS),
    "vault-access-policy-for-another-account": (
        _vault_policy_for_another_account,
        {"CG201"},
        MSG_ACCESS,
    ),
    "vault-access-policy-denies-source": (_denying_vault_policy, {"CG201"}, MSG_ACCESS),
    "destination-vault-on-aws-backup": (
        _destination_vault_on_aws_backup,
        {"CG202"},
        "Copy job failed because the destination Backup vault is encrypted with the default",
    ),
    "vault-lock-retention": (
        _vault_lock_out_of_range,
        {"CG204"},
        "Copy job failed. The retention specified in the job is not within the range",
    ),
    "efs-vault-key-without-destination": (
        _efs_vault_cmk_without_destination,
        {"CG101"},
        "KMS key is either disabled or pending deletion or access to KMS key is denied",
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_each_copy_failure_is_diagnosed(
    case: str, emulator_process: EmulatorProcess, process_lab: Lab
) -> None:
    make, expected, message = FAILURES[case]
    job = make(process_lab)
    assert message in job["StatusMessage"]
    result = scan(emulator_process.env, "--job-id", job["CopyJobId"])
    assert result.code == 1, result
    data = result.json()
    assert data["verdict"] == "fail"
    assert result.error_codes == expected, data["findings"]
    assert "CG902" not in result.codes, data["findings"]
    assert all(f["copy"] == job["CopyJobId"] for f in data["findings"] if f["severity"] == "error")


def test_cross_account_backup_disabled(emulator_process: EmulatorProcess, process_lab: Lab) -> None:
    lab = process_lab
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    dest = lab.destination_vault()
    mgmt = lab.client("management", "backup")
    mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "false"})
    try:
        job = lab.failed_copy(rp, vault, dest)
        assert job["StatusMessage"] == (
            "Copy job failed. Cross-account copy feature is not enabled for the current organization."
        )
        result = scan(emulator_process.env, "--job-id", job["CopyJobId"])
        assert result.code == 1
        assert result.error_codes == {"CG302"}
        # without the management profile the setting is read from the source account
        alone = run_cli(
            emulator_process.env,
            "scan",
            "--source-profile",
            "source",
            "--destination-profile",
            "destination",
            "--job-id",
            job["CopyJobId"],
            "--format",
            "json",
        )
        assert alone.code == 1 and alone.error_codes == {"CG302"}, alone
    finally:
        mgmt.update_global_settings(GlobalSettings={"isCrossAccountBackupEnabled": "true"})
    assert lab.copy(rp, vault, dest)["State"] == "COMPLETED"


def test_failed_since_diagnoses_every_failed_job(
    emulator_process: EmulatorProcess, process_lab: Lab
) -> None:
    lab = process_lab
    jobs = {
        _seed_key_ebs(lab)["CopyJobId"]: "CG101",
        _no_vault_policy(lab)["CopyJobId"]: "CG201",
        _vault_lock_out_of_range(lab)["CopyJobId"]: "CG204",
    }
    result = run_cli(
        emulator_process.env,
        "scan",
        *LIVE_FLAGS,
        "--failed-since",
        "1d",
        "--format",
        "json",
        "--show-calls",
    )
    assert_clean(result)
    assert result.code == 1, result
    data = result.json()
    assert set(jobs) <= set(data["copies"])
    listed = lab.client("source", "backup").list_copy_jobs(ByState="FAILED")["CopyJobs"]
    assert {j["CopyJobId"] for j in listed} == set(data["copies"])
    for job_id, code in jobs.items():
        codes = {f["code"] for f in data["findings"] if f["copy"] == job_id}
        assert code in codes, (job_id, codes)
    # many jobs share the source vault key, the accounts and the organization: read once each
    (totals,) = [ln for ln in result.err.splitlines() if ln.startswith("calls total")]
    _, _, total, _, distinct, _, sent = totals.split()
    assert total == distinct == sent, totals
    # nothing failed in the last second
    empty = scan(emulator_process.env, "--failed-since", "1s")
    assert empty.code == 3 and empty.json().get("copies", []) == [], empty
    assert empty.json()["verdict"] == "unknown"
    assert "no failed copy job" in empty.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give exactly one of --job-id"),
        (("--job-id", "x", "--all-plans"), "give exactly one of --job-id"),
        (("--failed-since", "yesterday"), "expected a duration like"),
        (("--job-id", "00000000-0000-0000-0000-000000000000"), "not found"),
        (("--job-id", "x", "--source-profile", "nope"), "nope"),
    ],
)
def test_usage_errors_exit_2(
    args: tuple[str, ...], message: str, emulator_process: EmulatorProcess
) -> None:
    flags = list(LIVE_FLAGS)
    if "--source-profile" in args:
        flags = flags[2:]
    result = run_cli(emulator_process.env, "scan", *flags, *args)
    assert_clean(result)
    assert result.code == 2, result
    assert message in result.err
    assert result.out == ""


def test_apply_needs_live_and_a_target(emulator_process: EmulatorProcess) -> None:
    no_live = run_cli(emulator_process.env, "fix", "--apply", "--job-id", "x", *LIVE_FLAGS)
    assert no_live.code == 2 and "--apply needs --live" in no_live.err
    no_target = run_cli(emulator_process.env, "fix", "--live", "--apply", "--yes", *LIVE_FLAGS)
    assert no_target.code == 2 and "give exactly one of" in no_target.err
    bad_backup = run_cli(emulator_process.env, "fix", "--rollback", "/nonexistent/backup.json")
    assert bad_backup.code == 2 and "backup file not found" in bad_backup.err
