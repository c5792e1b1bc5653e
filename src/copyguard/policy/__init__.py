"""The pure IAM policy model: parse and validate documents; every node knows its path."""

from copyguard.policy.grammar import BASE_OPERATORS, OperatorSpec, parse_operator
from copyguard.policy.model import (
    Condition,
    Issue,
    Policy,
    PolicyError,
    PolicyKind,
    Principals,
    Statement,
)
from copyguard.policy.parse import KEY_POLICY_MAX_BYTES, parse_policy

__all__ = [
    "BASE_OPERATORS",
    "KEY_POLICY_MAX_BYTES",
    "Condition",
    "Issue",
    "OperatorSpec",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "Principals",
    "Statement",
    "parse_operator",
    "parse_policy",
]
