"""The minimal source key policy fix, proven by the evaluator before it is shown.

Minimal means: extend an existing statement's principals when it already has the right
actions and conditions; otherwise add the seed article's statement(s) (only the group that is
missing). Every other statement, Sid and the order stay as they are. Applying the fix twice
changes nothing. A change to a Deny is never "safe": it is a separate, opt-in fix.
"""

from __future__ import annotations

import copy as _copy
import json
from functools import cache, lru_cache

from copyguard.checks.analysis import (
    AnalysisCache,
    SourceKeyView,
    allow_all_identity,
)
from copyguard.checks.facts import (
    GRANT_ACTIONS,
    SEED_GRANT_ACTIONS,
    SEED_GRANT_SID,
    SEED_USE_ACTIONS,
    SEED_USE_SID,
    USE_ACTIONS,
    TypeFacts,
)
from copyguard.checks.model import Finding, Fix, Text, tr
from copyguard.escape import json_indented
from copyguard.evaluate import Request, evaluate_kms, parse_principal
from copyguard.evaluate.engine import compiled, policy_effects
from copyguard.evaluate.patterns import glob_matcher
from copyguard.evaluate.request import context_for
from copyguard.evaluate.services.kms import IAM_POLICY_ONLY_ACTIONS
from copyguard.knowledge import kms_actions
from copyguard.policy import Policy, PolicyError, parse_policy
from copyguard.records import field, record
from copyguard.scenario import Copy, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TypeVar

    _Doc = TypeVar("_Doc")


@cache
def _kms_action_names() -> tuple[str, ...]:
    return tuple(sorted({a.name for a in kms_actions().values()}))


def kms_action_names() -> list[str]:
    """Every KMS action, from the knowledge catalogue (knowledge/data/kms.yaml)."""
    return list(_kms_action_names())


def key_policy_action_names() -> list[str]:
    """The KMS actions a key policy can decide (not the IAM-policy-only ones)."""
    return [a for a in kms_action_names() if a.lower() not in IAM_POLICY_ONLY_ACTIONS]


def expand(patterns: Sequence[str]) -> set[str]:
    return set(_expand(tuple(patterns)))


@cache
def _action_names_by_lower() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name in _kms_action_names():
        out[name.lower()] = (*out.get(name.lower(), ()), name)
    return out


@lru_cache(maxsize=4096)
def _expand(patterns: tuple[str, ...]) -> frozenset[str]:
    """The catalogue's action names some pattern matches (``glob_match`` of the lower-cased
    pattern and name); a pattern without a wildcard is looked up, not matched against every
    name."""
    by_lower = _action_names_by_lower()
    found: set[str] = set()
    for pattern in patterns:
        wanted = pattern.lower()
        if "*" not in wanted and "?" not in wanted:
            found.update(by_lower.get(wanted, ()))
            continue
        matcher = glob_matcher(wanted)
        for lower, names in by_lower.items():
            if matcher.match(lower):
                found.update(names)
    return frozenset(found)


class FixVerificationError(Exception):
    """The patched policy did not prove out: it is not shown as a fix."""


def unproven(resource: str, why: str) -> Finding:
    """The CG902 finding shown instead of a fix that did not prove out."""
    return Finding(
        code="CG902",
        severity="warning",
        message=tr(
            f"copyguard could not prove a fix for {resource}: {why}. Nothing is proposed.",
            f"copyguard 无法证明对 {resource} 的修复有效:{why}。不提出修复。",
        ),
        resource=resource,
        evidence={"needed_for": "fix"},
    )


@record(slots=True)
class KeyPolicyPlan:
    document: dict[str, Any]
    changes: list[str] = field(default_factory=list)  # what was done, in words
    unsafe_changes: list[str] = field(default_factory=list)


_ATOMS = (str, int, float, bool, type(None))


def copy_document(doc: _Doc) -> _Doc:
    """``copy.deepcopy(doc)`` for a policy document, in 40-60% of its time (a fix copies the
    key policy it changes; 1,000 key policies of the scale bench: 0.068-0.116 s -> 0.043 s).
    The same result: dicts and lists are copied, a container met twice (a YAML alias) is
    copied once and stays shared in the copy as in the original, and anything that is not a
    JSON value (or a dict key that is not a string) goes to ``copy.deepcopy`` with the same
    memo."""
    copied: _Doc = _copy_value(doc, {})
    return copied


