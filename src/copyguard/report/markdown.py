"""Markdown for pull-request comments: a verdict badge line, a findings table, details per
finding in ``<details>`` blocks, fixes as ``diff`` blocks."""

from __future__ import annotations

import html
import re

from copyguard.checks.model import Finding, Fix, Report
from copyguard.escape import md_cell, md_code, md_text, visible
from copyguard.report.common import (
    action_rows,
    apply_hint,
    check_lang,
    counts,
    decision_text,
    joined_lines,
    location,
    other_evidence,
    sorted_findings,
    sorted_fixes,
    statement_lines,
    verdict_word,
)
from copyguard.report.labels import (
    applicability_label,
    copies_text,
    count_text,
    label,
    parens,
    severity_label,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

_BADGE = {"pass": "✅", "fail": "❌", "unknown": "❔"}
_SEVERITY_ICON = {"error": "🔴", "warning": "🟡", "note": "🔵"}
_DECISION_ICON = {"allowed": "✅", "implicit_deny": "⛔", "explicit_deny": "🚫"}


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (one line, Markdown and HTML escaped)."""
    return md_cell(text)


_SPAN = re.compile(r"(`[^`\n]+`)")


def text(value: str) -> str:
    """Prose for Markdown: the message's own inline code spans (single backticks) kept as
    code, everything else escaped (no emphasis, links, images or HTML from input); unsafe
    characters visible."""
    parts = _SPAN.split(value)
    return "".join(
        md_code(p[1:-1]) if i % 2 else md_text(p) if p else "" for i, p in enumerate(parts)
    )


def code(text: str, *, in_table: bool = False) -> str:
    """Inline code that survives backticks inside ``text``."""
    return md_code(text, in_table=in_table)


def fenced(body: str, info: str = "") -> list[str]:
    body = "\n".join(visible(ln) for ln in body.rstrip("\n").split("\n"))
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{info}", body, fence]


def markdown_chunks(
    report: Report,
    lang: str,
    *,
    fix_command: str | None = None,
    apply_command: str | None = None,
) -> Iterator[str]:
    """The report as Markdown, in pieces (``report.common.joined_lines``): the table a
    thousand rows at a time, then a finding's or a fix's details at a time."""
    check_lang(lang)
    return joined_lines(_markdown_lines(report, lang, fix_command, apply_command))


def _markdown_lines(
    report: Report, lang: str, fix_command: str | None, apply_command: str | None
) -> Iterator[list[str]]:
    findings = sorted_findings(report)
    verdict = report.verdict
    n = counts(findings)
    colon = ": " if lang == "en" else "："
    lines: list[str] = [
        f"### copyguard{colon}{_BADGE[verdict]} **{verdict_word(verdict, lang)}** — "
        + count_text(n, lang)
        + (" · " + copies_text(len(report.copies), lang) if report.copies else ""),
        "",
        text(label(f"verdict.{verdict}.hint", lang)),
    ]
    if report.source:
        lines += ["", f"{label('source', lang)}{colon}{code(report.source)}"]

    if findings:
        lines += [
            "",
            f"| {label('rules.code', lang)} | {label('rules.severity', lang)} | "
            f"{label('copy', lang)} | {label('rules.title', lang)} |",
            "|---|---|---|---|",
        ]
        for f in findings:
            lines.append(
                f"| {code(f.code, in_table=True)} | {_SEVERITY_ICON.get(f.severity, '')} "
                f"{cell(severity_label(f.severity, lang))} | {cell(f.copy or '—')} | "
                f"{cell(f.title.get(lang))} |"
            )
            if len(lines) >= 1000:
                yield lines
                lines = []
        for f in findings:
            lines += ["", *_details(f, lang)]
            yield lines
            lines = []
    else:
        lines += ["", label("findings.none", lang)]

    if report.not_run:
        lines += ["", f"#### {label('not_run', lang)}", "", label("not_run.hint", lang), ""]
        for nr in sorted(report.not_run, key=lambda x: x.code):
            lines.append(f"- **{md_text(nr.code)}**{colon}{text(nr.reason.get(lang))}")

    if report.assumptions:
        lines += ["", f"#### {label('assumptions', lang)}", ""]
        lines += [f"- {text(a.get(lang))}" for a in report.assumptions]

    fixes = sorted_fixes(report)
    if fixes:
        lines += ["", f"#### {label('fixes', lang)}"]
        for i, fix in enumerate(fixes, 1):
            lines += ["", *_fix(i, fix, lang, fix_command, apply_command)]
            yield lines
            lines = []
    yield lines


def _html(value: str) -> str:
    """Text inside raw HTML (``<summary>``): entities (``[`` too, in case a renderer reads
    Markdown there), and unsafe characters visible."""
    return html.escape(visible(value), quote=False).replace("[", "&#91;")


def _details(f: Finding, lang: str) -> list[str]:
    colon = ": " if lang == "en" else "："
    summary = (
        f"<code>{_html(f.code)}</code> {_SEVERITY_ICON.get(f.severity, '')} "
        f"{_html(severity_label(f.severity, lang))}"
        + (f" · {_html(f.copy)}" if f.copy else "")
        + f" — {_html(f.title.get(lang))}"
    )
    out = ["<details>", f"<summary>{summary}</summary>", "", text(f.message.get(lang))]
    facts = []
    loc = location(f)
    if loc:
        facts.append(f"**{label('location', lang)}**{colon}{code(loc)}")
    if f.path:
        facts.append(f"**{label('path', lang)}**{colon}{code(f.path)}")
    if f.resource:
        facts.append(f"**{label('resource', lang)}**{colon}{code(f.resource)}")
    if facts:
        out += [""] + [fact + "  " for fact in facts[:-1]] + facts[-1:]
    rows = action_rows(f.evidence)
    if rows:
        out += [
            "",
            f"| {label('action', lang)} | {label('decision', lang)} |",
            "|---|---|",
        ]
        out += [
            f"| {code(a, in_table=True)} | {_DECISION_ICON.get(d, '')} "
            f"{cell(decision_text(d, lang))} |"
            for a, d in rows
        ]
    statements = statement_lines(f.evidence, lang)
    if statements:
        out += ["", f"**{label('statements', lang)}**", ""]
        out += [f"- {cell(s)}" for s in statements]
    extra = other_evidence(f.evidence)
    if extra:
        out += ["", f"**{label('evidence', lang)}**", ""]
        out += [f"- {code(k)}{colon}{cell(v)}" for k, v in extra]
    if f.notes:
        out += ["", f"**{label('notes', lang)}**", ""]
        out += [f"- {text(n.get(lang))}" for n in f.notes]
    if f.steps:
        out += ["", f"**{label('steps', lang)}**", ""]
        out += [f"{i}. {text(s.get(lang))}" for i, s in enumerate(f.steps, 1)]
    if f.fix:
        out += [
            "",
            label(
                "fix.ref",
                lang,
                kind=f.fix.kind,
                applicability=applicability_label(f.fix.applicability, lang),
            ),
        ]
    out += ["", "</details>"]
    return out


def _fix(
    index: int, fix: Fix, lang: str, fix_command: str | None, apply_command: str | None
) -> list[str]:
    colon = ": " if lang == "en" else "："
    head = f"**{index}. {md_text(fix.kind)}**"
    if fix.resource:
        head += f" {code(fix.resource)}"
    head += " " + parens(applicability_label(fix.applicability, lang), lang)
    out = [head, "", text(fix.description.get(lang))]
    meta = []
    if fix.codes:
        resolves = ", ".join(sorted(set(fix.codes)))
        meta.append(f"{label('fix.resolves', lang)}{colon}{md_text(resolves)}")
    if fix.principal:
        meta.append(f"{label('fix.principal', lang)}{colon}{code(fix.principal)}")
    if meta:
        out += [""] + [m + "  " for m in meta[:-1]] + meta[-1:]
    if fix.applicability == "unsafe":
        out += ["", f"> ⚠️ {label('fix.unsafe', lang)}"]
    if fix.steps:
        out += [""] + [f"{i}. {text(s.get(lang))}" for i, s in enumerate(fix.steps, 1)]
    if fix.commands:
        out += ["", *fenced("\n".join(fix.commands), "sh")]
    if fix.diff:
        out += ["", *fenced(fix.diff, "diff")]
    how = apply_hint(fix, lang, fix_command, apply_command, md_code)
    if how:
        out += ["", how]
    return out
