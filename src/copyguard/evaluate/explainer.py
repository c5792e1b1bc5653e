"""A decision's statement-by-statement explanation, computed when it is asked for.

Every :class:`~copyguard.evaluate.decision.Decision` can explain itself, but few are ever
asked to (the evidence of a failing check, ``simulate --explain``). A ``check`` of a large
scenario keeps tens of decisions per key, so what each keeps for that matters: a closure over
the evaluation's locals held the lower-cased context dict, the principal and about ten cells
per decision (about 6 KB per key of a 2,000-key scenario; bench/README.md,
``bench_check_scale.py``). An :class:`Explainer` keeps two references, the policies in the
order they are explained and the request, and derives the principal and the context from the
request again when called (both are pure functions of it).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from copyguard.evaluate.engine import StatementResult
    from copyguard.evaluate.request import Request
    from copyguard.policy import Policy


class Explainer:
    """``explainer()`` -> every statement of ``policies`` (in order) judged for ``request``."""

    __slots__ = ("policies", "request")

    def __init__(self, policies: tuple[Policy, ...], request: Request) -> None:
        self.policies = policies
        self.request = request

    def __call__(self) -> list[StatementResult]:
        from copyguard.evaluate.engine import explain_policy
        from copyguard.evaluate.request import build_context, parse_principal

        request = self.request
        principal = parse_principal(request.principal)
        ctx = build_context(request, principal)
        out: list[StatementResult] = []
        for policy in self.policies:
            out += explain_policy(policy, principal, request.action, request.resource, ctx)
        return out
