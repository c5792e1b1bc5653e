"""``copyguard simulate``: batch (spec section 2) and single evaluations.

The batch engine is :mod:`copyguard.evaluate.batch` (streaming, one output line per input
line, bounded cost per line); :mod:`copyguard.cli.simulate_batch` opens the input and maps
the result to an exit code (the quick entry point runs it without click). The single form reads policy files and prints the decision with its explanation.
"""

from __future__ import annotations

import re
from typing import Any

import click

from copyguard.cli.common import (
    EXIT_FAIL,
    EXIT_PASS,
    emit_json,
    fail_input,
    parse_context,
)
from copyguard.cli.simulate_batch import run_batch_command
from copyguard.evaluate.batch import (
    DEFAULT_LINE_TIME_LIMIT,
    DEFAULT_MAX_LINE_BYTES,
    BatchLimits,
    PolicyCache,
    evaluate_line,
    run_batch,
    split_line,
)

__all__ = [
    "PolicyCache",
    "evaluate_line",
    "infer_key_account",
    "load_policy_file",
    "parse_context",
    "run_batch",
    "simulate",
    "split_line",
]


def load_policy_file(path: str, kind: str, what: str) -> Any:
    from copyguard.cli.inputs import KEY_POLICY_LIMIT, POLICY_LIMIT, read_input_text
    from copyguard.policy import PolicyError, parse_policy

    noun = {"key": "key policy", "identity": "identity policy", "scp": "SCP", "rcp": "RCP"}
    limit = KEY_POLICY_LIMIT if kind == "key" else POLICY_LIMIT
    text = read_input_text(path, limit, noun.get(kind, "policy"))
    try:
        return parse_policy(text, name=path, kind=kind)  # type: ignore[arg-type]
    except PolicyError as exc:
        lines = "\n  ".join(str(i) for i in exc.issues if i.severity == "error")
        fail_input(f"{what} is not valid:\n  {lines}")


def infer_key_account(policy: Any) -> str | None:
    """The key's own account, from the usual administrator statement (root gets kms:*)."""
    for st in policy.statements:
        if st.effect != "Allow" or st.principal is None or st.principal_negated or st.conditions:
            continue
        if not st.actions or st.actions_negated:
            continue
        if not any(a.lower() in ("kms:*", "*", "kms:putkeypolicy") for a in st.actions):
            continue
        for kind, value in st.principal.entries:
            if kind == "AWS":
                if value.isdigit():
                    return str(value)
                if value.endswith(":root"):
                    return str(value.split(":")[4])
    return None


_BACKUP_SLR_RE = re.compile(
    r"^arn:aws[a-z-]*:iam::\d{12}:role/aws-service-role/backup\.amazonaws\.com/"
    r"AWSServiceRoleForBackup$"
)
_SLR_POLICY_NAME = "AWSBackupServiceLinkedRolePolicyForBackup"


def is_backup_slr(principal: str) -> bool:
    """True for AWS Backup's service-linked role ``.../AWSServiceRoleForBackup``."""
    return bool(_BACKUP_SLR_RE.match(principal))


def _backup_slr_policies(apply: bool) -> tuple[list[Any], list[str]]:
    """The identity policies of AWSServiceRoleForBackup when none were given, with notes.

    AWS attaches the managed policy AWSBackupServiceLinkedRolePolicyForBackup to this role and
    nobody can change it; ``check`` relies on it too. Its KMS statements come from the
    knowledge data (``copy_requirements.yaml``, ``destination_slr_policy``).
    """
    if not apply:
        return [], [
            "the principal is AWS Backup's service-linked role and no --identity-policy was "
            f"given: with --no-managed-policies its AWS managed policy ({_SLR_POLICY_NAME}) is "
            "not applied, so a cross-account request finds no identity-policy allow. AWS "
            "attaches that policy to the role, and 'copyguard check' relies on it; without "
            "the flag simulate applies it as well"
        ]
    from copyguard.knowledge import copy_requirements
    from copyguard.policy import parse_policy

    document = copy_requirements().destination_slr_policy
    policy = parse_policy(document, name=f"{_SLR_POLICY_NAME} (AWS managed)", kind="identity")
    return [policy], [
        "the principal is AWS Backup's service-linked role and no --identity-policy was "
        f"given: applied its AWS managed policy {_SLR_POLICY_NAME} (its KMS statements, as "
        "'copyguard check' does; AWS attaches it to the role and it cannot be changed). "
        "It allows kms:DescribeKey on any key, and kms:CreateGrant, kms:ListGrants, "
        "kms:ReEncryptFrom and kms:GenerateDataKeyWithoutPlaintext only through EC2, RDS or "
        "FSx (kms:ViaService); --no-managed-policies leaves it out"
    ]


