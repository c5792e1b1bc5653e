"""What every renderer shares: ordering, counts, locations, evidence and text layout."""

from __future__ import annotations

from copyguard.checks.model import Finding, Fix, Report
from copyguard.escape import json_dumps, json_indented, json_string
from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any

LANGS = ("en", "zh")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    return lang


def sorted_findings(report: Report) -> list[Finding]:
    """The report's findings in their stable order, without mutating the report."""
    return sorted(report.findings, key=lambda f: f.sort_key())


def sorted_fixes(report: Report) -> list[Any]:
    return sorted(report.fixes, key=lambda f: (f.kind, f.resource or ""))


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    out = {"errors": 0, "warnings": 0, "notes": 0}
    for f in findings:
        key = {"error": "errors", "warning": "warnings", "note": "notes"}.get(f.severity)
        if key:
            out[key] += 1
    return out


def group_by_copy(
    findings: list[Finding], copies: list[str]
) -> list[tuple[str | None, list[Finding]]]:
    """Findings grouped per copy: those tied to no copy first, then the report's copies in
    their order (with no findings too), then any other copy names, sorted. Linear in the
    copies (membership in a set: a list made it quadratic, 0.7 s at 10,000 copies and
    about a minute at 100,000)."""
    groups: dict[str | None, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.copy, []).append(f)
    order: list[str | None] = [None] if None in groups else []
    listed: set[str] = set()
    for name in copies:
        if name not in listed:
            listed.add(name)
            order.append(name)
    order.extend(sorted(k for k in groups if k is not None and k not in listed))
    return [(name, groups.get(name, [])) for name in order]


def location(f: Finding) -> str | None:
    """``file:line:col`` (or as much of it as is known)."""
    if not f.file:
        return None
    out = f.file
    if f.line is not None:
        out += f":{f.line}"
        if f.column is not None:
            out += f":{f.column}"
    return out


def _decision_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        d = value.get("decision")
        return d if isinstance(d, str) else None
    return None


