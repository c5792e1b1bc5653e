"""Run copyguard and @cloud-copilot/iam-simulate on the same batch and compare their decisions.

Usage (from the repository root)::

    python tests/differential/compare.py FILE.jsonl [--known tests/differential/known_divergences.json]
                                         [--show N] [--json]

Prints a summary of the disagreements grouped by cause and exits 1 if any disagreement is not
explained by an entry of ``known_divergences.json`` (0 otherwise, 2 on a usage error).

A known divergence is explained *counterfactually*, not by a pattern alone: an entry names
the class of requests it covers (``applies_when``) and a ``counterfactual`` -- a rewrite of the
request that removes exactly the disputed feature, fed to one side. The disagreement counts as
known only if, after that rewrite, the re-run side gives the decision the other side gave. A
request that differs for some other reason as well stays unexplained, so a known divergence
cannot hide a new bug that happens to share its request.

The test ``test_differential.py`` uses this module; it needs ``npm ci --prefix
tests/differential`` (iam-simulate is AGPL and runs only here, as a separate process).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RUNNER = HERE / "iam_simulate_runner.mjs"
NODE_MODULES = HERE / "node_modules"
KNOWN_FILE = HERE / "known_divergences.json"

Json = dict[str, Any]
SLR_MARK = ":role/aws-service-role/"


# --------------------------------------------------------------------------- running the sides


class RunError(RuntimeError):
    """One side could not evaluate the batch at all (not a per-line error)."""


def copyguard_command() -> list[str]:
    return [sys.executable, "-m", "copyguard", "simulate", "--batch", "-"]


def copyguard_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def node_binary() -> str | None:
    return shutil.which("node")


def _lines(requests: Iterable[Json]) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in requests)


def _run(
    cmd: list[str], payload: str, expected: int, env: dict[str, str] | None, who: str
) -> list[Json]:
    proc = subprocess.run(
        cmd, input=payload, capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(out) != expected:
        raise RunError(
            f"{who} gave {len(out)} result lines for {expected} requests "
            f"(exit {proc.returncode}).\nstderr:\n{proc.stderr[-4000:]}"
        )
    return out


def run_copyguard(requests: list[Json]) -> list[Json]:
    return _run(copyguard_command(), _lines(requests), len(requests), copyguard_env(), "copyguard")


def run_iam_simulate(requests: list[Json]) -> list[Json]:
    node = node_binary()
    if node is None:
        raise RunError("node is not on PATH")
    if not NODE_MODULES.is_dir():
        raise RunError(f"{NODE_MODULES} is missing: run `npm ci --prefix tests/differential`")
    cmd = [node, str(RUNNER), "--explain"]
    return _run(cmd, _lines(requests), len(requests), None, "iam-simulate runner")


def decision_of(result: Json) -> str:
    return str(result.get("decision", "error"))


# --------------------------------------------------------------------------- request predicates


ACCOUNT_RE = re.compile(r"\d{12}")
ROOT_RE = re.compile(r"arn:[^:]+:iam::\d{12}:root")
ENCRYPTION_CONTEXT_PREFIX = "kms:encryptioncontext:"
SPECIAL_VARIABLES = {"${*}": "*", "${?}": "?", "${$}": "$"}
EXACT_STRING_OPERATORS = frozenset(
    ("stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase")
)
VARIABLE_RE = re.compile(r"\$\{([^}]*)\}")
# Context keys whose values are lists in AWS ("ArrayOf..." in the Service Authorization
# Reference; "Value type: Multivalued" in the global condition keys reference). Every other key
# of this domain holds one value.
MULTIVALUED_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:CalledVia",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceNamesList",
        "aws:ResourceOrgPaths",
        "aws:SourceOrgPaths",
        "aws:VpceOrgPaths",
        "aws:TagKeys",
        "kms:EncryptionContextKeys",
        "kms:GrantOperations",
        "kms:ResourceAliases",
    )
)
ASSUMED_ROLE_RE = re.compile(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)")

# The KMS actions a principal of another account can be allowed on a key: "Cross-account
# permission works only for cryptographic operations, CreateGrant, DescribeKey,
# GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant" (KMS Developer
# Guide, key-policy-modifying-external-accounts). The cryptographic operations on a key are
# those of the KMS permissions reference with "Cross-account use: Yes". Written out here, not
# imported from copyguard, so that the test checks copyguard's list rather than repeating it.
CROSS_ACCOUNT_ACTIONS = frozenset(
    "kms:" + name.lower()
    for name in (
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "ReEncryptFrom",
        "ReEncryptTo",
        "Sign",
        "Verify",
        "DeriveSharedSecret",
        "Encapsulate",
        "Decapsulate",
        "CreateGrant",
        "DescribeKey",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "RetireGrant",
        "RevokeGrant",
    )
)


def _principal_account(principal: str) -> str | None:
    """The 12-digit account of an IAM principal (ARN or bare account ID); None for a service."""
    if ACCOUNT_RE.fullmatch(principal):
        return principal
    parts = principal.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and ACCOUNT_RE.fullmatch(parts[4]):
        return parts[4]
    return None


def _principal_is_slr(req: Json) -> bool:
    """A service-linked role, or a session of one (a session ARN loses the role's
    /aws-service-role/ path; service-linked role names begin with "AWSServiceRoleFor")."""
    principal = str(req.get("principal", ""))
    m = ASSUMED_ROLE_RE.fullmatch(principal)
    if m:
        return m.group(3).lower().startswith("awsservicerolefor")
    return SLR_MARK in principal


def _principal_is_root_user(req: Json) -> bool:
    principal = str(req.get("principal", ""))
    return bool(ACCOUNT_RE.fullmatch(principal) or ROOT_RE.fullmatch(principal))


def _principal_is_service(req: Json) -> bool:
    principal = str(req.get("principal", ""))
    return not principal.startswith("arn:") and not ACCOUNT_RE.fullmatch(principal)


def _statements(doc: Any) -> list[Json]:
    if not isinstance(doc, dict):
        return []
    st = doc.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _missing_derivable_key(req: Json) -> bool:
    if _principal_account(str(req.get("principal", ""))) is None:
        return False
    context = req.get("context") or {}
    present = {k.lower() for k in context}
    wanted = ("aws:principalarn", "aws:principalaccount", "kms:calleraccount")
    return any(k not in present for k in wanted)


def _external_caller_outside_cross_account_actions(req: Json) -> bool:
    """An IAM principal of another account than the key's asks for an action that AWS KMS
    never allows across accounts (e.g. kms:ScheduleKeyDeletion, kms:ListResourceTags)."""
    account = _principal_account(str(req.get("principal", "")))
    key_account = _principal_account(str(req.get("resource", "")))
    action = str(req.get("action", "")).lower()
    return (
        account is not None
        and key_account is not None
        and account != key_account
        and action not in CROSS_ACCOUNT_ACTIONS
    )


def _chain_listed(principal: str, element: Any) -> list[bool]:
    """For each identity of the caller's chain (account, then role, then session or user),
    whether a ``NotPrincipal`` element names it (IAM User Guide, "NotPrincipal": "AWS might
    validate the account first, then the role, and then the assumed-role user")."""
    if element == "*":
        return [True]
    entries: list[tuple[str, str]] = []
    if isinstance(element, dict):
        for kind, value in element.items():
            entries += [(str(kind), str(v)) for v in _values(value)]
    if any(v == "*" for _, v in entries):
        return [True]
    aws = [v for kind, v in entries if kind == "AWS"]
    account = _principal_account(principal)
    if account is None:  # a service principal is its own, one-element chain
        return [principal.lower() in {v.lower() for kind, v in entries if kind == "Service"}]
    root = re.compile(rf"arn:[^:]+:iam::{account}:root")
    chain = [any(v == account or root.fullmatch(v) for v in aws)]
    if principal == account or root.fullmatch(principal):
        return chain  # the root user is the account itself
    m = ASSUMED_ROLE_RE.fullmatch(principal)
    if m:
        role = re.compile(rf"arn:[^:]+:iam::{account}:role/(?:.*/)?{re.escape(m.group(3))}")
        chain.append(any(role.fullmatch(v) for v in aws))
    chain.append(principal in aws)
    return chain


def _partly_listed_deny_not_principals(req: Json) -> list[Json]:
    """Key-policy Deny statements whose NotPrincipal names some, but not all, identities of
    the caller's chain (the Deny applies to the caller; iam-simulate exempts it)."""
    principal = str(req.get("principal", ""))
    out = []
    for st in _statements(req.get("key_policy")):
        if st.get("Effect") != "Deny" or "NotPrincipal" not in st:
            continue
        listed = _chain_listed(principal, st["NotPrincipal"])
        if any(listed) and not all(listed):
            out.append(st)
    return out


def _all_docs(req: Json) -> list[Any]:
    docs = [req.get("key_policy"), *(req.get("identity_policies") or [])]
    return [*docs, *(req.get("scps") or []), *(req.get("rcps") or [])]


def _conditions(req: Json) -> Iterable[tuple[Json, str, Json]]:
    """(condition block, operator, {key: values}) for every condition of every statement."""
    for doc in _all_docs(req):
        for st in _statements(doc):
            cond = st.get("Condition")
            if isinstance(cond, dict):
                for op, keys in list(cond.items()):
                    if isinstance(keys, dict):
                        yield cond, op, keys


def _values(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _is_epoch(v: Any) -> bool:
    return isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())


def _date_condition_with_epoch_value(req: Json) -> bool:
    return any(
        op.split(":")[-1].lower().startswith("date") and any(_is_epoch(x) for x in _values(v))
        for _, op, keys in _conditions(req)
        for v in keys.values()
    )


def _arn_condition_with_policy_variable(req: Json) -> bool:
    return any(
        op.split(":")[-1].lower().startswith("arn") and any("${" in str(x) for x in _values(v))
        for _, op, keys in _conditions(req)
        for v in keys.values()
    )


def _uses_encryption_context_keys(req: Json) -> bool:
    """The context or a condition names a ``kms:EncryptionContext:<key>`` key."""
    keys = [str(k) for k in (req.get("context") or {})]
    keys += [str(k) for _, _, block in _conditions(req) for k in block]
    return any(k.lower().startswith(ENCRYPTION_CONTEXT_PREFIX) for k in keys)


def _version_2012(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("Version") == "2012-10-17"


def _resource_patterns_with_variables(req: Json) -> bool:
    """A Resource or NotResource of a 2012-10-17 policy holds a policy variable."""
    return any(
        "${" in str(r)
        for doc in _all_docs(req)
        if _version_2012(doc)
        for st in _statements(doc)
        for elem in ("Resource", "NotResource")
        for r in _values(st.get(elem, []))
    )


def _variables_in_pre_2012_policy(req: Json) -> bool:
    """A policy without ``"Version": "2012-10-17"`` (2008-10-17, or none, which means
    2008-10-17) writes something that looks like a policy variable."""
    return any(
        isinstance(doc, dict)
        and not _version_2012(doc)
        and "${" in json.dumps(doc.get("Statement"))
        for doc in _all_docs(req)
    )


def _empty_context_keys(req: Json) -> set[str]:
    context = req.get("context") or {}
    return {str(k).lower() for k, v in context.items() if v in ("", [])}


def _null_on_empty_value(req: Json) -> bool:
    """A Null condition tests a key that the context holds with an empty value ("" or [])."""
    empty = _empty_context_keys(req)
    return bool(empty) and any(
        op.lower() == "null" and any(k.lower() in empty for k in block)
        for _, op, block in _conditions(req)
    )


def _value_shape_differs_from_key_type(req: Json) -> bool:
    """The context gives a single-valued key a list, or a multivalued key a plain string."""
    return any(
        isinstance(v, list) != (str(k).lower() in MULTIVALUED_KEYS)
        for k, v in (req.get("context") or {}).items()
    )


def _exact_string_operator(op: str) -> bool:
    base = op.split(":")[-1].lower().removesuffix("ifexists")
    return base in EXACT_STRING_OPERATORS


def _special_variable_in_exact_string_condition(req: Json) -> bool:
    """${*}, ${?} or ${$} in the value of a String(Not)Equals(IgnoreCase) condition."""
    return any(
        _exact_string_operator(op) and any(sv in str(x) for sv in SPECIAL_VARIABLES)
        for doc in _all_docs(req)
        if _version_2012(doc)
        for st in _statements(doc)
        for op, block in (st.get("Condition") or {}).items()
        if isinstance(block, dict)
        for v in block.values()
        for x in _values(v)
    )


def _partial_wildcard_principals(req: Json) -> bool:
    """A Principal / NotPrincipal ARN with a wildcard inside it (e.g. arn:aws:iam::*:root)."""
    return any(
        v != "*" and ("*" in v or "?" in v)
        for st in _statements(req.get("key_policy"))
        for elem in ("Principal", "NotPrincipal")
        if isinstance(st.get(elem), dict)
        for vals in st[elem].values()
        for v in map(str, _values(vals))
    )


def _key_statement_without_principal(req: Json) -> bool:
    return any(
        "Principal" not in st and "NotPrincipal" not in st
        for st in _statements(req.get("key_policy"))
    )


def _key_statement_without_action_or_resource(req: Json) -> bool:
    return any(
        not ({"Action", "NotAction"} & set(st)) or not ({"Resource", "NotResource"} & set(st))
        for st in _statements(req.get("key_policy"))
    )


PREDICATES: dict[str, Callable[[Json], bool]] = {
    "key_policy_statement_without_action_or_resource": _key_statement_without_action_or_resource,
    "principal_is_service_linked_role": _principal_is_slr,
    "principal_is_service": _principal_is_service,
    "principal_is_root_user": _principal_is_root_user,
    "principal_is_a_bare_account_id": lambda r: bool(
        ACCOUNT_RE.fullmatch(str(r.get("principal", "")))
    ),
    "uses_kms_encryption_context_keys": _uses_encryption_context_keys,
    "resource_pattern_with_policy_variable": _resource_patterns_with_variables,
    "policy_variable_in_a_pre_2012_policy": _variables_in_pre_2012_policy,
    "null_condition_on_a_key_with_an_empty_value": _null_on_empty_value,
    "context_value_shape_differs_from_key_type": _value_shape_differs_from_key_type,
    "special_variable_in_exact_string_condition": _special_variable_in_exact_string_condition,
    "principal_arn_with_a_wildcard_inside": _partial_wildcard_principals,
    "key_policy_statement_without_principal": _key_statement_without_principal,
    "has_scps": lambda r: bool(r.get("scps")),
    "has_rcps": lambda r: bool(r.get("rcps")),
    "action_is_kms_retire_grant": lambda r: str(r.get("action", "")).lower() == "kms:retiregrant",
    "external_caller_outside_cross_account_actions": (
        _external_caller_outside_cross_account_actions
    ),
    "deny_not_principal_names_part_of_callers_chain": lambda r: bool(
        _partly_listed_deny_not_principals(r)
    ),
    "context_lacks_a_key_aws_always_sets": _missing_derivable_key,
    "date_condition_with_epoch_value": _date_condition_with_epoch_value,
    "arn_condition_with_policy_variable": _arn_condition_with_policy_variable,
}


# --------------------------------------------------------------------------- counterfactuals


def _drop_scps(req: Json) -> Json:
    out = copy.deepcopy(req)
    out["scps"] = []
    return out


def _drop_rcps(req: Json) -> Json:
    out = copy.deepcopy(req)
    out["rcps"] = []
    return out


def _drop_key_policy_allows(req: Json) -> Json:
    """The key policy as AWS KMS applies it to a caller of another account for an action that
    cannot be used across accounts: its Allow statements have no effect (its Deny statements
    still do)."""
    out = copy.deepcopy(req)
    policy = out.get("key_policy")
    if isinstance(policy, dict):
        kept = [s for s in _statements(policy) if s.get("Effect") != "Allow"]
        out["key_policy"] = {**policy, "Statement": kept}
    return out


def _deny_not_principal_as_applying(req: Json) -> Json:
    """A key-policy Deny whose NotPrincipal names only part of the caller's chain applies to
    the caller: write it as ``Principal: "*"`` (everything else unchanged)."""
    out = copy.deepcopy(req)
    for st in _partly_listed_deny_not_principals(out):
        del st["NotPrincipal"]
        st["Principal"] = "*"
    return out


def _derive_principal_keys(req: Json) -> Json:
    """Add the keys AWS always sets for an IAM principal, as copyguard may derive them."""
    out = copy.deepcopy(req)
    principal = str(out.get("principal", ""))
    context = out.setdefault("context", {})
    account = _principal_account(principal) or ""
    present = {k.lower() for k in context}
    arn = f"arn:aws:iam::{principal}:root" if principal == account else principal
    m = re.match(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/", principal)
    if m:
        arn = f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"
    if "aws:principalarn" not in present:
        context["aws:PrincipalArn"] = arn
    if "aws:principalaccount" not in present:
        context["aws:PrincipalAccount"] = account
    if "kms:calleraccount" not in present:
        context["kms:CallerAccount"] = account
    return out


def _epoch_dates_as_iso(req: Json) -> Json:
    """Write epoch-seconds values of Date* conditions in ISO 8601 (the same instant)."""
    out = copy.deepcopy(req)
    for _, op, keys in _conditions(out):
        if not op.split(":")[-1].lower().startswith("date"):
            continue
        for key, v in keys.items():
            iso = [
                dt.datetime.fromtimestamp(int(x), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if _is_epoch(x)
                else x
                for x in _values(v)
            ]
            keys[key] = iso if isinstance(v, list) else iso[0]
    return out


def _resolve_variables_in_arn_conditions(req: Json) -> Json:
    """Substitute ${key} in Arn* condition values with the request's (single) context value."""
    out = copy.deepcopy(req)
    context = {k.lower(): v for k, v in (out.get("context") or {}).items()}

    def sub(m: re.Match[str]) -> str:
        value = context.get(m.group(1).strip().lower())
        return value if isinstance(value, str) else m.group(0)

    for _, op, keys in _conditions(out):
        if not op.split(":")[-1].lower().startswith("arn"):
            continue
        for key, v in keys.items():
            new = [re.sub(r"\$\{([^}]+)\}", sub, str(x)) for x in _values(v)]
            keys[key] = new if isinstance(v, list) else new[0]
    return out


ROOT_USER_PERMISSIONS = {"Effect": "Allow", "Action": "*", "Resource": "*"}
# iam-simulate accepts "aws:PrincipalTag/<any text>" as a context key for every action (a global
# key with a free suffix, single-valued string, matched case-insensitively like any key name).
EC_STAND_IN_PREFIX = "aws:PrincipalTag/"


def _add_root_user_permissions(req: Json) -> Json:
    """The root user's own permissions, which no IAM policy can grant or take away, written as
    the identity policy iam-simulate needs (its explicit Denies, if any, stay)."""
    out = copy.deepcopy(req)
    policy = {"Version": "2012-10-17", "Statement": [dict(ROOT_USER_PERMISSIONS)]}
    out["identity_policies"] = [*(out.get("identity_policies") or []), policy]
    return out


def _bare_account_caller_as_root_arn(req: Json) -> Json:
    out = copy.deepcopy(req)
    out["principal"] = f"arn:aws:iam::{out['principal']}:root"
    return out


def _ec_stand_in(key: str) -> str:
    if key.lower().startswith(ENCRYPTION_CONTEXT_PREFIX):
        return EC_STAND_IN_PREFIX + key[len(ENCRYPTION_CONTEXT_PREFIX) :]
    return key


def _encryption_context_as_stand_in_keys(req: Json) -> Json:
    """Rename every ``kms:EncryptionContext:<key>`` (context keys and condition keys alike) to
    ``aws:PrincipalTag/<key>``, a key iam-simulate keeps; values and operators are unchanged."""
    out = copy.deepcopy(req)
    context = out.get("context")
    if isinstance(context, dict):
        out["context"] = {_ec_stand_in(k): v for k, v in context.items()}
    for cond, op, block in list(_conditions(out)):
        cond[op] = {_ec_stand_in(k): v for k, v in block.items()}
    return out


def _substitute(template: str, context: dict[str, Any]) -> str:
    """Replace ``${key}`` / ``${key, 'default'}`` by the context's single value (the special
    ``${*}``, ``${?}``, ``${$}`` and unresolvable variables are left as written)."""

    def sub(m: re.Match[str]) -> str:
        name, _, default = m.group(1).partition(",")
        value = context.get(name.strip().lower())
        if isinstance(value, str):
            return value
        default = default.strip()
        if value is None and len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        return m.group(0)

    return VARIABLE_RE.sub(sub, template)


def _resolve_variables_in_resources(req: Json) -> Json:
    """Substitute policy variables in the Resource / NotResource of 2012-10-17 policies."""
    out = copy.deepcopy(req)
    context = {str(k).lower(): v for k, v in (out.get("context") or {}).items()}
    for doc in _all_docs(out):
        if not _version_2012(doc):
            continue
        for st in _statements(doc):
            for elem in ("Resource", "NotResource"):
                if elem in st:
                    v = st[elem]
                    new = [_substitute(str(x), context) for x in _values(v)]
                    st[elem] = new if isinstance(v, list) else new[0]
    return out


def _pre_2012_policies_as_2012(req: Json) -> Json:
    """Write "Version": "2012-10-17" in every policy that lacks it (variables then resolve)."""
    out = copy.deepcopy(req)
    for doc in _all_docs(out):
        if isinstance(doc, dict) and not _version_2012(doc):
            doc["Version"] = "2012-10-17"
    return out


ABSENT_KEY = "aws:PrincipalTag/copyguard-differential-absent-{}"


def _null_on_empty_as_absent(req: Json) -> Json:
    """Point every Null test of a key with an empty context value at a key the context lacks
    (what copyguard reads: an empty value counts as null); other operators still see it."""
    out = copy.deepcopy(req)
    empty = _empty_context_keys(out)
    n = 0
    for cond, op, block in list(_conditions(out)):
        if op.lower() != "null":
            continue
        new: Json = {}
        for k, v in block.items():
            if k.lower() in empty:
                k = ABSENT_KEY.format(n)
                n += 1
            new[k] = v
        cond[op] = new
    return out


def _values_as_key_type(req: Json) -> Json:
    """Coerce each context value to its key's type as iam-simulate does: a list given to a
    single-valued key becomes its first element, a string given to a multivalued key a
    one-element list."""
    out = copy.deepcopy(req)
    context: Json = {}
    for k, v in (out.get("context") or {}).items():
        multi = str(k).lower() in MULTIVALUED_KEYS
        if isinstance(v, list) and not multi:
            if v:
                context[k] = v[0]
        elif isinstance(v, str) and multi:
            context[k] = [v]
        else:
            context[k] = v
    out["context"] = context
    return out


def _special_variables_as_literals(req: Json) -> Json:
    """In String(Not)Equals(IgnoreCase) values, where * ? $ have no special meaning, write
    ${*} ${?} ${$} as the characters they stand for."""
    out = copy.deepcopy(req)
    for doc in _all_docs(out):
        if not _version_2012(doc):
            continue
        for st in _statements(doc):
            cond = st.get("Condition")
            if not isinstance(cond, dict):
                continue
            for op, block in cond.items():
                if not (_exact_string_operator(op) and isinstance(block, dict)):
                    continue
                for key, v in block.items():
                    new = []
                    for x in _values(v):
                        if isinstance(x, str):
                            for var, char in SPECIAL_VARIABLES.items():
                                x = x.replace(var, char)
                        new.append(x)
                    block[key] = new if isinstance(v, list) else new[0]
    return out


NOBODY = "arn:aws:iam::000000000000:root"


def _partial_wildcard_principals_as_nobody(req: Json) -> Json:
    """Write a principal ARN with a wildcard inside as an account that makes no request
    (iam-simulate matches such an ARN literally, so against no real caller)."""
    out = copy.deepcopy(req)
    for st in _statements(out.get("key_policy")):
        for elem in ("Principal", "NotPrincipal"):
            element = st.get(elem)
            if not isinstance(element, dict):
                continue
            for kind, vals in element.items():
                new = [
                    NOBODY if str(v) != "*" and ("*" in str(v) or "?" in str(v)) else v
                    for v in _values(vals)
                ]
                element[kind] = new if isinstance(vals, list) else new[0]
    return out


def _drop_key_statements_without_principal(req: Json) -> Json:
    """Drop key-policy statements that name no principal (iam-simulate applies them to no
    one; AWS KMS rejects such a policy, and copyguard refuses to evaluate it)."""
    out = copy.deepcopy(req)
    policy = out.get("key_policy")
    if isinstance(policy, dict):
        kept = [st for st in _statements(policy) if "Principal" in st or "NotPrincipal" in st]
        out["key_policy"] = {**policy, "Statement": kept}
    return out


def _drop_key_statements_without_action_or_resource(req: Json) -> Json:
    """Drop key-policy statements with no Action/NotAction or no Resource/NotResource: KMS
    accepts them and they never apply (copyguard); iam-simulate evaluates them."""
    out = copy.deepcopy(req)
    policy = out.get("key_policy")
    if isinstance(policy, dict):
        kept = [
            st
            for st in _statements(policy)
            if ({"Action", "NotAction"} & set(st)) and ({"Resource", "NotResource"} & set(st))
        ]
        out["key_policy"] = {**policy, "Statement": kept}
    return out


TRANSFORMS: dict[str, Callable[[Json], Json]] = {
    "drop_key_statements_without_action_or_resource": (
        _drop_key_statements_without_action_or_resource
    ),
    "drop_scps": _drop_scps,
    "drop_rcps": _drop_rcps,
    "drop_key_policy_allow_statements": _drop_key_policy_allows,
    "add_root_user_permissions_as_identity_policy": _add_root_user_permissions,
    "write_bare_account_id_caller_as_root_arn": _bare_account_caller_as_root_arn,
    "rename_encryption_context_keys_to_a_kept_key": _encryption_context_as_stand_in_keys,
    "resolve_policy_variables_in_resources": _resolve_variables_in_resources,
    "write_pre_2012_policies_as_2012_10_17": _pre_2012_policies_as_2012,
    "point_null_tests_of_empty_values_at_an_absent_key": _null_on_empty_as_absent,
    "coerce_context_values_to_the_key_type": _values_as_key_type,
    "write_special_variables_as_literals_in_exact_string_conditions": (
        _special_variables_as_literals
    ),
    "drop_key_policy_statements_without_principal": _drop_key_statements_without_principal,
    "write_wildcard_principal_arns_as_an_account_that_never_calls": (
        _partial_wildcard_principals_as_nobody
    ),
    "write_partly_listed_deny_not_principal_as_principal_star": _deny_not_principal_as_applying,
    "add_keys_aws_always_sets": _derive_principal_keys,
    "write_epoch_date_values_as_iso8601": _epoch_dates_as_iso,
    "resolve_policy_variables_in_arn_conditions": _resolve_variables_in_arn_conditions,
}
CONTEXT_TRANSFORMS = {
    "add_keys_aws_always_sets",
    "rename_encryption_context_keys_to_a_kept_key",
    "coerce_context_values_to_the_key_type",
}
SIDES = ("copyguard", "iam_simulate")


# --------------------------------------------------------------------------- known divergences


@dataclass
class Known:
    id: str
    title: str
    applies_when: list[str]
    side: str
    transform: str
    right: str
    evidence: list[Json] = field(default_factory=list)

    def applies(self, req: Json) -> bool:
        return all(PREDICATES[p](req) for p in self.applies_when)


def load_known(path: Path = KNOWN_FILE) -> list[Known]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data["divergences"]:
        cf = entry["counterfactual"]
        for p in entry["applies_when"]:
            if p not in PREDICATES:
                raise ValueError(f"{path}: {entry['id']}: unknown predicate {p!r}")
        if cf["transform"] not in TRANSFORMS or cf["side"] not in SIDES:
            raise ValueError(f"{path}: {entry['id']}: bad counterfactual {cf!r}")
        if entry["right"] not in ("copyguard", "iam-simulate", "unclear"):
            raise ValueError(f"{path}: {entry['id']}: right must name a side or 'unclear'")
        if not entry.get("evidence"):
            raise ValueError(f"{path}: {entry['id']}: evidence (URL and quote) is required")
        out.append(
            Known(
                id=entry["id"],
                title=entry["title"],
                applies_when=list(entry["applies_when"]),
                side=cf["side"],
                transform=cf["transform"],
                right=entry["right"],
                evidence=list(entry["evidence"]),
            )
        )
    return out


# --------------------------------------------------------------------------- comparison


@dataclass
class Disagreement:
    request: Json
    copyguard: Json
    iam_simulate: Json
    cause: str = ""
    known: bool = False

    @property
    def id(self) -> Any:
        return self.request.get("id")


@dataclass
class Outcome:
    total: int
    disagreements: list[Disagreement]
    decisions: Counter[tuple[str, str]]

    @property
    def unexplained(self) -> list[Disagreement]:
        return [d for d in self.disagreements if not d.known]


def _unexplained_cause(d: Disagreement) -> str:
    cg, sim = decision_of(d.copyguard), decision_of(d.iam_simulate)
    analysis = d.iam_simulate.get("iam_simulate") or {}
    parts = [f"copyguard {cg} vs iam-simulate {sim}"]
    if analysis:
        parts.append(
            "iam-simulate sees identity={identity} key-policy={resource} scp={scp} rcp={rcp}".format(
                **{k: analysis.get(k) for k in ("identity", "resource", "scp", "rcp")}
            )
        )
    if d.iam_simulate.get("ignored_context_keys"):
        parts.append(f"iam-simulate ignored context keys {d.iam_simulate['ignored_context_keys']}")
    for side in (d.copyguard, d.iam_simulate):
        if "error" in side:
            parts.append(re.sub(r"\d+", "N", str(side["error"]))[:160])
    return "; ".join(parts)


def _explain(
    pending: list[Disagreement],
    entries: list[list[Known]],
    runners: dict[str, Callable[[list[Json]], list[Json]]],
) -> list[bool]:
    """For each disagreement, re-run the named side(s) on the rewritten request."""
    by_side: dict[str, list[tuple[int, Json]]] = defaultdict(list)
    for i, (d, ks) in enumerate(zip(pending, entries, strict=True)):
        reqs = {side: d.request for side in SIDES}
        # Context rewrites first, so that later rewrites (variables) see the final context.
        for k in sorted(ks, key=lambda k: k.transform not in CONTEXT_TRANSFORMS):
            reqs[k.side] = TRANSFORMS[k.transform](reqs[k.side])
        for side in {k.side for k in ks}:
            by_side[side].append((i, reqs[side]))
    rerun: dict[tuple[int, str], str] = {}
    for side, items in by_side.items():
        results = runners[side]([r for _, r in items])
        for (i, _), res in zip(items, results, strict=True):
            rerun[(i, side)] = decision_of(res)
    ok = []
    for i, (d, _ks) in enumerate(zip(pending, entries, strict=True)):
        cg = rerun.get((i, "copyguard"), decision_of(d.copyguard))
        sim = rerun.get((i, "iam_simulate"), decision_of(d.iam_simulate))
        ok.append(cg == sim)
    return ok


def compare(
    requests: list[Json],
    copyguard_results: list[Json],
    iam_simulate_results: list[Json],
    known: list[Known],
    runners: dict[str, Callable[[list[Json]], list[Json]]] | None = None,
) -> Outcome:
    runners = runners or {"copyguard": run_copyguard, "iam_simulate": run_iam_simulate}
    decisions: Counter[tuple[str, str]] = Counter()
    disagreements = []
    for req, cg, sim in zip(requests, copyguard_results, iam_simulate_results, strict=True):
        pair = (decision_of(cg), decision_of(sim))
        decisions[pair] += 1
        if cg.get("id") != req.get("id") or sim.get("id") != req.get("id"):
            raise RunError(f"result order broken at request {req.get('id')!r}")
        if pair[0] != pair[1]:
            disagreements.append(Disagreement(req, cg, sim))
    # First each applicable entry alone.
    candidates = [[k for k in known if k.applies(d.request)] for d in disagreements]
    for d in disagreements:
        d.cause = _unexplained_cause(d)
    singles = [(d, k) for d, ks in zip(disagreements, candidates, strict=True) for k in ks]
    if singles:
        verdicts = _explain([d for d, _ in singles], [[k] for _, k in singles], runners)
        for (d, k), ok in zip(singles, verdicts, strict=True):
            if ok and not d.known:
                d.known, d.cause = True, k.id
    # Then pairs of applicable entries, then all of them together.
    for size in (2, None):
        combos = []
        for d, ks in zip(disagreements, candidates, strict=True):
            if d.known or len(ks) < 2:
                continue
            groups = [ks] if size is None else [list(c) for c in itertools.combinations(ks, size)]
            combos.extend((d, g) for g in groups)
        if not combos:
            continue
        verdicts = _explain([d for d, _ in combos], [g for _, g in combos], runners)
        for (d, g), ok in zip(combos, verdicts, strict=True):
            if ok and not d.known:
                d.known, d.cause = True, " + ".join(k.id for k in g)
    return Outcome(len(requests), disagreements, decisions)


def compare_file(path: Path, known: list[Known]) -> Outcome:
    requests = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return compare(requests, run_copyguard(requests), run_iam_simulate(requests), known)


# --------------------------------------------------------------------------- reporting


def format_disagreement(d: Disagreement) -> str:
    request = json.dumps(d.request, separators=(",", ":"))
    return (
        f"- id {d.id!r}: copyguard={decision_of(d.copyguard)} "
        f"iam-simulate={decision_of(d.iam_simulate)}\n"
        f"  cause: {d.cause}\n"
        + "".join(
            f"  {name} error: {side['error']}\n"
            for name, side in (("copyguard", d.copyguard), ("iam-simulate", d.iam_simulate))
            if "error" in side
        )
        + f"  request: {request}\n"
    )


def summary(outcome: Outcome, known: list[Known], show: int = 3) -> str:
    lines = [
        f"{outcome.total} requests, {len(outcome.disagreements)} disagreements, "
        f"{len(outcome.unexplained)} not explained by known_divergences.json",
        "",
    ]
    lines.append("decisions (copyguard, iam-simulate):")
    for (cg, sim), n in sorted(outcome.decisions.items()):
        mark = "" if cg == sim else "   <- differ"
        lines.append(f"  {cg:>13} {sim:>13}  {n:6d}{mark}")
    groups: dict[str, list[Disagreement]] = defaultdict(list)
    for d in outcome.disagreements:
        groups[("known: " if d.known else "UNEXPLAINED: ") + d.cause].append(d)
    titles = {k.id: f"{k.title} (right: {k.right})" for k in known}
    for cause, ds in sorted(
        groups.items(), key=lambda kv: (kv[0].startswith("known"), -len(kv[1]))
    ):
        lines.append("")
        ids = cause.removeprefix("known: ").split(" + ")
        extra = "; ".join(titles[i] for i in ids if i in titles)
        lines.append(f"{len(ds):5d} x {cause}" + (f"\n        {extra}" if extra else ""))
        for d in ds[:show]:
            lines.append("    " + format_disagreement(d).replace("\n", "\n    ").rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare copyguard and iam-simulate on a corpus.")
    parser.add_argument("corpus", type=Path, help="JSON Lines in the simulate --batch format")
    parser.add_argument("--known", type=Path, default=KNOWN_FILE)
    parser.add_argument("--show", type=int, default=3, help="examples shown per cause")
    parser.add_argument("--json", action="store_true", help="print the disagreements as JSON Lines")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"compare.py: {args.corpus}: no such file", file=sys.stderr)
        return 2
    try:
        known = load_known(args.known)
        outcome = compare_file(args.corpus, known)
    except (RunError, ValueError) as exc:
        print(f"compare.py: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for d in outcome.disagreements:
            row = {
                "id": d.id,
                "copyguard": decision_of(d.copyguard),
                "iam_simulate": decision_of(d.iam_simulate),
                "cause": d.cause,
                "known": d.known,
                "request": d.request,
            }
            print(json.dumps(row, separators=(",", ":")))
    else:
        print(summary(outcome, known, args.show))
    return 1 if outcome.unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
