"""Logically air-gapped (LAG) vaults: the facts of ``data/lag.yaml``, typed, read on first use.

Kept apart from the other data files: its rows cite the LAG pages of the AWS Backup guide and
record the date each source was read.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from copyguard.knowledge._loader import (
    KnowledgeDataError,
    SourceRef,
    boolean,
    file_provenance,
    load_data,
    mapping,
    mappings,
    string,
    strings,
)
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LagFacts", "LagKeyStatement", "LagRegion", "LagSource", "lag_facts"]

_FILE = "lag.yaml"


#: A source of ``lag.yaml``: the same record as every data file's provenance sources.
LagSource = SourceRef


@record(frozen=True, slots=True)
class LagKeyStatement:
    """One statement AWS's key-policy example gives: actions (as AWS writes them, and
    expanded to KMS actions) and its conditions."""

    patterns: tuple[str, ...]
    actions: tuple[str, ...]
    via_service: str | None
    grant_is_for_aws_resource: bool


@record(frozen=True, slots=True)
class LagRegion:
    region: str
    name: str


@record(frozen=True, slots=True)
class LagFacts:
    sources: tuple[LagSource, ...]
    vault_type_standard: str
    vault_type_lag: str
    key_type_aws_owned: str
    key_type_customer_managed: str
    min_retention_days: int
    copy_role_statements: tuple[LagKeyStatement, ...]
    destination_slr_statements: tuple[LagKeyStatement, ...]
    copy_out_needs_customer_managed_destination_key: bool
    shared_accounts_can_copy: bool
    unencrypted_not_supported: tuple[str, ...]
    no_cross_region: tuple[str, ...]
    regions_without_lag: tuple[LagRegion, ...]
    regions_without_cross_copies: tuple[LagRegion, ...]
    messages: Mapping[str, str]
    row_sources: Mapping[str, tuple[str, ...]]

    def source(self, source_id: str) -> LagSource | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def urls(self, row: str) -> tuple[str, ...]:
        """The URLs of the sources a row of the data file cites."""
        out = []
        for sid in self.row_sources.get(row, ()):
            src = self.source(sid)
            if src is not None:
                out.append(src.url)
        return tuple(out)

    @property
    def copy_role_actions(self) -> tuple[str, ...]:
        return tuple(a for st in self.copy_role_statements for a in st.actions)

    @property
    def destination_slr_actions(self) -> tuple[str, ...]:
        return tuple(a for st in self.destination_slr_statements for a in st.actions)

    def region_without_lag(self, region: str) -> LagRegion | None:
        return next((r for r in self.regions_without_lag if r.region == region), None)

    def region_without_cross_copies(self, region: str) -> LagRegion | None:
        return next((r for r in self.regions_without_cross_copies if r.region == region), None)


def _statements(block: Mapping[str, Any], where: str) -> tuple[LagKeyStatement, ...]:
    from copyguard.knowledge.kms import expand_action_pattern

    out = []
    for i, item in enumerate(mappings(block, "statements", where)):
        at = f"{where}.statements[{i}]"
        patterns = strings(item, "actions", at)
        actions: list[str] = []
        for p in patterns:
            found = expand_action_pattern(p)
            if not found:
                raise KnowledgeDataError(f"{at}: {p!r} matches no KMS action")
            actions += [a for a in found if a not in actions]
        via = item.get("via_service")
        if via is not None and not isinstance(via, str):
            raise KnowledgeDataError(f"{at}: via_service must be a string")
        out.append(
            LagKeyStatement(
                patterns,
                tuple(actions),
                via,
                boolean(item, "grant_is_for_aws_resource", at, False),
            )
        )
    return tuple(out)


def _regions(block: Mapping[str, Any], key: str, where: str) -> tuple[LagRegion, ...]:
    return tuple(
        LagRegion(string(r, "region", f"{where}.{key}"), string(r, "name", f"{where}.{key}"))
        for r in mappings(block, key, where)
    )


@functools.cache
def lag_facts() -> LagFacts:
    """The LAG facts (the data file is read on the first call, then cached)."""
    data = load_data(_FILE)
    sources = file_provenance(_FILE).sources
    known = {s.id for s in sources}
    rows: dict[str, tuple[str, ...]] = {}
    for name, block in data.items():
        if name == "provenance":
            continue
        if not isinstance(block, Mapping):
            raise KnowledgeDataError(f"{_FILE}: {name} must be a mapping")
        cited = strings(block, "sources", f"{_FILE}: {name}")
        missing = [s for s in cited if s not in known]
        if not cited or missing:
            raise KnowledgeDataError(f"{_FILE}: {name} cites unknown or no sources: {missing}")
        rows[name] = cited
    vt = mapping(data, "vault_types", _FILE)
    kt = mapping(data, "key_types", _FILE)
    lock = mapping(data, "lock", _FILE)
    out = mapping(data, "copy_out", _FILE)
    into = mapping(data, "copy_in", _FILE)
    regions = mapping(data, "regions", _FILE)
    msgs = mapping(data, "messages", _FILE)
    min_days = lock.get("min_retention_days")
    if not isinstance(min_days, int) or isinstance(min_days, bool):
        raise KnowledgeDataError(f"{_FILE}: lock.min_retention_days must be an integer")
    return LagFacts(
        sources=sources,
        vault_type_standard=string(vt, "standard", "vault_types"),
        vault_type_lag=string(vt, "logically_air_gapped", "vault_types"),
        key_type_aws_owned=string(kt, "aws_owned", "key_types"),
        key_type_customer_managed=string(kt, "customer_managed", "key_types"),
        min_retention_days=min_days,
        copy_role_statements=_statements(
            mapping(data, "copy_role_on_lag_key", _FILE), "copy_role_on_lag_key"
        ),
        destination_slr_statements=_statements(
            mapping(data, "destination_slr_on_lag_key", _FILE), "destination_slr_on_lag_key"
        ),
        copy_out_needs_customer_managed_destination_key=boolean(
            out, "destination_key_must_be_customer_managed", "copy_out"
        ),
        shared_accounts_can_copy=boolean(out, "shared_accounts_can_copy", "copy_out"),
        unencrypted_not_supported=strings(into, "unencrypted_not_supported", "copy_in"),
        no_cross_region=strings(into, "no_cross_region", "copy_in"),
        regions_without_lag=_regions(regions, "no_lag_vaults", "regions"),
        regions_without_cross_copies=_regions(regions, "no_cross_copies", "regions"),
        messages={k: " ".join(str(v).split()) for k, v in msgs.items() if k != "sources"},
        row_sources=rows,
    )
