"""The one condition dispatcher: set operators, IfExists, negation, missing keys, variables.

Semantics (AWS IAM User Guide, "Condition operators" and "Multivalued context keys"):

* A key absent from the request: a positive operator is false, a negated operator
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress`` ...) is true, ``...IfExists`` is true.
* ``ForAnyValue:`` is false and ``ForAllValues:`` is true when the key is absent or empty.
* Within one key the policy values are ORed; a negated operator is true only when the request
  value matches none of them ("not any").
* ``Null: true`` holds when the key is absent, ``Null: false`` when it is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from copyguard.evaluate.operators import FAMILIES, POSITIVE_OF
from copyguard.evaluate.request import ContextValue
from copyguard.evaluate.variables import Template, join_segments, parse_template
from copyguard.policy import Condition, OperatorSpec, parse_operator

_MISSING = object()


@dataclass(slots=True)
class CompiledCondition:
    condition: Condition
    spec: OperatorSpec
    key: str  # lower case
    positive: str  # the positive base operator to compare with
    family: Any  # the family module (None for Null)
    static: tuple[Any, ...]  # prepared values without variables
    templates: tuple[Template, ...]  # values with variables, prepared per request

    def policy_values(self, ctx: dict[str, ContextValue]) -> list[Any]:
        if not self.templates:
            return list(self.static)
        values = list(self.static)
        for tpl in self.templates:
            segments = tpl.resolve(ctx)
            if segments is None:
                continue  # a variable without a value: this value can match nothing
            values.append(self.family.prepare(self.positive, join_segments(segments), segments))
        return values

    def test(self, ctx: dict[str, ContextValue]) -> bool:
        spec = self.spec
        raw = ctx.get(self.key, _MISSING)
        if spec.family == "Null":
            absent = raw is _MISSING or raw == [] or raw == ""
            return any((v.lower() == "true") == absent for v in self.condition.values)
        if raw is _MISSING:
            if spec.if_exists or spec.set_operator == "ForAllValues":
                return True
            if spec.set_operator == "ForAnyValue":
                return False
            return spec.negated
        values: list[str] = raw if isinstance(raw, list) else [raw]  # type: ignore[assignment]
        if not values:
            if spec.set_operator == "ForAllValues":
                return True
            if spec.set_operator == "ForAnyValue":
                return False
            return spec.if_exists or spec.negated
        policy_values = self.policy_values(ctx)
        family, positive = self.family, self.positive

        def one(value: str) -> bool:
            hit = any(family.match(positive, pv, value) for pv in policy_values)
            return not hit if spec.negated else hit

        if spec.set_operator == "ForAllValues":
            return all(one(v) for v in values)
        if spec.set_operator == "ForAnyValue":
            return any(one(v) for v in values)
        if len(values) == 1:
            return one(values[0])
        # a single-valued operator over a multivalued request value
        return all(one(v) for v in values) if spec.negated else any(one(v) for v in values)

    def explain(self, ctx: dict[str, ContextValue]) -> str:
        """Why this condition did not hold, in words."""
        cond = self.condition
        raw = ctx.get(self.key, _MISSING)
        wanted = ", ".join(repr(v) for v in cond.values) or "(no values)"
        if self.spec.family == "Null":
            state = "absent" if raw is _MISSING else f"present ({raw!r})"
            return f"{cond.operator} {cond.key}: wanted Null={wanted}, but the key is {state}"
        if raw is _MISSING:
            return f"{cond.operator} {cond.key}: the request has no {cond.key} (wanted {wanted})"
        if raw == []:
            return f"{cond.operator} {cond.key}: the request's {cond.key} is empty (wanted {wanted})"
        if self.templates and len(self.policy_values(ctx)) < len(cond.values):
            return (
                f"{cond.operator} {cond.key}: a policy variable in {wanted} has no value in this "
                f"request (request value {raw!r})"
            )
        return f"{cond.operator} {cond.key}: request value {raw!r} does not satisfy {wanted}"


def compile_condition(condition: Condition, variables: bool) -> CompiledCondition:
    spec = parse_operator(condition.operator)
    if spec is None:  # the parser rejects these; keep the evaluator total anyway
        raise ValueError(f"unknown condition operator {condition.operator!r}")
    if spec.family == "Null":
        return CompiledCondition(condition, spec, condition.key.lower(), "Null", None, (), ())
    positive = POSITIVE_OF.get(spec.base, spec.base)
    family = FAMILIES[spec.family]
    static: list[Any] = []
    templates: list[Template] = []
    for value in condition.values:
        tpl = parse_template(value) if variables else None
        if tpl is None:
            static.append(family.prepare(positive, value, None))
        else:
            templates.append(tpl)
    return CompiledCondition(
        condition, spec, condition.key.lower(), positive, family, tuple(static), tuple(templates)
    )