def action_rows(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """``evidence["actions"]`` (action -> decision) as rows, in the evidence's order."""
    actions = evidence.get("actions")
    if not isinstance(actions, dict):
        return []
    rows = []
    for action, value in actions.items():
        decision = _decision_of(value)
        if decision is not None:
            rows.append((str(action), decision))
    return rows


def _actions(actions: list[Any], lang: str) -> str:
    """A short list of actions; past three, a count."""
    if len(actions) <= 3:
        return ", ".join(str(a) for a in actions)
    return f"{len(actions)} actions" if lang == "en" else f"{len(actions)} 个操作"


def _statement_line(item: Any, lang: str) -> str:
    if not isinstance(item, dict):
        return str(item)
    where = " ".join(str(item[k]) for k in ("policy", "statement") if item.get(k))
    if item.get("sid"):
        where += f' (Sid "{item["sid"]}")' if lang == "en" else f"（Sid “{item['sid']}”）"
    parts = []
    if item.get("effect"):
        parts.append(str(item["effect"]))
    if isinstance(item.get("applies"), bool):
        if lang == "zh":
            parts.append("适用" if item["applies"] else "不适用")
        else:
            parts.append("applies" if item["applies"] else "does not apply")
    if item.get("via"):
        parts.append(("via " if lang == "en" else "经由 ") + str(item["via"]))
    if item.get("action"):
        parts.append(str(item["action"]))
    applies_to = item.get("applies_to")
    if isinstance(applies_to, list):
        if applies_to:
            parts.append(
                ("applies to " if lang == "en" else "适用于 ") + _actions(applies_to, lang)
            )
        else:
            parts.append("applies to none of them" if lang == "en" else "对这些操作均不适用")
    sep = ", " if lang == "en" else "，"
    line = where
    if parts:
        line += (": " if lang == "en" else "：") + sep.join(parts)
    reasons = item.get("reasons")
    if isinstance(reasons, dict) and reasons:
        line += (
            " ("
            + "; ".join(
                f"{r} [{_actions(a, lang)}]" if isinstance(a, list) and a else str(r)
                for r, a in reasons.items()
            )
            + ")"
        )
    elif isinstance(reasons, list) and reasons:
        line += " (" + "; ".join(str(r) for r in reasons) + ")"
    elif isinstance(reasons, str) and reasons:
        line += f" ({reasons})"
    known = ("policy", "statement", "sid", "effect", "applies", "via", "action", "reasons")
    rest = {k: v for k, v in item.items() if k not in (*known, "applies_to")}
    if rest:
        line += " " + compact(rest)
    return line or compact(item)


def statement_lines(evidence: dict[str, Any], lang: str) -> list[str]:
    """``evidence["statements"]`` as readable lines: a list of statement results (the
    evaluator's ``StatementResult.to_dict()`` shape, or strings), or a mapping from an
    action to such a list."""
    statements = evidence.get("statements")
    if statements is None:
        return []
    if isinstance(statements, dict):
        lines = []
        for key, items in statements.items():
            seq = items if isinstance(items, list) else [items]
            for item in seq:
                lines.append(f"{key}: {_statement_line(item, lang)}")
        return lines
    if isinstance(statements, list):
        return [_statement_line(item, lang) for item in statements]
    return [str(statements)]


def other_evidence(evidence: dict[str, Any]) -> list[tuple[str, str]]:
    """Evidence besides the action table and statements, as (key, compact value) rows."""
    return [
        (str(k), v if isinstance(v, str) else compact(v))
        for k, v in evidence.items()
        if k not in ("actions", "statements")
    ]


def _json_default(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, tuple):
        return list(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return str(value)


def compact(value: Any) -> str:
    return json_dumps(value, separators=(", ", ": "), default=_json_default)


def dumps(value: Any) -> str:
    """Pretty, deterministic JSON (key order as built; non-ASCII kept, but controls, BIDI and
    invisible characters and lone surrogates escaped: it always encodes to UTF-8)."""
    return json_dumps(value, indent=2, default=_json_default)


def json_report_chunks(report: Report, lang: str, version: str) -> Iterator[str]:
    """The JSON report in pieces, one finding or fix at a time: joined, exactly
    ``dumps(report.to_dict(lang, version))`` (the report is sorted first, as there). What it
    holds at once is one item's dict and text, not the whole report's (which more than doubled
    the peak memory of a check at scale). Values are laid out by ``escape.json_indented``
    (json's own indented encoder is pure Python, a call per value); a list or mapping that is
    the evidence of more than one finding (the checks share a key's statement evidence between
    their copies) is encoded once."""
    outline = report.json_outline(check_lang(lang), version)
    return json_chunks(outline, shared_evidence(report.findings))


_END = object()
#: how deep :func:`json_chunks` looks for iterators (a report's outline has them two or three
#: levels down); deeper, and inside an iterator's items, values are laid out whole
_STREAM_LEVELS = 6


def json_chunks(
    value: Any, shared: dict[int, tuple[int, str] | None] | None = None, depth: int = 0
) -> Iterator[str]:
    """:func:`dumps` of ``value`` in pieces, where every iterator (a ``map``, a generator)
    in its mappings (with string keys) and lists, down to ``_STREAM_LEVELS`` levels, stands
    for a list whose items are made as they are reached: one item's value and text at a
    time, not the whole list's. Joined, exactly :func:`dumps` of ``value`` with each such
    iterator a list (an iterator inside an item is not one). ``shared``: as
    ``escape.json_indented`` takes it."""
    if hasattr(value, "__next__"):  # an iterator (collections.abc is not imported for this)
        first = next(value, _END)
        if first is _END:
            yield "[]"
            return
        inner = depth + 1
        pad = "\n" + "  " * inner
        yield "[" + pad + json_indented(first, depth=inner, default=_json_default, shared=shared)
        for item in value:
            yield "," + pad + json_indented(item, depth=inner, default=_json_default, shared=shared)
        yield "\n" + "  " * depth + "]"
        return
    kind = type(value)
    if (
        depth < _STREAM_LEVELS
        and value
        and (kind is list or (kind is dict and all(type(k) is str for k in value)))
        and _holds_iterator(value.values() if kind is dict else value, _STREAM_LEVELS - depth)
    ):
        pad = "\n" + "  " * (depth + 1)
        sep = "{" if kind is dict else "["
        members = value.items() if kind is dict else ((None, item) for item in value)
        for key, item in members:
            yield sep + pad + (f"{json_string(key)}: " if key is not None else "")
            sep = ","
            yield from json_chunks(item, shared, depth + 1)
        yield "\n" + "  " * depth + ("}" if kind is dict else "]")
        return
    yield json_indented(value, depth=depth, default=_json_default, shared=shared)


def _holds_iterator(values: Iterable[Any], levels: int) -> bool:
    """Whether an iterator is among ``values``, or in a mapping or list among them, looking
    ``levels`` levels down at most (a cycle, or evidence nested deep, ends the search)."""
    for v in values:
        if hasattr(v, "__next__"):
            return True
        if levels > 1:
            kind = type(v)
            if kind is dict and _holds_iterator(v.values(), levels - 1):
                return True
            if kind is list and _holds_iterator(v, levels - 1):
                return True
    return False


def joined_lines(pieces: Iterable[list[str]]) -> Iterator[str]:
    """Lists of lines, in order, as pieces of text which joined are ``"\\n".join`` of all the
    lines with the line breaks that end it stripped (:func:`stripped_end` of each list's
    lines, each ending in a line break)."""
    return stripped_end("\n".join(lines) + "\n" for lines in pieces if lines)


def blocks(pieces: Iterable[str], size: int) -> Iterator[str]:
    """The pieces joined, in order, into blocks of at least ``size`` characters (the last
    one shorter): fewer, larger pieces, each a run of whole ones."""
    buf: list[str] = []
    held = 0
    for piece in pieces:
        buf.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(buf)
            buf.clear()
            held = 0
    if buf:
        yield "".join(buf)


def stripped_end(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces of text, in order, joined the same as ``"".join(pieces).rstrip("\\n")``:
    the line breaks at a piece's end are held back until text follows them. No piece given
    out is empty."""
    held = 0
    for text in pieces:
        body = text.rstrip("\n")
        if body:
            yield "\n" * held + body
            held = len(text) - len(body)
        else:
            held += len(text)


def shared_evidence(findings: Iterable[Finding]) -> dict[int, tuple[int, str] | None]:
    """{id: None} for every evidence value (a list or mapping) that more than one finding
    holds; ``json_indented`` keeps its text there, with the depth it was laid out at. The
    findings keep the values alive for the whole rendering, so their ids stay theirs."""
    seen: set[int] = set()
    shared: dict[int, tuple[int, str] | None] = {}
    for f in findings:
        for value in f.evidence.values():
            if isinstance(value, list | dict):
                ident = id(value)
                if ident in seen:
                    shared[ident] = None
                else:
                    seen.add(ident)
    return shared


def apply_hint(
    fix: Fix,
    lang: str,
    fix_command: str | None,
    apply_command: str | None,
    quote: Callable[[str], str],
) -> str | None:
    """The "How to apply" sentence of a policy fix (None for other fixes), naming the command
    that matches how the report was made: ``fix_command`` prints the fix as AWS CLI commands
    (``copyguard fix INPUT --as cli``); ``apply_command`` (live mode) writes a key-policy fix.
    ``quote`` formats a command for the target (a code span)."""
    if fix.kind not in ("key-policy", "vault-access-policy") or not (fix.diff or fix.policy):
        return None
    from copyguard.report.labels import label

    unsafe = " --unsafe" if fix.applicability == "unsafe" else ""
    command = (fix_command + unsafe) if fix_command else label("fix.apply.default", lang)
    if apply_command and fix.kind == "key-policy":
        return label(
            "fix.apply.live", lang, apply=quote(apply_command + unsafe), command=quote(command)
        )
    return label("fix.apply.policy", lang, command=quote(command))


# The labels (every fixed string of the text and Markdown reports, in both languages) are
# imported by the renderers that print them: a JSON report needs none.
def verdict_word(verdict: str, lang: str) -> str:
    from copyguard.report.labels import label

    return label(f"verdict.{verdict}", lang)


def decision_text(decision: str, lang: str) -> str:
    from copyguard.report.labels import decision_label

    return decision_label(decision, lang)


# ----------------------------------------------------------------------------- text layout

_WIDE = {"W", "F"}
# CJK punctuation that must not start a line (a small kinsoku set).
_NO_LINE_START = set("，。、；：？！）》」』】’”…")


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes (East Asian wide and full-width characters take two).
    ASCII (most of a report: ARNs, names, English prose) is one cell a character."""
    if text.isascii():
        return len(text)
    import unicodedata  # text and Markdown layout only: a JSON report never loads it

    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in _WIDE else 1
        for c in text
    )


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


# A code span (`copyguard fix ... --as cli`) is one token: a command is never broken across
# lines, so it stays copy-pasteable (a span wider than the line gets a line of its own).
_TOKEN = lazy_compile(
    r"`[^`\n]+`|\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"
    r"|[^\s`\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+|`"
)  # compiled on the first wrap: JSON and SARIF never pay for it


def wrap(text: str, width: int = 88) -> list[str]:
    """Greedy wrap by terminal cells; breaks at spaces and between CJK characters.

    Linear in the text: the line's width is kept as tokens are added (a token other than
    whitespace never ends with whitespace, so the line with it needs no stripping to be
    measured), not measured again for every token (which grew with the square of a long
    paragraph's length: a 10,000-copy text report spent 17 s there)."""
    lines: list[str] = []
    for para in text.split("\n"):
        if cell_width(para) <= width and " ".join(para.split()) == para:
            lines.append(para)  # fits, and no space to fold: the line is the paragraph
            continue
        line, cells = "", 0
        for tok in _TOKEN.findall(para):
            if tok.isspace():
                if line:
                    line += " "
                    cells += 1
                continue
            size = cell_width(tok)
            if line and cells + size > width and tok[0] not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, cells = tok, size
            else:
                line += tok
                cells += size
        lines.append(line.rstrip())
    return lines


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> list[str]:
    """A plain aligned table (header, rule, rows)."""
    widths = [cell_width(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_width(cell))
    out = ["  ".join(pad(h, widths[i]) for i, h in enumerate(header)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(pad(c, widths[i]) for i, c in enumerate(row)).rstrip())
    return out
