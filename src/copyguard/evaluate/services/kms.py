"""AWS KMS authorization: how a key policy, IAM policies, SCPs and RCPs combine.

Rules (AWS KMS Developer Guide: key-policy-overview, key-policy-default,
key-policy-modifying-external-accounts, policy-evaluation):

1. An explicit Deny in any applicable policy wins.
2. SCPs apply to IAM principals of member accounts, not to service-linked roles or service
   principals; every SCP given must allow. RCPs apply to the key (customer managed keys in
   member accounts); every RCP given must allow. RCPs do not restrict service-linked roles
   or AWS service principals, and never restrict kms:RetireGrant.
3. The key policy must allow: a key never trusts its own account implicitly.
4. A key-policy statement that names the principal itself (its ARN, its role for a session,
   or "*") allows a principal of the key's account on its own. A statement that names only
   the account (its root ARN or bare ID) delegates: that account's IAM policies must allow too.
5. A principal in another account always needs both: the key policy allows it (itself or its
   account) and its own account's IAM policies allow it. An account's root user needs no IAM
   policy in its own account.
"""

from __future__ import annotations

from collections.abc import Sequence

from copyguard.evaluate.decision import Decision, DecisionValue
from copyguard.evaluate.engine import (
    PolicyOutcome,
    StatementResult,
    evaluate_policy,
    explain_policy,
)
from copyguard.evaluate.request import (
    PrincipalInfo,
    Request,
    account_of_arn,
    build_context,
    parse_principal,
)
from copyguard.policy import Policy


def _label(outcome: PolicyOutcome, kind: str) -> list[tuple[str, str, str | None]]:
    stmts = outcome.deny if kind == "deny" else outcome.allow_direct + outcome.allow_account
    return [(outcome.name, cs.statement.path, cs.statement.sid) for cs in stmts]


def scps_apply(principal: PrincipalInfo) -> bool:
    return not principal.is_service and not principal.is_service_linked_role


def rcps_apply(principal: PrincipalInfo, action: str) -> bool:
    if principal.is_service or principal.is_service_linked_role:
        return False
    return action.lower() != "kms:retiregrant"


def evaluate_kms(
    request: Request,
    key_policy: Policy,
    identity_policies: Sequence[Policy] = (),
    scps: Sequence[Policy] = (),
    rcps: Sequence[Policy] = (),
) -> Decision:
    principal = parse_principal(request.principal)
    ctx = build_context(request, principal)
    action, resource = request.action, request.resource
    key_account = account_of_arn(resource)

    kp = evaluate_policy(key_policy, principal, action, resource, ctx)
    needs_identity = not principal.is_service and principal.kind != "root"
    ids = [evaluate_policy(p, principal, action, resource, ctx) for p in identity_policies]
    scp_on = bool(scps) and scps_apply(principal)
    rcp_on = bool(rcps) and rcps_apply(principal, action)
    scp_out = [evaluate_policy(p, principal, action, resource, ctx) for p in scps] if scp_on else []
    rcp_out = [evaluate_policy(p, principal, action, resource, ctx) for p in rcps] if rcp_on else []

    def explainer() -> list[StatementResult]:
        results = explain_policy(key_policy, principal, action, resource, ctx)
        for p in identity_policies:
            results += explain_policy(p, principal, action, resource, ctx)
        if scp_on:
            for p in scps:
                results += explain_policy(p, principal, action, resource, ctx)
        if rcp_on:
            for p in rcps:
                results += explain_policy(p, principal, action, resource, ctx)
        return results

    def done(value: DecisionValue, summary: str, deciding: list[tuple[str, str, str | None]],
             notes: list[str] | None = None) -> Decision:
        return Decision(value, request, summary, deciding, notes or [], explainer)

    notes: list[str] = []
    if scps and not scp_on:
        notes.append("SCPs do not apply to service-linked roles or service principals")
    if rcps and not rcp_on:
        notes.append("RCPs do not apply to this principal or action")

    denies = [o for o in [kp, *ids, *scp_out, *rcp_out] if o.deny]
    if denies:
        deciding = [x for o in denies for x in _label(o, "deny")]
        return done("explicit_deny", f"explicitly denied by {deciding[0][0]} {deciding[0][1]}", deciding, notes)
    for o in scp_out:
        if not o.allows:
            return done("implicit_deny", f"the SCP {o.name} does not allow {action}", [], notes)
    for o in rcp_out:
        if not o.allows:
            return done("implicit_deny", f"the RCP {o.name} does not allow {action}", [], notes)
    if not kp.allows:
        return done("implicit_deny", f"the key policy does not allow {principal.arn} {action}", [], notes)

    identity_allows = any(o.allows for o in ids)
    same_account = principal.account is not None and principal.account == key_account
    key_stmts = _label(kp, "allow")
    id_stmts = [x for o in ids for x in _label(o, "allow")]
    if principal.is_service:
        return done("allowed", "the key policy allows the service principal", key_stmts, notes)
    if same_account and kp.allow_direct:
        return done("allowed", "the key policy allows the principal directly", _label_direct(kp), notes)
    if not needs_identity:
        return done("allowed", "the key policy allows the account, and this is its root user", key_stmts, notes)
    if identity_allows:
        how = "delegates to the account" if not kp.allow_direct else "allows the principal"
        where = "" if same_account else " (cross-account: both are required)"
        return done("allowed", f"the key policy {how} and an IAM policy allows{where}", key_stmts + id_stmts, notes)
    if same_account:
        return done(
            "implicit_deny",
            "the key policy allows only through the account's IAM policies, and none allows "
            f"{action}",
            key_stmts,
            notes,
        )
    return done(
        "implicit_deny",
        "cross-account: the key policy allows, but no IAM policy of the caller's account allows "
        f"{action}",
        key_stmts,
        notes,
    )


def _label_direct(kp: PolicyOutcome) -> list[tuple[str, str, str | None]]:
    return [(kp.name, cs.statement.path, cs.statement.sid) for cs in kp.allow_direct]
