"""Minimal text edits of a JSON file: change only what a fix changes.

``--as diff`` patches the user's own policy file. Re-serialising the whole fixed document
would rewrite every line of a file laid out by hand (one-line ``Principal`` objects, inline
``Action`` lists); :func:`minimal_edit` instead keeps the original text everywhere except the
values the fix changes, appended array elements (a new statement) and appended object members
(a new ``Condition``), each written in the style of the text around it.

The result is only used when it parses back to exactly the fixed document; anything the
splicer cannot express (duplicate keys, text that is not JSON) gives ``None`` and the caller
falls back to re-serialising the whole document. Pure: no I/O.
"""

from __future__ import annotations

import bisect
import json
import re

from copyguard.escape import is_unsafe, json_dumps
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_WS = " \t\r\n"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_INDENT = re.compile(r"[ \t]*")


class _Unsupported(Exception):
    """The text is outside what the splicer handles: fall back to a full re-serialisation."""


@record(slots=True)
class _Node:
    """A JSON value in the text: ``text[start:end]`` is exactly the value."""

    kind: str  # "object", "array" or "scalar"
    start: int
    end: int = 0
    children: list[_Node] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # objects: member names, in order
    key_spans: list[tuple[int, int]] = field(default_factory=list)  # objects: name spans


class _Parser:
    """One pass over text already accepted by :func:`json.loads`, recording value spans."""

    def __init__(self, text: str, start: int) -> None:
        self.text = text
        self.i = start

    def ws(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i] in _WS:
            i += 1
        self.i = i

    def expect(self, chars: str) -> str:
        self.ws()
        if self.i >= len(self.text) or self.text[self.i] not in chars:
            raise _Unsupported(f"expected one of {chars!r} at offset {self.i}")
        c = self.text[self.i]
        self.i += 1
        return c

    def string(self) -> tuple[str, int, int]:
        m = _STRING.match(self.text, self.i)
        if m is None:
            raise _Unsupported(f"expected a string at offset {self.i}")
        self.i = m.end()
        value: str = json.loads(m.group(0))
        return value, m.start(), m.end()

    def value(self) -> _Node:
        self.ws()
        if self.i >= len(self.text):
            raise _Unsupported("unexpected end of text")
        c = self.text[self.i]
        node: _Node
        if c == "{":
            node = _Node("object", self.i)
            self.i += 1
            self.ws()
            if self.text[self.i : self.i + 1] == "}":
                self.i += 1
            else:
                seen: set[str] = set()
                while True:
                    self.ws()
                    key, k0, k1 = self.string()
                    if key in seen:
                        raise _Unsupported(f"duplicate key {key!r}")
                    seen.add(key)
                    self.expect(":")
                    node.keys.append(key)
                    node.key_spans.append((k0, k1))
                    node.children.append(self.value())
                    if self.expect(",}") == "}":
                        break
        elif c == "[":
            node = _Node("array", self.i)
            self.i += 1
            self.ws()
            if self.text[self.i : self.i + 1] == "]":
                self.i += 1
            else:
                while True:
                    node.children.append(self.value())
                    if self.expect(",]") == "]":
                        break
        elif c == '"':
            node = _Node("scalar", self.i)
            self.string()
        else:
            node = _Node("scalar", self.i)
            text, i = self.text, self.i
            while i < len(text) and text[i] not in ",]}" + _WS:
                i += 1
            if i == self.i:
                raise _Unsupported(f"expected a value at offset {self.i}")
            self.i = i
        node.end = self.i
        return node


@record(frozen=True, slots=True)
class _Style:
    newline: str  # "\n" or "\r\n"
    unit: str  # one level of indentation
    key_sep: str  # between a member name and its value, e.g. ": "
    item_sep: str  # between items written on one line, e.g. ", "
    expand_all: bool  # every non-empty container spans lines (json.dumps with indent)
    multiline_file: bool  # the document spans lines
    ensure_ascii: bool


