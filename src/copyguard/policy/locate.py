"""Map JSON paths (``Statement[2].Condition.Bool``) to line and column in the source text.

Only used when something must be reported, so the normal parse path stays on the fast C
``json`` decoder. The scanner below walks the text once and records where every value
starts; it assumes the text is valid JSON (it is only called after ``json.loads`` succeeded).
"""

from __future__ import annotations

import bisect
import contextlib
import json

_WS = " \t\r\n"


def _path_join(base: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part


class _Scanner:
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


def json_positions(text: str) -> dict[str, tuple[int, int]]:
    """Return ``{path: (line, column)}`` (both 1-based) for every value in ``text``.

    Linear in the text: one scan, then the offsets are turned into positions in order.
    """
    scanner = _Scanner(text)
    # a partial map is still useful
    with contextlib.suppress(IndexError, ValueError, RecursionError):
        scanner.value("")
    return positions_of(text, scanner.found)


def positions_of(text: str, offsets: dict[str, int]) -> dict[str, tuple[int, int]]:
    """``{key: offset}`` -> ``{key: (line, column)}``, in one pass over the text."""
    starts = line_starts(text)
    out: dict[str, tuple[int, int]] = {}
    for key, offset in offsets.items():
        line = bisect.bisect_right(starts, offset)
        out[key] = (line, offset - starts[line - 1] + 1)
    return out


def line_starts(text: str) -> list[int]:
    """The offset where each line begins (``[0, ...]``)."""
    starts = [0]
    find = text.find
    i = find("\n")
    while i >= 0:
        starts.append(i + 1)
        i = find("\n", i + 1)
    return starts


def offset_to_line_col(text: str, offset: int) -> tuple[int, int]:
    """One offset's position (linear in the text: for many offsets use :func:`positions_of`)."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def locate(positions: dict[str, tuple[int, int]], path: str) -> tuple[int, int] | None:
    """The position of ``path`` or of its nearest ancestor that has one."""
    while True:
        if path in positions:
            return positions[path]
        if not path:
            return None
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
