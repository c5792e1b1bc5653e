"""Organization management policies (backup policies): the effective policy of an account.

AWS Organizations merges the management policies of one type attached along the path
root -> OU -> ... -> account into the account's effective policy, using the inheritance
operators of the policy syntax ("Inheritance operators", AWS Organizations User Guide,
policy-operators.html):

- ``@@assign``: overwrite the inherited value (a whole array for a multi-valued setting);
- ``@@append``: add the given values to an inherited array;
- ``@@remove``: remove the given values from an inherited array (the key when it names no
  values);
- ``@@operators_allowed_for_child_policies``: which of those the policies below may use on
  this setting and below (``@@all`` by default, ``@@none`` freezes it).

The effective policy has the operators resolved: plain values, no ``@@`` keys. Variables
such as ``$account`` and ``$region`` stay as written (AWS Backup substitutes them when it
creates the plans). Several policies attached to one target are applied in the order they
were attached. ``merge_levels`` is pure; ``effective_policy`` reads moto's Organizations
backend.
"""

from __future__ import annotations

import copy
import json
from typing import Any

ASSIGN = "@@assign"
APPEND = "@@append"
REMOVE = "@@remove"
ALLOWED = "@@operators_allowed_for_child_policies"
_VALUE_OPERATORS = (ASSIGN, APPEND, REMOVE)
#: management policy types whose effective policy DescribeEffectivePolicy answers
MANAGEMENT_TYPES = frozenset(
    {
        "BACKUP_POLICY",
        "TAG_POLICY",
        "AISERVICES_OPT_OUT_POLICY",
        "CHATBOT_POLICY",
        "DECLARATIVE_POLICY_EC2",
        "SECURITYHUB_POLICY",
    }
)


class PolicyMergeError(ValueError):
    """A policy document that is not a JSON object of settings."""


def _is_setting(node: Any) -> bool:
    """A node that carries a value-setting operator (a leaf of the settings tree)."""
    return isinstance(node, dict) and any(op in node for op in _VALUE_OPERATORS)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


class _Members:
    """``x in values`` for a list of JSON values, linear in all: hashable values through a
    set, the others (lists, objects) by comparing with each of them, as a list does (the
    merge was quadratic on long arrays: 20,000 values took seconds under the lock)."""

    def __init__(self, values: list[Any]) -> None:
        self.hashed: set[Any] = set()
        self.other: list[Any] = []
        for v in values:
            try:
                self.hashed.add(v)
            except TypeError:
                self.other.append(v)

    def __contains__(self, v: Any) -> bool:
        try:
            return v in self.hashed
        except TypeError:
            return v in self.other


def _allowed_ops(node: Any, inherited: frozenset[str]) -> frozenset[str]:
    if not isinstance(node, dict) or ALLOWED not in node:
        return inherited
    ops = node[ALLOWED]
    values = set(_as_list(ops.get(ASSIGN, [])) if isinstance(ops, dict) else _as_list(ops))
    if "@@all" in values:
        return inherited
    if "@@none" in values:
        return frozenset()
    return inherited & frozenset(v for v in values if v in _VALUE_OPERATORS)


def _apply(
    base: Any, child: dict[str, Any], allowed: frozenset[str], limits: dict[str, Any]
) -> Any:
    """``child`` (one level's settings) applied on top of the inherited ``base`` tree.

    ``limits`` mirrors the tree and records, per node, which operators the levels above
    left to their children.
    """
    result: dict[str, Any] = dict(base) if isinstance(base, dict) else {}
    for key, node in child.items():
        if key == ALLOWED:
            continue
        node_allowed = limits.get(key, {}).get("__ops__", allowed) if key in limits else allowed
        if _is_setting(node):
            value = result.get(key)
            if ASSIGN in node and ASSIGN in node_allowed:
                value = copy.deepcopy(node[ASSIGN])
            if APPEND in node and APPEND in node_allowed:
                current = _as_list(value) if value is not None else []
                have = _Members(current)
                value = current + [v for v in _as_list(node[APPEND]) if v not in have]
            if REMOVE in node and REMOVE in node_allowed:
                drop = _as_list(node[REMOVE])
                if value is None or not drop:
                    value = None
                else:
                    dropped = _Members(drop)
                    value = [v for v in _as_list(value) if v not in dropped]
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
            below = _allowed_ops(node, node_allowed)
            limits.setdefault(key, {})["__ops__"] = below
        elif isinstance(node, dict):
            below = _allowed_ops(node, node_allowed)
            sub_limits = limits.setdefault(key, {})
            sub_limits["__ops__"] = below
            if key in result and not isinstance(result[key], dict) and not below:
                continue
            merged = _apply(result.get(key), node, below, sub_limits)
            if merged or key in result:
                result[key] = merged
        elif node_allowed:  # a bare value: the same as @@assign
            result[key] = copy.deepcopy(node)
    return result


def merge_levels(levels: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """The effective policy of policies attached at each level (root first, account last)."""
    effective: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    everything = frozenset(_VALUE_OPERATORS)
    for level in levels:
        for document in level:
            if not isinstance(document, dict):
                raise PolicyMergeError("a management policy must be a JSON object")
            try:
                effective = _apply(effective, document, everything, limits)
            except (RecursionError, TypeError) as exc:  # nested too deeply, an odd operator
                raise PolicyMergeError(f"the policy cannot be merged: {exc}") from None
    return effective


def parse_content(content: Any) -> dict[str, Any]:
    if isinstance(content, dict):
        return content
    try:
        data = json.loads(str(content))
    except (ValueError, RecursionError) as exc:
        raise PolicyMergeError(f"the policy is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PolicyMergeError("a management policy must be a JSON object")
    return data


# -- moto's Organizations backend -----------------------------------------------------------


def _chain(backend: Any, account: Any) -> list[Any]:
    """The targets from the root down to ``account`` (root, OUs, the account)."""
    from copyguard.emulator.moto_view import ou_chain

    return [*ou_chain({ou.id: ou for ou in backend.ou}, account), account]


def type_enabled(backend: Any, policy_type: str) -> bool:
    root = next((ou for ou in backend.ou if getattr(ou, "type", "") == "ROOT"), None)
    types = getattr(root, "policy_types", []) or []
    return any(t.get("Type") == policy_type and t.get("Status") == "ENABLED" for t in types)


def effective_policy(backend: Any, account_id: str, policy_type: str) -> dict[str, Any] | None:
    """The account's effective policy of ``policy_type`` (None: no policy applies)."""
    if not type_enabled(backend, policy_type):
        return None
    account = next((a for a in backend.accounts if a.id == account_id), None)
    if account is None:
        return None
    levels: list[list[dict[str, Any]]] = []
    found = False
    for target in _chain(backend, account):
        docs = []
        for policy in getattr(target, "attached_policies", []):
            if policy.type == policy_type:
                docs.append(parse_content(policy.content))
                found = True
        levels.append(docs)
    if not found:
        return None
    return merge_levels(levels)
