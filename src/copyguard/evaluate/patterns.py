"""Wildcard matching for actions, resources and ARNs (compiled once, cached)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8192)
def glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` matches any run of characters, ``?`` exactly one; everything else is literal."""
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return glob_regex(pattern, ignore_case).match(value) is not None


def segments_regex(segments: list[tuple[bool, str]], ignore_case: bool = False) -> re.Pattern[str]:
    """A regex from (is_literal, text) parts: literal parts never act as wildcards."""
    parts = []
    for literal, text in segments:
        if literal:
            parts.append(re.escape(text))
        else:
            for ch in text:
                parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def split_arn(value: str) -> list[str] | None:
    """``arn:partition:service:region:account:resource`` -> 6 parts, or None."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


@lru_cache(maxsize=8192)
def _arn_pattern_parts(pattern: str) -> tuple[re.Pattern[str], ...] | None:
    parts = split_arn(pattern)
    if parts is None:
        return None
    return tuple(glob_regex(p) for p in parts)


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: segment by segment, wildcards do not cross the first five colons."""
    if pattern == "*":
        return True
    compiled = _arn_pattern_parts(pattern)
    if compiled is None:
        return glob_match(pattern, value)
    parts = split_arn(value)
    if parts is None:
        return False
    return all(rx.match(p) is not None for rx, p in zip(compiled, parts))


def resource_match(pattern: str, value: str) -> bool:
    """Resource element matching: ``*`` or an ARN pattern matched segment by segment."""
    if pattern == "*":
        return True
    if pattern.startswith("arn:") and value.startswith("arn:"):
        return arn_like(pattern, value)
    return glob_match(pattern, value)
