"""AWS KMS authorization: how a key policy, IAM policies, SCPs and RCPs combine.

Rules, with their sources:

1. An explicit Deny in any applicable policy wins (KMS Developer Guide, "policy-evaluation").
2. SCPs apply to the IAM principals of member accounts: "SCPs do not affect any
   service-linked role", and a service principal belongs to no member account (AWS
   Organizations User Guide, "Service control policies"). Every SCP given must allow.
3. RCPs apply to customer managed keys, whoever calls, service principals included (the KMS
   "Resource control policies" page shows an RCP written to restrict service principals),
   except that "RCPs do not impact the effective permissions of any service-linked role",
   "RCPs do not impact the kms:RetireGrant permission", and "Resource control policies in
   your organization do not apply to AWS managed keys". Customers can only write Deny
   statements in RCPs; AWS attaches ``RCPFullAWSAccess`` (Allow ``*``) to the root, every OU
   and every account, and it "cannot be detached" (Organizations, "RCP examples"), so an RCP
   never denies implicitly: only its explicit Deny statements count.
4. The key policy must allow: "Unlike other resource policies, a key policy gives the account
   nothing unless a statement does so explicitly" (KMS "key-policy-default").
5. A key-policy statement that names the principal itself (its ARN, its role for a session,
   or "*") allows a principal of the key's account on its own. A statement that names only
   the account (its root ARN or bare ID) delegates: that account's IAM policies must allow
   too (KMS "key-policy-default", "Allows access to the AWS account and enables IAM
   policies").
6. A principal in another account always needs both: the key policy allows it (itself or its
   account) and its own account's IAM policies allow it (KMS
   "key-policy-modifying-external-accounts"). The root user of an account has every
   permission in its own account, so it needs no IAM policy.
7. "Cross-account permission works only for cryptographic operations, CreateGrant,
   DescribeKey, GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant"
   (KMS "key-policy-modifying-external-accounts"): any other action by a principal of another
   account is denied whatever the policies say.
"""

from __future__ import annotations

from collections.abc import Sequence

from copyguard.evaluate.decision import Decision, DecisionValue
from copyguard.evaluate.engine import PolicyOutcome, evaluate_policy
from copyguard.evaluate.explainer import Explainer
from copyguard.evaluate.request import (
    PrincipalInfo,
    Request,
    account_of_arn,
    build_context,
    parse_principal,
)
from copyguard.policy import Policy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    KeyManager = Literal["CUSTOMER", "AWS"]
else:
    KeyManager = str  # the Literal's stand-in at run time (typing is not imported)

# The KMS actions a principal of another account can be allowed (KMS Developer Guide,
# "Allowing users in other accounts to use a KMS key"; the same list as
# knowledge/data/kms.yaml, whose "cross_account: true" rows it mirrors: the batch path must
# not load the knowledge data).
CROSS_ACCOUNT_ACTIONS = frozenset(
    "kms:" + name.lower()
    for name in (
        "CreateGrant",
        "Decapsulate",
        "Decrypt",
        "DeriveSharedSecret",
        "DescribeKey",
        "Encapsulate",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyRotationStatus",
        "GetPublicKey",
        "ListGrants",
        "ReEncryptFrom",
        "ReEncryptTo",
        "RetireGrant",
        "RevokeGrant",
        "Sign",
        "Verify",
        "VerifyMac",
    )
)

Label = tuple[str, str, str | None]


def _label(outcome: PolicyOutcome, kind: str) -> list[Label]:
    stmts = outcome.deny if kind == "deny" else outcome.allow_direct + outcome.allow_account
    return [(outcome.name, cs.statement.path, cs.statement.sid) for cs in stmts]


def _label_direct(kp: PolicyOutcome) -> list[Label]:
    return [(kp.name, cs.statement.path, cs.statement.sid) for cs in kp.allow_direct]


def scps_apply(principal: PrincipalInfo) -> bool:
    return not principal.is_service and not principal.is_service_linked_role


