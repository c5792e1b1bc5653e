"""Linear-time wildcard matching (``*`` any run of characters, ``?`` exactly one).

No regular expression is built from policy text, so no pattern can make matching
backtrack: a pattern is cut at its ``*`` into pieces of fixed length; the first piece must
start the value, the last must end it, and the others are found left to right, each at its
leftmost place after the one before (greedy is exact here, because a piece has one length
and anything may come between pieces). Literal runs are found with ``str.find`` /
``str.startswith``; a piece's ``?`` positions are checked around them. Cost: about the
length of the value times the number of pieces that hold a ``?``, and one pass of
``str.find`` per piece otherwise; never exponential.

A pattern is given as text (every ``*`` and ``?`` is a wildcard) or as tokens
``(is_literal, text)``, where literal text (a substituted policy variable, ``${*}``) never
acts as a wildcard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from copyguard.records import record

Tokens = Iterable[tuple[bool, str]]


@record(frozen=True, slots=True)
class _Piece:
    """A run without ``*``: its length and its literal chunks ``(offset, text)``."""

    length: int
    chunks: tuple[tuple[int, str], ...]

    def at(self, value: str, j: int) -> bool:
        """Does the piece match ``value`` at offset ``j`` (the caller checked the length)?"""
        return all(value.startswith(text, j + off) for off, text in self.chunks)

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost ``j`` in ``[start, end - length]`` where the piece matches, or -1."""
        last = end - self.length
        if last < start:
            return -1
        if not self.chunks:
            return start  # only ``?``: any place with room
        off0, text0 = self.chunks[0]
        if len(self.chunks) == 1:
            j0 = value.find(text0, start + off0, last + off0 + len(text0))
            return -1 if j0 < 0 else j0 - off0
        rest = self.chunks[1:]
        lo = start + off0
        hi = last + off0 + len(text0)
        while True:
            j0 = value.find(text0, lo, hi)
            if j0 < 0:
                return -1
            j = j0 - off0
            if all(value.startswith(text, j + off) for off, text in rest):
                return j
            lo = j0 + 1


def _piece(chars: Sequence[tuple[bool, str]]) -> _Piece:
    """``chars``: (is_wildcard_question_mark, char) for one run between stars."""
    chunks: list[tuple[int, str]] = []
    run: list[str] = []
    run_start = 0
    for i, (wild, ch) in enumerate(chars):
        if wild:
            if run:
                chunks.append((run_start, "".join(run)))
                run = []
            run_start = i + 1
        else:
            if not run:
                run_start = i
            run.append(ch)
    if run:
        chunks.append((run_start, "".join(run)))
    return _Piece(len(chars), tuple(chunks))


def _text(piece: _Piece) -> str:
    return piece.chunks[0][1] if piece.chunks else ""


class Glob:
    """A compiled wildcard pattern; :meth:`match` tests a whole value."""

    __slots__ = (
        "_exact",
        "_first",
        "_ignore_case",
        "_last",
        "_length",
        "_middle",
        "_pieces",
        "_texts",
    )

    def __init__(self, tokens: Tokens, ignore_case: bool = False) -> None:
        pieces: list[list[tuple[bool, str]]] = [[]]
        for literal, text in tokens:
            if ignore_case:
                text = text.lower()
            for ch in text:
                if not literal and ch == "*":
                    pieces.append([])
                else:
                    pieces[-1].append((not literal and ch == "?", ch))
        self._ignore_case = ignore_case
        self._pieces = tuple(_piece(p) for p in pieces)
        self._exact = len(self._pieces) == 1
        self._first = self._pieces[0]
        self._last = self._pieces[-1]
        self._middle = tuple(p for p in self._pieces[1:-1] if p.length)
        self._length = sum(p.length for p in self._pieces)
        # without ``?`` every piece is one literal: str methods do all the work
        plain = all(
            not p.length or (len(p.chunks) == 1 and len(p.chunks[0][1]) == p.length)
            for p in self._pieces
        )
        self._texts = tuple(_text(p) for p in self._pieces) if plain else None

    def match(self, value: str) -> bool:
        if self._ignore_case:
            value = value.lower()
        texts = self._texts
        if texts is not None:
            if self._exact:
                return value == texts[0]
            if len(value) < self._length:
                return False
            head, tail = texts[0], texts[-1]
            if not value.startswith(head) or not value.endswith(tail):
                return False
            i, end = len(head), len(value) - len(tail)
            for text in texts[1:-1]:
                if text:
                    j = value.find(text, i, end)
                    if j < 0:
                        return False
                    i = j + len(text)
            return True
        n = len(value)
        first = self._first
        if self._exact:
            return n == first.length and first.at(value, 0)
        if n < self._length:
            return False
        last = self._last
        end = n - last.length
        if not first.at(value, 0) or not last.at(value, end):
            return False
        i = first.length
        for piece in self._middle:
            j = piece.find(value, i, end)
            if j < 0:
                return False
            i = j + piece.length
        return True


@lru_cache(maxsize=16384)
def glob(pattern: str, ignore_case: bool = False) -> Glob:
    """``*`` and ``?`` in ``pattern`` are wildcards; everything else is literal."""
    return Glob([(False, pattern)], ignore_case)


def glob_tokens(tokens: Sequence[tuple[bool, str]], ignore_case: bool = False) -> Glob:
    """A pattern from ``(is_literal, text)`` parts: literal parts never act as wildcards."""
    return Glob(tokens, ignore_case)


class ArnGlob:
    """ARN wildcards: each of the first five colon-separated parts on its own (a wildcard
    there never crosses a colon); the resource part (after the fifth colon) may hold colons."""

    __slots__ = ("_parts",)

    def __init__(self, parts: Sequence[Glob]) -> None:
        self._parts = tuple(parts)

    def match(self, value: str) -> bool:
        fields = value.split(":", 5)
        if len(fields) != 6:
            return False
        return all(g.match(f) for g, f in zip(self._parts, fields, strict=True))


_ANY = Glob([(False, "*")])


def arn_glob_tokens(tokens: Tokens, pad: bool) -> ArnGlob | None:
    """Split tokens at their first five colons (literal or not) into six part patterns.

    With fewer than five colons: None, or with ``pad`` the missing parts match anything.
    """
    parts: list[list[tuple[bool, str]]] = [[]]
    for literal, text in tokens:
        start = 0
        while len(parts) < 6:
            cut = text.find(":", start)
            if cut < 0:
                break
            parts[-1].append((literal, text[start:cut]))
            parts.append([])
            start = cut + 1
        parts[-1].append((literal, text[start:]))
    if len(parts) < 6 and not pad:
        return None
    globs = [Glob(p) for p in parts]
    globs += [_ANY] * (6 - len(globs))
    return ArnGlob(globs)


class Everything:
    """Matches every value (the Resource ``"*"``)."""

    __slots__ = ()

    def match(self, value: str) -> bool:
        return True


EVERYTHING = Everything()
