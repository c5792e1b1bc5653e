"""The terminal report: the verdict first, then each copy's findings, then the fixes.

The same content with or without colour; ``rich`` is imported only when colour is on.
"""

from __future__ import annotations

from copyguard.checks.model import Finding, Fix, Report
from copyguard.escape import visible
from copyguard.report.common import (
    action_rows,
    apply_hint,
    check_lang,
    counts,
    decision_text,
    group_by_copy,
    joined_lines,
    location,
    other_evidence,
    sorted_findings,
    sorted_fixes,
    statement_lines,
    table,
    verdict_word,
    wrap,
)
from copyguard.report.labels import (
    applicability_label,
    colon,
    copies_text,
    count_text,
    heading,
    label,
    parens,
    severity_label,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

Segment = tuple[str, str]  # (text, rich style; "" for none)

WIDTH = 100  # the width when the output is not a terminal (files, pipes, goldens)
#: text_chunks gives a piece once a copy's findings end with more lines than this laid out
PIECE_LINES = 200
MIN_WIDTH = 40
_VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "unknown": "bold yellow"}
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}
_DECISION_STYLE = {"allowed": "green", "implicit_deny": "yellow", "explicit_deny": "bold red"}
_APPLICABILITY_STYLE = {"safe": "green", "unsafe": "bold red", "display-only": "yellow"}
_DIFF_STYLE = (("+++", "bold"), ("---", "bold"), ("+", "green"), ("-", "red"), ("@@", "cyan"))


class _Out:
    """Lines of styled segments, taken as text in pieces: plain, or in rich's ANSI colours.

    Every segment's text is made :func:`~copyguard.escape.visible`: control characters, BIDI
    overrides and invisible characters from the input are shown as escapes, never sent to the
    terminal raw (the only newlines are those between lines, the only escape sequences the
    colours of ``_colored``)."""

    def __init__(self, width: int = WIDTH, color: bool = False) -> None:
        self.lines: list[list[Segment]] = []
        self.width = max(width, MIN_WIDTH)
        self.color = color
        self._last_blank = True  # of the lines already taken (none: as if blank)
        self._codes: dict[str, Any] = {}  # colour: style -> its Style's render (parsed once)

    def line(self, *segments: str | Segment) -> None:
        self.lines.append(
            [(visible(s[0]), s[1]) if isinstance(s, tuple) else (visible(s), "") for s in segments]
        )

    def blank(self) -> None:
        if self.lines[-1] if self.lines else not self._last_blank:
            self.lines.append([])

    def take(self) -> list[str]:
        """The lines so far as text (plain, or coloured), which are then let go."""
        if not self.lines:
            return []
        if self.color:
            taken = self._colored()
        else:
            taken = ["".join([t for t, _ in ln]) for ln in self.lines]
        self._last_blank = not self.lines[-1]
        self.lines = []
        return taken

    def para(self, text: str, indent: int, style: str = "", hang: int = 0) -> None:
        """``text`` wrapped at ``indent``; continuation lines indented ``hang`` more."""
        shown = "\n".join(visible(p) for p in text.split("\n"))
        for i, ln in enumerate(wrap(shown, self.width - indent - hang)):
            self.line(" " * (indent + (hang if i else 0)), (ln, style))

    def item(self, bullet: str, text: str, indent: int) -> None:
        self.para(f"{bullet} {text}", indent, hang=len(bullet) + 1)

    def _colored(self) -> list[str]:
        """The lines with each styled segment in rich's ANSI codes for its style (the
        standard 16 colours), as a rich ``Console`` printing each line as a ``Text`` writes
        them (``tests/report/test_report_render.py`` holds one to the other), without the
        console's work per line: 75 microseconds a line, 30 s for a 10,000-copy report.
        The segments are made visible already (no control character, no tab)."""
        from rich.color import ColorSystem
        from rich.style import Style

        codes = self._codes
        lines = []
        for ln in self.lines:
            out = []
            for segment, style in ln:
                if style and segment:
                    render = codes.get(style)
                    if render is None:
                        render = codes[style] = Style.parse(style).render
                    out.append(render(segment, color_system=ColorSystem.STANDARD))
                else:
                    out.append(segment)
            lines.append("".join(out))
        return lines


def text_chunks(
    report: Report,
    lang: str,
    *,
    color: bool = False,
    fix_command: str | None = None,
    apply_command: str | None = None,
    width: int | None = None,
) -> Iterator[str]:
    """The report for a terminal, in pieces, a copy's findings or a few copies' at a time
    (``report.common.joined_lines``): writing them holds those lines, not the report's (3.3
    GB at 100,000 copies). Prose wraps at ``width`` cells (default :data:`WIDTH`); commands,
    diffs and tables are never wrapped, so they stay copy-pasteable. ``color``: rich's ANSI codes for the styles. ``fix_command``
    prints the fix (``copyguard fix ... --as cli``); ``apply_command``, in live mode, writes
    a key-policy fix (``copyguard fix --live ... --apply``)."""
    check_lang(lang)
    return joined_lines(_text_lines(report, lang, color, fix_command, apply_command, width))