def rcps_apply(principal: PrincipalInfo, action: str, key_manager: str | None = None) -> bool:
    if principal.is_service_linked_role:
        return False
    if key_manager is not None and key_manager.upper() == "AWS":
        return False
    return action.lower() != "kms:retiregrant"


def cross_account_allowed(action: str) -> bool:
    return action.lower() in CROSS_ACCOUNT_ACTIONS


# KMS actions that only IAM policies can grant: they act on no key, so a key policy never
# authorizes them (KMS permissions reference, "Policy type: IAM policy"). Kept equal to the
# actions with key_resource: false in knowledge/data/kms.yaml by a test; the batch path must not
# load the YAML catalogue.
IAM_POLICY_ONLY_ACTIONS = frozenset(
    a.lower()
    for a in (
        "kms:ConnectCustomKeyStore",
        "kms:CreateCustomKeyStore",
        "kms:CreateKey",
        "kms:DeleteCustomKeyStore",
        "kms:DescribeCustomKeyStores",
        "kms:DisconnectCustomKeyStore",
        "kms:GenerateRandom",
        "kms:ListAliases",
        "kms:ListKeys",
        "kms:ListRetirableGrants",
        "kms:UpdateCustomKeyStore",
    )
)


def evaluate_kms(
    request: Request,
    key_policy: Policy,
    identity_policies: Sequence[Policy] = (),
    scps: Sequence[Policy] = (),
    rcps: Sequence[Policy] = (),
    *,
    key_manager: KeyManager | None = None,
) -> Decision:
    """The decision AWS KMS makes, and why. ``key_manager="AWS"`` marks an AWS managed key
    (RCPs do not apply to it); None or ``"CUSTOMER"``: a customer managed key."""
    if request.action.lower() in IAM_POLICY_ONLY_ACTIONS:
        raise ValueError(
            f"{request.action} is granted only by IAM policies and acts on no key: a key policy "
            "never decides it"
        )
    principal = parse_principal(request.principal)
    ctx = build_context(request, principal)
    action, resource = request.action, request.resource
    key_account = account_of_arn(resource)

    kp = evaluate_policy(key_policy, principal, action, resource, ctx)
    ids = [evaluate_policy(p, principal, action, resource, ctx) for p in identity_policies]
    scp_on = bool(scps) and scps_apply(principal)
    rcp_on = bool(rcps) and rcps_apply(principal, action, key_manager)
    scp_out = [evaluate_policy(p, principal, action, resource, ctx) for p in scps] if scp_on else []
    rcp_out = [evaluate_policy(p, principal, action, resource, ctx) for p in rcps] if rcp_on else []

    # what the explanation reads, in its order; not a closure over this call's locals
    explainer = Explainer(
        (key_policy, *identity_policies, *(scps if scp_on else ()), *(rcps if rcp_on else ())),
        request,
    )

    notes: list[str] = []
    if scps and not scp_on:
        notes.append("SCPs do not apply to service-linked roles or service principals")
    if rcps and not rcp_on:
        if principal.is_service_linked_role:
            notes.append("RCPs do not apply to service-linked roles")
        elif key_manager is not None and key_manager.upper() == "AWS":
            notes.append("RCPs do not apply to AWS managed keys")
        else:
            notes.append("RCPs do not apply to kms:RetireGrant")

    def done(value: DecisionValue, summary: str, deciding: list[Label]) -> Decision:
        return Decision(value, request, summary, deciding, notes, explainer)

    same_account = principal.account is not None and principal.account == key_account
    denies = [o for o in [kp, *ids, *scp_out, *rcp_out] if o.deny]
    refusing = next((o for o in scp_out if not o.allows), None)
    value, reason = kms_verdict(
        principal,
        action,
        same_account,
        any_deny=bool(denies),
        scp_refuses=refusing is not None,
        key_allows=kp.allows,
        key_direct=bool(kp.allow_direct),
        identity_allows=any(o.allows for o in ids),
    )
    if reason == DENIED:
        deciding = [x for o in denies for x in _label(o, "deny")]
        return done(value, f"explicitly denied by {deciding[0][0]} {deciding[0][1]}", deciding)
    if reason == SCP_REFUSES:
        assert refusing is not None
        return done(value, f"the SCP {refusing.name} does not allow {action}", [])
    if reason == NOT_CROSS_ACCOUNT:
        return done(
            value,
            f"{action} cannot be used on a KMS key of another account: cross-account "
            "permission works only for cryptographic operations, CreateGrant, DescribeKey, "
            "GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant",
            [],
        )
    if reason == KEY_POLICY_SILENT:
        return done(value, f"the key policy does not allow {principal.arn} {action}", [])
    key_stmts = _label(kp, "allow")
    if reason == SERVICE:
        return done(value, "the key policy allows the service principal", key_stmts)
    if reason == DIRECT:
        return done(value, "the key policy allows the principal directly", _label_direct(kp))
    if reason == ROOT:
        return done(
            value,
            "the key policy allows the account, and this is its root user (who needs no IAM "
            "policy in its own account)",
            key_stmts,
        )
    if reason == IDENTITY:
        id_stmts = [x for o in ids for x in _label(o, "allow")]
        how = "delegates to the account" if not kp.allow_direct else "allows the principal"
        where = "" if same_account else " (cross-account: both are required)"
        return done(
            value, f"the key policy {how} and an IAM policy allows{where}", key_stmts + id_stmts
        )
    if reason == NO_IAM_SAME_ACCOUNT:
        return done(
            value,
            "the key policy allows only through the account's IAM policies, and none allows "
            f"{action}",
            key_stmts,
        )
    return done(
        value,
        "cross-account: the key policy allows, but no IAM policy of the caller's account allows "
        f"{action}",
        key_stmts,
    )


