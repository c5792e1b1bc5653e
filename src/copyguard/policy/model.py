"""The policy document model: plain, immutable values that know where they came from."""

from __future__ import annotations

from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Severity = Literal["error", "warning"]
    PolicyKind = Literal["key", "identity", "scp", "rcp", "resource"]
else:  # the Literals' stand-ins at run time (typing is not imported)
    Severity = str
    PolicyKind = str

PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


@record(frozen=True, slots=True)
class Issue:
    """A problem found in a document, with the JSON path and (for text input) the position."""

    severity: Severity
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    source: str | None = None
    code: str = ""

    def location(self) -> str:
        where = self.source or "<policy>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        return f"{where}: {self.path}" if self.path else where

    def __str__(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
        }
        if self.source:
            out["file"] = self.source
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        if self.code:
            out["code"] = self.code
        return out


class PolicyError(ValueError):
    """AWS would reject this document. ``issues`` holds every error found (and the warnings)."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...], source: str | None = None) -> None:
        self.issues = tuple(issues)
        self.source = source
        errors = [i for i in self.issues if i.severity == "error"] or list(self.issues)
        head = str(errors[0]) if errors else "invalid policy"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(head + more)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")


@record(slots=True, unsafe_hash=True)  # immutable by convention: frozen is 5x slower to build
class Condition:
    """One ``operator -> key -> values`` entry of a Condition block."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str  # as written, e.g. "aws:PrincipalOrgPaths"
    values: tuple[str, ...]  # every value as AWS sees it: strings ("true", "12")
    path: str  # "Statement[1].Condition.StringEquals.kms:CallerAccount"


@record(slots=True, unsafe_hash=True)  # immutable by convention: frozen is 5x slower to build
class Principals:
    """A Principal or NotPrincipal element. ``wildcard`` is ``"*"`` or ``{"AWS": "*"}``."""

    wildcard: bool
    entries: tuple[tuple[str, str], ...]  # (type, value), e.g. ("AWS", "arn:aws:iam::1:root")

    def values(self, kind: str) -> tuple[str, ...]:
        return tuple(v for t, v in self.entries if t == kind)


@record(slots=True, unsafe_hash=True)  # immutable by convention: frozen is 5x slower to build
class Statement:
    index: int
    path: str
    sid: str | None
    effect: Literal["Allow", "Deny"]
    principal: Principals | None
    principal_negated: bool
    actions: tuple[str, ...] | None  # None: no Action/NotAction element (never applies)
    actions_negated: bool
    resources: tuple[str, ...] | None  # None: no Resource/NotResource element
    resources_negated: bool
    conditions: tuple[Condition, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.path} ({self.sid})" if self.sid else self.path


@record(slots=True, eq=False)
class Policy:
    """A parsed policy document. Compiled forms are cached on it (``compiled``)."""

    document: dict[str, Any]
    statements: tuple[Statement, ...]
    version: str | None
    kind: PolicyKind
    name: str
    warnings: tuple[Issue, ...] = ()
    size: int = 0
    compiled: Any = None  # filled by copyguard.evaluate on first use
    text: str | None = field(default=None, repr=False)  # the source text, for text input

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are only interpreted under Version 2012-10-17."""
        return self.version == "2012-10-17"

    def statement_by_sid(self, sid: str) -> Statement | None:
        for st in self.statements:
            if st.sid == sid:
                return st
        return None