def same(a: Any, b: Any) -> bool:
    """JSON equality that also tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _first_start(node: _Node) -> int:
    """Where the first member (its name) or element starts."""
    return node.key_spans[0][0] if node.kind == "object" else node.children[0].start


def _item_start(node: _Node, index: int) -> int:
    return node.key_spans[index][0] if node.kind == "object" else node.children[index].start


def _line_indent(text: str, offset: int) -> str:
    begin = text.rfind("\n", 0, offset) + 1
    m = _INDENT.match(text, begin, offset)
    return m.group(0) if m else ""


def _walk(node: _Node) -> list[_Node]:
    out, todo = [], [node]
    while todo:
        n = todo.pop()
        out.append(n)
        todo.extend(reversed(n.children))
    return out


def _style(text: str, root: _Node) -> _Style:
    nodes = _walk(root)
    containers = [n for n in nodes if n.kind != "scalar" and n.children]
    key_sep = ""
    for n in containers:
        if n.kind == "object":
            between = text[n.key_spans[0][1] : n.children[0].start]
            if "\n" not in between:
                key_sep = between
                break
    key_sep = key_sep or ": "
    item_sep = ""
    unit = ""
    expand_all = True
    for n in containers:
        lead = text[n.start + 1 : _first_start(n)]
        if "\n" not in lead:
            expand_all = False
        elif not unit:
            outer, inner = _line_indent(text, n.start), _line_indent(text, _first_start(n))
            if inner.startswith(outer) and len(inner) > len(outer):
                unit = inner[len(outer) :]
        if not item_sep and len(n.children) > 1:
            between = text[n.children[0].end : _item_start(n, 1)]
            if "\n" not in between:
                item_sep = between
    if not item_sep:
        item_sep = ", " if key_sep.endswith(" ") else ","
    ascii_only = text.isascii() and _escapes_readable_text(text)
    newline = "\r\n" if "\r\n" in text else "\n"
    spans_lines = "\n" in text[root.start : root.end]
    return _Style(newline, unit or "  ", key_sep, item_sep, expand_all, spans_lines, ascii_only)


# a \u escape not preceded by another backslash (an even run of them is literal backslashes)
_U_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")


def _escapes_readable_text(text: str) -> bool:
    """The text writes a readable non-ASCII character as ``\\u`` (``ensure_ascii`` JSON):
    an escaped control or hidden character alone says nothing, copyguard escapes those too."""
    for m in _U_ESCAPE.finditer(text):
        ch = chr(int(m.group(1), 16))
        if not ch.isascii() and not is_unsafe(ch):
            return True
    return False


def _nested(value: Any) -> bool:
    """A container holding a non-empty container."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return any(isinstance(v, (dict, list)) and v for v in items)


class _Splicer:
    def __init__(self, text: str, style: _Style) -> None:
        self.text = text
        self.style = style
        self.edits: list[tuple[int, int, str]] = []

    def render(self, value: Any, indent: str, multiline: bool) -> str:
        s = self.style
        if multiline and isinstance(value, (dict, list)) and value:
            out = json_dumps(
                value, indent=s.unit, separators=(",", s.key_sep), ensure_ascii=s.ensure_ascii
            )
            return out.replace("\n", s.newline + indent)
        return json_dumps(value, separators=(s.item_sep, s.key_sep), ensure_ascii=s.ensure_ascii)

    def edit(self, node: _Node, old: Any, new: Any) -> None:
        if same(old, new):
            return
        # members kept (some changed, some appended): edit each, append the new ones
        if (
            node.kind == "object"
            and isinstance(old, dict)
            and isinstance(new, dict)
            and old
            and all(k in new for k in old)
        ):
            for key, child in zip(node.keys, node.children, strict=True):
                self.edit(child, old[key], new[key])
            added = [(k, v) for k, v in new.items() if k not in old]
            if added:
                self.append(node, added)
            return
        # elements kept in place (some changed), maybe more appended
        if (
            node.kind == "array"
            and isinstance(old, list)
            and isinstance(new, list)
            and old
            and len(new) >= len(old)
        ):
            for child, a, b in zip(node.children, old, new[: len(old)], strict=True):
                self.edit(child, a, b)
            if len(new) > len(old):
                self.append(node, [(None, v) for v in new[len(old) :]])
            return
        # anything else (a member removed, a type changed, a scalar): the whole value
        self.replace(node, new)

    def replace(self, node: _Node, new: Any) -> None:
        text, s = self.text, self.style
        span = text[node.start : node.end]
        was_empty = node.kind != "scalar" and not node.children
        multiline = (
            s.expand_all or "\n" in span or (was_empty and _nested(new) and s.multiline_file)
        )
        indent = _line_indent(text, node.start)
        self.edits.append((node.start, node.end, self.render(new, indent, multiline)))

    def append(self, node: _Node, items: list[tuple[str | None, Any]]) -> None:
        text, s = self.text, self.style
        last = node.children[-1]
        if len(node.children) > 1:
            sep = text[node.children[-2].end : _item_start(node, len(node.children) - 1)]
        else:
            lead = text[node.start + 1 : _first_start(node)]
            sep = "," + lead if lead else s.item_sep
        if sep.count(",") != 1 or sep.strip(_WS) != ",":
            raise _Unsupported("unexpected text between items")
        if "\n" in sep:
            indent = sep[sep.rfind("\n") + 1 :]
            multiline = s.expand_all or "\n" in text[last.start : last.end]
        else:
            indent, multiline = "", False
        key_sep = s.key_sep
        if node.kind == "object":
            between = text[node.key_spans[-1][1] : last.start]
            key_sep = between if "\n" not in between else s.key_sep
        out = []
        for key, value in items:
            name = "" if key is None else json_dumps(key, ensure_ascii=s.ensure_ascii) + key_sep
            out.append(sep + name + self.render(value, indent, multiline))
        self.edits.append((last.end, last.end, "".join(out)))

    def result(self) -> str:
        text = self.text
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text


