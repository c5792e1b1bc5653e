"""The organization side of the emulator, in front of moto: STS AssumeRole enforces the
role's trust policy, Organizations DescribeEffectivePolicy is served here (moto has none),
and an account made with CreateAccount gets its OrganizationAccountAccessRole completed.

Each function is called by ``wsgi.FrontApp`` with moto's state locked.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from typing import Any

from copyguard.emulator import moto_view, org_policies, surface
from copyguard.emulator.authz import ALLOWED, Authorizer
from copyguard.emulator.http import ApiResponse

log = logging.getLogger(__name__)

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _form(body: bytes, query: dict[str, list[str]]) -> dict[str, str]:
    values = {k: v[0] for k, v in query.items() if v}
    if body:
        parsed = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        values.update({k: v[0] for k, v in parsed.items() if v})
    return values


def _denied(caller: moto_view.Caller, role_arn: str) -> ApiResponse:
    who = caller.session_arn or caller.arn
    return surface.aws_error(
        "query",
        "AccessDenied",
        f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        403,
    )


def check_assume_role(
    caller: moto_view.Caller, body: bytes, query: dict[str, list[str]], authz: Authorizer
) -> ApiResponse | None:
    """None when ``caller`` may assume the role the request names (moto then answers);
    else AWS's refusal: a role that does not exist, or whose trust policy does not let the
    caller in, is ``AccessDenied`` (403), as STS answers both."""
    form = _form(body, query)
    role_arn = form.get("RoleArn", "")
    if not _ROLE_ARN.match(role_arn):
        return surface.aws_error(
            "query", "ValidationError", f"{role_arn[:200]!r} is not a valid role ARN.", 400
        )
    role = moto_view.find_role(role_arn)
    if role is None:
        return _denied(caller, role_arn)
    trust = getattr(role, "assume_role_policy_document", None)
    document = moto_view._doc(trust)
    if document is None:
        return _denied(caller, role_arn)
    context: dict[str, Any] = {
        "aws:PrincipalAccount": caller.account,
        "aws:PrincipalArn": caller.arn,
    }
    org = moto_view.org_of(caller.account)
    if org is not None:
        context["aws:PrincipalOrgID"] = org.id
        path = org.paths.get(caller.account)
        if path:
            context["aws:PrincipalOrgPaths"] = [path]
    if form.get("ExternalId"):
        context["sts:ExternalId"] = form["ExternalId"]
    identity = None if caller.arn.endswith(":root") else moto_view.identity_policies(caller.arn)
    decision = authz.assume_role(caller.arn, role_arn, context, document, identity)
    if decision != ALLOWED:
        log.info("AssumeRole of %s by %s refused (%s)", role_arn, caller.arn, decision)
        return _denied(caller, role_arn)
    return None


# -- Organizations ---------------------------------------------------------------------------


def _org_error(code: str, message: str, status: int = 400) -> ApiResponse:
    return surface.aws_error("json", code, message, status)


def describe_effective_policy(caller_account: str, data: dict[str, Any]) -> ApiResponse:
    """DescribeEffectivePolicy: the management account asks about any member (by
    ``TargetId``), a member about itself; roots and OUs are not valid targets."""
    policy_type = str(data.get("PolicyType") or "")
    target = data.get("TargetId")
    backend = moto_view._org_backend(caller_account)
    if backend is None or backend.org is None:
        return _org_error(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        )
    if policy_type not in org_policies.MANAGEMENT_TYPES:
        return _org_error("InvalidInputException", "You specified an invalid value.")
    management = backend.org.master_account_id
    if target is None:
        target = caller_account
    if not isinstance(target, str) or not _ACCOUNT.match(target):
        return _org_error(
            "InvalidInputException",
            "You specified an invalid value. The target of an effective policy must be an "
            "account ID.",
        )
    if caller_account != management and target != caller_account:
        return _org_error(
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
        )
    if target != management and not any(a.id == target for a in backend.accounts):
        return _org_error(
            "TargetNotFoundException",
            "We can't find a root, OU, account, or policy with the TargetId that you specified.",
        )
    try:
        effective = org_policies.effective_policy(backend, target, policy_type)
    except org_policies.PolicyMergeError as exc:
        log.warning("effective %s of %s: %s", policy_type, target, exc)
        effective = None
    if not effective:
        return _org_error(
            "EffectivePolicyNotFoundException",
            "We can't find an effective policy for the specified target.",
        )
    return ApiResponse(
        200,
        json.dumps(
            {
                "EffectivePolicy": {
                    "PolicyContent": json.dumps(effective, separators=(",", ":")),
                    "LastUpdatedTimestamp": _last_update(backend),
                    "TargetId": target,
                    "PolicyType": policy_type,
                }
            }
        ).encode(),
        [("Content-Type", "application/x-amz-json-1.1")],
    )


def _last_update(backend: Any) -> float:
    import time

    return float(getattr(backend, "_copyguard_policy_update", None) or round(time.time(), 3))


def after_create_account(response_body: bytes, management: str, role_name: str) -> None:
    """Complete the member account a CreateAccount call just made (its access role)."""
    try:
        status = json.loads(response_body or b"{}").get("CreateAccountStatus", {})
    except ValueError:
        return
    account = status.get("AccountId")
    if not (isinstance(account, str) and _ACCOUNT.match(account)):
        return
    from copyguard.emulator import bootstrap

    bootstrap.complete_member_account(account, management, role_name)
