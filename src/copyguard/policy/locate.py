"""Map JSON paths (``Statement[2].Condition.Bool``) to line and column in the source text.

Only used when something must be reported, so the normal parse path stays on the fast C
``json`` decoder. The scanner below walks the text once and records where every value
starts; it assumes the text is valid JSON (it is only called after ``json.loads`` succeeded).
"""

from __future__ import annotations

import contextlib
import json

from copyguard.lazyre import lazy_compile
from copyguard.policy.paths import path_ancestors

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterator
    from typing import Any

_WS = " \t\r\n"
#: one JSON token: a string (escapes included), an opening, a closing, a comma, or a scalar
#: (number, true, false, null); whitespace and colons fall between tokens. The string
#: pattern is the unrolled loop: linear, no backtracking.
_TOKEN = lazy_compile(r'("[^"\\]*(?:\\.[^"\\]*)*")|([{\[])|([}\]])|(,)|[^ \t\r\n{}\[\],:"]+')


def _path_join(base: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part


class _Scanner:
    """The character-by-character reading of JSON's value offsets: the reference that
    :func:`_token_offsets` (what :func:`json_positions` uses, several times faster) is
    tested against."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.found: dict[str, int] = {}

    def ws(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i] in _WS:
            i += 1
        self.i = i

    def string(self) -> str:
        text = self.text
        start = self.i
        end = text.find('"', start + 1)
        if end < 0:
            raise IndexError("unterminated string")
        if text.find("\\", start + 1, end) < 0:  # no escape (the common case): the text itself
            self.i = end + 1
            return text[start + 1 : end]
        i = start + 1
        while True:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                break
            i += 1
        self.i = i + 1
        value: str = json.loads(text[start : i + 1])
        return value

    def value(self, path: str) -> None:
        self.ws()
        self.found.setdefault(path, self.i)
        c = self.text[self.i]
        if c == "{":
            self.i += 1
            self.ws()
            if self.text[self.i] == "}":
                self.i += 1
                return
            while True:
                self.ws()
                key_pos = self.i
                key = self.string()
                self.found.setdefault(_path_join(path, key), key_pos)
                self.ws()
                self.i += 1  # colon
                self.value(_path_join(path, key))
                self.ws()
                c = self.text[self.i]
                self.i += 1
                if c == "}":
                    return
        elif c == "[":
            self.i += 1
            self.ws()
            if self.text[self.i] == "]":
                self.i += 1
                return
            index = 0
            while True:
                self.value(_path_join(path, index))
                self.ws()
                c = self.text[self.i]
                self.i += 1
                index += 1
                if c == "]":
                    return
        elif c == '"':
            self.string()
        else:
            text, i = self.text, self.i
            while i < len(text) and text[i] not in ",]}" + _WS:
                i += 1
            self.i = i


def _token_offsets(
    text: str, found: dict[str, int], wanted: set[str] | frozenset[str] | None = None
) -> None:
    """The offsets :class:`_Scanner` finds, from the tokens of one regular-expression pass
    (no recursion, no Python loop over characters): a member's path starts at its key, an
    element's at its value. ``wanted``: keep only these paths, and step over every object or
    array that holds none of them (the bulk of a scenario: key policies a report does not
    point into) with json's C scanner instead of reading its tokens. Raises IndexError or
    ValueError on text that is not JSON, leaving what was found so far."""
    setd: Callable[[str, int], object] = found.setdefault
    within: set[str] | None = None  # wanted: the containers to go into (None: every one)
    if wanted is not None:
        within = path_ancestors(wanted)

        def setd(key: str, offset: int) -> None:
            if key in wanted and key not in found:
                found[key] = offset

    stack: list[tuple[str, bool, int]] = []  # the enclosing containers: (path, object?, index)
    path, is_object, index = "", False, 0  # the innermost container
    expect_key = False
    at = ""  # the path of the next value
    tokens: Iterator[re.Match[str]] | None = _TOKEN.finditer(text)
    while tokens is not None:
        current, tokens = tokens, None
        for m in current:
            kind = m.lastindex
            if kind == 1:  # a string: a key, or a value
                if expect_key:
                    token = m[1]
                    key = token[1:-1] if "\\" not in token else json.loads(token)
                    at = f"{path}.{key}" if path else key
                    expect_key = False
                setd(at, m.start())
            elif kind == 4:  # a comma: the next member or element
                if is_object:
                    expect_key = True
                else:
                    index += 1
                    at = f"{path}[{index}]"
            elif kind == 2:  # { or [
                setd(at, m.start())
                if within is not None and at and at not in within:
                    end = _value_end(text, m.start())
                    if end is not None:  # stepped over: as after its closing bracket
                        expect_key = False
                        tokens = _TOKEN.finditer(text, end)
                        break
                stack.append((path, is_object, index))
                path, index = at, 0
                is_object = expect_key = m[2] == "{"
                if not is_object:
                    at = f"{path}[0]"
            elif kind == 3:  # } or ]
                path, is_object, index = stack.pop()
                expect_key = False
            else:  # a number, true, false or null
                setd(at, m.start())


_scan_once: Callable[[str, int], tuple[object, int]] | None = None


def _value_end(text: str, start: int) -> int | None:
    """Where the JSON value that starts at ``start`` ends (json's C scanner reads it), or
    None if it cannot tell (not JSON, too deep, a number too long to convert): the caller
    then reads the value's tokens itself, as it would have."""
    global _scan_once
    if _scan_once is None:
        decoder: Any = json.JSONDecoder()  # its scan_once: json.scanner's C scanner
        _scan_once = decoder.scan_once
    try:
        return _scan_once(text, start)[1]
    except (StopIteration, ValueError, RecursionError):
        return None


def json_positions(
    text: str, wanted: set[str] | frozenset[str] | None = None
) -> dict[str, tuple[int, int]]:
    """Return ``{path: (line, column)}`` (both 1-based) for every value in ``text`` (``wanted``:
    for those of these paths that are in it; the map of a large scenario is most of the
    memory its reading keeps, and a report needs the positions of its findings only).

    Linear in the text: one tokenizing pass, then the offsets are turned into positions in
    order. The offsets are exactly those of :class:`_Scanner` (the character-by-character
    reading, kept as the reference: ``tests/policy/test_locate_strings.py``).
    """
    found: dict[str, int] = {}
    # a partial map is still useful
    with contextlib.suppress(IndexError, ValueError, RecursionError):
        _token_offsets(text, found, wanted)
    return positions_of(text, found)


def positions_of(text: str, offsets: dict[str, int]) -> dict[str, tuple[int, int]]:
    """``{key: offset}`` -> ``{key: (line, column)}``, in one pass over the text: the offsets
    in increasing order (as :func:`_token_offsets` finds them; sorted first otherwise), the
    newlines between one and the next counted by ``str.count``. No table of line starts (a
    100,000-copy scenario has 3.5 million lines: a list of as many integers, 0.8 s to build
    before it was searched once per offset) and nothing that grows faster than the text."""
    if not offsets:
        return {}
    items = list(offsets.items())
    values = list(offsets.values())
    ordered = values == sorted(values)  # linear on ordered input
    if not ordered:
        items.sort(key=lambda item: item[1])
    count, rfind = text.count, text.rfind
    out: dict[str, tuple[int, int]] = {}
    line, line_start, done = 1, 0, 0  # the line and its start at offset ``done``
    for key, offset in items:
        newlines = count("\n", done, offset)
        if newlines:
            line += newlines
            line_start = rfind("\n", done, offset) + 1
        done = offset
        out[key] = (line, offset - line_start + 1)
    return out if ordered else {key: out[key] for key in offsets}


def offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    """One offset's position (linear in the text: for many offsets use :func:`positions_of`)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column
