"""``copyguard scan`` over the emulator: a scan that finds nothing is unknown (exit 3) and says
what it looked at; a diagnosed job shows its own state and message, and a failed job whose
cause is gone is not a silent pass; ``--save-scenario`` writes what was read, for ``check``."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator_fixtures import LIVE_FLAGS, MSG_KEY, CliResult, Lab, assert_clean, run_cli

pytestmark = pytest.mark.emulator

EMPTY_REGION = "eu-west-1"  # the emulator's set-ups all live in us-east-1


def scan(lab: Lab, *args: str) -> CliResult:
    result = run_cli(lab.env, "scan", *LIVE_FLAGS, *args)
    assert_clean(result)
    return result


def only_cg902(data: dict[str, Any]) -> dict[str, Any]:
    (finding,) = data["findings"]
    assert finding["code"] == "CG902", finding
    return finding


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--all-plans",), "no backup plan with a copy action"),
        (("--failed-since", "7d"), "no failed copy job"),
    ],
)
def test_nothing_found_is_unknown(
    local: tuple[Any, Lab], args: tuple[str, ...], words: str
) -> None:
    _, lab = local
    result = scan(lab, *args, "--region", EMPTY_REGION, "--format", "json")
    assert result.code == 3, result
    data = result.json()
    assert data["verdict"] == "unknown"
    finding = only_cg902(data)
    assert words in finding["message"]
    assert f"account {lab.source}, Region {EMPTY_REGION}" in finding["message"]
    assert finding["evidence"]["looked_at"]["region"] == EMPTY_REGION
    assert finding["evidence"]["looked_at"]["accounts"]["source"] == lab.source
    # every format says it, and none says pass
    for fmt in ("text", "markdown", "sarif", "html"):
        other = scan(lab, *args, "--region", EMPTY_REGION, "--format", fmt)
        assert other.code == 3, (fmt, other)
        assert "CG902" in other.out, fmt
    text = scan(lab, *args, "--region", EMPTY_REGION)
    assert words in text.out and "PASS" not in text.out.upper().split()


def test_plan_without_copy_action_is_unknown(local: tuple[Any, Lab]) -> None:
    _, lab = local
    plan_id = lab.client("source", "backup").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "no-copies",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "Default"}],
        }
    )["BackupPlanId"]
    result = scan(lab, "--plan-id", plan_id, "--format", "json")
    assert result.code == 3, result
    finding = only_cg902(result.json())
    assert f"no copy action in the backup plan(s) {plan_id} (--plan-id)" in finding["message"]


def test_fixed_since_the_job_ran(local: tuple[Any, Lab], tmp_path: Path) -> None:
    _, lab = local
    seed = lab.seed()
    # before the fix: the cause is found, and the job's own facts stand next to it
    before = scan(lab, "--job-id", seed.job_id, "--format", "json")
    assert before.code == 1, before
    cg101 = [f for f in before.json()["findings"] if f["code"] == "CG101"]
    assert cg101
    job = cg101[0]["evidence"]["copy_job"]
    assert (job["id"], job["state"], job["status_message"]) == (seed.job_id, "FAILED", MSG_KEY)
    assert job["created"]
    # fix the key by hand: the job stays FAILED, and the scan says the cause is gone
    lab.share_key(seed.key)
    after = scan(lab, "--job-id", seed.job_id, "--format", "json")
    assert after.code == 3, after
    data = after.json()
    assert data["verdict"] == "unknown"
    assert not [f for f in data["findings"] if f["severity"] == "error"]
    (finding,) = [f for f in data["findings"] if f["code"] == "CG902"]
    assert finding["copy"] == seed.job_id
    assert finding["evidence"]["copy_job"]["state"] == "FAILED"
    assert f"Copy job {seed.job_id} failed with '{MSG_KEY}'" in finding["message"]
    assert "fixed since the job ran" in finding["message"]
    text = scan(lab, "--job-id", seed.job_id)
    assert text.code == 3
    flat = " ".join(text.out.split())
    assert MSG_KEY in flat and "FAILED" in flat and "copyguard finds nothing blocking" in flat
    # --failed-since lists the same job the same way
    since = scan(lab, "--failed-since", "1d", "--format", "json")
    mine = [f for f in since.json()["findings"] if f["copy"] == seed.job_id]
    assert [f["code"] for f in mine if f["code"] == "CG902" or f["severity"] == "error"] == [
        "CG902"
    ]
    # a new copy completes: its scan passes
    again = lab.copy(seed.recovery_point, seed.source_vault, seed.destination_vault)
    assert again["State"] == "COMPLETED"
    assert scan(lab, "--job-id", again["CopyJobId"], "--format", "json").code == 0


def _codes_by_copy(data: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(f["code"], f["copy"]) for f in data["findings"]}


def test_save_scenario_round_trip(local: tuple[Any, Lab], tmp_path: Path) -> None:
    _, lab = local
    seed = lab.seed()
    saved = tmp_path / "read.yaml"
    result = scan(lab, "--job-id", seed.job_id, "--format", "json", "--save-scenario", str(saved))
    assert result.code == 1, result
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    doc = yaml.safe_load(saved.read_text(encoding="utf-8"))
    (copy,) = doc["copies"]
    assert copy["name"] == seed.job_id and copy["status_message"] == MSG_KEY
    assert copy["iam_role_arn"] == lab.role()
    assert any(k["arn"] == seed.key and k["state"] == "Enabled" for k in doc["keys"])
    assert doc["organization"]["cross_account_backup_enabled"] is True
    checked = run_cli(lab.env, "check", str(saved), "--format", "json")
    assert_clean(checked)
    assert checked.code == result.code, checked
    assert _codes_by_copy(checked.json()) == _codes_by_copy(result.json())
    assert checked.json()["copies"] == result.json()["copies"]
    # nothing secret: no access key, secret, session token or profile name
    text = saved.read_text(encoding="utf-8")
    creds = (lab.config_dir / "credentials").read_text(encoding="utf-8")
    secrets = [
        ln.split("=", 1)[1].strip()
        for ln in creds.splitlines()
        if "=" in ln and ln.split("=", 1)[0].strip().startswith("aws_")
    ]
    assert secrets
    for value in secrets:
        assert value not in text
    for word in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "profile"):
        assert word not in text
    # an existing file is never overwritten without --force
    again = scan(lab, "--job-id", seed.job_id, "--save-scenario", str(saved))
    assert again.code == 2 and "--force" in again.err, again
    assert saved.read_text(encoding="utf-8") == text
    forced = scan(lab, "--job-id", seed.job_id, "--save-scenario", str(saved), "--force")
    assert forced.code == 1 and stat.S_IMODE(os.stat(saved).st_mode) == 0o600


def test_save_scenario_of_plans_round_trip(local: tuple[Any, Lab], tmp_path: Path) -> None:
    _, lab = local
    key = lab.seed_key()
    _, vault = lab.ebs_recovery_point(key)
    dest = lab.destination_vault()
    lab.client("source", "backup").create_backup_plan(
        BackupPlan={
            "BackupPlanName": "round-trip",
            "Rules": [
                {
                    "RuleName": "r",
                    "TargetBackupVaultName": vault,
                    "CopyActions": [
                        {"DestinationBackupVaultArn": dest, "Lifecycle": {"DeleteAfterDays": 35}}
                    ],
                }
            ],
        }
    )
    saved = tmp_path / "plans.yaml"
    result = scan(lab, "--all-plans", "--format", "json", "--save-scenario", str(saved))
    assert result.code == 1, result
    checked = run_cli(lab.env, "check", str(saved), "--format", "json")
    assert_clean(checked)
    assert checked.code == result.code, checked
    assert _codes_by_copy(checked.json()) == _codes_by_copy(result.json())
    doc = yaml.safe_load(saved.read_text(encoding="utf-8"))
    dests = [v for v in doc["vaults"] if v["arn"] == dest]
    assert dests and "access_policy" in dests[0] and dests[0]["key"]
