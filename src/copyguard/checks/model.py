"""Findings, fixes and reports: values with stable codes (no I/O, no rendering)."""

from __future__ import annotations

import json
from itertools import repeat

from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    from copyguard.checks.analysis import AnalysisCache

    Severity = Literal["error", "warning", "note"]
    Applicability = Literal["safe", "unsafe", "display-only"]
    Verdict = Literal["pass", "fail", "unknown"]

#: the values of ``Severity`` (types only: no runtime ``typing``), for checks at run time
SEVERITIES: tuple[str, ...] = ("error", "warning", "note")
SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}


@record(frozen=True, slots=True)
class Text:
    """A sentence in every language the product speaks."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en


def tr(en: str, zh: str) -> Text:
    return Text(en, zh)


def catalogue_title(code: str) -> Text:
    """The rule catalogue's title for ``code``; an unknown code is a bug in copyguard."""
    from copyguard.checks.rules import rule  # the catalogue imports this module

    found = rule(code)
    if found is None:
        raise ValueError(f"finding code {code!r} is not in the rule catalogue")
    return found.title


@record(frozen=True, slots=True)
class FixRef:
    kind: str  # "key-policy" | "vault-access-policy" | "playbook"
    resource: str | None
    applicability: Applicability

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "resource": self.resource, "applicability": self.applicability}


#: The title a Finding takes from the rule catalogue (``Finding(title=...)`` left out).
CATALOGUE_TITLE = Text("", "")


#: a fingerprint's basis as JSON (one encoder for every finding: ``json.dumps`` with these
#: options would build a new one per call)
_FINGERPRINT_ENCODER = json.JSONEncoder(sort_keys=True, default=str)


@record(slots=True)
class Finding:
    """One finding. Its title is the catalogue's title for its code (``checks/docs/rules.yaml``,
    read once, on first use): checks never pass ``title``; what is specific to one finding
    goes in its message. An explicit ``title`` exists only for renderer tests."""

    code: str
    severity: Severity
    message: Text
    title: Text = CATALOGUE_TITLE
    copy: str | None = None
    resource: str | None = None
    path: str | None = None  # scenario field path; the edge resolves it to file:line:column
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: FixRef | None = None
    steps: list[Text] = field(default_factory=list)  # what to do next
    notes: list[Text] = field(default_factory=list)  # assumptions and uncertainty, in words
    file: str | None = None
    line: int | None = None
    column: int | None = None
    #: the last fingerprint with what it was made of (a report sorts its findings and names
    #: their fingerprints several times; not output, not compared)
    _fingerprint: tuple[list[Any], str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.title is CATALOGUE_TITLE:
            self.title = catalogue_title(self.code)

    @property
    def fingerprint(self) -> str:
        keys = sorted(self.evidence)
        basis = [self.code, self.copy, self.resource, self.path, keys]
        memo = self._fingerprint
        if memo is not None and memo[0] == basis:
            return memo[1]
        from copyguard.knowledge._loader import sha256_hex

        value = sha256_hex(_FINGERPRINT_ENCODER.encode(basis).encode())[:16]
        # kept when equal values encode alike: str keys (not 1 and True, equal but not alike)
        if all(type(k) is str for k in keys) and all(
            v is None or type(v) is str for v in basis[:4]
        ):
            self._fingerprint = (basis, value)
        return value

    def sort_key(self) -> tuple[Any, ...]:
        return (
            SEVERITY_ORDER.get(self.severity, 9),
            self.copy or "",
            self.code,
            self.resource or "",
            self.path or "",
            self.fingerprint,
        )

    def to_dict(self, lang: str = "en", fingerprint: str | None = None) -> dict[str, Any]:
        """The finding as JSON values (``fingerprint``: :attr:`fingerprint`, when the caller
        has it already)."""
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "copy": self.copy,
            "resource": self.resource,
            "title": self.title.get(lang),
            "message": self.message.get(lang),
            "evidence": self.evidence,
            "fix": self.fix.to_dict() if self.fix else None,
        }
        if self.path:
            out["path"] = self.path
        if self.file:
            out["location"] = {"file": self.file, "line": self.line, "column": self.column}
        if self.steps:
            out["steps"] = [s.get(lang) for s in self.steps]
        if self.notes:
            out["notes"] = [n.get(lang) for n in self.notes]
        out["fingerprint"] = self.fingerprint if fingerprint is None else fingerprint
        return out


