"""A decision and its explanation travel together."""

from __future__ import annotations

from collections.abc import Callable

from copyguard.evaluate.engine import StatementResult
from copyguard.evaluate.request import Request
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    DecisionValue = Literal["allowed", "implicit_deny", "explicit_deny"]
else:
    DecisionValue = str  # the Literal's stand-in at run time (typing is not imported)


@record(slots=True)
class Decision:
    decision: DecisionValue
    request: Request
    summary: str  # one sentence: why
    deciding: list[tuple[str, str, str | None]] = field(default_factory=list)  # (policy, path, sid)
    notes: list[str] = field(default_factory=list)
    _explainer: Callable[[], list[StatementResult]] | None = field(default=None, repr=False)
    _details: list[StatementResult] | None = field(default=None, repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"

    def statements(self) -> list[StatementResult]:
        """Every statement of every policy consulted, with why it did or did not apply."""
        if self._details is None:
            self._details = self._explainer() if self._explainer else []
        return self._details

    def explain(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "summary": self.summary,
            "deciding_statements": [
                {"policy": p, "statement": path, **({"sid": sid} if sid else {})}
                for p, path, sid in self.deciding
            ],
            "notes": list(self.notes),
            "statements": [r.to_dict() for r in self.statements()],
        }
