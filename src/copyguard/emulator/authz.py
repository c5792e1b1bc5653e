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