def _copy_value(value: Any, memo: dict[int, Any]) -> Any:
    # a module-level function, not a closure over ``memo``: a recursive closure is a reference
    # cycle (the function, its cell), which kept the memo, and through it every container
    # copied, alive until the cyclic collector ran (1,289 dicts and 825 lists per 1,000 copies
    # of the scale bench)
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        done = memo.get(id(value))
        if done is not None:
            return done
        out: dict[Any, Any] = {}
        memo[id(value)] = out
        for k, item in value.items():
            out[k if type(k) is str else _copy.deepcopy(k, memo)] = _copy_value(item, memo)
        return out
    if kind is list:
        done = memo.get(id(value))
        if done is not None:
            return done
        items: list[Any] = []
        memo[id(value)] = items
        items.extend([_copy_value(item, memo) for item in value])
        return items
    return _copy.deepcopy(value, memo)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _principal_list(stmt: dict[str, Any]) -> list[str] | None:
    p = stmt.get("Principal")
    if not isinstance(p, dict) or set(p) - {"AWS"}:
        return None
    values = _as_list(p.get("AWS", []))
    if "*" in values:
        return None
    return [str(v) for v in values]


def _grant_condition_only(cond: Any) -> bool:
    if not isinstance(cond, dict) or len(cond) != 1:
        return False
    ((op, block),) = cond.items()
    if op.lower() != "bool" or not isinstance(block, dict) or len(block) != 1:
        return False
    ((k, v),) = block.items()
    vals = _as_list(v)
    return (
        k.lower() == "kms:grantisforawsresource"
        and len(vals) == 1
        and str(vals[0]).lower() == "true"
    )


def _candidate(stmt: Any, group: set[str], missing: set[str], grant: bool) -> bool:
    if not isinstance(stmt, dict) or stmt.get("Effect") != "Allow":
        return False
    if any(k in stmt for k in ("NotPrincipal", "NotAction", "NotResource")):
        return False
    if _principal_list(stmt) is None:
        return False
    if "*" not in _as_list(stmt.get("Resource", [])):
        return False
    actions = expand([str(a) for a in _as_list(stmt.get("Action", []))])
    if not actions or not actions <= group or not missing <= actions:
        return False
    if grant:
        return _grant_condition_only(stmt.get("Condition"))
    return "Condition" not in stmt


def _unique_sid(doc: dict[str, Any], sid: str, destination: str) -> str:
    taken = {s.get("Sid") for s in _as_list(doc.get("Statement", [])) if isinstance(s, dict)}
    if sid not in taken:
        return sid
    candidate = f"{sid} by {destination}"
    n = 2
    while candidate in taken:
        candidate = f"{sid} by {destination} {n}"
        n += 1
    return candidate


def plan_allow(
    doc: dict[str, Any], view: SourceKeyView, principal: str, destination: str
) -> KeyPolicyPlan:
    """Add the destination principal where the key policy does not allow it."""
    new = copy_document(doc)
    plan = KeyPolicyPlan(new)
    # only what a missing Allow explains: an action blocked by an explicit Deny under every
    # alternative is not helped by adding an Allow (that is the separate, unsafe fix)
    failing = {
        a
        for a, r in view.results.items()
        if any(d.decision == "implicit_deny" for _, d in r.decisions)
    }
    statements = new.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
        new["Statement"] = statements
    if not isinstance(statements, list):
        statements = []
        new["Statement"] = statements
    for group, grant, seed_actions, sid in (
        (set(USE_ACTIONS), False, SEED_USE_ACTIONS, SEED_USE_SID),
        (set(GRANT_ACTIONS), True, SEED_GRANT_ACTIONS, SEED_GRANT_SID),
    ):
        missing = failing & group
        if not missing:
            continue
        target = next((s for s in statements if _candidate(s, group, missing, grant)), None)
        if target is not None:
            values = _principal_list(target) or []
            if principal not in values:
                target["Principal"] = {"AWS": [*values, principal]}
                label = target.get("Sid") or f"Statement[{statements.index(target)}]"
                plan.changes.append(f"added {principal} to the principals of {label!r}")
            continue
        stmt: dict[str, Any] = {
            "Sid": _unique_sid(new, sid, destination),
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": list(seed_actions),
            "Resource": "*",
        }
        if grant:
            stmt["Condition"] = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
        statements.append(stmt)
        plan.changes.append(f"added statement {stmt['Sid']!r} for {principal}")
    return plan


