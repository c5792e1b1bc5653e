"""``copyguard scan``: live preflight and diagnosis; ``copyguard permissions``."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from typing import Any

import click

from copyguard.cli.check import emit, exit_code, principal_option, validate_principal
from copyguard.cli.common import EXIT_PASS, fail_input

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().lower())
    if not m:
        fail_input(f"--failed-since {text!r}: expected a duration like 30m, 12h, 7d or 2w")
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    return timedelta(**{units[m.group(2)]: int(m.group(1))})


def live_options(f: Any) -> Any:
    opts = [
        click.option("--source-profile", help="AWS profile for the source account (default chain if omitted)."),
        click.option("--destination-profile", help="AWS profile for the destination account."),
        click.option("--management-profile", help="AWS profile for the organization's management account."),
        click.option("--source-role-arn", help="A role to assume for the source account."),
        click.option("--destination-role-arn", help="A role to assume for the destination account."),
        click.option("--management-role-arn", help="A role to assume for the management account."),
        click.option("--region", help="Region of the copy jobs and plans (default: the profile's)."),
        click.option("--endpoint-url", help="Send every AWS call here (the local emulator).", hidden=False),
        click.option("--job-id", help="Diagnose one copy job (in the source account)."),
        click.option("--failed-since", metavar="DURATION", help="Diagnose every failed copy job since (7d, 12h)."),
        click.option("--plan-id", "plan_ids", multiple=True, help="Preflight the copy actions of a backup plan."),
        click.option("--all-plans", is_flag=True, help="Preflight the copy actions of every backup plan."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def run_live_scan(kw: dict[str, Any], principal: str, context: tuple[str, ...]) -> tuple[Any, Any]:
    from copyguard import api
    from copyguard.checks import Options
    from copyguard.cli.simulate import parse_context

    targets = [n for n in ("job_id", "failed_since", "all_plans") if kw.get(n)] + (["plan_id"] if kw.get("plan_ids") else [])
    if len(targets) != 1:
        fail_input("give exactly one of --job-id, --failed-since, --plan-id or --all-plans")
    options = Options(principal=validate_principal(principal), context=parse_context(context))
    try:
        import boto3  # noqa: F401
        from botocore.exceptions import BotoCoreError, ProfileNotFound
    except ImportError:
        fail_input("live commands need boto3: pip install boto3")
    from copyguard.sources.aws import LiveError, sessions_from

    profiles = {r: kw.get(f"{r}_profile") for r in ("source", "destination", "management")}
    roles = {r: kw.get(f"{r}_role_arn") for r in ("source", "destination", "management")}
    try:
        sessions = sessions_from(profiles, roles, kw.get("region"))
    except ProfileNotFound as exc:
        fail_input(str(exc))
    except BotoCoreError as exc:
        fail_input(f"cannot create AWS sessions: {exc}")
    except Exception as exc:  # assume-role failures are ClientErrors
        fail_input(f"cannot create AWS sessions: {exc}")
    if "destination" not in sessions:
        click.echo("copyguard: note: no destination profile or role: destination checks will be unknown", err=True)
    region = kw.get("region") or sessions["source"].region_name or "us-east-1"
    progress, close = _progress()
    try:
        return api.scan(
            sessions,
            job_id=kw.get("job_id"),
            failed_since=parse_duration(kw["failed_since"]) if kw.get("failed_since") else None,
            plan_ids=list(kw.get("plan_ids") or []) or None,
            all_plans=bool(kw.get("all_plans")),
            region=region,
            endpoint_url=kw.get("endpoint_url"),
            options=options,
            progress=progress,
        )
    except LiveError as exc:
        fail_input(str(exc))
    finally:
        close()


def _progress() -> tuple[Any, Any]:
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import Progress

    bar = Progress(transient=True)
    task = bar.add_task("reading AWS", total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


@click.command("scan")
@live_options
@principal_option
@click.option("--context", "context", multiple=True, metavar="K=V", help="Pin a request-context value.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
@click.option("--output", "-o", metavar="FILE")
@click.option("--show-calls", is_flag=True, help="Print how many API calls each read took (to stderr).")
def scan(principal: str, context: tuple[str, ...], fmt: str, lang: str | None, output: str | None,
         show_calls: bool, **kw: Any) -> int:
    """Live preflight and diagnosis of AWS Backup cross-account copies (read only).

    \b
    copyguard scan --source-profile src --destination-profile dst --job-id JOB_ID
    copyguard scan --source-profile src --destination-profile dst --failed-since 7d
    copyguard scan --source-profile src --destination-profile dst --all-plans
    """
    report, live = run_live_scan(kw, principal, context)
    emit(report, fmt, lang, output)
    if show_calls and live.reader is not None:
        for (role, service, op), n in sorted(live.reader.calls.items()):
            click.echo(f"calls {role} {service}.{op} {n}", err=True)
    return exit_code(report)


SCAN_POLICY = {
    "source": ["backup:DescribeCopyJob", "backup:ListCopyJobs", "backup:ListBackupPlans", "backup:GetBackupPlan",
               "backup:DescribeBackupVault", "backup:DescribeRecoveryPoint", "backup:ListRecoveryPointsByBackupVault",
               "backup:DescribeGlobalSettings", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListAliases",
               "ec2:DescribeSnapshots", "rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots",
               "organizations:DescribeOrganization", "sts:GetCallerIdentity"],
    "destination": ["backup:DescribeBackupVault", "backup:GetBackupVaultAccessPolicy", "kms:DescribeKey",
                    "kms:GetKeyPolicy", "kms:ListAliases", "iam:GetRole", "organizations:DescribeOrganization",
                    "sts:GetCallerIdentity"],
    "management": ["backup:DescribeGlobalSettings", "organizations:DescribeOrganization",
                   "organizations:ListAccounts", "sts:GetCallerIdentity"],
}
APPLY_EXTRA = ["kms:GetKeyPolicy", "kms:PutKeyPolicy"]


def permissions_document(role: str, apply: bool) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [{"Sid": "CopyguardScanReadOnly", "Effect": "Allow",
                                         "Action": sorted(SCAN_POLICY[role]), "Resource": "*"}]
    if role == "destination":
        statements[0]["Action"] = sorted(set(SCAN_POLICY[role]) - {"iam:GetRole"})
        statements.append({"Sid": "CopyguardReadBackupServiceLinkedRole", "Effect": "Allow", "Action": "iam:GetRole",
                           "Resource": "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"})
    if apply and role == "source":
        statements.append({"Sid": "CopyguardApplyKeyPolicyFix", "Effect": "Allow", "Action": APPLY_EXTRA,
                           "Resource": "arn:aws:kms:*:*:key/*"})
    return {"Version": "2012-10-17", "Statement": statements}


@click.command("permissions")
@click.option("--role", "role", type=click.Choice(["source", "destination", "management", "all"]), default="all",
              show_default=True, help="Which account's policy to print.")
@click.option("--apply", "apply_", is_flag=True, help="Include what `fix --live --apply` needs (source account).")
def permissions(role: str, apply_: bool) -> int:
    """The least-privilege IAM policies copyguard itself needs, per account."""
    roles = ["source", "destination", "management"] if role == "all" else [role]
    if len(roles) == 1:
        click.echo(json.dumps(permissions_document(roles[0], apply_), indent=2))
    else:
        click.echo(json.dumps({r: permissions_document(r, apply_) for r in roles}, indent=2))
    return EXIT_PASS
