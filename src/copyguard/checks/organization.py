"""CG301-CG302: organization membership and the organization's cross-account setting."""

from __future__ import annotations

from copyguard.checks.base import CheckContext, source_unknown, unknown
from copyguard.checks.model import Finding, FixRef, tr
from copyguard.scenario import UNKNOWN, Organization

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


def check_organization(ctx: CheckContext) -> Iterable[Finding]:
    if ctx.source is None and ctx.destination is not None:
        yield source_unknown(ctx, "CG301")
        return
    if not ctx.cross_account:
        return
    src, dest = ctx.source, ctx.destination
    org = ctx.scenario.organization
    if org is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                "The organization is unknown (organization), so membership and the "
                "cross-account setting cannot be checked.",
                "组织信息未知(organization),无法检查成员资格和跨账户设置。",
            ),
            "CG301",
            "organization",
        )
        return
    assert isinstance(org, Organization)
    if org.id is None:
        yield _not_member(ctx, [a for a in (src, dest) if a], "")
        return
    if not isinstance(org.accounts, tuple):
        yield unknown(
            ctx,
            tr(
                "The organization's accounts are unknown (organization.accounts).",
                "组织的账户列表未知(organization.accounts)。",
            ),
            "CG301",
            "organization.accounts",
        )
    else:
        members = org.accounts
        outside = [a for a in (src, dest) if a and a not in members]
        if outside:
            yield _not_member(ctx, outside, org.id if isinstance(org.id, str) else "")
            return
    if org.cross_account_backup_enabled is UNKNOWN:
        yield unknown(
            ctx,
            tr(
                "Whether cross-account backup is enabled for the organization is unknown.",
                "无法确定组织是否启用了跨账户备份。",
            ),
            "CG302",
            "organization.cross_account_backup_enabled",
        )
    elif org.cross_account_backup_enabled is False:
        mgmt = (
            org.management_account
            if isinstance(org.management_account, str)
            else "the management account"
        )
        yield Finding(
            code="CG302",
            severity="error",
            message=tr(
                f"The organization's AWS Backup setting isCrossAccountBackupEnabled is false. The copy "
                'fails with "Copy job failed. Cross-account copy feature is not enabled for the current '
                f'organization." Turn it on from {mgmt}.',
                "组织的 AWS Backup 设置 isCrossAccountBackupEnabled 为 false。复制会失败,报错“Copy job failed. "
                f"Cross-account copy feature is not enabled for the current organization.”请在 {mgmt} 中开启。",
            ),
            copy=ctx.copy.name,
            resource=org.id if isinstance(org.id, str) else None,
            path="organization.cross_account_backup_enabled",
            evidence={"isCrossAccountBackupEnabled": "false"},
            fix=FixRef("playbook", None, "display-only"),
        )


def _not_member(ctx: CheckContext, outside: list[str], org_id: str) -> Finding:
    where = f" {org_id}" if org_id else ""
    return Finding(
        code="CG301",
        severity="error",
        message=tr(
            f"Account(s) {', '.join(outside)} are not members of the organization{where}. The copy fails "
            'with "Copy job failed. Both source and destination account must be a member of the same '
            'organization".',
            f"账户 {', '.join(outside)} 不是组织{where}的成员。复制会失败,报错“Copy job failed. Both source "
            "and destination account must be a member of the same organization”。",
        ),
        copy=ctx.copy.name,
        resource=org_id or None,
        path="organization.accounts",
        evidence={"outside": outside, "organization": org_id or None},
        fix=FixRef("playbook", None, "display-only"),
    )