def plan_deny_exemption(doc: dict[str, Any], view: SourceKeyView, policy: Policy) -> list[str]:
    """Exempt the copy's caller from the Deny statements that block it (in place)."""
    changes: list[str] = []
    paths = {
        path
        for r in view.results.values()
        if r.worst.decision == "explicit_deny"
        for p, path, _sid in r.worst.deciding
        if p == policy.name
    }
    statements = (
        doc["Statement"] if isinstance(doc.get("Statement"), list) else [doc.get("Statement")]
    )
    for st in policy.statements:
        if st.path not in paths or st.index >= len(statements):
            continue
        raw = statements[st.index]
        if not isinstance(raw, dict):
            continue
        # a condition, not a NotPrincipal entry: aws:PrincipalArn is the role ARN for the
        # role's sessions too, and the Deny stays exactly as it was for everyone else
        cond = raw.setdefault("Condition", {})
        block = cond.setdefault("ArnNotEquals", {})
        key = next((k for k in block if k.lower() == "aws:principalarn"), "aws:PrincipalArn")
        values = _as_list(block.get(key, []))
        if view.caller not in values:
            block[key] = [*values, view.caller] if values else view.caller
        changes.append(f"exempted {view.caller} from the Deny in {st.label}")
    return changes


def render_diff(before: dict[str, Any] | None, after: dict[str, Any], label: str) -> str:
    """A unified diff of the two documents (``before`` None: there is no policy yet)."""
    # json.dumps(..., indent=2, ensure_ascii=False), the same text without json's pure-Python
    # indented encoder
    a = (
        (json_indented(before, visible=False) + "\n").splitlines(keepends=True)
        if before is not None
        else []
    )
    b = (json_indented(after, visible=False) + "\n").splitlines(keepends=True)
    current = f"{label} (current)" if before is not None else f"{label} (none yet)"
    import difflib  # only when there is a fix to show (a passing policy has none)

    return "".join(difflib.unified_diff(a, b, current, f"{label} (fixed)"))


PROBE_CONTEXTS: tuple[dict[str, str], ...] = (
    {},
    {"kms:GrantIsForAWSResource": "true"},
    {"kms:GrantIsForAWSResource": "false"},
)


def _probe_principals(key_account: str, destination: str) -> list[str]:
    return [
        f"arn:aws:iam::{key_account}:root",
        f"arn:aws:iam::{key_account}:role/copyguard-probe",
        "arn:aws:iam::999999999999:root",
        "arn:aws:iam::999999999999:role/copyguard-probe",
        "backup.amazonaws.com",
    ]


def _statement_list(policy: Policy) -> list[str]:
    raw = policy.document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    return [json.dumps(st, sort_keys=True) for st in items]


def probe_actions(before: Policy, after: Policy) -> list[str]:
    """The KMS actions whose decision the change could affect: those some added, removed or
    edited statement covers. A decision depends only on the statements whose Action matches
    the request's, so every other action is unchanged by construction (all of them are probed
    when a changed statement uses NotAction)."""
    old, new = _statement_list(before), _statement_list(after)
    changed = [json.loads(x) for x in new if x not in old] + [
        json.loads(x) for x in old if x not in new
    ]
    names = kms_action_names()
    patterns: list[str] = []
    for st in changed:
        if not isinstance(st, dict) or "NotAction" in st or "Action" not in st:
            return names
        patterns += [str(a) for a in _as_list(st["Action"])]
    return sorted(expand(patterns)) if patterns else []


def _changed_statements(before: Policy, after: Policy) -> tuple[Policy, Policy] | None:
    """The statements the change removed or edited (their old form, as a policy with
    ``before``'s Version) and added or edited (their new form, with ``after``'s); None if
    they cannot be parsed on their own (then every request is evaluated in full)."""
    old, new = _statement_list(before), _statement_list(after)
    old_set, new_set = set(old), set(new)
    sides = []
    for policy, mine, theirs in ((before, old, new_set), (after, new, old_set)):
        doc: dict[str, Any] = {"Statement": [json.loads(x) for x in mine if x not in theirs]}
        if "Version" in policy.document:
            doc["Version"] = policy.document["Version"]
        try:
            sides.append(parse_policy(doc, name=policy.name, kind="key"))
        except PolicyError:
            return None
    return sides[0], sides[1]


