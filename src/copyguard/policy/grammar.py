"""The IAM policy grammar facts the parser needs: operator names and their families."""

from __future__ import annotations

from functools import cache

from copyguard.records import record

# base operator name (lower case) -> (canonical spelling, family, negated)
BASE_OPERATORS: dict[str, tuple[str, str, bool]] = {
    name.lower(): (name, family, negated)
    for name, family, negated in (
        ("StringEquals", "String", False),
        ("StringNotEquals", "String", True),
        ("StringEqualsIgnoreCase", "String", False),
        ("StringNotEqualsIgnoreCase", "String", True),
        ("StringLike", "String", False),
        ("StringNotLike", "String", True),
        ("NumericEquals", "Numeric", False),
        ("NumericNotEquals", "Numeric", True),
        ("NumericLessThan", "Numeric", False),
        ("NumericLessThanEquals", "Numeric", False),
        ("NumericGreaterThan", "Numeric", False),
        ("NumericGreaterThanEquals", "Numeric", False),
        ("DateEquals", "Date", False),
        ("DateNotEquals", "Date", True),
        ("DateLessThan", "Date", False),
        ("DateLessThanEquals", "Date", False),
        ("DateGreaterThan", "Date", False),
        ("DateGreaterThanEquals", "Date", False),
        ("Bool", "Bool", False),
        ("BinaryEquals", "Binary", False),
        ("IpAddress", "IpAddress", False),
        ("NotIpAddress", "IpAddress", True),
        ("ArnEquals", "Arn", False),
        ("ArnLike", "Arn", False),
        ("ArnNotEquals", "Arn", True),
        ("ArnNotLike", "Arn", True),
        ("Null", "Null", False),
    )
}


@record(frozen=True, slots=True)
class OperatorSpec:
    """A parsed condition operator: ``ForAnyValue:StringLikeIfExists`` and the like."""

    written: str
    base: str  # canonical base name, e.g. "StringLike"
    family: str  # String, Numeric, Date, Bool, Binary, IpAddress, Arn, Null
    negated: bool
    if_exists: bool
    set_operator: str | None  # "ForAnyValue" | "ForAllValues" | None


@cache
def parse_operator(written: str) -> OperatorSpec | None:
    """Split an operator into its set prefix, base name and IfExists suffix.

    Any letter case is accepted (as the independent evaluator we test against does); the
    spec keeps the canonical spelling for reports. ``None`` means "not an IAM operator".
    """
    rest = written
    set_op: str | None = None
    if ":" in rest:
        prefix, _, rest = rest.partition(":")
        p = prefix.lower()
        if p == "foranyvalue":
            set_op = "ForAnyValue"
        elif p == "forallvalues":
            set_op = "ForAllValues"
        else:
            return None
    lowered = rest.lower()
    if_exists = False
    if lowered.endswith("ifexists"):
        if_exists = True
        lowered = lowered[: -len("ifexists")]
    spec = BASE_OPERATORS.get(lowered)
    if spec is None:
        return None
    base, family, negated = spec
    if if_exists and family == "Null":
        return None  # NullIfExists is not an operator
    return OperatorSpec(written, base, family, negated, if_exists, set_op)
