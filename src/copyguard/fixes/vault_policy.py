"""The destination vault access policy fix (CG201): allow backup:CopyIntoBackupVault from the
source account, or from the whole organization, as the user chooses.

When an explicit Deny in the vault policy blocks the copy, adding an Allow does not help: the
only fix exempts the source account from that Deny, which loosens it, so that fix is
``unsafe`` (shown and applied only on opt-in), never ``safe``.
"""

from __future__ import annotations

from copyguard.checks.model import Fix, tr
from copyguard.evaluate import Request, evaluate_resource_policy
from copyguard.fixes.key_policy import FixVerificationError, copy_document, render_diff
from copyguard.policy import Policy, PolicyError, parse_policy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from copyguard.checks.model import Applicability

SID = "Allow copies from the source account"
ORG_SID = "Allow copies from the organization"
ACTION = "backup:CopyIntoBackupVault"
OUTSIDER = "arn:aws:iam::999999999999:role/copyguard-probe"
MAX_DENY_EXEMPTIONS = 16


def _decide(vault_arn: str, doc: dict[str, Any], role: str, ctx: dict[str, str | list[str]]) -> Any:
    try:
        after = parse_policy(doc, name="vault access policy", kind="resource")
    except PolicyError as exc:
        raise FixVerificationError(f"the patched vault policy is invalid: {exc}") from None
    return evaluate_resource_policy(
        Request(role, ACTION, vault_arn, ctx), after, identity_known=False
    )


def _statements(doc: dict[str, Any]) -> list[Any]:
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        statements = []
    doc["Statement"] = statements
    return statements


def _exempt(statement: dict[str, Any], source_account: str) -> None:
    """Add the source account to the Deny's StringNotEquals aws:PrincipalAccount exclusions
    (conditions are ANDed, and a negated operator's values are an exclusion list)."""
    cond = statement.setdefault("Condition", {})
    block = cond.setdefault("StringNotEquals", {})
    key = next((k for k in block if k.lower() == "aws:principalaccount"), "aws:PrincipalAccount")
    values = block.get(key, [])
    values = list(values) if isinstance(values, list) else [values]
    if source_account not in values:
        block[key] = [*values, source_account] if values else source_account


