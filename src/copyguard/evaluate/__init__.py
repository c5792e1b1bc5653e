"""The pure evaluator: decisions with their explanations."""

from copyguard.lazyload import submodule_getattr

TYPE_CHECKING = False
if TYPE_CHECKING:  # every name is imported from its submodule on first use: see __getattr__
    from copyguard.evaluate.decision import Decision, DecisionValue
    from copyguard.evaluate.engine import StatementResult, compiled, evaluate_policy, explain_policy
    from copyguard.evaluate.lint import lint_policy
    from copyguard.evaluate.request import PrincipalInfo, Request, parse_principal
    from copyguard.evaluate.services.kms import evaluate_kms
    from copyguard.evaluate.services.resource import evaluate_resource_policy

#: the submodule each public name comes from
_HOMES = {
    "Decision": "decision",
    "DecisionValue": "decision",
    "StatementResult": "engine",
    "compiled": "engine",
    "evaluate_policy": "engine",
    "explain_policy": "engine",
    "lint_policy": "lint",
    "PrincipalInfo": "request",
    "Request": "request",
    "parse_principal": "request",
    "evaluate_kms": "services.kms",
    "evaluate_resource_policy": "services.resource",
}


# a public name is imported from its submodule on first use (start-up time: a command
# imports only the parts it uses, e.g. no linter or resource-policy evaluator for a key
# policy check): copyguard/lazyload.py
__getattr__ = submodule_getattr(__name__, _HOMES, globals())


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
