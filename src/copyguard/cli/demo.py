"""``copyguard demo``: the whole story on the local emulator, with the real AWS SDK.

An EBS volume under a customer managed key whose policy does not include the destination
account (the AWS article's situation); a copy job that fails with AWS's message; copyguard's
live diagnosis; the fix applied safely; the copy again, to COMPLETED. Exit 0 only if every
step happened as described.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from copyguard.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_PASS, default_lang


class DemoFailure(Exception):
    pass


def _say(step: int, en: str, zh: str, lang: str) -> None:
    click.secho(f"\n[{step}] " + (zh if lang == "zh" else en), bold=True)


def _info(text: str) -> None:
    click.echo(f"    {text}")


def _wait_copy(backup: Any, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]
        if job["State"] in ("COMPLETED", "FAILED", "PARTIAL", "ABORTED"):
            return job
        if time.monotonic() > deadline:
            raise DemoFailure(f"copy job {job_id} did not finish ({job['State']})")
        time.sleep(0.2)


def _wait_backup(backup: Any, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = backup.describe_backup_job(BackupJobId=job_id)
        if job["State"] in ("COMPLETED", "FAILED", "ABORTED", "PARTIAL", "EXPIRED"):
            return job
        if time.monotonic() > deadline:
            raise DemoFailure(f"backup job {job_id} did not finish ({job['State']})")
        time.sleep(0.2)


def seed_policy(source: str) -> dict[str, Any]:
    """The AWS article's key policy before the fix: only the source account."""
    root = f"arn:aws:iam::{source}:root"
    return {
        "Version": "2012-10-17",
        "Id": "cab-kms-key",
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
                "Action": [
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
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


def build_seed_situation(emu: Any) -> dict[str, Any]:
    """Set up the article's situation with plain boto3 calls; returns the names involved."""
    src, dst = emu.accounts["source"], emu.accounts["destination"]
    region = emu.region
    s, d = emu.session("source"), emu.session("destination")
    skms, sec2, sbackup = s.client("kms"), s.client("ec2"), s.client("backup")
    dkms, dbackup = d.client("kms"), d.client("backup")
    key = skms.create_key(Description="EBS volumes (source)", Policy=json.dumps(seed_policy(src)))[
        "KeyMetadata"
    ]["Arn"]
    skms.create_alias(AliasName="alias/ebs-backup", TargetKeyId=key)
    volume = sec2.create_volume(
        AvailabilityZone=f"{region}a", Size=8, Encrypted=True, KmsKeyId=key
    )["VolumeId"]
    volume_arn = f"arn:aws:ec2:{region}:{src}:volume/{volume}"
    sbackup.create_backup_vault(BackupVaultName="local")
    role = f"arn:aws:iam::{src}:role/service-role/AWSBackupDefaultServiceRole"
    job = sbackup.start_backup_job(BackupVaultName="local", ResourceArn=volume_arn, IamRoleArn=role)
    done = _wait_backup(sbackup, job["BackupJobId"])
    if done["State"] != "COMPLETED":
        raise DemoFailure(f"the backup job did not complete: {done.get('StatusMessage')}")
    recovery_point = done["RecoveryPointArn"]
    dkey = dkms.create_key(
        Description="central backup vault key",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Enable IAM User Permissions",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{dst}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )["KeyMetadata"]["Arn"]
    vault_arn = dbackup.create_backup_vault(BackupVaultName="central", EncryptionKeyArn=dkey)[
        "BackupVaultArn"
    ]
    dbackup.put_backup_vault_access_policy(
        BackupVaultName="central",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Allow copies from the source account",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{src}:root"},
                        "Action": "backup:CopyIntoBackupVault",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    return {
        "key": key,
        "volume": volume_arn,
        "recovery_point": recovery_point,
        "role": role,
        "destination_vault": vault_arn,
        "destination_key": dkey,
    }


def start_copy(emu: Any, names: dict[str, Any]) -> dict[str, Any]:
    backup = emu.session("source").client("backup")
    job_id = backup.start_copy_job(
        RecoveryPointArn=names["recovery_point"],
        SourceBackupVaultName="local",
        DestinationBackupVaultArn=names["destination_vault"],
        IamRoleArn=names["role"],
        Lifecycle={"DeleteAfterDays": 35},
    )["CopyJobId"]
    return _wait_copy(backup, job_id)


_DECISION_WORDS = {
    "implicit_deny": ("not allowed", "未允许"),
    "explicit_deny": ("denied explicitly", "被显式拒绝"),
    "allowed": ("allowed", "已允许"),
}


def _wrapped(label: str, text: str) -> None:
    import textwrap

    lines = textwrap.wrap(text, width=92, subsequent_indent=" " * 18)
    _info(f"{label:<16}  " + "\n    ".join(lines))


def short_diagnosis(report: Any, lang: str) -> None:
    """The diagnosis in a few lines: each finding once, its key and caller once, each action
    once (grouped by decision), and the fix with its diff. (``copyguard scan`` prints the
    full report with every statement's reasons.)"""
    zh = lang == "zh"
    errors = [f for f in report.findings if f.severity == "error"]
    verdict = str(report.verdict).upper()
    _info(
        f"verdict {verdict}: {len(errors)} error{'' if len(errors) == 1 else 's'}"
        if not zh
        else f"结论 {verdict}:{len(errors)} 个错误"
    )
    for f in errors:
        _info(f"{f.code}  {f.title.get(lang)}")
        if f.resource:
            _wrapped("key" if not zh else "密钥", str(f.resource))
        caller = f.evidence.get("caller")
        if caller:
            _wrapped("caller" if not zh else "调用方", str(caller))
        actions = f.evidence.get("actions")
        if isinstance(actions, dict):
            by: dict[str, list[str]] = {}
            for action, decision in sorted(actions.items()):
                by.setdefault(str(decision), []).append(str(action))
            for decision, names in sorted(by.items()):
                en, cn = _DECISION_WORDS.get(decision, (decision, decision))
                _wrapped(f"{cn if zh else en} ({len(names)})", ", ".join(names))
    for fx in report.fixes:
        if fx.kind != "key-policy" or fx.applicability != "safe":
            continue
        _wrapped(("fix" if not zh else "修复") + f" ({fx.applicability})", fx.description.get(lang))
        for line in fx.diff.rstrip("\n").splitlines():
            _info(f"  {line}")


def run_demo(lang: str, keep: bool = False) -> int:
    from copyguard import api
    from copyguard.checks import Options
    from copyguard.emulator import Emulator
    from copyguard.sources.apply import apply_key_policy

    zh = lang == "zh"
    with tempfile.TemporaryDirectory(prefix="copyguard-demo-") as tmp, Emulator(port=0) as emu:
        src, dst = emu.accounts["source"], emu.accounts["destination"]
        _say(
            1,
            f"Local AWS on {emu.endpoint_url}: organization {emu.organization_id}, source account {src}, "
            f"destination account {dst}.",
            f"本地 AWS 模拟器 {emu.endpoint_url}:组织 {emu.organization_id},源账户 {src},目标账户 {dst}。",
            lang,
        )
        names = build_seed_situation(emu)
        only = f"(policy allows only account {src})" if not zh else f"(策略仅允许账户 {src})"
        _info(f"source key      {names['key']} {only}")
        _info(f"EBS volume      {names['volume']}")
        _info(f"recovery point  {names['recovery_point']}")
        _info(f"destination     {names['destination_vault']}")

        _say(
            2,
            "Copy the recovery point to the destination account.",
            "将恢复点复制到目标账户。",
            lang,
        )
        first = start_copy(emu, names)
        _info(f"copy job {first['CopyJobId']}: {first['State']}: {first.get('StatusMessage', '')}")
        if first["State"] != "FAILED" or "Given key ID is not accessible" not in first.get(
            "StatusMessage", ""
        ):
            raise DemoFailure("the first copy should fail with 'Given key ID is not accessible'")

        _say(
            3,
            "Diagnose the failed job (copyguard scan --job-id; shortened here).",
            "诊断失败的作业(copyguard scan --job-id;此处为简要结果)。",
            lang,
        )
        sessions = {role: emu.session(role) for role in ("source", "destination", "management")}

        def scan(job_id: str) -> tuple[Any, Any]:
            return api.scan(
                sessions,
                job_id=job_id,
                region=emu.region,
                endpoint_url=emu.endpoint_url,
                options=Options(principal="root"),
            )

        report, live = scan(first["CopyJobId"])
        short_diagnosis(report, lang)
        codes = {f.code for f in report.findings if f.severity == "error"}
        if codes != {"CG101"}:
            raise DemoFailure(f"the diagnosis should be CG101, got {sorted(codes) or 'nothing'}")
        fix = next(
            (f for f in report.fixes if f.kind == "key-policy" and f.applicability == "safe"), None
        )
        if fix is None or fix.policy is None:
            raise DemoFailure("no key-policy fix was proposed")

        _say(
            4,
            "Apply the fix to the live key (copyguard fix --live --apply: backed up, re-read, "
            "written, read back).",
            "将修复应用到实时密钥(copyguard fix --live --apply:先备份,重新读取,写入,再读回验证)。",
            lang,
        )
        result = apply_key_policy(
            live.reader,
            "source",
            names["key"],
            live.key_policy_text[names["key"]],
            fix.policy,
            Path(tmp),
            lambda: True,
            fix={"codes": sorted(fix.codes), "description": fix.description.get("en")},
        )
        if result.status != "applied":
            raise DemoFailure(f"the fix was not applied: {result.message}")
        _info(
            "the previous policy was saved first; the fix was written, and read back as written"
            if not zh
            else "已先保存原策略;修复已写入并读回验证"
        )
        _info(
            "(the emulator and the backup are discarded when the demo ends; on AWS, "
            "`copyguard fix --live --apply` prints the command that rolls back)"
            if not zh
            else "(演示结束时模拟器与备份一并丢弃;在 AWS 上,`copyguard fix --live --apply` "
            "会打印回滚命令)"
        )

        _say(5, "Copy again.", "再次复制。", lang)
        second = start_copy(emu, names)
        _info(f"copy job {second['CopyJobId']}: {second['State']}")
        if second["State"] != "COMPLETED":
            raise DemoFailure(
                f"the second copy should complete, got {second['State']}: {second.get('StatusMessage')}"
            )
        dbackup = emu.session("destination").client("backup")
        rp = dbackup.describe_recovery_point(
            BackupVaultName="central", RecoveryPointArn=second["DestinationRecoveryPointArn"]
        )
        _info(f"destination recovery point {rp['RecoveryPointArn']}")
        _info(f"encrypted with {rp.get('EncryptionKeyArn')}")
        if rp.get("EncryptionKeyArn") != names["destination_key"]:
            raise DemoFailure("the copy should be encrypted with the destination vault's key")

        _say(
            6,
            "Scan the completed job again (copyguard scan --job-id).",
            "再次扫描已完成的作业(copyguard scan --job-id)。",
            lang,
        )
        final, _ = scan(second["CopyJobId"])
        left = sorted({f.code for f in final.findings if f.severity in ("error", "warning")})
        _info(f"verdict {str(final.verdict).upper()}" + (f": {', '.join(left)}" if left else ""))
        if final.verdict != "pass":
            raise DemoFailure(f"the final scan should pass, got {final.verdict}")

        _say(
            7,
            "Done: failure, diagnosis, fix, successful copy, passing scan.",
            "完成:失败、诊断、修复、复制成功、扫描通过。",
            lang,
        )
    return EXIT_PASS


@click.command("demo")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
def demo(lang: str | None) -> int:
    """Reproduce the AWS article's failure on a local emulator, diagnose it, fix it, copy again.

    Needs the emulator extra: pip install '.[emulator]'. Nothing leaves this machine.
    """
    try:
        return run_demo(lang or default_lang())
    except DemoFailure as exc:
        click.echo(f"copyguard demo: FAILED: {exc}", err=True)
        return EXIT_FAIL
    except Exception as exc:
        from copyguard.emulator import EmulatorError
        from copyguard.sources.apply import ApplyError

        if isinstance(exc, EmulatorError):
            click.echo(f"copyguard demo: cannot start the emulator: {exc}", err=True)
            return EXIT_INPUT
        if isinstance(exc, ApplyError):
            click.echo(f"copyguard demo: FAILED: applying the fix: {exc}", err=True)
            return EXIT_FAIL
        raise