def outside_changes(
    before: Policy, after: Policy, key_arn: str, destination: str
) -> tuple[int, list[str]]:
    """(requests probed, the ones whose decision changed) for principals outside the
    destination account: the key's account, another account, an AWS service.

    Incremental: the key policy's part in a KMS decision is three facts about the statements
    that apply to the request, each statement judged on its own: is one of them a Deny, is
    one an Allow naming the principal itself, is one an Allow naming its account. Each fact
    is an "or" over the statements, so when the changed statements (the removed and edited
    ones in their old form, the added and edited ones in their new form) give the same three
    facts before and after, so do the whole policies, and the decision cannot change (in
    particular when no changed statement applies at all). Only the other requests are
    evaluated against both whole policies; every probe still counts as checked.
    ``_outside_changes_full`` is the exhaustive reference (tests/fixes/test_incremental_proof.py
    holds the two to the same answers).

    The three facts are :func:`policy_effects`' bits. A changed statement whose Principal
    does not match a probe principal applies to none of its requests, so for each principal
    only the changed statements that name it are tried (none: its requests are all unchanged
    without evaluating any), and its context is built once per probe context, not per action."""
    delta = _changed_statements(before, after)
    if delta is None:
        return _outside_changes_full(before, after, key_arn, destination)
    key_account = key_arn.split(":")[4]
    identity = [allow_all_identity()]
    changed: list[str] = []
    checked = 0
    decidable = set(key_policy_action_names())
    actions = [a for a in probe_actions(before, after) if a in decidable]
    old_side, new_side = compiled(delta[0]), compiled(delta[1])
    for principal in _probe_principals(key_account, destination):
        info = parse_principal(principal)
        old_st = tuple(cs for cs in old_side if cs.principal_match(info) != "none")
        new_st = tuple(cs for cs in new_side if cs.principal_match(info) != "none")
        if not old_st and not new_st:
            checked += len(actions) * len(PROBE_CONTEXTS)  # no changed statement applies
            continue
        contexts = [(extra, context_for(dict(extra), info)) for extra in PROBE_CONTEXTS]
        for action in actions:
            for extra, ctx in contexts:
                checked += 1
                old_bits = policy_effects(old_st, info, action, key_arn, ctx)
                if old_bits == policy_effects(new_st, info, action, key_arn, ctx):
                    continue  # the changed statements say the same: the same decision
                req = Request(principal, action, key_arn, dict(extra))
                d1 = evaluate_kms(req, before, identity).decision
                d2 = evaluate_kms(req, after, identity).decision
                if d1 != d2:
                    changed.append(f"{principal} {action} {extra or ''}: {d1} -> {d2}")
    return checked, changed


def _outside_changes_full(
    before: Policy, after: Policy, key_arn: str, destination: str
) -> tuple[int, list[str]]:
    """:func:`outside_changes` by evaluating every probe against both whole policies."""
    key_account = key_arn.split(":")[4]
    identity = [allow_all_identity()]
    changed: list[str] = []
    checked = 0
    decidable = set(key_policy_action_names())
    actions = [a for a in probe_actions(before, after) if a in decidable]
    for principal in _probe_principals(key_account, destination):
        for action in actions:
            for extra in PROBE_CONTEXTS:
                req = Request(principal, action, key_arn, dict(extra))
                d1 = evaluate_kms(req, before, identity).decision
                d2 = evaluate_kms(req, after, identity).decision
                checked += 1
                if d1 != d2:
                    changed.append(f"{principal} {action} {extra or ''}: {d1} -> {d2}")
    return checked, changed


def verify(
    before: Policy, after: Policy, key_arn: str, destination: str, required_ok: SourceKeyView
) -> dict[str, Any]:
    """Prove the fix: every required request allowed; nothing changed outside the destination."""
    checked, changed = outside_changes(before, after, key_arn, destination)
    not_allowed = [
        f"{a} ({r.decision})" for a, r in required_ok.results.items() if r.decision != "allowed"
    ]
    if changed:
        raise FixVerificationError(
            "the fix changes access outside the destination: " + "; ".join(changed[:5])
        )
    if not_allowed:
        raise FixVerificationError(
            "the fix does not allow every required request: " + ", ".join(not_allowed)
        )
    return {
        "required_requests_allowed": len(required_ok.results),
        "alternatives_per_request": max(len(r.decisions) for r in required_ok.results.values()),
        "outside_requests_unchanged": checked,
        "idempotent": True,
    }


