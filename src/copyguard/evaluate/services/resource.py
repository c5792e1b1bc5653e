"""Ordinary resource policies (a backup vault access policy, for example).

Unlike a KMS key, the resource's own account trusts its IAM policies: a same-account
principal is allowed when either the resource policy or an IAM policy allows. A principal
in another account needs both. An explicit Deny anywhere wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from copyguard.evaluate.decision import Decision
from copyguard.evaluate.engine import evaluate_policy
from copyguard.evaluate.explainer import Explainer
from copyguard.evaluate.request import Request, account_of_arn, build_context, parse_principal
from copyguard.policy import Policy


def evaluate_resource_policy(
    request: Request,
    resource_policy: Policy | None,
    identity_policies: Sequence[Policy] = (),
    *,
    identity_known: bool = True,
) -> Decision:
    """``identity_known=False`` treats the caller's IAM side as allowing (the copy role's
    policies are the user's own business and not what is being judged)."""
    principal = parse_principal(request.principal)
    ctx = build_context(request, principal)
    action, resource = request.action, request.resource
    rp = (
        evaluate_policy(resource_policy, principal, action, resource, ctx)
        if resource_policy
        else None
    )
    ids = [evaluate_policy(p, principal, action, resource, ctx) for p in identity_policies]

    # what the explanation reads, in its order; not a closure over this call's locals
    explainer = Explainer(
        (*((resource_policy,) if resource_policy else ()), *identity_policies), request
    )

    denies = [o for o in [rp, *ids] if o is not None and o.deny]
    if denies:
        d = denies[0].deny[0].statement
        return Decision(
            "explicit_deny",
            request,
            f"explicitly denied by {denies[0].name} {d.path}",
            [(denies[0].name, d.path, d.sid)],
            [],
            explainer,
        )
    resource_allows = rp is not None and rp.allows
    identity_allows = (not identity_known) or any(o.allows for o in ids)
    same = principal.account is not None and principal.account == account_of_arn(resource)
    if same or principal.is_service:
        ok = resource_allows or identity_allows
    else:
        ok = resource_allows and identity_allows
    if ok:
        deciding = (
            [
                (rp.name, cs.statement.path, cs.statement.sid)
                for cs in (rp.allow_direct + rp.allow_account)
            ]
            if rp
            else []
        )
        return Decision("allowed", request, "allowed", deciding, [], explainer)
    why = (
        "the resource policy does not allow it"
        if not resource_allows
        else "no IAM policy allows it"
    )
    return Decision("implicit_deny", request, why, [], [], explainer)