def _splice(original: str, fixed: Any) -> tuple[str, list[tuple[int, int, str]]] | None:
    """The new text and the edits ``(start, end, replacement)`` that make it, verified."""
    start = 1 if original.startswith("\ufeff") else 0
    try:
        before = json.loads(original[start:])
        parser = _Parser(original, start)
        root = parser.value()
        parser.ws()
        if parser.i != len(original):
            return None
        splicer = _Splicer(original, _style(original, root))
        splicer.edit(root, before, fixed)
        new = splicer.result()
        if not same(json.loads(new[start:]), fixed):
            return None
    except (_Unsupported, ValueError, RecursionError, IndexError, TypeError):
        return None
    return new, splicer.edits


def minimal_edit(original: str, fixed: Any) -> str | None:
    """``original`` (a JSON text, BOM and line endings as read) changed only where ``fixed``
    differs from it, or None when that cannot be done exactly (the caller re-serialises)."""
    done = _splice(original, fixed)
    return None if done is None else done[0]


def split_lines(text: str) -> list[str]:
    """``text`` split after each ``\n`` only, as patch counts lines (``str.splitlines`` would
    also split at U+2028, form feeds and other characters a JSON string may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _regions(text: str, edits: list[tuple[int, int, str]]) -> list[tuple[int, int, list[str]]]:
    """Old lines ``[first, stop)`` and the lines that replace them, one entry per run of
    lines the edits touch, lines the edit leaves as they were trimmed off both ends."""
    old_lines = split_lines(text)
    starts = [0]
    for line in old_lines:
        starts.append(starts[-1] + len(line))
    spans: list[tuple[int, int]] = []
    for a, b, _ in sorted(edits):
        first = bisect.bisect_right(starts, a) - 1
        last = bisect.bisect_right(starts, max(a, b - 1)) - 1
        first, last = min(first, len(old_lines) - 1), min(last, len(old_lines) - 1)
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(last, spans[-1][1]))
        else:
            spans.append((first, last))
    out = []
    for first, last in spans:
        lo, hi = starts[first], starts[last + 1]
        piece = text[lo:hi]
        for a, b, rep in sorted(edits, reverse=True):
            if lo <= a and b <= hi:
                piece = piece[: a - lo] + rep + piece[b - lo :]
        old, new = old_lines[first : last + 1], split_lines(piece)
        stop = last + 1
        while old and new and old[0] == new[0]:
            old, new, first = old[1:], new[1:], first + 1
        while old and new and old[-1] == new[-1]:
            old, new, stop = old[:-1], new[:-1], stop - 1
        if old or new:
            out.append((first, stop, new))
    return out


def _range(start: int, length: int) -> str:
    """A hunk range as ``diff -u`` writes it (``start`` 0-based)."""
    if length == 1:
        return str(start + 1)
    return f"{start if length == 0 else start + 1},{length}"


def minimal_diff(original: str, fixed: Any, name: str, context: int = 3) -> list[str] | None:
    """The unified diff (lines, each ending with ``\n`` except a last line without one)
    that turns ``original`` into its minimal edit: hunks are exactly the lines the edits
    touch, with ``context`` lines around them (no line matching heuristics). None when
    :func:`minimal_edit` is None. ``name`` goes in both headers as given."""
    done = _splice(original, fixed)
    if done is None:
        return None
    old_lines = split_lines(original)
    regions = _regions(original, done[1])
    if not regions:
        return []
    # group the regions whose context would overlap or touch into one hunk
    groups: list[list[tuple[int, int, list[str]]]] = []
    for region in regions:
        if groups and region[0] - groups[-1][-1][1] <= 2 * context:
            groups[-1].append(region)
        else:
            groups.append([region])
    out = [f"--- {name}\n", f"+++ {name}\n"]
    shift = 0  # new line index minus old line index, before the current region
    for group in groups:
        lo = max(0, group[0][0] - context)
        hi = min(len(old_lines), group[-1][1] + context)
        body: list[str] = []
        pos, new_len = lo, 0
        new_start = lo + shift
        for first, stop, new in group:
            body += [" " + ln for ln in old_lines[pos:first]]
            body += ["-" + ln for ln in old_lines[first:stop]]
            body += ["+" + ln for ln in new]
            new_len += (first - pos) + len(new)
            shift += len(new) - (stop - first)
            pos = stop
        body += [" " + ln for ln in old_lines[pos:hi]]
        new_len += hi - pos
        old_range, new_range = _range(lo, hi - lo), _range(new_start, new_len)
        out.append(f"@@ -{old_range} +{new_range} @@\n")
        out += body
    return out


__all__ = ["minimal_diff", "minimal_edit", "same", "split_lines"]