# Why kms_verdict decided as it did (evaluate_kms turns each into its summary sentence).
(
    DENIED,
    SCP_REFUSES,
    NOT_CROSS_ACCOUNT,
    KEY_POLICY_SILENT,
    SERVICE,
    DIRECT,
    ROOT,
    IDENTITY,
    NO_IAM_SAME_ACCOUNT,
    NO_IAM_CROSS_ACCOUNT,
) = range(10)


def kms_verdict(
    principal: PrincipalInfo,
    action: str,
    same_account: bool,
    *,
    any_deny: bool,
    scp_refuses: bool,
    key_allows: bool,
    key_direct: bool,
    identity_allows: bool,
) -> tuple[DecisionValue, int]:
    """KMS's rules 1-7 (module docstring) on what each policy said: (decision, reason).

    The one place these rules live: :func:`evaluate_kms` (decision with its explanation) and
    the batch's decision-only path (:mod:`copyguard.evaluate.fastpath`) both call it.
    ``any_deny``: a Deny statement of any applicable policy applies; ``scp_refuses``: an
    applicable SCP allows nothing here; ``key_allows`` / ``key_direct``: a key-policy Allow
    applies (at all / naming the principal itself); ``identity_allows``: an identity policy
    allows. RCPs count only through their Deny statements.
    """
    if any_deny:
        return "explicit_deny", DENIED
    if scp_refuses:
        return "implicit_deny", SCP_REFUSES
    if not principal.is_service and not same_account and not cross_account_allowed(action):
        return "implicit_deny", NOT_CROSS_ACCOUNT
    if not key_allows:
        return "implicit_deny", KEY_POLICY_SILENT
    if principal.is_service:
        return "allowed", SERVICE
    if same_account and key_direct:
        return "allowed", DIRECT
    if principal.kind == "root":
        return "allowed", ROOT
    if identity_allows:
        return "allowed", IDENTITY
    if same_account:
        return "implicit_deny", NO_IAM_SAME_ACCOUNT
    return "implicit_deny", NO_IAM_CROSS_ACCOUNT
