"""CG401-CG404: does the resource type (and do the Regions) support this copy at all.

- CG401: the type (or its variant: FSx for NetApp ONTAP, RDS Multi-AZ DB clusters, told apart
  by the resource ARN) has no cross-account copy; a composite type whose members are not all
  copied (EKS: EFS volumes) is a warning.
- CG402: one copy that is both cross-Region and cross-account is not available for the type,
  or AWS said so in the job's status message and nothing else explains it.
- CG403: a Region limit blocks the copy (opt-in Regions for some types, the China Regions,
  the China and GovCloud pairs, copies across partitions), from ``knowledge/data/regions.yaml``.
- CG404: the copy's lifecycle moves it to the cold tier, and cold-tier recovery points cannot
  be copied to another account (a warning: the copy itself runs).
"""

from __future__ import annotations

from copyguard.checks.base import CheckContext, source_unknown, unknown
from copyguard.checks.facts import TypeFacts, type_facts
from copyguard.checks.model import Finding, FixRef, Text, tr
from copyguard.scenario import Lifecycle

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

#: What still blocks a copy that is both cross-Region and cross-account for a type that
#: supports it (facts sheet section 9), in the order the CG402 message lists it.
STILL_BLOCKS = tr(
    "an opt-in Region (no cross-account copy of DocumentDB, Neptune, CloudFormation or "
    "Timestream there), the China Regions (no cross-account copy) or the China and GovCloud "
    "pairs (cross-Region only inside each pair), an RDS Multi-AZ DB cluster (no copy at all), "
    "a recovery point in the cold tier (no cross-account copy), or a resource type without "
    "copy support",
    "选择性加入(opt-in)区域(在这些区域 DocumentDB、Neptune、CloudFormation、Timestream 不支持跨账户复制)、"
    "中国区域(不支持跨账户复制)或中国与 GovCloud 区域对(只能在各自区域对内跨区域复制)、RDS 多可用区数据库集群"
    "(完全不支持复制)、处于冷存储层的恢复点(不支持跨账户复制),或不支持复制的资源类型",
)


def _variant(ctx: CheckContext) -> tuple[TypeFacts | None, Any]:
    """The copy's type facts, with its variant recognised from the resource ARN, and the
    knowledge row (None when the type is unknown)."""
    rt = ctx.copy.resource_type
    if not isinstance(rt, str):
        return None, None
    from copyguard.knowledge import resource_type_variant

    arn = ctx.copy.resource_arn if isinstance(ctx.copy.resource_arn, str) else None
    info = resource_type_variant(rt, arn)
    if info is None:
        return type_facts(rt), None
    return type_facts(info.name), info


