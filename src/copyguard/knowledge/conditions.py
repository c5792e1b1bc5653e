"""IAM condition keys: the AWS global keys and the ``kms:`` keys, with their types."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from copyguard import records
from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    boolean,
    confidence,
    load_data,
    mappings,
    string,
)
from copyguard.knowledge.kms import expand_template, kms_action
from copyguard.records import record

__all__ = [
    "CONDITION_TYPES",
    "ConditionKeyInfo",
    "action_supports_condition_key",
    "condition_key",
    "condition_keys",
    "kms_condition_keys_for_action",
]

#: The IAM condition key types.
CONDITION_TYPES: frozenset[str] = frozenset(
    {"String", "ArrayOfString", "Bool", "Numeric", "Date", "ARN", "IPAddress", "Binary"}
)


@record(frozen=True, slots=True)
class ConditionKeyInfo:
    """What a condition key is.

    For a key resolved through a pattern (``aws:PrincipalTag/Team``) ``name`` is the key as
    asked for (canonical prefix, original suffix) and ``pattern`` the catalogue entry
    (``aws:PrincipalTag/${TagKey}``).
    """

    name: str
    type: str
    multivalued: bool
    global_key: bool
    description: str
    pattern: str | None = None
    category: str = ""
    confidence: Confidence = "confirmed"
    note: str = ""


@record(frozen=True, slots=True)
class _Registry:
    exact: Mapping[str, ConditionKeyInfo]
    # (lower-cased prefix, canonical prefix, entry), longest prefix first
    prefixes: tuple[tuple[str, str, ConditionKeyInfo], ...]


def _rows(file: str, global_key: bool) -> list[ConditionKeyInfo]:
    out: list[ConditionKeyInfo] = []
    for row in mappings(load_data(file), "condition_keys", file):
        names: list[tuple[str, str]]
        if "template" in row:
            where = f"{file}: condition_keys.{row.get('template')}"
            names = [(n, n.rsplit("PCR", 1)[-1]) for n in expand_template(row, where)]
        else:
            where = f"{file}: condition_keys.{row.get('name')}"
            names = [(string(row, "name", where), "")]
        ctype = string(row, "type", where)
        if ctype not in CONDITION_TYPES:
            raise KnowledgeDataError(f"{where}: unknown condition type {ctype!r}")
        for name, index in names:
            out.append(
                ConditionKeyInfo(
                    name=name,
                    type=ctype,
                    multivalued=boolean(row, "multivalued", where, ctype == "ArrayOfString"),
                    global_key=global_key,
                    description=string(row, "description", where, "").replace("{n}", index),
                    pattern=name if boolean(row, "pattern", where, False) else None,
                    category=string(row, "category", where, ""),
                    confidence=confidence(row, where),
                    note=string(row, "note", where, ""),
                )
            )
    return out


def _prefix_of(pattern: str) -> str:
    return pattern[: pattern.index("${")]


@functools.cache
def _registry() -> _Registry:
    exact: dict[str, ConditionKeyInfo] = {}
    prefixes: list[tuple[str, str, ConditionKeyInfo]] = []
    for info in [
        *_rows("global_condition_keys.yaml", True),
        *_rows("kms.yaml", False),
    ]:
        if info.name.lower() in exact:
            raise KnowledgeDataError(f"duplicate condition key {info.name}")
        exact[info.name.lower()] = info
        if info.pattern is not None:
            prefix = _prefix_of(info.pattern)
            prefixes.append((prefix.lower(), prefix, info))
    prefixes.sort(key=lambda item: len(item[0]), reverse=True)
    return _Registry(exact=exact, prefixes=tuple(prefixes))


def condition_key(name: str) -> ConditionKeyInfo | None:
    """Look up a condition key (case-insensitive), resolving pattern keys.

    ``aws:PrincipalTag/Team`` and ``kms:EncryptionContext:aws:backup:backup-vault`` resolve to
    their pattern entries; the part after the prefix keeps its case and may be any value.
    """
    key = name.strip()
    registry = _registry()
    found = registry.exact.get(key.lower())
    if found is not None:
        return found
    lowered = key.lower()
    for prefix_lower, prefix, info in registry.prefixes:
        if lowered.startswith(prefix_lower) and len(key) > len(prefix):
            return records.replace(info, name=prefix + key[len(prefix) :])
    return None


def condition_keys() -> tuple[ConditionKeyInfo, ...]:
    """Every catalogued condition key (global keys first, then ``kms:`` keys)."""
    return tuple(_registry().exact.values())


def kms_condition_keys_for_action(action: str) -> frozenset[str] | None:
    """Lower-cased names of the condition keys a KMS action supports (None: unknown action).

    Pattern keys keep their placeholder (``kms:encryptioncontext:${encryptioncontextkey}``);
    use :func:`action_supports_condition_key` to test a concrete key.
    """
    found = kms_action(action)
    if found is None:
        return None
    return frozenset(k.lower() for k in found.condition_keys)


def action_supports_condition_key(action: str, key: str) -> bool | None:
    """Whether a request for ``action`` can carry condition key ``key``.

    Global ``aws:`` keys are accepted for every action (KMS supports all global keys, though
    each is present only in some requests). None when the action or the key is unknown.
    """
    found = kms_action(action)
    info = condition_key(key)
    if found is None or info is None:
        return None
    if info.global_key and not _is_tag_key(info.name):
        return True
    wanted = (info.pattern or info.name).lower()
    return wanted in {k.lower() for k in found.condition_keys}


def _is_tag_key(name: str) -> bool:
    # aws:RequestTag/aws:ResourceTag/aws:TagKeys are listed per action in the SAR.
    lowered = name.lower()
    return lowered.startswith(("aws:requesttag/", "aws:resourcetag/")) or lowered == "aws:tagkeys"