def fix_source_key(
    scenario: Scenario,
    copy: Copy,
    key_arn: str,
    policy: Policy,
    facts: TypeFacts | None,
    destination: str,
    principal: str,
    overrides: dict[str, str | list[str]],
    changes_out: list[str] | None = None,
    *,
    analyses: AnalysisCache | None = None,
    parsed_out: list[Policy] | None = None,
) -> list[Fix]:
    """The safe fix (and, when a Deny blocks the copy, the separate unsafe one). The safe
    fix's changes, in words, are appended to ``changes_out`` (to merge fixes of one key).
    ``analyses`` is the run's cache: the current policy's analysis is the checks' own, and
    the patched policy's (made to prove the fix) is kept there. ``parsed_out`` gets the safe
    fix's policy as parsed to prove it (its ``document`` is the fix's ``policy``): the next
    copy of the key starts from it, and finds its analysis in the cache."""
    cache = analyses if analyses is not None else AnalysisCache()
    view = cache.view(scenario, copy, key_arn, None, policy, facts, destination, overrides)
    if all(r.decision == "allowed" for r in view.results.values()):
        return []
    doc = policy.document
    plan = plan_allow(doc, view, principal, destination)
    if changes_out is not None:
        changes_out += plan.changes
    fixes: list[Fix] = []
    explicit = any(r.worst.decision == "explicit_deny" for r in view.results.values())

    def prove(new_doc: dict[str, Any], allow_unsafe: bool) -> tuple[dict[str, Any], Policy]:
        """The verification of ``new_doc``, and the policy parsed from it to prove it."""
        try:
            after = parse_policy(new_doc, name=policy.name, kind="key")
        except PolicyError as exc:
            raise FixVerificationError(f"the patched policy is invalid: {exc}") from None
        after_view = cache.view(scenario, copy, key_arn, None, after, facts, destination, overrides)
        if not allow_unsafe:
            # only the allow part: required requests may still be explicitly denied
            pending = {a: r for a, r in after_view.results.items() if r.decision == "implicit_deny"}
            if pending:
                raise FixVerificationError("the fix does not allow " + ", ".join(sorted(pending)))
            checked = _verify_outside(policy, after, key_arn, destination)
            result = {
                "required_requests_not_denied_by_missing_allow": len(after_view.results),
                "outside_requests_unchanged": checked,
                "idempotent": True,
            }
        else:
            result = verify(policy, after, key_arn, destination, after_view)
        again = plan_allow(new_doc, after_view, principal, destination)
        if again.document != new_doc:
            raise FixVerificationError("applying the fix twice changes the policy again")
        return result, after

    if plan.changes:
        verification, proven = prove(plan.document, allow_unsafe=not explicit)
        if parsed_out is not None:
            parsed_out.append(proven)
        fixes.append(
            Fix(
                kind="key-policy",
                resource=key_arn,
                applicability="safe",
                description=describe_allow(plan.changes, [destination]),
                policy=plan.document,
                original=doc,
                diff=render_diff(doc, plan.document, "key policy"),
                principal=principal,
                codes=["CG101", "CG105"],
                verification=verification,
                region=key_arn.split(":")[3],
                account=key_arn.split(":")[4],
            )
        )
    if explicit:
        unsafe_doc = copy_document(plan.document)
        changes = plan_deny_exemption(unsafe_doc, view, policy)
        if changes:
            verification, _proven = prove(unsafe_doc, allow_unsafe=True)
            fixes.append(
                Fix(
                    kind="key-policy",
                    resource=key_arn,
                    applicability="unsafe",
                    description=tr(
                        "UNSAFE (loosens a Deny; applied only on opt-in): "
                        + "; ".join(changes)
                        + ".",
                        "不安全(放宽了 Deny;仅在明确选择时应用):" + ";".join(changes) + "。",
                    ),
                    policy=unsafe_doc,
                    original=doc,
                    diff=render_diff(doc, unsafe_doc, "key policy"),
                    principal=principal,
                    codes=["CG104"],
                    verification=verification,
                    region=key_arn.split(":")[3],
                    account=key_arn.split(":")[4],
                )
            )
    return fixes


def describe_allow(changes: Sequence[str], destinations: Sequence[str]) -> Text:
    """The safe key-policy fix in words, for one or several destination accounts."""
    if len(destinations) > 1:
        who, who_zh = (
            f"the destinations {', '.join(destinations)}",
            f"目标账户 {'、'.join(destinations)}",
        )
    else:
        who, who_zh = "the destination", "目标账户"
    return tr(
        f"Allow {who} the actions a cross-account copy needs: " + "; ".join(changes) + ".",
        f"允许{who_zh}执行跨账户复制所需的操作:" + ";".join(changes) + "。",
    )


def _verify_outside(before: Policy, after: Policy, key_arn: str, destination: str) -> int:
    checked, changed = outside_changes(before, after, key_arn, destination)
    if changed:
        raise FixVerificationError(
            "the fix changes access outside the destination: " + "; ".join(changed[:5])
        )
    return checked