def check_resource_type(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    if ctx.source is None and ctx.destination is not None:
        yield source_unknown(ctx, "CG401")
        return
    facts, info = _variant(ctx)
    limits = list(_region_findings(ctx, facts))
    yield from limits
    if not ctx.cross_account:
        return
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
    shown = info.display_name if info is not None else facts.name
    if facts.cross_account_copy is False:
        variant = (
            info is not None and info.variant_of is not None and info.name != copy.resource_type
        )
        yield Finding(
            code="CG401",
            severity="error",
            message=tr(
                f"AWS Backup does not copy {shown} recovery points to another account"
                + (f" (recognised from the resource ARN {copy.resource_arn})." if variant else ".")
                + (
                    " This is not unconfirmed: no version of AWS's table lists it."
                    if facts.name.startswith("Redshift")
                    else ""
                ),
                f"AWS Backup 不支持将 {shown} 恢复点复制到其他账户"
                + (f"(根据资源 ARN {copy.resource_arn} 识别)。" if variant else "。")
                + (
                    "这并非未经确认:AWS 表格的任何版本都未列出此支持。"
                    if facts.name.startswith("Redshift")
                    else ""
                ),
            ),
            copy=copy.name,
            resource=copy.resource_arn if isinstance(copy.resource_arn, str) else None,
            path=f"{copy.path}.resource_arn" if variant else path,
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
    if info is not None and info.composite and info.name == "EKS":
        yield Finding(
            code="CG401",
            severity="warning",
            message=tr(
                "An EKS backup is a composite: the cluster state is copied with the vault key, "
                "but persistent volumes follow their own type's rules, and EFS volumes of an EKS "
                "backup are not copied to another account.",
                "EKS 备份是组合备份:集群状态随保管库密钥一起复制,但持久卷遵循其自身类型的规则,"
                "EKS 备份中的 EFS 卷不会被复制到其他账户。",
            ),
            copy=copy.name,
            resource=copy.resource_arn if isinstance(copy.resource_arn, str) else None,
            path=path,
            evidence={"resource_type": facts.name, "not_copied": ["EFS persistent volumes"]},
            notes=notes,
        )
    yield from _cold_tier(ctx)
    src_region, dst_region = copy.source_region, copy.destination_region
    if not src_region or not dst_region or src_region == dst_region:
        return
    single = facts.single_cross_region_account
    observed = _observed_not_supported(copy.status_message)
    region_blocked = any(f.code == "CG403" for f in limits)
    if single is False or (observed and not region_blocked):
        why = (
            tr(
                f"{facts.name} does not support a single copy from {src_region} in one account to "
                f"{dst_region} in another. Copy across Regions first, then across accounts (or "
                "the reverse).",
                f"{facts.name} 不支持一次将 {src_region} 的资源复制到另一个账户的 {dst_region}。"
                "请先跨区域复制,再跨账户复制(或相反)。",
            )
            if single is False
            else tr(
                f"AWS answered that this copy ({src_region} in one account to {dst_region} in "
                f"another) is not supported. {facts.name} supports one copy that is both "
                "cross-Region and cross-account today, so something else blocks it: "
                f"{STILL_BLOCKS.en}. If none applies, copy across Regions first, then across "
                "accounts (or the reverse).",
                f"AWS 答复不支持此复制(从一个账户的 {src_region} 到另一个账户的 {dst_region})。"
                f"{facts.name} 目前支持同时跨区域和跨账户的单次复制,因此是其他原因阻止了它:"
                f"{STILL_BLOCKS.zh}。若以上都不适用,请先跨区域复制,再跨账户复制(或相反)。",
            )
        )
        yield Finding(
            code="CG402",
            severity="error",
            message=why,
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


def _region_text(kind: str, region: str, group: Any, type_name: str, other: str) -> Text:
    name = group.display_name if group is not None else region
    if kind == "cross-partition":
        return tr(
            f"{region} is in another AWS partition ({name}) than the copy's other Region "
            f"{other}; AWS Backup never copies across partitions.",
            f"{region} 与复制的另一端区域 {other} 属于不同的 AWS 分区({name});AWS Backup 从不跨分区复制。",
        )
    if kind == "outside-pair":
        return tr(
            f"{region} is one of the {name}: cross-Region copies there go only between the "
            f"Regions of that group ({', '.join(group.regions)}), not to or from {other}.",
            f"{region} 属于 {name}:这些区域的跨区域复制只能在该组区域之间进行"
            f"({', '.join(group.regions)}),不能复制到 {other} 或从 {other} 复制。",
        )
    if kind == "no-cross-account":
        return tr(
            f"{region} is one of the {name}, where AWS Backup has no cross-account copy.",
            f"{region} 属于 {name},这些区域的 AWS Backup 不支持跨账户复制。",
        )
    if kind == "type-cross-account":
        return tr(
            f"{region} is an opt-in Region, where AWS Backup has no cross-account copy of "
            f"{type_name}.",
            f"{region} 是选择性加入(opt-in)区域,在该区域 AWS Backup 不支持 {type_name} 的跨账户复制。",
        )
    return tr(
        f"{region} is an opt-in Region, where AWS Backup has no cross-Region copy of {type_name}.",
        f"{region} 是选择性加入(opt-in)区域,在该区域 AWS Backup 不支持 {type_name} 的跨区域复制。",
    )


def _region_findings(ctx: CheckContext, facts: TypeFacts | None) -> Iterable[Finding]:
    """CG403 (or CG902 for a Region copyguard does not know) from the Region data."""
    copy = ctx.copy
    src, dst = copy.source_region, copy.destination_region
    if not src or not dst or (src == dst and not ctx.cross_account):
        return
    from copyguard.knowledge import copy_region_limits

    type_name = facts.name if facts is not None and facts.known else None
    base = type_name.split(":", 1)[0] if type_name else None
    limits = copy_region_limits(base, src, dst, ctx.cross_account)
    observed = _observed_not_supported(copy.status_message)
    path = f"{copy.path}.destination_vault"
    for limit in limits:
        if limit.kind == "unknown-region":
            yield unknown(
                ctx,
                tr(
                    f"copyguard does not know the Region {limit.region}, so it cannot tell "
                    "whether a Region limit blocks this copy.",
                    f"copyguard 不认识区域 {limit.region},因此无法判断区域限制是否会阻止此复制。",
                ),
                "CG403",
                path,
            )
            continue
        other = dst if limit.region == src else src
        group = limit.group
        notes = [tr(group.note, group.note)] if group is not None and group.note else []
        yield Finding(
            code="CG403",
            severity="error",
            message=_region_text(limit.kind, limit.region, group, type_name or "", other),
            copy=copy.name,
            resource=None,
            path=path,
            evidence={
                "limit": limit.kind,
                "region": limit.region,
                "region_group": group.id if group is not None else None,
                "source_region": src,
                "destination_region": dst,
                **({"resource_type": type_name} if type_name else {}),
                "sources": list(limit.sources),
                **({"observed": observed} if observed else {}),
            },
            steps=[
                tr(
                    "Copy between Regions (and accounts) where AWS Backup supports this copy, "
                    "or keep the copy in the source account.",
                    "在 AWS Backup 支持此复制的区域(和账户)之间复制,或将副本保留在源账户中。",
                )
            ],
            notes=notes,
        )


def _cold_tier(ctx: CheckContext) -> Iterable[Finding]:
    """CG404: the copy's lifecycle moves it to cold storage (a cross-account copy only)."""
    copy = ctx.copy
    lifecycle = copy.lifecycle
    if not isinstance(lifecycle, Lifecycle) or lifecycle.move_to_cold_storage_after_days is None:
        return
    days = lifecycle.move_to_cold_storage_after_days
    yield Finding(
        code="CG404",
        severity="warning",
        message=tr(
            f"The copy's lifecycle moves it to cold storage after {days} days. Once a recovery "
            "point is in the cold tier it cannot be copied to another account (nor across "
            "Regions): copying it back to the source account for a restore, or on to a third "
            "account, fails after that day. The same holds for a source recovery point that is "
            "already cold when the copy runs.",
            f"复制的生命周期会在 {days} 天后将其移入冷存储。恢复点一旦进入冷存储层,就无法复制到其他账户"
            "(也无法跨区域复制):此后若要将其复制回源账户以便还原,或继续复制到第三个账户,都会失败。"
            "若复制运行时源恢复点已处于冷存储层,同样如此。",
        ),
        copy=copy.name,
        resource=None,
        path=f"{copy.path}.lifecycle.move_to_cold_storage_after_days",
        evidence={"move_to_cold_storage_after_days": days},
        steps=[
            tr(
                "Copy (or copy back) before the recovery point moves to cold storage, or drop "
                "MoveToColdStorageAfterDays from the copies you may need to copy again.",
                "在恢复点移入冷存储之前完成复制(或复制回源账户),或对可能需要再次复制的副本去掉 "
                "MoveToColdStorageAfterDays。",
            )
        ],
    )


def _observed_not_supported(message: str | None) -> str | None:
    """The copy job's status message when it is AWS's "Feature is not supported for provided
    resource type" answer: the observed signal wins over the (dated) support table."""
    if not message:
        return None
    from copyguard.knowledge import match_error

    for m in match_error(message):
        if m.pattern.id == "feature-not-supported":
            return message
    return None
