"""Properties of the safe key-policy fix over generated key policies shaped like real ones.

Each generated policy is the source account's ``kms:*`` root statement plus random extra
statements: allows for other accounts, partial allows for the destination (root, bare ID or
AWSServiceRoleForBackup, some with conditions), conditions (kms:CallerAccount, kms:ViaService,
aws:PrincipalOrgID, kms:GrantIsForAWSResource), Deny guards that do not target the
destination, and occasionally NotAction / NotPrincipal. For every one:

(a) the safe fix makes every required request of the copy allowed for the destination's
    AWSServiceRoleForBackup;
(b) it changes no decision for any principal outside the destination account (all KMS actions,
    a few contexts, with and without an allowing identity policy);
(c) a second fix is a no-op;
(d) (a) and (b) again, decided by the independent evaluator @cloud-copilot/iam-simulate
    (``tests/differential/iam_simulate_runner.mjs``, one node process for the whole run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cg_factory import (
    ADMIN,
    DST,
    GRANT,
    ORG,
    REQUIRED,
    SLR,
    SRC,
    SRC_KEY,
    base,
    build,
    check_with_fixes,
    root,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard.checks import Options
from copyguard.checks.analysis import allow_all_identity, analyse_source_key
from copyguard.checks.facts import type_facts
from copyguard.evaluate import Request, evaluate_kms
from copyguard.fixes.key_policy import fix_source_key, key_policy_action_names
from copyguard.policy import Policy, parse_policy

THIRD = "777788889999"
ORG_MEMBER = "222233334444"
SRC_ROLE = f"arn:aws:iam::{SRC}:role/KeyUser"
DIFFERENTIAL = Path(__file__).resolve().parents[1] / "differential"
RUNNER = DIFFERENTIAL / "iam_simulate_runner.mjs"
NODE_MODULES = DIFFERENTIAL / "node_modules"

USE_PATTERNS = [
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKeyWithoutPlaintext",
]
EXTRA = [
    "kms:Sign",
    "kms:Verify",
    "kms:GetKeyRotationStatus",
    "kms:RetireGrant",
    "kms:GetPublicKey",
]
ADMIN_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:CreateAlias"]
GRANT_TRUE = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
CONDITIONS = [
    None,
    GRANT_TRUE,
    {"Bool": {"kms:GrantIsForAWSResource": "false"}},
    {"StringEquals": {"kms:CallerAccount": DST}},
    {"StringEquals": {"kms:CallerAccount": THIRD}},
    {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
    {"StringEquals": {"kms:ViaService": "ec2.amazonaws.com"}},
    {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}},
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg123"}},
]
OUTSIDE = [
    root(SRC),
    SRC_ROLE,
    root(THIRD),
    f"arn:aws:iam::{THIRD}:role/Auditor",
    f"arn:aws:iam::{ORG_MEMBER}:role/Workload",
    "backup.amazonaws.com",
]
CONTEXTS: list[dict[str, str | list[str]]] = [
    {},
    {"kms:GrantIsForAWSResource": "true", "kms:ViaService": "ec2.us-east-1.amazonaws.com"},
    {"aws:PrincipalOrgID": ORG},
]

dest_principals = st.sampled_from([root(DST), DST, SLR])
other_principals = st.lists(
    st.sampled_from(
        [root(THIRD), f"arn:aws:iam::{THIRD}:role/Auditor", SRC_ROLE, THIRD, root(ORG_MEMBER)]
    ),
    min_size=1,
    max_size=3,
    unique=True,
)
conditions = st.sampled_from(CONDITIONS)
actions = st.lists(
    st.sampled_from(USE_PATTERNS + GRANT + EXTRA), min_size=1, max_size=5, unique=True
)


def _stmt(
    effect: str,
    principal: Any,
    action: Any,
    condition: dict[str, Any] | None,
    *,
    negate_principal: bool = False,
    negate_action: bool = False,
) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect}
    stmt["NotPrincipal" if negate_principal else "Principal"] = principal
    stmt["NotAction" if negate_action else "Action"] = action
    stmt["Resource"] = "*"
    if condition:
        stmt["Condition"] = condition
    return stmt


@st.composite
def extra_statement(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            [
                "allow-other",
                "allow-dest",
                "allow-dest",
                "allow-star",
                "deny-other",
                "deny-admin",
                "deny-org",
                "not-action",
                "deny-not-principal",
                "seed-use",
                "seed-grant",
            ]
        )
    )
    if kind == "allow-other":
        return _stmt("Allow", {"AWS": draw(other_principals)}, draw(actions), draw(conditions))
    if kind == "allow-dest":
        principals = [draw(dest_principals)]
        if draw(st.booleans()):
            principals.insert(0, root(SRC))
        return _stmt(
            "Allow",
            {"AWS": principals if len(principals) > 1 else principals[0]},
            draw(actions),
            draw(conditions),
        )
    if kind == "allow-star":
        cond = draw(
            st.sampled_from(
                [
                    {"StringEquals": {"kms:CallerAccount": THIRD}},
                    {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg123"}},
                    {"StringEquals": {"kms:CallerAccount": DST}, **GRANT_TRUE},
                ]
            )
        )
        return _stmt("Allow", "*", draw(actions), cond)
    if kind == "deny-other":
        return _stmt("Deny", {"AWS": draw(other_principals)}, "kms:*", None)
    if kind == "deny-admin":
        return _stmt(
            "Deny",
            "*",
            ADMIN_ACTIONS,
            {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/KeyAdmin*"}},
        )
    if kind == "deny-org":
        return _stmt(
            "Deny",
            "*",
            "kms:*",
            {
                "StringNotEquals": {"aws:PrincipalOrgID": ORG},
                "Bool": {"aws:PrincipalIsAWSService": "false"},
            },
        )
    if kind == "not-action":
        return _stmt("Allow", {"AWS": SRC_ROLE}, ADMIN_ACTIONS, None, negate_action=True)
    if kind == "deny-not-principal":
        return _stmt(
            "Deny", {"AWS": [root(SRC), root(DST), SLR]}, ADMIN_ACTIONS, None, negate_principal=True
        )
    principals = [root(SRC)] + ([draw(dest_principals)] if draw(st.booleans()) else [])
    if kind == "seed-use":
        return _stmt(
            "Allow",
            {"AWS": principals},
            [
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
            ],
            None,
        )
    return _stmt("Allow", {"AWS": principals}, list(GRANT), GRANT_TRUE)


@st.composite
def key_policies(draw: st.DrawFn) -> dict[str, Any]:
    extras = draw(st.lists(extra_statement(), min_size=0, max_size=5))
    for i, stmt in enumerate(extras):
        if draw(st.booleans()):
            stmt["Sid"] = f"Statement{i + 1}"
    return {"Version": "2012-10-17", "Statement": [dict(ADMIN), *extras]}


def _view(policy: Policy) -> Any:
    sc = build(base(policy.document))
    return analyse_source_key(sc, sc.copies[0], SRC_KEY, None, policy, type_facts("EBS"), DST, {})


def _safe_key_fix(doc: dict[str, Any], principal: str) -> Any:
    report = check_with_fixes(base(doc), Options(principal=principal))
    unproven = [
        f.message.en
        for f in report.findings
        if f.code == "CG902" and f.evidence.get("needed_for") == "fix"
    ]
    assert not unproven, unproven
    fixes = [f for f in report.fixes if f.kind == "key-policy" and f.applicability == "safe"]
    assert len(fixes) <= 1
    return fixes[0] if fixes else None


def _outside_decisions(policy: Policy, identity: list[Policy]) -> list[str]:
    out = []
    for principal in OUTSIDE:
        for action in key_policy_action_names():
            for ctx in CONTEXTS:
                out.append(
                    evaluate_kms(
                        Request(principal, action, SRC_KEY, dict(ctx)), policy, identity
                    ).decision
                )
    return out


def _kept_in_order(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every original statement is still there, at its place, changed at most in its Principal."""
    old, new = before["Statement"], after["Statement"]
    assert len(new) >= len(old)
    for a, b in zip(old, new):
        assert {k: v for k, v in a.items() if k != "Principal"} == {
            k: v for k, v in b.items() if k != "Principal"
        }
        if a.get("Principal") != b.get("Principal"):
            old_p = a["Principal"]["AWS"]
            old_list = old_p if isinstance(old_p, list) else [old_p]
            assert b["Principal"]["AWS"][: len(old_list)] == old_list


