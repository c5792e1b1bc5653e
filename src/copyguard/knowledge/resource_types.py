"""AWS Backup resource types and what they mean for a cross-account copy."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    TriState,
    boolean,
    confidence,
    load_data,
    mapping,
    mappings,
    optional_string,
    string,
    strings,
    tristate,
)
from copyguard.records import fields, record

__all__ = [
    "DestinationVaultKeyRules",
    "ResourceTypeInfo",
    "classify_recovery_point_arn",
    "resource_type",
    "resource_type_variant",
    "resource_types",
]

_FILE = "resource_types.yaml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    SourceKeyKind = Literal["vault", "resource", "depends"]

_TRISTATE_FIELDS = (
    "fully_managed",
    "cross_region_copy",
    "cross_account_copy",
    "cross_region_and_account_single_copy",
)


@record(frozen=True, slots=True)
class DestinationVaultKeyRules:
    """Which keys the destination vault may use to hold copies of this type.

    ``aws_backup_key``: whether a vault encrypted with ``aws/backup`` can hold the copies
    (true for fully managed types). ``service_key``: whether the owning service's AWS managed
    key (such as ``aws/ebs``) is documented as usable. A customer managed key always works.
    """

    aws_backup_key: TriState
    service_key: TriState
    note: str = ""


@record(frozen=True, slots=True)
class ResourceTypeInfo:
    """One AWS Backup resource type (``ResourceType`` value), or a variant of one.

    ``recovery_point_arn`` and ``resource_arn`` are regexes (full match).
    ``unconfirmed_fields`` names the fields whose values no primary source confirms.
    ``composite``: the backup holds other resources that keep their own keys and copy rules
    (CloudFormation stacks, EKS clusters); ``fully_managed`` and ``source_key`` describe the
    composite's own recovery point.
    """

    name: str
    display_name: str
    aliases: tuple[str, ...]
    variant_of: str | None
    fully_managed: TriState
    management_setting: str | None
    source_key: SourceKeyKind
    cross_region_copy: TriState
    cross_account_copy: TriState
    cross_region_and_account_single_copy: TriState
    recovery_point_arn: str
    resource_arn: str
    aws_managed_key_alias: str | None
    via_service: str | None
    destination_vault_key_rules: DestinationVaultKeyRules
    sources: tuple[str, ...]
    confidence: Confidence
    note: str
    unconfirmed_fields: tuple[str, ...] = ()
    composite: bool = False

    def is_unconfirmed(self, field: str) -> bool:
        """Whether the value of ``field`` is not confirmed by a primary source."""
        return field in self.unconfirmed_fields

    def matches_recovery_point_arn(self, arn: str) -> bool:
        return _regex(self.recovery_point_arn).fullmatch(arn.strip()) is not None

    def matches_resource_arn(self, arn: str) -> bool:
        return _regex(self.resource_arn).fullmatch(arn.strip()) is not None

    def via_service_host(self, region: str) -> str | None:
        """The kms:ViaService value for this type's copy calls in ``region``."""
        if self.via_service is None:
            return None
        return f"{self.via_service}.{region}.amazonaws.com"


