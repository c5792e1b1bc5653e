"""CG401-CG402: does the resource type support this copy at all."""

from __future__ import annotations

from collections.abc import Iterable

from copyguard.checks.base import CheckContext, source_unknown, unknown
from copyguard.checks.model import Finding, FixRef, tr


def check_resource_type(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    if ctx.source is None and ctx.destination is not None:
        yield source_unknown(ctx, "CG401")
        return
    if not ctx.cross_account:
        return
    facts = ctx.facts
    path = f"{copy.path}.resource_type"
    if facts is None:
        yield unknown(
            ctx,
            tr("The resource type is unknown (resource_type).", "资源类型未知(resource_type)。"),
            "CG401",
            path,
        )
        return
    notes = [tr(facts.note, facts.note)] if facts.note else []
    if not facts.known:
        yield unknown(
            ctx,
            tr(
                f"{copy.resource_type} is not a resource type copyguard knows.",
                f"copyguard 不认识资源类型 {copy.resource_type}。",
            ),
            "CG401",
            path,
        )
        return
    if facts.cross_account_copy is False:
        yield Finding(
            code="CG401",
            severity="error",
            title=tr(
                "The resource type does not support cross-account copy",
                "该资源类型不支持跨账户复制",
            ),
            message=tr(
                f"AWS Backup does not copy {facts.name} recovery points to another account.",
                f"AWS Backup 不支持将 {facts.name} 恢复点复制到其他账户。",
            ),
            copy=copy.name,
            resource=copy.resource_arn if isinstance(copy.resource_arn, str) else None,
            path=path,
            evidence={"resource_type": facts.name, "sources": list(facts.sources)},
            fix=FixRef("playbook", None, "display-only"),
            notes=notes,
        )
        return
    if facts.cross_account_copy != True:  # noqa: E712 - "depends"/"unconfirmed"
        yield unknown(
            ctx,
            tr(
                f"Whether {facts.name} supports cross-account copy is not confirmed by AWS "
                f"documentation ({facts.cross_account_copy}).",
                f"{facts.name} 是否支持跨账户复制未经 AWS 文档确认({facts.cross_account_copy})。",
            ),
            "CG401",
            path,
            notes=notes,
        )
        return
    src_region, dst_region = copy.source_region, copy.destination_region
    if not src_region or not dst_region or src_region == dst_region:
        return
    single = facts.single_cross_region_account
    observed = _observed_not_supported(copy.status_message)
    if single is False or observed:
        yield Finding(
            code="CG402",
            severity="error",
            title=tr(
                "One copy cannot be both cross-Region and cross-account for this type",
                "此类型不支持同时跨区域和跨账户的单次复制",
            ),
            message=tr(
                f"{facts.name} does not support a single copy from {src_region} in one account to "
                f"{dst_region} in another. Copy across Regions first, then across accounts (or the reverse). "
                f"AWS's message: \"Copy job from {src_region} to {dst_region} cannot be initiated for "
                f'{facts.name} resources. Feature is not supported for provided resource type."',
                f"{facts.name} 不支持一次将 {src_region} 的资源复制到另一个账户的 {dst_region}。请先跨区域复制,再跨账户复制(或相反)。",
            ),
            copy=copy.name,
            resource=None,
            path=f"{copy.path}.destination_vault",
            evidence={
                "source_region": src_region,
                "destination_region": dst_region,
                "resource_type": facts.name,
                **({"observed": observed} if observed else {}),
            },
            fix=FixRef("playbook", None, "display-only"),
            notes=notes
            + (
                [
                    tr(
                        "The copy job's own status message says so (status_message).",
                        "复制作业自身的状态消息证实了这一点(status_message)。",
                    )
                ]
                if observed
                else []
            ),
        )
    elif single != True:  # noqa: E712
        yield unknown(
            ctx,
            tr(
                f"Whether one copy of {facts.name} can be both cross-Region ({src_region} -> "
                f"{dst_region}) and cross-account is not confirmed ({single}).",
                f"无法确认 {facts.name} 能否在一次复制中同时跨区域({src_region} -> {dst_region})和跨账户({single})。",
            ),
            "CG402",
            f"{copy.path}.destination_vault",
            notes=notes,
        )


def _observed_not_supported(message: str | None) -> str | None:
    """The copy job's status message when it is AWS's "Feature is not supported for provided
    resource type" answer: the observed signal wins over the (dated) support table."""
    if not message:
        return None
    from copyguard.knowledge import match_error

    for m in match_error(message):
        if "CG402" in m.codes:
            return message
    return None
