"""The destination vault access policy fix (CG201): allow backup:CopyIntoBackupVault from the
source account, or from the whole organization, as the user chooses."""

from __future__ import annotations

import copy as _copy
from typing import Any

from copyguard.checks.model import Fix, tr
from copyguard.evaluate import Request, evaluate_resource_policy
from copyguard.fixes.key_policy import FixVerificationError, render_diff
from copyguard.policy import Policy, parse_policy

SID = "Allow copies from the source account"
ORG_SID = "Allow copies from the organization"


def fix_vault_policy(vault_arn: str, policy: Policy | None, source_account: str,
                     mode: str = "account", org_id: str | None = None,
                     copy_role: str | None = None) -> Fix | None:
    doc: dict[str, Any] = _copy.deepcopy(policy.document) if policy else {"Version": "2012-10-17", "Statement": []}
    original = policy.document if policy else None
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        statements = []
    doc["Statement"] = statements
    if mode == "org":
        if not org_id:
            raise FixVerificationError("the organization ID is unknown: give organization.id or use the account form")
        stmt: dict[str, Any] = {"Sid": ORG_SID, "Effect": "Allow", "Principal": "*",
                                "Action": "backup:CopyIntoBackupVault", "Resource": "*",
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}
    else:
        stmt = {"Sid": SID, "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{source_account}:root"},
                "Action": "backup:CopyIntoBackupVault", "Resource": "*"}
    taken = {s.get("Sid") for s in statements if isinstance(s, dict)}
    if stmt["Sid"] in taken:
        stmt["Sid"] = f"{stmt['Sid']} {source_account}"
    statements.append(stmt)
    after = parse_policy(doc, name="vault access policy", kind="resource")
    role = copy_role or f"arn:aws:iam::{source_account}:role/copyguard-probe"
    ctx: dict[str, str | list[str]] = {"aws:PrincipalAccount": source_account}
    if org_id:
        ctx["aws:PrincipalOrgID"] = org_id
    d = evaluate_resource_policy(Request(role, "backup:CopyIntoBackupVault", vault_arn, ctx), after,
                                 identity_known=False)
    if not d.allowed:
        raise FixVerificationError(f"the vault policy fix still does not allow the copy ({d.decision}): "
                                   "an explicit Deny in the vault policy blocks it; review it by hand")
    return Fix(
        kind="vault-access-policy", resource=vault_arn, applicability="safe",
        description=tr(f"Allow backup:CopyIntoBackupVault from {'the organization ' + str(org_id) if mode == 'org' else 'account ' + source_account}.",
                       f"允许来自{'组织 ' + str(org_id) if mode == 'org' else '账户 ' + source_account}的 backup:CopyIntoBackupVault。"),
        policy=doc, original=original,
        diff=render_diff(original or {}, doc, "vault access policy"),
        codes=["CG201"], verification={"copy_allowed": True, "principal": role},
        region=vault_arn.split(":")[3], account=vault_arn.split(":")[4],
    )