@record(slots=True)
class Fix:
    """A proposed change, as a value. ``policy`` is the whole fixed document."""

    kind: str  # "key-policy" | "vault-access-policy" | "playbook"
    resource: str | None
    applicability: Applicability
    description: Text
    policy: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    diff: str = ""
    principal: str | None = None
    codes: list[str] = field(default_factory=list)  # the findings it resolves
    steps: list[Text] = field(default_factory=list)  # playbooks: commands to run
    commands: list[str] = field(default_factory=list)
    verification: dict[str, Any] = field(default_factory=dict)
    region: str | None = None
    account: str | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "resource": self.resource,
            "applicability": self.applicability,
            "description": self.description.get(lang),
            "policy": self.policy,
            "diff": self.diff,
            "resolves": sorted(set(self.codes)),
        }
        if self.principal:
            out["principal"] = self.principal
        if self.steps:
            out["steps"] = [s.get(lang) for s in self.steps]
        if self.commands:
            out["commands"] = list(self.commands)
        if self.verification:
            out["verification"] = self.verification
        return out


@record(slots=True)
class NotRun:
    """A check the run could not perform for lack of data (quick form)."""

    code: str
    reason: Text


@record(slots=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    not_run: list[NotRun] = field(default_factory=list)
    source: str | None = None
    copies: list[str] = field(default_factory=list)
    assumptions: list[Text] = field(default_factory=list)
    #: the run's source-key analyses, for build_fixes to reuse (set by run_checks; not output)
    analyses: AnalysisCache | None = field(default=None, repr=False, compare=False)

    def sort(self) -> None:
        self._sort()

    def _sort(self) -> list[str]:
        """Sort findings and fixes; the findings' fingerprints, in the new order (each
        computed once: it is the last part of the sort key)."""
        keys = [f.sort_key() for f in self.findings]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self.findings[:] = [self.findings[i] for i in order]
        self.fixes.sort(key=lambda f: (f.kind, f.resource or ""))
        return [keys[i][-1] for i in order]

    @property
    def verdict(self) -> Verdict:
        if any(f.severity == "error" for f in self.findings):
            return "fail"
        if any(f.code == "CG902" for f in self.findings):
            return "unknown"
        return "pass"

    def to_dict(self, lang: str = "en", version: str = "0.1.0") -> dict[str, Any]:
        out = self.json_outline(lang, version)
        out["findings"] = list(out["findings"])
        out["fixes"] = list(out["fixes"])
        return out

    def json_outline(self, lang: str = "en", version: str = "0.1.0") -> dict[str, Any]:
        """:meth:`to_dict` (the report sorted first), but "findings" and "fixes" are iterators
        that make each item's dict when it is reached: a renderer that writes one item at a
        time holds one item's dict, not the report's."""
        fingerprints = self._sort()
        out: dict[str, Any] = {
            "tool": {"name": "copyguard", "version": version},
            "verdict": self.verdict,
            "findings": map(Finding.to_dict, self.findings, repeat(lang), fingerprints),
            "fixes": map(Fix.to_dict, self.fixes, repeat(lang)),
        }
        if self.source:
            out["source"] = self.source
        if self.copies:
            out["copies"] = self.copies
        if self.not_run:
            out["checks_not_run"] = [
                {"code": n.code, "reason": n.reason.get(lang)} for n in self.not_run
            ]
        if self.assumptions:
            out["assumptions"] = [a.get(lang) for a in self.assumptions]
        return out