@functools.cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _normal(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


@record(frozen=True, slots=True)
class _Table:
    rows: Mapping[str, ResourceTypeInfo]
    by_alias: Mapping[str, ResourceTypeInfo]


def _row(row: Mapping[str, object]) -> ResourceTypeInfo:
    data = dict(row)
    name = string(data, "name", f"{_FILE}: resource_types")
    where = f"{_FILE}: resource_types.{name}"
    rules = mapping(data, "destination_vault_key_rules", where)
    source_key = string(data, "source_key", where)
    if source_key not in ("vault", "resource", "depends"):
        raise KnowledgeDataError(f"{where}: source_key must be vault, resource or depends")
    unconfirmed = strings(data, "unconfirmed_fields", where, ())
    info = ResourceTypeInfo(
        name=name,
        display_name=string(data, "display_name", where),
        aliases=strings(data, "aliases", where, ()),
        variant_of=optional_string(data, "variant_of", where),
        fully_managed=tristate(data, "fully_managed", where),
        management_setting=optional_string(data, "management_setting", where),
        source_key=source_key,  # type: ignore[arg-type]
        cross_region_copy=tristate(data, "cross_region_copy", where),
        cross_account_copy=tristate(data, "cross_account_copy", where),
        cross_region_and_account_single_copy=tristate(
            data, "cross_region_and_account_single_copy", where
        ),
        recovery_point_arn=string(data, "recovery_point_arn", where),
        resource_arn=string(data, "resource_arn", where),
        aws_managed_key_alias=optional_string(data, "aws_managed_key_alias", where),
        via_service=optional_string(data, "via_service", where),
        destination_vault_key_rules=DestinationVaultKeyRules(
            aws_backup_key=tristate(rules, "aws_backup_key", where),
            service_key=tristate(rules, "service_key", where),
            note=string(rules, "note", where, ""),
        ),
        sources=strings(data, "sources", where),
        confidence=confidence(data, where, "unconfirmed" if unconfirmed else "confirmed"),
        note=string(data, "note", where, ""),
        unconfirmed_fields=unconfirmed,
        composite=boolean(data, "composite", where, False),
    )
    _validate(info, where)
    return info


def _validate(info: ResourceTypeInfo, where: str) -> None:
    for field in _TRISTATE_FIELDS:
        if getattr(info, field) == "unconfirmed" and field not in info.unconfirmed_fields:
            raise KnowledgeDataError(f"{where}: {field} is unconfirmed but not flagged")
    rules = info.destination_vault_key_rules
    if "unconfirmed" in (rules.aws_backup_key, rules.service_key) and (
        "destination_vault_key_rules" not in info.unconfirmed_fields
    ):
        raise KnowledgeDataError(f"{where}: destination_vault_key_rules unconfirmed, not flagged")
    for field in info.unconfirmed_fields:
        if field not in {f.name for f in fields(ResourceTypeInfo)}:
            raise KnowledgeDataError(f"{where}: unconfirmed_fields names unknown field {field}")
    if not info.sources:
        raise KnowledgeDataError(f"{where}: sources must not be empty")
    for pattern in (info.recovery_point_arn, info.resource_arn):
        try:
            _regex(pattern)
        except re.error as exc:
            raise KnowledgeDataError(f"{where}: bad regex {pattern!r}: {exc}") from exc


@functools.cache
def _table() -> _Table:
    rows: dict[str, ResourceTypeInfo] = {}
    by_alias: dict[str, ResourceTypeInfo] = {}
    for raw in mappings(load_data(_FILE), "resource_types", _FILE):
        info = _row(raw)
        rows[info.name] = info
        for label in (info.name, info.display_name, *info.aliases):
            key = _normal(label)
            other = by_alias.get(key)
            if other is not None and other is not info:
                raise KnowledgeDataError(
                    f"{_FILE}: name {label!r} of {info.name} is also used by {other.name}"
                )
            by_alias[key] = info
    for info in rows.values():
        if info.variant_of is not None and info.variant_of not in rows:
            raise KnowledgeDataError(f"{_FILE}: {info.name} is a variant of unknown type")
    return _Table(rows=MappingProxyType(rows), by_alias=MappingProxyType(by_alias))


def resource_types() -> Mapping[str, ResourceTypeInfo]:
    """Every resource type row, keyed by its AWS Backup ``ResourceType`` name."""
    return _table().rows


def resource_type(name: str) -> ResourceTypeInfo | None:
    """Look up a resource type by name, display name or alias (case, space, dash-insensitive)."""
    return _table().by_alias.get(_normal(name))


def classify_recovery_point_arn(arn: str) -> tuple[str, ...]:
    """The resource types whose recovery point ARNs look like ``arn`` (candidates, in order)."""
    return tuple(
        info.name for info in _table().rows.values() if info.matches_recovery_point_arn(arn)
    )


def resource_type_variant(name: str, resource_arn: str | None) -> ResourceTypeInfo | None:
    """The row for a ``ResourceType`` value and, when given, the resource's ARN.

    AWS Backup reports some variants under their base type (FSx for NetApp ONTAP as ``FSx``,
    RDS Multi-AZ DB clusters as ``RDS``); the resource ARN tells them apart. Returns the base
    row when no variant's ``resource_arn`` matches, and None for an unknown name.
    """
    info = resource_type(name)
    if info is None or not resource_arn:
        return info
    base = info.variant_of or info.name
    for row in _table().rows.values():
        if row.variant_of == base and row.matches_resource_arn(resource_arn):
            return row
    return info
