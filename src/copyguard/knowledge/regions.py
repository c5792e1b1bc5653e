"""AWS Regions and the limits they put on AWS Backup copies (``regions.yaml``)."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    boolean,
    confidence,
    load_data,
    mappings,
    string,
    strings,
)
from copyguard.records import record

__all__ = ["RegionGroup", "RegionLimit", "copy_region_limits", "region_group", "region_groups"]

_FILE = "regions.yaml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    CrossRegion = bool | Literal["within_group"]
    LimitKind = Literal[
        "cross-partition",
        "outside-pair",
        "no-cross-account",
        "type-cross-account",
        "type-cross-region",
        "unknown-region",
    ]


@record(frozen=True, slots=True)
class RegionGroup:
    """A set of Regions that share copy limits (China, GovCloud, opt-in, default)."""

    id: str
    display_name: str
    partition: str
    prefixes: tuple[str, ...]
    regions: tuple[str, ...]
    cross_account_copy: bool
    cross_region_copy: CrossRegion
    cross_account_blocked_types: tuple[str, ...]
    cross_region_blocked_types: tuple[str, ...]
    sources: tuple[str, ...]
    confidence: Confidence
    note: str

    def contains(self, region: str) -> bool:
        name = region.strip().lower()
        return name in self.regions or any(name.startswith(p) for p in self.prefixes)


@record(frozen=True, slots=True)
class RegionLimit:
    """One reason the Regions of a copy block it.

    ``kind``: ``cross-partition`` (the two Regions are in different partitions),
    ``outside-pair`` (China/GovCloud: cross-Region only between the group's own Regions),
    ``no-cross-account`` (no cross-account copy at all in the group), ``type-cross-account`` /
    ``type-cross-region`` (this resource type's copy is not available in the group), or
    ``unknown-region`` (copyguard does not know the Region, so it cannot tell).
    """

    kind: LimitKind
    region: str
    group: RegionGroup | None
    sources: tuple[str, ...]


def _group(row: Mapping[str, object]) -> RegionGroup:
    data = dict(row)
    gid = string(data, "id", f"{_FILE}: region_groups")
    where = f"{_FILE}: region_groups.{gid}"
    cross_region = data.get("cross_region_copy")
    if cross_region not in (True, False, "within_group"):
        raise KnowledgeDataError(f"{where}: cross_region_copy must be true, false or within_group")
    group = RegionGroup(
        id=gid,
        display_name=string(data, "display_name", where),
        partition=string(data, "partition", where),
        prefixes=tuple(p.lower() for p in strings(data, "prefixes", where, ())),
        regions=tuple(r.lower() for r in strings(data, "regions", where)),
        cross_account_copy=boolean(data, "cross_account_copy", where),
        cross_region_copy=cross_region,
        cross_account_blocked_types=strings(data, "cross_account_blocked_types", where, ()),
        cross_region_blocked_types=strings(data, "cross_region_blocked_types", where, ()),
        sources=strings(data, "sources", where),
        confidence=confidence(data, where),
        note=" ".join(string(data, "note", where, "").split()),
    )
    if not group.sources:
        raise KnowledgeDataError(f"{where}: sources must not be empty")
    return group


@functools.cache
def _groups() -> tuple[RegionGroup, ...]:
    groups = tuple(_group(row) for row in mappings(load_data(_FILE), "region_groups", _FILE))
    seen: dict[str, str] = {}
    for group in groups:
        for region in group.regions:
            if region in seen:
                raise KnowledgeDataError(f"{_FILE}: {region} is in {seen[region]} and {group.id}")
            seen[region] = group.id
    return groups


def region_groups() -> tuple[RegionGroup, ...]:
    """Every Region group, in file order."""
    return _groups()


def region_group(region: str) -> RegionGroup | None:
    """The group a Region belongs to, or None when copyguard does not know the Region."""
    for group in _groups():
        if group.contains(region):
            return group
    return None


def copy_region_limits(
    resource_type: str | None,
    source_region: str,
    destination_region: str,
    cross_account: bool,
) -> tuple[RegionLimit, ...]:
    """What the Regions of a copy block, for a resource type (canonical name or None).

    An empty tuple means no Region limit applies as far as the data says. A Region
    copyguard does not know gives an ``unknown-region`` limit when it could matter (the copy
    is cross-Region, or cross-account for a type some Regions block), never a silent pass.
    """
    src, dst = source_region.strip().lower(), destination_region.strip().lower()
    cross_region = src != dst
    out: list[RegionLimit] = []
    groups = {region: region_group(region) for region in dict.fromkeys((src, dst))}
    regional_types = {
        t
        for g in _groups()
        for t in (*g.cross_account_blocked_types, *g.cross_region_blocked_types)
    }
    for region, group in groups.items():
        if group is None and (cross_region or (cross_account and resource_type in regional_types)):
            out.append(RegionLimit("unknown-region", region, None, ()))
    src_group, dst_group = groups[src], groups[dst]
    if (
        cross_region
        and src_group is not None
        and dst_group is not None
        and src_group.partition != dst_group.partition
    ):
        out.append(RegionLimit("cross-partition", dst, dst_group, dst_group.sources))
        return _unique(out)  # nothing else matters: no copy crosses partitions
    for region, group in groups.items():
        if group is None:
            continue
        if cross_account and not group.cross_account_copy:
            out.append(RegionLimit("no-cross-account", region, group, group.sources))
        if cross_region and group.cross_region_copy == "within_group":
            other = dst if region == src else src
            if not group.contains(other):
                out.append(RegionLimit("outside-pair", region, group, group.sources))
        if cross_region and group.cross_region_copy is False:
            out.append(RegionLimit("outside-pair", region, group, group.sources))
        if resource_type is not None:
            if cross_account and resource_type in group.cross_account_blocked_types:
                out.append(RegionLimit("type-cross-account", region, group, group.sources))
            if cross_region and resource_type in group.cross_region_blocked_types:
                out.append(RegionLimit("type-cross-region", region, group, group.sources))
    return _unique(out)


def _unique(limits: list[RegionLimit]) -> tuple[RegionLimit, ...]:
    """One limit per kind and group (both China Regions say "no cross-account copy" once)."""
    unique: dict[tuple[str, str], RegionLimit] = {}
    for limit in limits:
        unique.setdefault((limit.kind, limit.group.id if limit.group else limit.region), limit)
    return tuple(unique.values())
