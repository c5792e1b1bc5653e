"""The pure evaluator: decisions with their explanations."""

from copyguard.evaluate.decision import Decision, DecisionValue
from copyguard.evaluate.engine import StatementResult, compiled, evaluate_policy, explain_policy
from copyguard.evaluate.lint import lint_policy
from copyguard.evaluate.request import PrincipalInfo, Request, parse_principal
from copyguard.evaluate.services.kms import evaluate_kms
from copyguard.evaluate.services.resource import evaluate_resource_policy

__all__ = [
    "Decision",
    "DecisionValue",
    "PrincipalInfo",
    "Request",
    "StatementResult",
    "compiled",
    "evaluate_kms",
    "evaluate_policy",
    "evaluate_resource_policy",
    "explain_policy",
    "lint_policy",
    "parse_principal",
]
