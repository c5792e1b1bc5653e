"""The emulator's authorization decisions, made by copyguard's own evaluator.

Parsed policies are cached by their text, so a policy is compiled once however often it
is evaluated.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

ALLOWED = "allowed"


def _parameters(func: Any) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # pragma: no cover
        return frozenset()


class Authorizer:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    # -- parsing ---------------------------------------------------------------------------

    def parse(self, document: Any, kind: str, name: str) -> Any:
        """A parsed Policy; raises copyguard.policy.PolicyError when AWS would reject it."""
        from copyguard.policy import parse_policy

        text = document if isinstance(document, str) else json.dumps(document, sort_keys=True)
        cache_key = (kind, text)
        with self._lock:
            cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        policy = parse_policy(text, name=name, kind=kind)  # type: ignore[arg-type]
        with self._lock:
            if len(self._cache) > 2048:
                self._cache.clear()
            self._cache[cache_key] = policy
        return policy

    def _parse_many(self, documents: list[Any] | None, kind: str, name: str) -> list[Any]:
        from copyguard.policy import PolicyError

        parsed = []
        for i, doc in enumerate(documents or []):
            try:
                parsed.append(self.parse(doc, kind, f"{name}[{i}]"))
            except PolicyError as exc:  # IAM would have refused it; moto did not
                log.warning("ignoring invalid %s policy %s: %s", kind, i, exc)
        return parsed

    # -- decisions -------------------------------------------------------------------------

    def kms(
        self,
        principal: str,
        action: str,
        key_arn: str,
        context: dict[str, Any],
        key_policy: Any,
        identity_policies: list[Any] | None,
        scps: list[Any] | None = None,
        rcps: list[Any] | None = None,
    ) -> str:
        """``allowed`` / ``implicit_deny`` / ``explicit_deny`` for one KMS request."""
        from copyguard.evaluate import Request, evaluate_kms
        from copyguard.policy import PolicyError

        try:
            policy = self.parse(key_policy, "key", "key policy")
        except PolicyError as exc:  # a stored policy our parser refuses: it grants nothing
            log.warning("key policy of %s does not parse: %s", key_arn, exc)
            return "implicit_deny"
        result = evaluate_kms(
            Request(principal=principal, action=action, resource=key_arn, context=context),
            key_policy=policy,
            identity_policies=self._parse_many(identity_policies, "identity", "identity"),
            scps=self._parse_many(scps, "scp", "scp"),
            rcps=self._parse_many(rcps, "rcp", "rcp"),
        )
        return str(result.decision)

    def resource(
        self,
        principal: str,
        action: str,
        resource_arn: str,
        context: dict[str, Any],
        resource_policy: Any | None,
        identity_policies: list[Any] | None,
        scps: list[Any] | None = None,
        rcps: list[Any] | None = None,
    ) -> str:
        """The decision for a request on a resource with a resource policy (a vault)."""
        from copyguard.evaluate import Request, evaluate_resource_policy
        from copyguard.policy import PolicyError

        try:
            policy = (
                self.parse(resource_policy, "resource", "resource policy")
                if resource_policy is not None
                else None
            )
        except PolicyError as exc:
            log.warning("resource policy of %s does not parse: %s", resource_arn, exc)
            policy = None
        kwargs: dict[str, Any] = {
            "resource_policy": policy,
            "identity_policies": self._parse_many(identity_policies, "identity", "identity"),
        }
        accepted = _parameters(evaluate_resource_policy)
        if scps and "scps" in accepted:
            kwargs["scps"] = self._parse_many(scps, "scp", "scp")
        if rcps and "rcps" in accepted:
            kwargs["rcps"] = self._parse_many(rcps, "rcp", "rcp")
        result = evaluate_resource_policy(
            Request(principal=principal, action=action, resource=resource_arn, context=context),
            **kwargs,
        )
        return str(result.decision)

    def assume_role(
        self,
        principal: str,
        role_arn: str,
        context: dict[str, Any],
        trust_policy: Any,
        identity_policies: list[Any] | None,
    ) -> str:
        """The decision for ``sts:AssumeRole`` of ``role_arn`` by ``principal``.

        As IAM decides it: the role's trust policy must allow the caller (it is the only
        resource policy that is always needed, in the role's own account too); a caller whose
        trust statement names only its account (``...:root``) also needs its own IAM policies
        to allow the call, and so does every caller from another account. ``identity_policies``
        None: the account's root user, which needs none. An explicit Deny anywhere wins.
        """
        from copyguard.evaluate import Request
        from copyguard.evaluate.engine import evaluate_policy
        from copyguard.evaluate.request import account_of_arn, build_context, parse_principal
        from copyguard.policy import PolicyError

        action = "sts:AssumeRole"
        try:
            trust = self.parse(_with_resource(trust_policy, role_arn), "resource", "trust policy")
        except PolicyError as exc:
            log.warning("trust policy of %s does not parse: %s", role_arn, exc)
            return "implicit_deny"
        who = parse_principal(principal)
        ctx = build_context(
            Request(principal=principal, action=action, resource=role_arn, context=context), who
        )
        outcome = evaluate_policy(trust, who, action, role_arn, ctx)
        identities = (
            None
            if identity_policies is None
            else [
                evaluate_policy(p, who, action, role_arn, ctx)
                for p in self._parse_many(identity_policies, "identity", "identity")
            ]
        )
        if outcome.deny or any(o.deny for o in identities or []):
            return "explicit_deny"
        if not outcome.allows:
            return "implicit_deny"
        same = who.account is not None and who.account == account_of_arn(role_arn)
        needs_identity = not (same and outcome.allow_direct)
        if needs_identity and identities is not None and not any(o.allows for o in identities):
            return "implicit_deny"
        return ALLOWED


def _with_resource(document: Any, role_arn: str) -> Any:
    """A trust policy has no ``Resource`` (it is the role's own): name the role, so the
    document reads as the resource policy it is."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    if not isinstance(document, dict):
        return document
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return document
    fixed = []
    for statement in statements:
        if (
            isinstance(statement, dict)
            and "Resource" not in statement
            and ("NotResource" not in statement)
        ):
            statement = {**statement, "Resource": role_arn}
        fixed.append(statement)
    return {**document, "Statement": fixed}
