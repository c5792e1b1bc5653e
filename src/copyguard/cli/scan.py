"""``copyguard scan``: live preflight and diagnosis; ``copyguard permissions``."""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from datetime import timedelta
from typing import Any

import click

from copyguard import records
from copyguard.cli.check import emit, exit_code, principal_option, validate_principal
from copyguard.cli.common import EXIT_PASS, default_lang, fail_input
from copyguard.cli.output import color_option
from copyguard.escape import shell_join, shell_quote

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().lower())
    if not m:
        fail_input(f"--failed-since {text!r}: expected a duration like 30m, 12h, 7d or 2w")
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    return timedelta(**{units[m.group(2)]: int(m.group(1))})


def live_options(f: Any) -> Any:
    opts = [
        click.option(
            "--source-profile",
            help="AWS profile for the source account (default chain if omitted).",
        ),
        click.option("--destination-profile", help="AWS profile for the destination account."),
        click.option(
            "--management-profile", help="AWS profile for the organization's management account."
        ),
        click.option(
            "--source-role-arn",
            help="A role to assume for the source account (with --source-profile, else the default chain).",
        ),
        click.option(
            "--destination-role-arn",
            help="A role to assume for the destination account (with --destination-profile, else the default chain).",
        ),
        click.option(
            "--management-role-arn",
            help="A role to assume for the management account (with --management-profile, else the default chain).",
        ),
        click.option(
            "--region", help="Region of the copy jobs and plans (default: the profile's)."
        ),
        click.option(
            "--endpoint-url", help="Send every AWS call here (the local emulator).", hidden=False
        ),
        click.option("--job-id", help="Diagnose one copy job (in the source account)."),
        click.option(
            "--failed-since",
            metavar="DURATION",
            help="Diagnose every failed copy job since (7d, 12h).",
        ),
        click.option(
            "--plan-id",
            "plan_ids",
            multiple=True,
            help="Preflight the copy actions of a backup plan.",
        ),
        click.option(
            "--all-plans", is_flag=True, help="Preflight the copy actions of every backup plan."
        ),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


TARGETS = ("job_id", "failed_since", "plan_ids", "all_plans")


def check_target(kw: dict[str, Any]) -> None:
    """Exactly one of --job-id, --failed-since, --plan-id, --all-plans; a valid duration."""
    targets = [n for n in TARGETS if kw.get(n)]
    if len(targets) != 1:
        fail_input("give exactly one of --job-id, --failed-since, --plan-id or --all-plans")
    if kw.get("failed_since"):
        parse_duration(kw["failed_since"])


def live_sessions(kw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The boto3 sessions of the live options, and the Region of the jobs and plans."""
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
    except (ProfileNotFound, LiveError) as exc:
        fail_input(str(exc))
    except BotoCoreError as exc:
        fail_input(f"cannot create AWS sessions: {exc}")
    except Exception as exc:  # assume-role failures are ClientErrors
        fail_input(f"cannot create AWS sessions: {exc}")
    region = kw.get("region") or sessions["source"].region_name
    if not region:
        region = DEFAULT_REGION
        who = f"profile {kw['source_profile']!r}" if kw.get("source_profile") else "source account"
        click.echo(
            f"copyguard: note: no Region is configured for the {who}; looking for the jobs and "
            f"plans in {region} (give --region to choose; keys and vaults use their ARNs' Regions)",
            err=True,
        )
    return sessions, region


DEFAULT_REGION = "us-east-1"


def run_live_scan(
    kw: dict[str, Any],
    principal: str,
    context: tuple[str, ...],
    *,
    unexplained_failures: bool = False,
) -> tuple[Any, Any]:
    """Read and check. ``unexplained_failures`` (``scan``): a FAILED job copyguard finds no
    cause for is a CG902 naming it; ``fix --live`` leaves it out (nothing to fix)."""
    from copyguard import api
    from copyguard.checks import Options
    from copyguard.cli.common import parse_context
    from copyguard.sources.aws import LiveError

    check_target(kw)
    options = Options(principal=validate_principal(principal), context=parse_context(context))
    sessions, region = live_sessions(kw)
    if "destination" not in sessions:
        click.echo(
            "copyguard: note: no destination profile or role: destination checks will be unknown",
            err=True,
        )
    progress, close = _progress()
    try:
        report, live = api.scan(
            sessions,
            job_id=kw.get("job_id"),
            failed_since=parse_duration(kw["failed_since"]) if kw.get("failed_since") else None,
            plan_ids=list(kw.get("plan_ids") or []) or None,
            all_plans=bool(kw.get("all_plans")),
            region=region,
            endpoint_url=kw.get("endpoint_url"),
            options=options,
            progress=progress,
            unexplained_failures=unexplained_failures,
        )
    except LiveError as exc:
        fail_input(str(exc))
    finally:
        close()
    if not live.scenario.copies:
        if kw.get("failed_since"):
            what = f"no failed copy job in {region} since {kw['failed_since']} ago"
        else:
            what = f"no copy action in the backup plans read in {region}"
        click.echo(f"copyguard: note: {what}; nothing to diagnose (not a pass)", err=True)
    return report, live


ORG_ROLE_NAME = "OrganizationAccountAccessRole"  # sources.organization.DEFAULT_ROLE_NAME
ORG_MAX_WORKERS = 8
#: the options of an organization scan (``--organization`` first)
ORG_OPTIONS = ("organization", "role_name", "regions", "accounts", "max_workers")
_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
_ROLE_NAME = re.compile(r"^[A-Za-z0-9+=,.@_/-]{1,512}$")


def org_scan_inputs(kw: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    """The organization scan's options, checked (exit 2 naming the option on bad input)."""
    from copyguard.policy.ids import account_problem

    for name in (
        "source_profile",
        "destination_profile",
        "source_role_arn",
        "destination_role_arn",
    ):
        if kw.get(name):
            fail_input(
                f"--{name.replace('_', '-')} does not go with --organization: the accounts are "
                "read through --role-name assumed from --management-profile"
            )
    if kw.get("plan_ids"):
        fail_input("--plan-id does not go with --organization (use --all-plans)")
    targets = [n for n in ("all_plans", "failed_since", "job_id") if kw.get(n)]
    if len(targets) != 1:
        fail_input("--organization needs exactly one of --all-plans, --failed-since or --job-id")
    regions: list[str] | str | None = None
    if org.get("regions") is not None:
        text = str(org["regions"]).strip()
        if text.lower() == "all":
            regions = "all"
        else:
            names = [r.strip() for r in text.split(",") if r.strip()]
            bad = [r for r in names if not _REGION_NAME.fullmatch(r)]
            if not names or bad:
                fail_input(
                    f"--regions {text!r}: expected Region names separated by commas "
                    "(us-east-1,eu-west-1) or `all`"
                    + (f"; not a Region name: {', '.join(map(repr, bad))}" if bad else "")
                )
            regions = list(dict.fromkeys(names))
    accounts: list[str] | None = None
    if org.get("accounts") is not None:
        ids = [a.strip() for a in str(org["accounts"]).split(",") if a.strip()]
        problems = [p for p in (account_problem(a) for a in ids) if p]
        if not ids or problems:
            fail_input(
                f"--accounts {org['accounts']!r}: expected 12-digit account IDs separated by "
                "commas" + (f" ({'; '.join(problems)})" if problems else "")
            )
        accounts = list(dict.fromkeys(ids))
    role_name = org.get("role_name") or ORG_ROLE_NAME
    if not _ROLE_NAME.fullmatch(role_name) or role_name.startswith("/"):
        fail_input(
            f"--role-name {role_name!r}: expected an IAM role name (letters, digits, +=,.@_-)"
        )
    return {
        "regions": regions,
        "accounts": accounts,
        "role_name": role_name,
        "max_workers": org.get("max_workers") or ORG_MAX_WORKERS,
    }


def run_org_scan(
    kw: dict[str, Any], org: dict[str, Any], principal: str, context: tuple[str, ...]
) -> tuple[Any, Any]:
    """``scan --organization``: read the organization and check every copy found."""
    from copyguard import api
    from copyguard.checks import Options
    from copyguard.cli.common import parse_context
    from copyguard.sources.aws import LiveError

    inputs = org_scan_inputs(kw, org)
    options = Options(principal=validate_principal(principal), context=parse_context(context))
    try:
        import boto3  # noqa: F401
        from botocore.exceptions import BotoCoreError, ProfileNotFound
    except ImportError:
        fail_input("live commands need boto3: pip install boto3")
    from copyguard.sources.aws import sessions_from

    try:
        sessions = sessions_from(
            {"management": kw.get("management_profile")},
            {"management": kw.get("management_role_arn")},
            kw.get("region"),
            default_role="management",
        )
    except (ProfileNotFound, LiveError) as exc:
        fail_input(str(exc))
    except BotoCoreError as exc:
        fail_input(f"cannot create AWS sessions: {exc}")
    except Exception as exc:  # assume-role failures are ClientErrors
        fail_input(f"cannot create AWS sessions: {exc}")
    session = sessions["management"]
    region = kw.get("region") or session.region_name
    if not region:
        region = DEFAULT_REGION
        click.echo(
            f"copyguard: note: no Region is configured for the management profile; using "
            f"{region} (give --region or --regions to choose)",
            err=True,
        )
    progress, close = _org_progress()
    try:
        report, live = api.scan_organization(
            session,
            all_plans=bool(kw.get("all_plans")),
            failed_since=parse_duration(kw["failed_since"]) if kw.get("failed_since") else None,
            job_id=kw.get("job_id"),
            role_name=inputs["role_name"],
            regions=inputs["regions"],
            accounts=inputs["accounts"],
            region=region,
            endpoint_url=kw.get("endpoint_url"),
            max_workers=inputs["max_workers"],
            options=options,
            progress=progress,
        )
    except LiveError as exc:
        fail_input(str(exc))
    finally:
        close()
    target = live.target
    for note in target.get("notes") or ():
        click.echo(f"copyguard: note: {note}", err=True)
    if target.get("interrupted"):
        click.echo(
            "copyguard: interrupted: the report below holds what was read so far (incomplete)",
            err=True,
        )
    elif not live.scenario.copies:
        n = len(target.get("accounts") or ())
        click.echo(
            f"copyguard: note: no copy found in {n} account(s) of organization "
            f"{target.get('organization')} (mode {target.get('mode')}); nothing to check "
            "(not a pass)",
            err=True,
        )
    return report, live


def _org_progress() -> tuple[Any, Any]:
    """The organization scan's progress on standard error, only on a terminal: accounts
    done of all, copies found, read errors so far; then the reads of vaults and keys."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    )
    task = bar.add_task("reading the organization", total=None)
    bar.start()
    stopped = False

    def update(state: dict[str, Any]) -> None:
        done, total = state["accounts_done"], state["accounts_total"]
        text = f"accounts {done}/{total} · {state['copies']} copies · {state['errors']} errors"
        if state["stage"] == "copies":  # the vaults, keys and resources the copies need
            reads, of = state.get("reads_done", 0), state.get("reads_total", 0)
            text += f" · checking copies: reads {reads}/{of or '?'}"
            done, total = reads, of
        bar.update(task, description=text, completed=done, total=total or None)

    def close() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            bar.stop()

    return update, close


def _progress() -> tuple[Any, Any]:
    """A transient progress bar on standard error, only when it is a terminal."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(file=sys.stderr), transient=True)
    task = bar.add_task("reading AWS", total=None)
    bar.start()
    stopped = False

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    def close() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            bar.stop()

    return update, close


def live_flags(kw: dict[str, Any]) -> str:
    """The account and target options of this run, as command-line flags."""
    out = []
    for name in (
        "source_profile",
        "destination_profile",
        "management_profile",
        "source_role_arn",
        "destination_role_arn",
        "management_role_arn",
        "region",
        "endpoint_url",
        "job_id",
        "failed_since",
    ):
        if kw.get(name):
            out.append(f"--{name.replace('_', '-')} {shell_quote(str(kw[name]))}")
    out += [f"--plan-id {shell_quote(p)}" for p in kw.get("plan_ids") or ()]
    if kw.get("all_plans"):
        out.append("--all-plans")
    return " ".join(out)


def emit_live(
    report: Any,
    live: Any,
    kw: dict[str, Any],
    fmt: str,
    lang: str | None,
    output: str | None,
    *,
    color: bool | None = None,
    fix_flags: str = "",
    fix_commands: bool = True,
) -> None:
    """The report; in text and markdown, live field paths become AWS locations in words, and
    the fix is applied with ``copyguard fix --live ... --apply`` on the same options (plus
    ``fix_flags``: the run's --principal/--context, shell-quoted). ``fix_commands`` False (an
    organization scan, which ``fix --live`` does not take): no such command is named."""
    from copyguard.sources.aws import describe_path

    lang = lang or default_lang()
    shown = report
    fix_command = apply_command = None
    if fmt in ("text", "markdown", "html"):
        shown = copy.copy(report)
        shown.findings = []
        for f in report.findings:
            where = describe_path(f.path, live.scenario, lang)
            if where is not None:
                f = records.replace(f, file=where, path=None, line=None, column=None)
            shown.findings.append(f)
        if fix_commands:
            flags = " ".join(x for x in (live_flags(kw), fix_flags) if x)
            fix_command = f"copyguard fix --live {flags} --as cli"
            apply_command = f"copyguard fix --live {flags} --apply"
    emit(
        shown,
        fmt,
        lang,
        output,
        color=color,
        fix_command=fix_command,
        apply_command=apply_command,
        scenario=live.scenario,
    )


def _save_scenario(live: Any, path: str, force: bool) -> None:
    from copyguard.sources.scenario_file import scenario_document, scenario_yaml, write_private

    doc = scenario_document(live.scenario, live.key_policy_text, live.vault_policy_text)
    try:
        write_private(path, scenario_yaml(doc), force=force)
    except FileExistsError:
        fail_input(f"--save-scenario {path}: the file exists (add --force to replace it)")
    except OSError as exc:
        fail_input(f"--save-scenario {path}: cannot write it: {exc.strerror or exc}")
    click.echo(f"copyguard: saved what the scan read to {path} (copyguard check {path})", err=True)


def show_calls_of(live: Any) -> None:
    reader = live.reader
    if reader is None:
        return
    for (role, service, op), n in sorted(reader.calls.items()):
        click.echo(f"calls {role} {service}.{op} {n}", err=True)
    distinct = len(set(reader.log))
    sent = sum(reader.requests.values())
    click.echo(f"calls total {len(reader.log)} distinct {distinct} http-requests {sent}", err=True)


@click.command("scan")
@live_options
@click.option(
    "--organization",
    is_flag=True,
    help="Scan every account of the organization of --management-profile (through "
    "--role-name), in every Region of --regions, in one report.",
)
@click.option(
    "--role-name",
    metavar="NAME",
    help=f"With --organization: the role assumed in each member account (default {ORG_ROLE_NAME}).",
)
@click.option(
    "--regions",
    metavar="R1,R2|all",
    help="With --organization: the Regions to read in each account, or `all` (each "
    "account's enabled Regions); default the management profile's Region (or --region).",
)
@click.option(
    "--accounts",
    metavar="ID,ID",
    help="With --organization: only these accounts (default every ACTIVE account).",
)
@click.option(
    "--max-workers",
    type=click.IntRange(1, 64),
    default=None,
    help=f"With --organization: reads side by side (default {ORG_MAX_WORKERS}).",
)
@principal_option
@click.option(
    "--context", "context", multiple=True, metavar="K=V", help="Pin a request-context value."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "markdown", "html"]),
    default="text",
    show_default=True,
    help="html: one self-contained page with a picture of the copy flows.",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
@click.option("--output", "-o", metavar="FILE")
@click.option(
    "--show-calls",
    is_flag=True,
    help="Print the API calls the scan made (to stderr): per operation, then the total, the distinct reads and the HTTP requests (retries included).",
)
@click.option(
    "--save-scenario",
    "save_scenario",
    metavar="FILE",
    help="Also write what the scan read as a scenario file (0600; no credentials), for "
    "`copyguard check FILE` offline.",
)
@click.option("--force", is_flag=True, help="With --save-scenario: replace FILE if it exists.")
@color_option
def scan(
    principal: str,
    context: tuple[str, ...],
    fmt: str,
    lang: str | None,
    output: str | None,
    show_calls: bool,
    save_scenario: str | None,
    force: bool,
    color: bool | None,
    **kw: Any,
) -> int:
    """Live preflight and diagnosis of AWS Backup cross-account copies (read only).

    \b
    copyguard scan --source-profile src --destination-profile dst --job-id JOB_ID
    copyguard scan --source-profile src --destination-profile dst --failed-since 7d
    copyguard scan --source-profile src --destination-profile dst --all-plans
    copyguard scan --organization --management-profile mgmt --regions us-east-1,eu-west-1 --all-plans

    Reads only (`copyguard permissions` prints the IAM policy it needs), each resource once.
    --organization reads every account of the organization through a role assumed from the
    management account (`copyguard permissions --organization`).

    Exit codes: 0 pass, 1 fail, 2 usage or input error (unknown job or plan, bad profile),
    3 unknown (something could not be read: CG902 names the permission; or the scan found
    no copy to check; or a FAILED job whose cause copyguard does not find today; or Ctrl-C
    stopped an organization scan: the report holds what was read).
    """
    if force and not save_scenario:
        fail_input("--force goes with --save-scenario FILE")
    if save_scenario and not force and os.path.lexists(save_scenario):
        fail_input(f"--save-scenario {save_scenario}: the file exists (add --force to replace it)")
    org = {name: kw.pop(name, None) for name in ORG_OPTIONS}
    if org["organization"]:
        report, live = run_org_scan(kw, org, principal, context)
    else:
        for name in ORG_OPTIONS[1:]:
            if org[name] is not None:
                fail_input(f"--{name.replace('_', '-')} goes with --organization")
        report, live = run_live_scan(kw, principal, context, unexplained_failures=True)
    if save_scenario:
        _save_scenario(live, save_scenario, force)
    fix_flags = [] if principal == "root" else ["--principal", principal]
    for c in context:
        fix_flags += ["--context", c]
    emit_live(
        report,
        live,
        kw,
        fmt,
        lang,
        output,
        color=color,
        fix_flags=shell_join(fix_flags),
        fix_commands=not org["organization"],
    )
    if show_calls:
        show_calls_of(live)
    return exit_code(report)


SCAN_POLICY = {
    "source": [
        "backup:DescribeCopyJob",
        "backup:ListCopyJobs",
        "backup:ListBackupPlans",
        "backup:GetBackupPlan",
        "backup:DescribeBackupVault",
        "backup:DescribeRecoveryPoint",
        "backup:ListRecoveryPointsByBackupVault",
        "backup:DescribeGlobalSettings",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:ListAliases",
        "ec2:DescribeSnapshots",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBClusterSnapshots",
        "organizations:DescribeOrganization",
        "sts:GetCallerIdentity",
    ],
    "destination": [
        "backup:DescribeBackupVault",
        "backup:GetBackupVaultAccessPolicy",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:ListAliases",
        "iam:GetRole",
        "organizations:DescribeOrganization",
        "sts:GetCallerIdentity",
    ],
    "management": [
        "backup:DescribeGlobalSettings",
        "sts:GetCallerIdentity",
    ],
}
APPLY_EXTRA = ["kms:GetKeyPolicy", "kms:PutKeyPolicy"]


def permissions_document(role: str, apply: bool) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "CopyguardScanReadOnly",
            "Effect": "Allow",
            "Action": sorted(SCAN_POLICY[role]),
            "Resource": "*",
        }
    ]
    if role == "destination":
        statements[0]["Action"] = sorted(set(SCAN_POLICY[role]) - {"iam:GetRole"})
        statements.append(
            {
                "Sid": "CopyguardReadBackupServiceLinkedRole",
                "Effect": "Allow",
                "Action": "iam:GetRole",
                "Resource": "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
            }
        )
    if apply and role == "source":
        statements.append(
            {
                "Sid": "CopyguardApplyKeyPolicyFix",
                "Effect": "Allow",
                "Action": APPLY_EXTRA,
                "Resource": "arn:aws:kms:*:*:key/*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


ORG_MANAGEMENT_ACTIONS = [
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListRoots",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "organizations:ListPolicies",
    "organizations:DescribePolicy",
    "organizations:ListTargetsForPolicy",
    "backup:DescribeGlobalSettings",
    "sts:GetCallerIdentity",
]
#: what the organization scan reads in every account it scans (the management account too)
ORG_MEMBER_ACTIONS = sorted(
    (set(SCAN_POLICY["source"]) | set(SCAN_POLICY["destination"]) | {"ec2:DescribeRegions"})
    - {"iam:GetRole", "organizations:DescribeOrganization", "backup:DescribeGlobalSettings"}
)


def org_permissions_document(role_name: str = ORG_ROLE_NAME) -> dict[str, Any]:
    """The IAM an organization scan needs: in the management account (the organization, the
    member roles, and the same reads as a member, since it is scanned with its own session),
    in each member's role, and the trust policy of that role."""
    slr_read = permissions_document("destination", False)["Statement"][1]
    member = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CopyguardScanReadOnly",
                "Effect": "Allow",
                "Action": ORG_MEMBER_ACTIONS,
                "Resource": "*",
            },
            slr_read,
        ],
    }
    management = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CopyguardReadOrganization",
                "Effect": "Allow",
                "Action": sorted(ORG_MANAGEMENT_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "CopyguardAssumeMemberRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/{role_name}",
            },
            *member["Statement"],
        ],
    }
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CopyguardFromTheManagementAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::MANAGEMENT_ACCOUNT_ID:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    return {"management": management, "member": member, "member_role_trust_policy": trust}


