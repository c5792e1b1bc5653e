"""The plan preflight: backup plans with copy actions, whose vaults already hold recovery
points, are diagnosed with ``scan --plan-id`` / ``--all-plans`` before any copy job runs; the
fix is applied with ``fix --live --plan-id ... --apply --yes``, and the copy then completes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import LIVE_FLAGS, CliResult, Lab, assert_clean, run_cli, vault_name

pytestmark = pytest.mark.emulator


def plan(lab: Lab, name: str, rules: list[tuple[str, str, dict[str, Any] | None]]) -> str:
    """A backup plan whose rules back up into (source vault) and copy to (destination ARN)."""
    doc = {
        "BackupPlanName": name,
        "Rules": [
            {
                "RuleName": f"rule-{i}",
                "TargetBackupVaultName": source_vault,
                "ScheduleExpression": "cron(0 5 ? * * *)",
                "CopyActions": [
                    {"DestinationBackupVaultArn": dest, **({"Lifecycle": lc} if lc else {})}
                ],
            }
            for i, (source_vault, dest, lc) in enumerate(rules)
        ],
    }
    out = lab.client("source", "backup").create_backup_plan(BackupPlan=doc)
    return str(out["BackupPlanId"])


class Plans:
    def __init__(self, lab: Lab, env: dict[str, str]) -> None:
        self.lab, self.env = lab, env
        # plan A: one rule whose EBS volume is under the article's key (fails: CG101),
        # one whose volume is under a shared key (passes)
        self.bad_key = lab.seed_key()
        self.rp_a, self.vault_a = lab.ebs_recovery_point(self.bad_key)
        self.rp_ok, self.vault_ok = lab.ebs_recovery_point(lab.shared_key())
        self.dest = lab.destination_vault()
        self.plan_a = plan(
            lab,
            "plan-a",
            [(self.vault_a, self.dest, {"DeleteAfterDays": 35}), (self.vault_ok, self.dest, None)],
        )
        # plan B: a destination vault without an access policy (CG201), and a locked one
        # the copy's retention does not fit (CG204)
        self.rp_b, self.vault_b = lab.ebs_recovery_point(lab.shared_key())
        self.closed = lab.destination_vault(allow_source=False)
        self.locked = lab.destination_vault()
        lab.client("destination", "backup").put_backup_vault_lock_configuration(
            BackupVaultName=vault_name(self.locked), MinRetentionDays=30, MaxRetentionDays=90
        )
        self.plan_b = plan(
            lab,
            "plan-b",
            [
                (self.vault_b, self.closed, None),
                (self.vault_b, self.locked, {"DeleteAfterDays": 7}),
            ],
        )

    def scan(self, *args: str) -> CliResult:
        result = run_cli(self.env, "scan", *LIVE_FLAGS, *args, "--format", "json")
        assert_clean(result)
        return result


@pytest.fixture(scope="module")
def plans(local: tuple[Any, Lab]) -> Plans:
    _, lab = local
    return Plans(lab, lab.env)


def test_preflight_before_any_copy_job(plans: Plans) -> None:
    backup = plans.lab.client("source", "backup")
    assert backup.list_copy_jobs()["CopyJobs"] == []
    result = plans.scan("--plan-id", plans.plan_a)
    assert result.code == 1, result
    data = result.json()
    assert result.error_codes == {"CG101"}
    assert len(data["copies"]) == 2
    failing = {f["copy"] for f in data["findings"] if f["severity"] == "error"}
    (name,) = failing
    assert name.startswith("plan-a/rule-0 -> ") and plans.rp_a.split("/")[-1] not in name
    assert all(f["resource"] == plans.bad_key for f in data["findings"] if f["code"] == "CG101")
    # still no copy job: the preflight only reads
    assert backup.list_copy_jobs()["CopyJobs"] == []


def test_all_plans(plans: Plans) -> None:
    result = plans.scan("--all-plans")
    assert result.code == 1, result
    data = result.json()
    assert result.error_codes == {"CG101", "CG201", "CG204"}
    assert len(data["copies"]) == 4
    by_code = {f["code"]: f["copy"] for f in data["findings"] if f["severity"] == "error"}
    assert by_code["CG201"].startswith("plan-b/rule-0 -> ")
    assert by_code["CG204"].startswith("plan-b/rule-1 -> ")
    both = plans.scan("--plan-id", plans.plan_a, "--plan-id", plans.plan_b)
    assert both.json()["findings"] == data["findings"]


def test_plan_fix_then_copy_completes(plans: Plans, tmp_path: Path) -> None:
    lab = plans.lab
    applied = run_cli(
        plans.env,
        "fix",
        "--live",
        *LIVE_FLAGS,
        "--plan-id",
        plans.plan_a,
        "--apply",
        "--yes",
        "--backup-dir",
        str(tmp_path),
    )
    assert_clean(applied)
    assert applied.code == 0, applied
    assert len(list(tmp_path.glob("copyguard-backup-*.json"))) == 1
    assert plans.scan("--plan-id", plans.plan_a).code == 0
    # what the plan's copy action will do, done by hand: it completes
    job = lab.copy(plans.rp_a, plans.vault_a, plans.dest, lifecycle={"DeleteAfterDays": 35})
    assert job["State"] == "COMPLETED", job.get("StatusMessage")


def test_unknown_plan_and_empty_vault(plans: Plans) -> None:
    missing = run_cli(plans.env, "scan", *LIVE_FLAGS, "--plan-id", "no-such-plan")
    assert missing.code == 2 and "not found" in missing.err, missing
    # a rule whose vault holds nothing yet: what would be copied is unknown, never a pass
    empty_vault = vault_name(plans.lab.vault("source"))
    plan_id = plan(plans.lab, "plan-empty", [(empty_vault, plans.dest, None)])
    result = plans.scan("--plan-id", plan_id)
    assert result.code == 3, result
    assert result.json()["verdict"] == "unknown"