def _text_lines(
    report: Report,
    lang: str,
    color: bool,
    fix_command: str | None,
    apply_command: str | None,
    width: int | None,
) -> Iterator[list[str]]:
    out = _Out(width or WIDTH, color)
    findings = sorted_findings(report)
    verdict = report.verdict
    out.line(
        (label("verdict", lang) + colon(lang), "bold"),
        (verdict_word(verdict, lang), _VERDICT_STYLE[verdict]),
        "  " + count_text(counts(findings), lang),
        *(["  · " + copies_text(len(report.copies), lang)] if report.copies else []),
    )
    out.para(label(f"verdict.{verdict}.hint", lang), 0)
    if report.source:
        out.line(label("source", lang) + colon(lang) + report.source)

    if not findings:
        out.blank()
        out.line(label("findings.none", lang))
    for copy, group in group_by_copy(findings, report.copies):
        out.blank()
        title = label("copy.none", lang) if copy is None else f"{label('copy', lang)} {copy}"
        if not group:
            out.line((title, "bold"), "  " + parens(label("copy.ok", lang), lang))
            continue
        out.line((title, "bold"))
        for f in group:
            _finding(out, f, lang)
        if len(out.lines) > PIECE_LINES:  # a copy's findings, or a few copies' together
            yield out.take()

    if report.not_run:
        out.blank()
        out.line((label("not_run", lang), "bold"))
        out.para(label("not_run.hint", lang), 2)
        for nr in sorted(report.not_run, key=lambda x: x.code):
            out.item("-", nr.code + colon(lang) + nr.reason.get(lang), 2)

    if report.assumptions:
        out.blank()
        out.line((label("assumptions", lang), "bold"))
        for a in report.assumptions:
            out.item("-", a.get(lang), 2)

    fixes = sorted_fixes(report)
    if fixes:
        out.blank()
        out.line((label("fixes", lang), "bold"))
        for i, fix in enumerate(fixes, 1):
            _fix(out, i, fix, lang, fix_command, apply_command)

    yield out.take()


def _finding(out: _Out, f: Finding, lang: str) -> None:
    c = colon(lang)
    out.blank()
    out.line(
        "  ",
        (f.code, "bold"),
        " ",
        (f"[{severity_label(f.severity, lang)}]", _SEVERITY_STYLE.get(f.severity, "")),
        " ",
        (f.title.get(lang), "bold"),
    )
    out.para(f.message.get(lang), 4)
    loc = location(f)
    if loc:
        out.line("    " + label("location", lang) + c, (loc, "underline"))
    if f.path:
        out.line("    " + label("path", lang) + c + f.path)
    if f.resource:
        out.line("    " + label("resource", lang) + c + f.resource)
    rows = action_rows(f.evidence)
    if rows:
        out.blank()
        header = (label("action", lang), label("decision", lang))
        shown = [(a, decision_text(d, lang)) for a, d in rows]
        lines = table(shown, header)
        out.line("    ", (lines[0], "bold"))
        out.line("    " + lines[1])
        for (_, decision), (_, word), ln in zip(rows, shown, lines[2:]):
            out.line(
                "    " + ln[: len(ln) - len(word)],
                (word, _DECISION_STYLE.get(decision, "")),
            )
    statements = statement_lines(f.evidence, lang)
    if statements:
        out.line("    " + heading("statements", lang))
        for s in statements:
            out.item("-", s, 6)
    extra = other_evidence(f.evidence)
    if extra:
        out.line("    " + heading("evidence", lang))
        for key, value in extra:
            out.item("-", key + c + value, 6)
    if f.notes:
        out.line("    " + heading("notes", lang))
        for note in f.notes:
            out.item("-", note.get(lang), 6)
    if f.steps:
        out.line("    " + heading("steps", lang))
        for i, step in enumerate(f.steps, 1):
            out.item(f"{i}.", step.get(lang), 6)
    if f.fix:
        applicability = applicability_label(f.fix.applicability, lang)
        out.para(label("fix.ref", lang, kind=f.fix.kind, applicability=applicability), 4)


def _fix(
    out: _Out,
    index: int,
    fix: Fix,
    lang: str,
    fix_command: str | None,
    apply_command: str | None = None,
) -> None:
    c = colon(lang)
    out.blank()
    head: list[Any] = [f"  {index}. ", (fix.kind, "bold")]
    if fix.resource:
        head.append("  " + fix.resource)
    open_, close = parens("|", lang).split("|")
    head += [
        "  " + open_,
        (
            applicability_label(fix.applicability, lang),
            _APPLICABILITY_STYLE.get(fix.applicability, ""),
        ),
        close,
    ]
    out.line(*head)
    out.para(fix.description.get(lang), 5)
    if fix.codes:
        out.line("     " + label("fix.resolves", lang) + c + ", ".join(sorted(set(fix.codes))))
    if fix.principal:
        out.line("     " + label("fix.principal", lang) + c + fix.principal)
    if fix.applicability == "unsafe":
        out.para(label("fix.unsafe", lang), 5, "yellow")
    elif fix.applicability == "display-only" and (fix.steps or fix.commands):
        out.para(label("fix.display-only", lang), 5)
    if fix.steps:
        out.line("     " + heading("fix.steps", lang))
        for i, step in enumerate(fix.steps, 1):
            out.item(f"{i}.", step.get(lang), 7)
    if fix.commands:
        out.line("     " + heading("fix.commands", lang))
        for cmd in fix.commands:
            for ln in cmd.splitlines() or [""]:
                out.line("       ", (ln, "cyan"))
    if fix.diff:
        out.line("     " + heading("fix.diff", lang))
        for ln in fix.diff.rstrip("\n").splitlines():
            style = next((st for prefix, st in _DIFF_STYLE if ln.startswith(prefix)), "")
            out.line("       ", (ln, style))
    how = apply_hint(fix, lang, fix_command, apply_command, lambda c: f"`{c}`")
    if how:
        out.para(how, 5)