@click.command("permissions")
@click.option(
    "--organization",
    is_flag=True,
    help="What `scan --organization` needs: the management account's policy, the member "
    "role's policy and its trust policy.",
)
@click.option(
    "--role-name",
    metavar="NAME",
    default=ORG_ROLE_NAME,
    show_default=True,
    help="With --organization: the member role the scan assumes.",
)
@click.option(
    "--role",
    "role",
    type=click.Choice(["source", "destination", "management", "all"]),
    default="all",
    show_default=True,
    help="Which account's policy to print.",
)
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="Include what `fix --live --apply` needs (source account).",
)
def permissions(organization: bool, role_name: str, role: str, apply_: bool) -> int:
    """The least-privilege IAM policies copyguard itself needs, per account.

    With --organization: {"management", "member", "member_role_trust_policy"} for
    `scan --organization` (replace MANAGEMENT_ACCOUNT_ID in the trust policy)."""
    if organization:
        if role != "all" or apply_:
            fail_input("--organization does not go with --role or --apply")
        if not _ROLE_NAME.fullmatch(role_name) or role_name.startswith("/"):
            fail_input(f"--role-name {role_name!r}: expected an IAM role name")
        click.echo(json.dumps(org_permissions_document(role_name), indent=2))
        return EXIT_PASS
    if role_name != ORG_ROLE_NAME:
        fail_input("--role-name goes with --organization")
    roles = ["source", "destination", "management"] if role == "all" else [role]
    if len(roles) == 1:
        click.echo(json.dumps(permissions_document(roles[0], apply_), indent=2))
    else:
        click.echo(json.dumps({r: permissions_document(r, apply_) for r in roles}, indent=2))
    return EXIT_PASS
