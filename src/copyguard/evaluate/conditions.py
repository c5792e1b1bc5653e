"""The one condition dispatcher: set operators, IfExists, negation, missing keys, variables.

Semantics, with their sources (IAM User Guide):

* "If the key that you specify in a policy condition is not present in the request
  context, the values do not match and the condition is false. If the policy condition
  requires that the key is not matched, such as StringNotLike or ArnNotLike, and the right
  key is not present, the condition is true" ("Condition operators"). ``...IfExists`` is
  true when the key is absent.
* Within one key the policy values are ORed; for a negated operator they are NORed: it holds
  only when the request value matches none of them ("Conditions with multiple context keys
  or values"). A comparison that cannot be made (see :mod:`.operators.base`) never counts as
  "does not match".
* "Multivalued context keys require a condition set operator" ("Single-valued vs.
  multivalued context keys"): an operator without ``ForAnyValue:`` / ``ForAllValues:`` never
  holds for a list-valued request key, negated or not (iam-simulate behaves the same).
* "If the key values in the request resolve to an empty data set (for example, an empty
  string), a condition operator modified by ForAllValues returns true, and a condition
  operator modified by ForAnyValue returns false"; an absent key likewise. ``IfExists`` adds
  nothing to a set operator.
* ``Null: true`` holds when the key is absent, ``Null: false`` when it "exists and its value
  is not null"; an empty string or empty list counts as null ("You can prevent missing
  context keys or context keys with empty values from evaluating to true by including a Null
  condition operator with a false value", "Multivalued context key examples").
* Policy variables resolve in String, ARN and Bool values only (the condition operators page
  lists the others as "You can not use a policy variable").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from copyguard.evaluate.operators import FAMILIES, POSITIVE_OF
from copyguard.evaluate.operators.base import ERR, HIT, INVALID, MISS, outcome
from copyguard.evaluate.request import ContextValue
from copyguard.evaluate.variables import Template, join_segments, parse_template
from copyguard.policy import Condition, OperatorSpec, parse_operator
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MISSING: Any = object()


@record(slots=True)
class CompiledCondition:
    condition: Condition
    spec: OperatorSpec
    key: str  # lower case
    positive: str  # the positive base operator to compare with
    family: Any  # the family module (None for Null)
    static: tuple[Any, ...]  # prepared values without variables
    templates: tuple[Template, ...]  # values with variables, prepared per request
    fast: Callable[[str], int] | None = None  # matcher for static-only values
    null_wants: tuple[bool, ...] = ()  # Null: the "absent" states that satisfy it

    def policy_values(self, ctx: dict[str, ContextValue]) -> list[Any]:
        """Prepared policy values; a value whose variable has no value is ``INVALID``."""
        values = list(self.static)
        for tpl in self.templates:
            segments = tpl.resolve(ctx)
            if segments is None:
                values.append(INVALID)
            else:
                values.append(self.family.prepare(self.positive, join_segments(segments), segments))
        return values

    def matcher(self, ctx: dict[str, ContextValue]) -> Callable[[str], int]:
        """request value -> HIT / MISS / ERR against every policy value."""
        if self.fast is not None:
            return self.fast
        prepared = self.policy_values(ctx)
        match, positive = self.family.match, self.positive
        return lambda value: outcome(match, positive, prepared, value)

    def test(self, ctx: dict[str, ContextValue]) -> bool:
        spec = self.spec
        raw = ctx.get(self.key, _MISSING)
        if self.family is None:  # Null
            absent = raw is _MISSING or raw == "" or raw == []
            return absent in self.null_wants
        want = MISS if spec.negated else HIT
        set_op = spec.set_operator
        if set_op is None:
            if raw is _MISSING:
                return spec.if_exists or spec.negated
            if not isinstance(raw, str):
                return False  # a single-valued operator on a multivalued key
            return self.matcher(ctx)(raw) == want
        if raw is _MISSING or raw == "":
            values: list[str] = []
        elif isinstance(raw, str):
            values = [raw]
        else:
            values = raw
        if not values:
            return set_op == "ForAllValues"
        match = self.matcher(ctx)
        if set_op == "ForAllValues":
            return all(match(v) == want for v in values)
        return any(match(v) == want for v in values)

    def explain(self, ctx: dict[str, ContextValue]) -> str:
        """Why this condition did not hold, in words."""
        cond = self.condition
        raw = ctx.get(self.key, _MISSING)
        wanted = ", ".join(repr(v) for v in cond.values) or "(no values)"
        head = f"{cond.operator} {cond.key}"
        if self.family is None:
            state = "absent" if raw is _MISSING else f"present ({raw!r})"
            if raw == "" or raw == []:
                state = f"empty ({raw!r}, which counts as null)"
            return f"{head}: wanted Null={wanted}, but the key is {state}"
        if raw is _MISSING:
            if self.spec.set_operator == "ForAnyValue":
                return f"{head}: the request has no {cond.key}, and ForAnyValue needs a value"
            return f"{head}: the request has no {cond.key} (wanted {wanted})"
        if raw == [] or raw == "":
            return f"{head}: the request's {cond.key} is empty (wanted {wanted})"
        if self.spec.set_operator is None and isinstance(raw, list):
            return (
                f"{head}: the request's {cond.key} is multivalued ({raw!r}); an operator "
                "without ForAnyValue:/ForAllValues: never matches a multivalued key"
            )
        prepared = self.policy_values(ctx)
        if INVALID in prepared:
            if self.templates and any(t.resolve(ctx) is None for t in self.templates):
                return (
                    f"{head}: a policy variable in {wanted} has no value in this request, so "
                    f"that value can never match (request value {raw!r})"
                )
            return f"{head}: a policy value in {wanted} is not a valid {self.spec.family} value"
        values = [raw] if isinstance(raw, str) else raw
        match = self.matcher(ctx)
        if any(match(v) == ERR for v in values):
            return (
                f"{head}: request value {raw!r} is not a valid {self.spec.family} value, so it "
                f"cannot be compared with {wanted}"
            )
        return f"{head}: request value {raw!r} does not satisfy {wanted}"


def compile_condition(condition: Condition, variables: bool) -> CompiledCondition:
    parts = _compile_parts(condition.operator, condition.key, condition.values, variables)
    return CompiledCondition(condition, *parts)


@lru_cache(maxsize=16384)
def _compile_parts(operator: str, key_name: str, values: tuple[str, ...], variables: bool) -> Any:
    """Everything of a compiled condition but the Condition itself (shared between policies)."""
    spec = parse_operator(operator)
    if spec is None:  # the parser rejects these; keep the evaluator total anyway
        raise ValueError(f"unknown condition operator {operator!r}")
    key = key_name.lower()
    if spec.family == "Null":
        wants = tuple(v.lower() == "true" for v in values)
        return (spec, key, "Null", None, (), (), None, wants)
    positive = POSITIVE_OF.get(spec.base, spec.base)
    family = FAMILIES[spec.family]
    use_variables = variables and family.VARIABLES
    static: list[Any] = []
    templates: list[Template] = []
    for value in values:
        tpl = parse_template(value) if use_variables else None
        if tpl is None:
            static.append(family.prepare(positive, value, None))
        else:
            templates.append(tpl)
    fast: Callable[[str], int] | None = None
    if not templates:
        compile_static = getattr(family, "compile_static", None)
        if compile_static is not None:
            fast = compile_static(positive, static)
        if fast is None:
            prepared, match = list(static), family.match

            def fast(value: str) -> int:
                return outcome(match, positive, prepared, value)

    return (spec, key, positive, family, tuple(static), tuple(templates), fast, ())
