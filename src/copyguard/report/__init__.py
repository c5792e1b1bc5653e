"""Renderers: a :class:`~copyguard.checks.model.Report` (or a rule) as text, JSON, SARIF or
Markdown. Pure functions: they return strings (without a trailing newline) and print nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from copyguard.checks.model import Report
    from copyguard.report.rules_doc import render_rule, render_rules_index, rules_document

FORMATS = ("text", "json", "sarif", "markdown", "html")

__all__ = [
    "FORMATS",
    "render",
    "render_chunks",
    "render_json",
    "render_rule",
    "render_rules_index",
    "rules_document",
]
_RULES_DOC = ("render_rule", "render_rules_index", "rules_document")


def __getattr__(name: str) -> object:
    """The rule documentation's renderers (report/rules_doc.py), imported on first use:
    ``copyguard rules`` needs them, a report does not."""
    if name in _RULES_DOC:
        from copyguard.report import rules_doc

        return getattr(rules_doc, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render(
    report: Report,
    fmt: str,
    lang: str,
    *,
    color: bool = False,
    tool_version: str,
    fix_command: str | None = None,
    apply_command: str | None = None,
    width: int | None = None,
    scenario: Any = None,
) -> str:
    """``report`` in ``fmt`` (text, json, sarif, markdown, html) and ``lang`` (en, zh):
    :func:`render_chunks` joined.

    ``color`` adds ANSI colour to the text format only (same content). ``fix_command`` is
    the exact ``copyguard fix ... --as cli`` line the text and Markdown reports suggest for
    applying a policy fix; without it they show a generic one. ``apply_command`` (live mode)
    is the ``copyguard fix --live ... --apply`` line that writes a key-policy fix. ``width``:
    the terminal width the text format wraps its prose to (commands and diffs never wrap).
    Input strings are escaped for each format (``copyguard.escape``). ``scenario``: the
    Scenario the report judged; the HTML format draws its copy flows from it (without it,
    the page has no picture).
    """
    return "".join(
        render_chunks(
            report,
            fmt,
            lang,
            color=color,
            tool_version=tool_version,
            fix_command=fix_command,
            apply_command=apply_command,
            width=width,
            scenario=scenario,
        )
    )


def render_chunks(
    report: Report,
    fmt: str,
    lang: str,
    *,
    color: bool = False,
    tool_version: str,
    fix_command: str | None = None,
    apply_command: str | None = None,
    width: int | None = None,
    scenario: Any = None,
) -> Iterable[str]:
    """:func:`render` in pieces, joined the same text: JSON and SARIF one finding or fix at a
    time, text a few copies at a time, Markdown a finding's details at a time, HTML about
    64 KiB at a time (a finding's, fix's or copy's values made when the page reaches it),
    so a caller that writes each piece as it comes never holds the whole report's text. An
    unknown format or language is refused before any piece."""
    if fmt == "json":
        return render_json(report, lang, tool_version=tool_version)
    if fmt == "text":
        from copyguard.report.text import text_chunks

        return text_chunks(
            report,
            lang,
            color=color,
            fix_command=fix_command,
            apply_command=apply_command,
            width=width,
        )
    if fmt == "sarif":
        from copyguard.report.sarif import sarif_chunks

        return sarif_chunks(report, lang, tool_version=tool_version)
    if fmt == "markdown":
        from copyguard.report.markdown import markdown_chunks

        return markdown_chunks(report, lang, fix_command=fix_command, apply_command=apply_command)
    if fmt == "html":
        from copyguard.report.html import html_chunks

        return html_chunks(
            report,
            lang,
            scenario=scenario,
            tool_version=tool_version,
            fix_command=fix_command,
            apply_command=apply_command,
        )
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_json(report: Report, lang: str, *, tool_version: str) -> Iterator[str]:
    """The JSON format of :func:`render` in pieces, one finding or fix at a time (joined, the
    same text): a caller that writes each piece as it comes never holds the whole report's
    text."""
    from copyguard.report.common import json_report_chunks

    return json_report_chunks(report, lang, tool_version)
