"""AWS KMS actions (Service Authorization Reference data) and IAM action patterns."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    boolean,
    confidence,
    load_data,
    mapping,
    mappings,
    string,
    strings,
)
from copyguard.policy.wildcard import Glob, glob
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "KmsAction",
    "expand_action_pattern",
    "iam_only_condition_key",
    "kms_action",
    "kms_action_names",
    "kms_actions",
]

_FILE = "kms.yaml"


@record(frozen=True, slots=True)
class KmsAction:
    """One ``kms:`` IAM action.

    ``condition_keys`` holds every condition key the action supports (its own keys plus those
    of the key resource when ``key_resource`` is true), in canonical spelling; pattern keys
    keep their ``${...}`` placeholder. ``cross_account`` tells whether a principal in another
    account can be allowed this action on a key (KMS key-policy rules).
    """

    name: str
    access_level: str
    key_resource: bool
    cross_account: bool
    condition_keys: tuple[str, ...]
    resource_types: tuple[str, ...] = ()
    permission_only: bool = False
    confidence: Confidence = "confirmed"
    note: str = ""
    sources: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """The name without the ``kms:`` prefix."""
        return self.name.split(":", 1)[1]


def expand_key_entries(
    entries: Iterable[Any], groups: Mapping[str, tuple[str, ...]], where: str
) -> list[str]:
    """Expand ``@group`` references and ``{template, range}`` items into key names."""
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, str) and entry.startswith("@"):
            group = groups.get(entry[1:])
            if group is None:
                raise KnowledgeDataError(f"{where}: unknown key group {entry!r}")
            out.extend(group)
        elif isinstance(entry, str):
            out.append(entry.strip())
        elif isinstance(entry, Mapping):
            out.extend(expand_template(entry, where))
        else:
            raise KnowledgeDataError(f"{where}: bad condition key entry {entry!r}")
    return out


def expand_template(entry: Mapping[str, Any], where: str) -> list[str]:
    """``{template: "kms:...PCR{n}", range: [0, 31]}`` -> the 32 names."""
    template = string(entry, "template", where)
    bounds = entry.get("range")
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, int) for b in bounds)
    ):
        raise KnowledgeDataError(f"{where}: template {template!r} needs range: [first, last]")
    return [template.replace("{n}", str(n)) for n in range(bounds[0], bounds[1] + 1)]


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        lower = name.lower()
        if lower not in seen:
            seen.add(lower)
            out.append(name)
    return tuple(out)


@functools.cache
def _key_groups() -> Mapping[str, tuple[str, ...]]:
    data = load_data(_FILE)
    raw = mapping(data, "key_groups", _FILE)
    return {
        str(name): tuple(expand_key_entries(entries, {}, f"{_FILE}: key_groups.{name}"))
        for name, entries in raw.items()
    }


@functools.cache
def _actions() -> Mapping[str, KmsAction]:
    data = load_data(_FILE)
    groups = _key_groups()
    resource_keys = {
        str(rtype): tuple(expand_key_entries(keys, groups, f"{_FILE}: resource_condition_keys"))
        for rtype, keys in mapping(data, "resource_condition_keys", _FILE).items()
    }
    actions: dict[str, KmsAction] = {}
    for row in mappings(data, "actions", _FILE):
        short = string(row, "name", f"{_FILE}: actions")
        where = f"{_FILE}: actions.{short}"
        resources = strings(row, "resources", where, ())
        own = expand_key_entries(row.get("condition_keys") or (), groups, where)
        extra: list[str] = []
        for rtype in resources:
            extra.extend(resource_keys.get(rtype, ()))
        action = KmsAction(
            name=f"kms:{short}",
            access_level=string(row, "access", where),
            key_resource="key" in resources,
            cross_account=boolean(row, "cross_account", where),
            condition_keys=_dedupe([*own, *extra]),
            resource_types=resources,
            permission_only=boolean(row, "permission_only", where, False),
            confidence=confidence(row, where),
            note=string(row, "note", where, ""),
            sources=strings(row, "sources", where, ()),
        )
        if action.name.lower() in actions:
            raise KnowledgeDataError(f"{where}: duplicate action")
        actions[action.name.lower()] = action
    return MappingProxyType(actions)


@functools.cache
def kms_action_names() -> tuple[str, ...]:
    """Every KMS action's full name (``kms:CreateGrant``), sorted: the names of
    :func:`kms_actions`, read without building the action records (their condition keys),
    for a caller that only matches action names."""
    rows = mappings(load_data(_FILE), "actions", _FILE)
    return tuple(sorted(f"kms:{string(row, 'name', f'{_FILE}: actions')}" for row in rows))


def kms_actions() -> Mapping[str, KmsAction]:
    """Every KMS action, keyed by lower-cased full name (``kms:creategrant``)."""
    return _actions()


def kms_action(name: str) -> KmsAction | None:
    """The KMS action with this name (case-insensitive, ``kms:`` prefix optional)."""
    key = name.strip().lower()
    if ":" not in key:
        key = f"kms:{key}"
    return _actions().get(key)


def _glob(pattern: str) -> Glob:
    # linear-time wildcards: a regex built from policy text can backtrack for minutes
    return glob(pattern.strip(), ignore_case=True)


def expand_action_pattern(pattern: str) -> tuple[str, ...]:
    """Canonical names of the KMS actions an IAM ``Action`` pattern matches.

    IAM matches the whole ``service:Action`` string case-insensitively, with ``*`` (any
    characters) and ``?`` (one character). Patterns for other services give ``()``.
    """
    if not pattern.strip():
        return ()
    matcher = _glob(pattern)
    return tuple(sorted(a.name for a in _actions().values() if matcher.match(a.name)))


@functools.cache
def _iam_only() -> tuple[str, ...]:
    rows = mappings(load_data(_FILE), "iam_only_condition_keys", _FILE)
    return tuple(string(row, "key", f"{_FILE}: iam_only_condition_keys") for row in rows)


def iam_only_condition_key(name: str) -> str | None:
    """The IAM-only condition key ``name`` is (canonical spelling, e.g. ``kms:ResourceAliases``
    or ``aws:ResourceTag/${TagKey}``), or None. KMS rejects a key policy that uses one."""
    wanted = name.strip().lower()
    for key in _iam_only():
        if key.endswith("/${TagKey}"):
            prefix = key[: -len("${TagKey}")].lower()
            if wanted.startswith(prefix) and len(wanted) > len(prefix):
                return key
        elif wanted == key.lower():
            return key
    return None
