"""copyguard's KMS layer in front of moto: key policies are enforced as AWS does.

- Every KMS operation on a key is authorized by copyguard's evaluator: the key policy, the
  caller's IAM policies (root delegation, cross-account needs both), SCPs and RCPs.
- Keys of another account can be used with their key ARN (or alias ARN) for the operations
  KMS allows cross-account (DescribeKey, CreateGrant, ListGrants, cryptographic ones...);
  the request is then served from the key owner's moto backend.
- CreateKey and PutKeyPolicy validate the policy document like KMS: a malformed document,
  a principal that does not exist, or a policy that would lock the caller out is rejected
  with MalformedPolicyDocumentException and AWS's messages.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from copyguard.emulator import constants as c
from copyguard.emulator import moto_view
from copyguard.emulator.authz import ALLOWED, Authorizer
from copyguard.emulator.http import ApiRequest, ApiResponse
from copyguard.records import record

log = logging.getLogger(__name__)

CROSS_ACCOUNT_OPS = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateMac",
        "VerifyMac",
        "Sign",
        "Verify",
        "GetPublicKey",
        "DeriveSharedSecret",
        "CreateGrant",
        "DescribeKey",
        "GetKeyRotationStatus",
        "ListGrants",
        "RetireGrant",
        "RevokeGrant",
    }
)
#: Operations refused on a key that is not Enabled (facts sheet section 6).
_STATE_CHECKED = frozenset(
    CROSS_ACCOUNT_OPS
    - {"DescribeKey", "ListGrants", "RevokeGrant", "RetireGrant", "GetKeyRotationStatus"}
)
_GRANT_OPS = frozenset({"CreateGrant", "ListGrants", "RevokeGrant"})
#: Operations whose permission is not a key-policy matter (or has no key to check).
_UNCHECKED = frozenset(
    {"RetireGrant", "ListAliases", "ListKeys", "CreateKey", "ListRetirableGrants"}
)


@record(frozen=True)
class Forward:
    """Serve the request from moto, as ``account`` when set (a cross-account key use), with
    ``body`` replacing the request body when set."""

    account: str | None = None
    body: bytes | None = None


#: moto 5 looks these up by key ID only; KMS accepts the key ARN too (rewritten before moto).
_MOTO_NEEDS_KEY_ID = frozenset(
    {"DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion"}
)


def kms_error(code: str, message: str, status: int = 400) -> ApiResponse:
    return ApiResponse(
        status,
        json.dumps({"__type": code, "message": message}).encode(),
        [("Content-Type", "application/x-amz-json-1.1")],
    )


def _bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class KmsFront:
    def __init__(self, authz: Authorizer) -> None:
        self.authz = authz

    # -- the request context of a direct call ------------------------------------------------

    def _context(self, req: ApiRequest, op: str, body: dict[str, Any]) -> dict[str, Any]:
        ctx: dict[str, Any] = {
            "kms:CallerAccount": req.account,
            "aws:PrincipalAccount": req.account,
            "aws:PrincipalArn": req.caller_arn,
            "aws:PrincipalType": "AssumedRole"
            if ":assumed-role/" in req.caller_session_arn
            else "User",
            "aws:PrincipalIsAWSService": "false",
            "aws:ViaAWSService": "false",
        }
        org = moto_view.org_of(req.account)
        if org is not None:
            ctx["aws:PrincipalOrgID"] = org.id
            if req.account in org.paths:
                ctx["aws:PrincipalOrgPaths"] = [org.paths[req.account]]
        if op in _GRANT_OPS:
            ctx["kms:GrantIsForAWSResource"] = "false"
        if op == "CreateGrant":
            if isinstance(body.get("Operations"), list):
                ctx["kms:GrantOperations"] = [str(o) for o in body["Operations"]]
            if body.get("GranteePrincipal"):
                ctx["kms:GranteePrincipal"] = str(body["GranteePrincipal"])
            if body.get("RetiringPrincipal"):
                ctx["kms:RetiringPrincipal"] = str(body["RetiringPrincipal"])
        if op == "PutKeyPolicy":
            ctx["kms:BypassPolicyLockoutSafetyCheck"] = (
                "true" if _bool(body.get("BypassPolicyLockoutSafetyCheck")) else "false"
            )
        enc = body.get("EncryptionContext")
        if isinstance(enc, dict) and enc:
            ctx["kms:EncryptionContextKeys"] = [str(k) for k in enc]
            for k, v in enc.items():
                ctx[f"kms:EncryptionContext:{k}"] = str(v)
        return ctx

    def _decide(
        self, req: ApiRequest, action: str, key: Any, policy: str, ctx: dict[str, Any]
    ) -> str:
        identity = moto_view.identity_policies(req.caller_arn) or []
        caller_org = moto_view.org_of(req.account)
        key_org = moto_view.org_of(key.account_id)
        return self.authz.kms(
            req.caller_session_arn,
            action,
            key.arn,
            ctx,
            policy,
            identity,
            scps=caller_org.scps.get(req.account, []) if caller_org else [],
            rcps=key_org.rcps.get(key.account_id, [])
            if key_org and key.key_manager == "CUSTOMER"
            else [],
        )

    def _denied(self, req: ApiRequest, action: str, key_arn: str, decision: str) -> ApiResponse:
        why = (
            "with an explicit deny in a resource-based policy"
            if decision == "explicit_deny"
            else f"because no resource-based policy allows the {action} action"
        )
        return kms_error(
            "AccessDeniedException",
            f"User: {req.caller_session_arn} is not authorized to perform: {action} on "
            f"resource: {key_arn} {why}",
        )

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, req: ApiRequest, op: str) -> ApiResponse | Forward:
        try:
            body = req.json()
        except ValueError as exc:
            return kms_error("SerializationException", str(exc))
        try:
            if op == "CreateKey":
                return self._create_key(req, body)
            if op == "PutKeyPolicy":
                return self._put_key_policy(req, body)
            return self._key_operation(req, op, body)
        except Exception:  # an evaluator fault must not grant access silently
            log.exception("KMS %s: authorization failed", op)
            return kms_error(
                "KMSInternalException",
                "The copyguard emulator could not authorize the request",
                500,
            )

    def _key_ref(self, op: str, body: dict[str, Any]) -> str | None:
        if op in ("CreateAlias", "UpdateAlias"):
            return body.get("TargetKeyId")
        if op == "ReEncrypt":
            return body.get("DestinationKeyId")
        return body.get("KeyId")

    def _key_operation(
        self, req: ApiRequest, op: str, body: dict[str, Any]
    ) -> ApiResponse | Forward:
        ref = self._key_ref(op, body)
        if op in _UNCHECKED or not isinstance(ref, str) or not ref:
            return Forward()
        if ref.startswith("alias/aws/"):
            moto_view.aws_managed_key(req.account, req.region, ref)
        key = moto_view.find_key(ref, req.account, req.region)
        owner = key.account_id if key is not None else None
        if ref.startswith("arn:"):
            owner = ref.split(":")[4]
        cross = owner is not None and owner != req.account
        if cross and op not in CROSS_ACCOUNT_OPS:
            return kms_error(
                "AccessDeniedException",
                f"User: {req.caller_session_arn} is not authorized to perform: kms:{op} on "
                f"resource: {ref} because kms:{op} cannot be used on a KMS key in another "
                "AWS account",
            )
        if key is None:
            if cross:
                return kms_error("NotFoundException", f"Key '{ref}' does not exist")
            return Forward()  # moto reports the missing key in its own words
        action = "kms:ReEncryptTo" if op == "ReEncrypt" else f"kms:{op}"
        decision = self._decide(req, action, key, key.policy, self._context(req, op, body))
        if decision != ALLOWED:
            return self._denied(req, action, key.arn, decision)
        if op in _STATE_CHECKED and key.key_state != "Enabled":
            if key.key_state == "Disabled":
                return kms_error("DisabledException", f"{key.arn} is disabled.")
            state = {
                "PendingDeletion": "pending deletion",
                "PendingReplicaDeletion": "pending replica deletion",
                "PendingImport": "pending import",
                "Unavailable": "unavailable",
                "Creating": "creating",
                "Updating": "updating",
            }.get(key.key_state, key.key_state)
            return kms_error("KMSInvalidStateException", f"{key.arn} is {state}.")
        if op in _MOTO_NEEDS_KEY_ID and ref.startswith("arn:") and not cross:
            rewritten = dict(body, KeyId=key.id)
            return Forward(None, json.dumps(rewritten).encode())
        return Forward(owner if cross else None)

    # -- policy validation -----------------------------------------------------------------------

    def _validate_policy(
        self,
        req: ApiRequest,
        policy_text: Any,
        key_arn: str,
        key: Any | None,
        bypass: bool,
    ) -> ApiResponse | None:
        from copyguard.policy import PolicyError

        if not isinstance(policy_text, str):
            return kms_error("MalformedPolicyDocumentException", "Policy must be a JSON string")
        if len(policy_text.encode("utf-8")) > 32768:
            return kms_error(
                "LimitExceededException",
                "Key policy exceeds the maximum size of 32768 bytes",
            )
        try:
            self.authz.parse(policy_text, "key", "key policy")
        except PolicyError as exc:
            issues = [
                i for i in getattr(exc, "issues", []) if getattr(i, "severity", "error") == "error"
            ]
            detail = issues[0].message if issues else str(exc)
            return kms_error("MalformedPolicyDocumentException", detail)
        document = json.loads(policy_text)
        if not self._principals_exist(document):
            return kms_error("MalformedPolicyDocumentException", c.MSG_INVALID_PRINCIPALS)
        if not bypass:
            ctx = self._context(req, "PutKeyPolicy", {"BypassPolicyLockoutSafetyCheck": False})
            probe = key if key is not None else _KeyStub(key_arn, req.account)
            decision = self._decide(req, "kms:PutKeyPolicy", probe, policy_text, ctx)
            if decision != ALLOWED:
                return kms_error("MalformedPolicyDocumentException", c.MSG_LOCKOUT)
        return None

    @staticmethod
    def _principals_exist(document: dict[str, Any]) -> bool:
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements if isinstance(statements, list) else []:
            if not isinstance(statement, dict):
                continue
            for element in ("Principal", "NotPrincipal"):
                principal = statement.get(element)
                if not isinstance(principal, dict):
                    continue
                values = principal.get("AWS", [])
                for value in values if isinstance(values, list) else [values]:
                    if not isinstance(value, str) or value == "*":
                        continue
                    if value.isdigit() and len(value) == 12:
                        continue
                    if "*" in value or "?" in value:
                        return False
                    if moto_view.iam_principal_exists(value) is False:
                        return False
        return True

    def _create_key(self, req: ApiRequest, body: dict[str, Any]) -> ApiResponse | Forward:
        policy = body.get("Policy")
        if policy is None:
            return Forward()
        placeholder = (
            f"arn:aws:kms:{req.region}:{req.account}:key/00000000-0000-0000-0000-000000000000"
        )
        error = self._validate_policy(
            req, policy, placeholder, None, _bool(body.get("BypassPolicyLockoutSafetyCheck"))
        )
        return error if error is not None else Forward()

    def _put_key_policy(self, req: ApiRequest, body: dict[str, Any]) -> ApiResponse | Forward:
        ref = body.get("KeyId")
        if not isinstance(ref, str) or not ref:
            return Forward()
        if ref.startswith("arn:") and ref.split(":")[4] != req.account:
            return kms_error(
                "AccessDeniedException",
                f"User: {req.caller_session_arn} is not authorized to perform: "
                f"kms:PutKeyPolicy on resource: {ref} because kms:PutKeyPolicy cannot be used "
                "on a KMS key in another AWS account",
            )
        key = moto_view.find_key(ref, req.account, req.region)
        if key is None:
            return Forward()
        decision = self._decide(
            req, "kms:PutKeyPolicy", key, key.policy, self._context(req, "PutKeyPolicy", body)
        )
        if decision != ALLOWED:
            return self._denied(req, "kms:PutKeyPolicy", key.arn, decision)
        if body.get("PolicyName", "default") != "default":
            return Forward()  # moto answers NotFoundException for other policy names
        error = self._validate_policy(
            req, body.get("Policy"), key.arn, key, _bool(body.get("BypassPolicyLockoutSafetyCheck"))
        )
        return error if error is not None else Forward()


@record(frozen=True)
class _KeyStub:
    """A key that does not exist yet (CreateKey's lockout check)."""

    arn: str
    account_id: str
    key_manager: str = "CUSTOMER"