def _lint_key_policy(policy: Any) -> list[Any]:
    """The parser's warnings plus the semantic lint, for the single form."""
    from copyguard.evaluate.lint import lint_policy

    return list(policy.warnings) + list(lint_policy(policy))


@click.command("simulate")
@click.option("--batch", "batch", metavar="FILE|-", help="JSON Lines requests (spec section 2).")
@click.option(
    "--explain/--no-explain", default=False, help="Batch: add the explanation to each line."
)
@click.option(
    "--lint/--no-lint",
    default=None,
    help="Add policy warnings (unknown actions, impossible conditions ...). "
    "Default: on for a single evaluation, off for --batch.",
)
@click.option("--key-policy", "key_policy", metavar="FILE", help="The KMS key policy (JSON).")
@click.option(
    "--principal", metavar="ARN", help="The calling principal (ARN, account ID or service)."
)
@click.option("--action", metavar="ACTION", help="The KMS action, e.g. kms:CreateGrant.")
@click.option("--resource", "--key-arn", "resource", metavar="ARN", help="The key ARN.")
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="K=V",
    help="A request context value (repeatable).",
)
@click.option(
    "--identity-policy",
    "identity_policies",
    multiple=True,
    metavar="FILE",
    help="An IAM policy of the principal (repeatable).",
)
@click.option(
    "--scp", "scps", multiple=True, metavar="FILE", help="An SCP that applies (repeatable)."
)
@click.option(
    "--rcp", "rcps", multiple=True, metavar="FILE", help="An RCP that applies (repeatable)."
)
@click.option(
    "--key-manager",
    "key_manager",
    type=click.Choice(["CUSTOMER", "AWS"], case_sensitive=False),
    default=None,
    help="Who manages the key (RCPs do not apply to AWS managed keys). Default: CUSTOMER.",
)
@click.option(
    "--managed-policies/--no-managed-policies",
    "managed_policies",
    default=True,
    help="Single form: for the AWS Backup service-linked role (AWSServiceRoleForBackup) with "
    "no --identity-policy, apply its AWS managed policy, as AWS does (default: on). "
    "Batch requests are never changed.",
)
@click.option(
    "--max-line-bytes",
    type=click.IntRange(min=1, max=1024**3),
    default=DEFAULT_MAX_LINE_BYTES,
    show_default=True,
    help="Batch: a longer request line gets an error line.",
)
@click.option(
    "--line-time-limit",
    type=click.FloatRange(min=0, max=86400),
    default=DEFAULT_LINE_TIME_LIMIT,
    show_default=True,
    metavar="SECONDS",
    help="Batch: CPU seconds one request line may use before it is stopped with an error "
    "line (0: no limit).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def simulate(
    batch: str | None,
    explain: bool,
    lint: bool | None,
    key_policy: str | None,
    principal: str | None,
    action: str | None,
    resource: str | None,
    context: tuple[str, ...],
    identity_policies: tuple[str, ...],
    scps: tuple[str, ...],
    rcps: tuple[str, ...],
    key_manager: str | None,
    managed_policies: bool,
    max_line_bytes: int,
    line_time_limit: float,
    fmt: str,
) -> int:
    """Evaluate KMS requests against a key policy, IAM policies, SCPs and RCPs.

    Batch: one JSON request per line in; one line out per line in, same order:
    {"id", "decision"}, or {"id", "error", "line"} for a line that cannot be evaluated
    (not UTF-8, not JSON, empty, too long, too slow ...). Formats: docs/formats.md.
    Single: prints the decision and why each statement did or did not apply.
    Exit codes: batch 0 (2 if any line was an error); single 0 allowed, 1 denied, 2 bad input.
    """
    if batch:
        if key_policy or principal or action:
            fail_input("--batch cannot be combined with --key-policy/--principal/--action")
        if line_time_limit != line_time_limit:  # NaN passes FloatRange
            fail_input("--line-time-limit: expected a number of seconds from 0 to 86400")
        limits = BatchLimits(max_line_bytes=max_line_bytes, line_time_limit=line_time_limit)
        return run_batch_command(batch, explain, bool(lint), limits)
    missing = [
        n
        for n, v in (("--key-policy", key_policy), ("--principal", principal), ("--action", action))
        if not v
    ]
    if missing:
        fail_input(f"missing {', '.join(missing)} (or use --batch FILE)")
    assert key_policy and principal and action
    from copyguard.evaluate import Request, evaluate_kms

    kp = load_policy_file(key_policy, "key", f"key policy {key_policy}")
    ids = [load_policy_file(p, "identity", f"identity policy {p}") for p in identity_policies]
    managed_notes: list[str] = []
    if not ids and is_backup_slr(principal):
        ids, managed_notes = _backup_slr_policies(managed_policies)
    scp_list = [load_policy_file(p, "scp", f"SCP {p}") for p in scps]
    rcp_list = [load_policy_file(p, "rcp", f"RCP {p}") for p in rcps]
    ctx = parse_context(context)
    notes: list[str] = list(managed_notes)
    if not resource:
        account = infer_key_account(kp) or "000000000000"
        resource = f"arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000"
        notes.append(f"no --key-arn given: assumed a key in account {account} ({resource})")
    try:
        request = Request(principal, action, resource, ctx)
    except ValueError as exc:
        fail_input(str(exc))
    manager = key_manager.upper() if key_manager else None
    try:
        decision = evaluate_kms(request, kp, ids, scp_list, rcp_list, key_manager=manager)  # type: ignore[arg-type]
    except ValueError as exc:
        fail_input(str(exc))
    warnings = _lint_key_policy(kp) if lint is not False else []
    if fmt == "json":
        out: dict[str, Any] = {
            "request": {
                "principal": principal,
                "action": action,
                "resource": resource,
                "context": ctx,
            }
        }
        out.update(decision.explain())
        out["notes"] = notes + out["notes"]
        out["warnings"] = [w.to_dict() for w in warnings]
        emit_json(out)
    else:
        _print_text(decision, notes, warnings)
    return EXIT_PASS if decision.allowed else EXIT_FAIL


def _print_text(decision: Any, notes: list[str], warnings: list[Any]) -> None:
    req = decision.request
    mark = {
        "allowed": "ALLOWED",
        "implicit_deny": "DENIED (implicit)",
        "explicit_deny": "DENIED (explicit)",
    }
    click.echo(f"{mark[decision.decision]}: {req.principal} {req.action} on {req.resource}")
    click.echo(f"  why: {decision.summary}")
    for note in notes + decision.notes:
        click.echo(f"  note: {note}")
    click.echo("  statements:")
    for r in decision.statements():
        status = "applies" if r.applies else "does not apply"
        label = f"{r.policy} {r.statement.label} [{r.statement.effect}]"
        via = (
            " (through the account's IAM policies)"
            if r.applies and r.principal == "account"
            else ""
        )
        click.echo(f"    - {label}: {status}{via}")
        for reason in r.reasons:
            click.echo(f"        {reason}")
    if warnings:
        click.echo("  warnings:")
        for w in warnings:
            where = f"{w.path}: " if w.path else ""
            pos = f" (line {w.line}, column {w.column})" if w.line is not None else ""
            click.echo(f"    - {where}{w.message}{pos}")
