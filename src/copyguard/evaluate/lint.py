"""Semantic lint: what AWS accepts but cannot do what it seems to (and the few things KMS
rejects that only the catalogue knows).

The parser (:mod:`copyguard.policy`) rejects what AWS would reject. This module warns about
statements that KMS accepts but that cannot work as written, using the KMS action and
condition-key catalogue in :mod:`copyguard.knowledge`:

* ``unknown-action``: a ``kms:`` pattern that matches no KMS action;
* ``non-kms-action``: an action of another service in a key policy (a key policy only
  governs KMS requests);
* ``unknown-condition-key``: a condition key in no catalogue;
* ``key-never-present``: a condition key that no request for the statement's actions
  carries (``kms:GrantIsForAWSResource`` with only ``kms:Decrypt``), so a positive condition
  on it never holds;
* ``operator-type-mismatch``: an operator whose type does not fit the key (``StringEquals``
  on a Bool key, ``NumericLessThan`` on a String key ...);
* ``multivalued-without-set-operator`` / ``set-operator-on-single-valued``: "Multivalued
  context keys require a condition set operator"; "Do not use condition set operators
  ForAllValues or ForAnyValue with single-valued context keys" (IAM User Guide, "Single-valued
  vs. multivalued context keys");
* ``invalid-condition-value``: a value the operator can never compare (``Bool`` "yes",
  ``NumericEquals`` "ten", an ``ArnLike`` value that is not an ARN);
* ``viaservice-without-region``: ``kms:ViaService`` names ``SERVICE.REGION.amazonaws.com``
  (KMS "kms:ViaService"), so ``ec2.amazonaws.com`` never matches.
* ``iam-only-condition-key`` (an **error**): ``kms:ResourceAliases`` and
  ``aws:ResourceTag/...`` are IAM-only condition keys; KMS rejects a key policy that uses them
  ("These condition keys are not permitted in a key policy"), so PutKeyPolicy fails. The
  checks report it as CG901 with its location.

Every warning is an :class:`copyguard.policy.Issue` with the JSON path and, for a document
parsed from text, its line and column. The knowledge data is read on the first call only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from copyguard.evaluate.operators import FAMILIES, POSITIVE_OF
from copyguard.evaluate.operators.base import INVALID
from copyguard.evaluate.variables import parse_template
from copyguard.lazyre import lazy_compile
from copyguard.policy import Condition, Issue, Policy, Statement, parse_operator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

# operator family -> the key types it fits (Service Authorization Reference condition types)
_FITS: dict[str, frozenset[str]] = {
    "String": frozenset({"String", "ArrayOfString", "ARN", "ArrayOfARN"}),
    "Arn": frozenset({"ARN", "ArrayOfARN"}),
    "Numeric": frozenset({"Numeric", "ArrayOfNumeric"}),
    "Date": frozenset({"Date", "ArrayOfDate"}),
    "Bool": frozenset({"Bool", "ArrayOfBool"}),
    "Binary": frozenset({"Binary"}),
    "IpAddress": frozenset({"IPAddress"}),
}
_VIA_SERVICE_RE = lazy_compile(r"^([^.]+)\.amazonaws\.com(\.cn)?$", re.IGNORECASE)


class _Linter:
    def __init__(self, policy: Policy) -> None:
        from copyguard import knowledge

        self.k = knowledge
        self.policy = policy
        self.issues: list[Issue] = []
        self._positions: dict[str, tuple[int, int]] | None = None

    def warn(
        self,
        path: str,
        message: str,
        code: str,
        severity: Literal["error", "warning"] = "warning",
    ) -> None:
        line = column = None
        if self.policy.text is not None:
            from copyguard.policy.locate import json_positions  # for an issue only
            from copyguard.policy.paths import locate

            if self._positions is None:
                self._positions = json_positions(self.policy.text)
            pos = locate(self._positions, path)
            if pos:
                line, column = pos
        source = self.policy.name if self.policy.text is not None else None
        self.issues.append(Issue(severity, path, message, line, column, source, code))

    # ------------------------------------------------------------------ actions

    def statement_actions(self, st: Statement) -> frozenset[str] | None:
        """Lower-cased KMS action names the statement covers (None: not known)."""
        if st.actions is None:
            return frozenset()
        every = frozenset(self.k.kms_actions())
        named: set[str] = set()
        for pattern in st.actions:
            if pattern == "*":
                named |= every
            elif pattern.lower().startswith("kms:"):
                named |= {a.lower() for a in self.k.expand_action_pattern(pattern)}
        return frozenset(every - named) if st.actions_negated else frozenset(named)

    def lint_actions(self, st: Statement) -> None:
        if st.actions is None:
            return
        elem = "NotAction" if st.actions_negated else "Action"
        scalar = isinstance(st.raw.get(elem), str)
        for i, pattern in enumerate(st.actions):
            path = f"{st.path}.{elem}" if scalar else f"{st.path}.{elem}[{i}]"
            service = pattern.split(":", 1)[0].lower() if ":" in pattern else None
            if pattern == "*" or service is None:
                continue
            if service != "kms":
                if self.policy.kind == "key":
                    self.warn(
                        path,
                        f"{pattern!r} is not a KMS action: a key policy only governs AWS KMS "
                        "requests, so it has no effect here",
                        "non-kms-action",
                    )
                continue
            if not self.k.expand_action_pattern(pattern):
                self.warn(path, f"{pattern!r} matches no AWS KMS action", "unknown-action")

    # --------------------------------------------------------------- conditions

    def lint_condition(
        self, st: Statement, cond: Condition, actions: frozenset[str] | None
    ) -> None:
        spec = parse_operator(cond.operator)
        if spec is None:
            return
        if self.policy.kind == "key":
            iam_only = self.k.iam_only_condition_key(cond.key)
            if iam_only is not None:
                self.warn(
                    cond.path,
                    f"{cond.key} is an IAM-only condition key ({iam_only}): KMS rejects a key "
                    "policy that uses it, so PutKeyPolicy fails; put this condition in an IAM "
                    "policy instead",
                    "iam-only-condition-key",
                    "error",
                )
                return
        info = self.k.condition_key(cond.key)
        if info is None:
            self.warn(
                cond.path,
                f"{cond.key!r} is not a known AWS global or KMS condition key: no request "
                "carries it",
                "unknown-condition-key",
            )
            return
        if actions:
            supported = [self.k.action_supports_condition_key(a, cond.key) for a in actions]
            if supported and all(s is False for s in supported):
                shown = ", ".join(sorted(self._canonical(a) for a in actions)[:4])
                more = "" if len(actions) <= 4 else f" and {len(actions) - 4} more"
                effect = (
                    "never holds"
                    if not (spec.negated or spec.if_exists or spec.family == "Null")
                    else "only ever sees the key absent"
                )
                self.warn(
                    cond.path,
                    f"{info.name} is never present in requests for {shown}{more}, so this "
                    f"condition {effect}",
                    "key-never-present",
                )
        if spec.family != "Null" and info.type not in _FITS[spec.family]:
            self.warn(
                cond.path,
                f"{cond.operator} compares {spec.family} values, but {info.name} is of type "
                f"{info.type}",
                "operator-type-mismatch",
            )
        if spec.family != "Null":
            if info.multivalued and spec.set_operator is None:
                self.warn(
                    cond.path,
                    f"{info.name} is multivalued: without ForAnyValue:/ForAllValues: the "
                    "condition never matches a request that carries it",
                    "multivalued-without-set-operator",
                )
            elif not info.multivalued and spec.set_operator is not None:
                self.warn(
                    cond.path,
                    f"{info.name} is single-valued: {spec.set_operator}: with a single-valued "
                    "key can be overly permissive (ForAllValues holds when the key is absent)",
                    "set-operator-on-single-valued",
                )
            self.lint_values(cond, spec.family, spec.base)
        if info.name.lower() == "kms:viaservice":
            self.lint_via_service(cond, spec.family)

    def lint_values(self, cond: Condition, family_name: str, base: str) -> None:
        family = FAMILIES[family_name]
        positive = POSITIVE_OF.get(base, base)
        variables = self.policy.variables_enabled and family.VARIABLES
        for i, value in enumerate(cond.values):
            if variables and parse_template(value) is not None:
                continue
            if family.prepare(positive, value, None) is INVALID:
                path = f"{cond.path}[{i}]" if len(cond.values) > 1 else cond.path
                self.warn(
                    path,
                    f"{value!r} is not a valid {family_name} value for {cond.operator}: it can "
                    "never match",
                    "invalid-condition-value",
                )

    def lint_via_service(self, cond: Condition, family: str) -> None:
        if family != "String":
            return
        for i, value in enumerate(cond.values):
            if _VIA_SERVICE_RE.match(value) and "*" not in value and "?" not in value:
                path = f"{cond.path}[{i}]" if len(cond.values) > 1 else cond.path
                service = value.split(".", 1)[0]
                self.warn(
                    path,
                    f"kms:ViaService values name the Region ({service}.REGION.amazonaws.com, "
                    f"e.g. {service}.us-east-1.amazonaws.com); {value!r} never matches",
                    "viaservice-without-region",
                )

    def _canonical(self, action: str) -> str:
        found = self.k.kms_action(action)
        return found.name if found is not None else action

    def run(self) -> tuple[Issue, ...]:
        for st in self.policy.statements:
            self.lint_actions(st)
            actions = self.statement_actions(st) if st.conditions else None
            for cond in st.conditions:
                self.lint_condition(st, cond, actions)
        return tuple(self.issues)


def lint_policy(policy: Policy) -> tuple[Issue, ...]:
    """Warnings about statements AWS accepts but that cannot do what they seem to."""
    return _Linter(policy).run()


def lint_policies(policies: Iterable[Policy]) -> dict[str, tuple[Issue, ...]]:
    """:func:`lint_policy` for several policies, by policy name."""
    return {p.name: lint_policy(p) for p in policies}