def fix_vault_policy(
    vault_arn: str,
    policy: Policy | None,
    source_account: str,
    mode: str = "account",
    org_id: str | None = None,
    copy_role: str | None = None,
    *,
    unsafe: bool = False,
) -> Fix | None:
    """The minimal vault access policy change, proven by the evaluator. ``unsafe=True`` also
    exempts the source account from the Deny statements that block it (never ``safe``)."""
    doc: dict[str, Any] = (
        copy_document(policy.document) if policy else {"Version": "2012-10-17", "Statement": []}
    )
    original = policy.document if policy else None
    statements = _statements(doc)
    role = copy_role or f"arn:aws:iam::{source_account}:role/copyguard-probe"
    ctx: dict[str, str | list[str]] = {"aws:PrincipalAccount": source_account}
    if org_id:
        ctx["aws:PrincipalOrgID"] = org_id
    changes: list[str] = []
    applicability: Applicability = "safe"
    d = _decide(vault_arn, doc, role, ctx) if policy else None
    if d is None or d.decision == "implicit_deny" or (d.decision == "explicit_deny" and unsafe):
        allowed_without_deny = (
            d is not None
            and d.decision == "explicit_deny"
            and _allows_after_exemption(vault_arn, doc, role, ctx, source_account)
        )
        if not allowed_without_deny:
            if mode == "org":
                if not org_id:
                    raise FixVerificationError(
                        "the organization ID is unknown: give organization.id or use the account form"
                    )
                stmt: dict[str, Any] = {
                    "Sid": ORG_SID,
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ACTION,
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
                }
            else:
                stmt = {
                    "Sid": SID,
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{source_account}:root"},
                    "Action": ACTION,
                    "Resource": "*",
                }
            taken = {s.get("Sid") for s in statements if isinstance(s, dict)}
            if stmt["Sid"] in taken:
                stmt["Sid"] = f"{stmt['Sid']} {source_account}"
            statements.append(stmt)
            changes.append(f"added statement {stmt['Sid']!r}")
    d = _decide(vault_arn, doc, role, ctx)
    for _ in range(MAX_DENY_EXEMPTIONS):
        if d.decision != "explicit_deny" or not unsafe:
            break
        index = _statement_index(d)
        if index is None or index >= len(statements) or not isinstance(statements[index], dict):
            break
        _exempt(statements[index], source_account)
        label = statements[index].get("Sid") or f"Statement[{index}]"
        changes.append(f"exempted account {source_account} from the Deny in {label!r}")
        applicability = "unsafe"
        d = _decide(vault_arn, doc, role, ctx)
    if not d.allowed:
        raise FixVerificationError(
            f"the vault policy fix still does not allow the copy ({d.decision}): "
            "an explicit Deny in the vault policy blocks it; review it by hand "
            "(or see the unsafe fix with --unsafe)"
        )
    if not changes:
        return None
    # nothing changes for a principal outside the source account (and its organization)
    if policy is not None and mode != "org":
        probe: dict[str, str | list[str]] = {"aws:PrincipalAccount": "999999999999"}
        before = evaluate_resource_policy(
            Request(OUTSIDER, ACTION, vault_arn, probe), policy, identity_known=False
        ).decision
        after = _decide(vault_arn, doc, OUTSIDER, probe).decision
        if before != after:
            raise FixVerificationError(
                f"the vault policy fix changes {OUTSIDER}: {before} -> {after}"
            )
    who_en = f"the organization {org_id}" if mode == "org" else f"account {source_account}"
    who_zh = f"组织 {org_id}" if mode == "org" else f"账户 {source_account}"
    prefix_en = (
        "UNSAFE (loosens a Deny; applied only on opt-in): " if applicability == "unsafe" else ""
    )
    prefix_zh = "不安全(放宽了 Deny;仅在明确选择时应用):" if applicability == "unsafe" else ""
    return Fix(
        kind="vault-access-policy",
        resource=vault_arn,
        applicability=applicability,
        description=tr(
            f"{prefix_en}Allow {ACTION} from {who_en}: " + "; ".join(changes) + ".",
            f"{prefix_zh}允许来自{who_zh}的 {ACTION}:" + ";".join(changes) + "。",
        ),
        policy=doc,
        original=original,
        diff=render_diff(original, doc, "vault access policy"),
        codes=["CG201"],
        verification={"copy_allowed": True, "principal": role},
        region=vault_arn.split(":")[3],
        account=vault_arn.split(":")[4],
    )


def _statement_index(d: Any) -> int | None:
    for _name, path, _sid in d.deciding:
        if path.startswith("Statement[") and path.endswith("]"):
            try:
                return int(path[len("Statement[") : -1])
            except ValueError:
                return None
        if path == "Statement":
            return 0
    return None


def _allows_after_exemption(
    vault_arn: str,
    doc: dict[str, Any],
    role: str,
    ctx: dict[str, str | list[str]],
    source_account: str,
) -> bool:
    """Whether an existing Allow already covers the copy once the Deny statements are exempted
    (so the unsafe fix needs no new Allow)."""
    trial = copy_document(doc)
    statements = _statements(trial)
    d = _decide(vault_arn, trial, role, ctx)
    for _ in range(MAX_DENY_EXEMPTIONS):
        if d.decision != "explicit_deny":
            break
        index = _statement_index(d)
        if index is None or index >= len(statements) or not isinstance(statements[index], dict):
            return False
        _exempt(statements[index], source_account)
        d = _decide(vault_arn, trial, role, ctx)
    return bool(d.allowed)