def _explicitly_denied(view: Any) -> bool:
    return any(
        d.decision == "explicit_deny" for r in view.results.values() for _a, d in r.decisions
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(doc=key_policies(), principal=st.sampled_from(["root", "slr"]))
def test_safe_fix_allows_the_copy_changes_nothing_outside_and_is_idempotent(
    doc: dict[str, Any], principal: str
) -> None:
    before = parse_policy(doc, name="key policy", kind="key")
    view = _view(before)
    fx = _safe_key_fix(doc, principal)
    if all(r.decision == "allowed" for r in view.results.values()):
        assert fx is None, "nothing to fix, nothing proposed"
        return
    if fx is None:
        # only an explicit Deny can leave nothing a safe Allow would fix
        assert _explicitly_denied(view)
        return
    after = parse_policy(fx.policy, name="key policy", kind="key")
    # (a) every required request is allowed, unless an explicit Deny still blocks it
    fixed = _view(after)
    for action, result in fixed.results.items():
        assert result.decision == "allowed" or result.worst.decision == "explicit_deny", (
            action,
            result.decision,
        )
    if not _explicitly_denied(view):
        assert all(r.decision == "allowed" for r in fixed.results.values())
    # (b) nothing changes for anyone outside the destination account
    for identity in ([allow_all_identity()], []):
        assert _outside_decisions(before, identity) == _outside_decisions(after, identity)
    _kept_in_order(doc, fx.policy)
    # (c) a second fix changes nothing
    assert _safe_key_fix(fx.policy, principal) is None
    sc = build(base(fx.policy))
    ctx_principal = root(DST) if principal == "root" else SLR
    assert [
        f
        for f in fix_source_key(
            sc, sc.copies[0], SRC_KEY, after, type_facts("EBS"), DST, ctx_principal, {}
        )
        if f.applicability == "safe"
    ] == []


# ---------------------------------------------------------------- (d) iam-simulate


def _oracle_available() -> None:
    problems = []
    if not NODE_MODULES.is_dir():
        problems.append(f"{NODE_MODULES} is missing (npm ci --prefix tests/differential)")
    if shutil.which("node") is None:
        problems.append("node is not on PATH")
    if problems:
        reason = "iam-simulate unavailable: " + "; ".join(problems)
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(reason + " -- under CI this property must run", pytrace=False)
        pytest.skip(reason)


ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
PROBE_ACTIONS = [
    *REQUIRED,
    "kms:Sign",
    "kms:RetireGrant",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:GetKeyPolicy",
    "kms:DisableKey",
]


def _request(
    rid: str, principal: str, action: str, context: dict[str, Any], policy: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": rid,
        "principal": principal,
        "action": action,
        "resource": SRC_KEY,
        "context": context,
        "key_policy": policy,
        "identity_policies": [ALLOW_ALL],
    }


def test_safe_fix_properties_hold_for_iam_simulate() -> None:
    _oracle_available()
    requests: list[dict[str, Any]] = []
    allowed_ids: list[str] = []  # (a): must be allowed after the fix
    pairs: list[tuple[str, str]] = []  # (b): same decision before and after

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
    )
    @given(doc=key_policies(), principal=st.sampled_from(["root", "slr"]))
    def collect(doc: dict[str, Any], principal: str) -> None:
        before = parse_policy(doc, name="key policy", kind="key")
        view = _view(before)
        fx = _safe_key_fix(doc, principal)
        if fx is None or _explicitly_denied(view):
            return
        n = len(requests)
        fixed = _view(parse_policy(fx.policy, name="key policy", kind="key"))
        for action, result in fixed.results.items():
            alt, _d = result.decisions[0]
            rid = f"e{n}-a-{action}"
            requests.append(_request(rid, SLR, action, dict(alt.context), fx.policy))
            allowed_ids.append(rid)
        for principal_out in OUTSIDE:
            for action in PROBE_ACTIONS:
                for k, ctx in enumerate(CONTEXTS):
                    a, b = (
                        f"e{n}-b-{principal_out}-{action}-{k}-before",
                        f"e{n}-b-{principal_out}-{action}-{k}-after",
                    )
                    requests.append(_request(a, principal_out, action, dict(ctx), doc))
                    requests.append(_request(b, principal_out, action, dict(ctx), fx.policy))
                    pairs.append((a, b))

    collect()
    assert allowed_ids, "the generator produced no fixable policy"
    payload = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in requests)
    node = shutil.which("node")
    assert node is not None
    proc = subprocess.run(
        [node, str(RUNNER)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=DIFFERENTIAL,
        check=False,
        timeout=600,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(requests), proc.stderr[-3000:]
    decision = {
        line["id"]: line.get("decision", "error: " + str(line.get("error"))) for line in lines
    }
    not_allowed = {rid: decision[rid] for rid in allowed_ids if decision[rid] != "allowed"}
    assert not not_allowed, dict(list(not_allowed.items())[:10])
    changed = [(a, decision[a], decision[b]) for a, b in pairs if decision[a] != decision[b]]
    assert not changed, changed[:10]
