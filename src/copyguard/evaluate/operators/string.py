"""StringEquals, StringEqualsIgnoreCase, StringLike (negations derive from these).

Exact matching is case-sensitive; ``...IgnoreCase`` ignores case; ``StringLike`` takes ``*``
and ``?`` anywhere (IAM User Guide, condition operators, String). Policy variables: yes.
"""

from __future__ import annotations

from collections.abc import Callable

from copyguard.evaluate.operators.base import HIT, INVALID, MISS
from copyguard.evaluate.patterns import glob_matcher, segments_matcher
from copyguard.policy.wildcard import Glob

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARIABLES = True


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    if base == "StringEqualsIgnoreCase":
        return text.lower()
    if base == "StringLike":
        if segments is not None:
            return segments_matcher(segments)
        if "*" not in text and "?" not in text:
            return text
        return glob_matcher(text)
    return text


def match(base: str, prepared: Any, value: str) -> bool | None:
    if base == "StringEqualsIgnoreCase":
        return bool(value.lower() == prepared)
    if isinstance(prepared, Glob):
        return prepared.match(value)
    return bool(value == prepared)


def compile_static(base: str, prepared: list[Any]) -> Callable[[str], int] | None:
    """A fast matcher for policy values without variables."""
    if any(p is INVALID for p in prepared):
        return None
    if base == "StringEqualsIgnoreCase":
        lowered = frozenset(prepared)
        return lambda value: HIT if value.lower() in lowered else MISS
    if base == "StringLike":
        literals = frozenset(p for p in prepared if isinstance(p, str))
        patterns = tuple(p for p in prepared if isinstance(p, Glob))
        if not patterns:
            return lambda value: HIT if value in literals else MISS
        return lambda value: (
            HIT if value in literals or any(g.match(value) for g in patterns) else MISS
        )
    exact = frozenset(prepared)
    return lambda value: HIT if value in exact else MISS
