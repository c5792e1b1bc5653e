"""Wildcard matching for actions, resources and ARNs (compiled once, cached).

* ``*`` matches any run of characters and ``?`` exactly one (IAM User Guide, "IAM JSON
  policy elements: Action / Resource").
* ARNs match segment by segment: "Each of the six colon-delimited components of the ARN is
  checked separately and each can include multi-character match wildcards (*) or
  single-character match wildcards (?)" (IAM User Guide, condition operators, ARN). A
  wildcard in the partition, service, Region or account never crosses a colon; the resource
  part (after the fifth colon) may itself contain colons.
* Text substituted for a policy variable is literal: its ``*`` and ``?`` are not wildcards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# a pattern as tokens: (text, is_wildcard_capable). Literal tokens never act as wildcards.
Tokens = Iterable[tuple[bool, str]]


@lru_cache(maxsize=16384)
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


def _arn_regex_from_tokens(tokens: Tokens, pad: bool) -> re.Pattern[str] | None:
    """A segment-aware ARN regex. ``pad``: fill missing trailing segments with ``*``."""
    out: list[str] = []
    colons = 0
    for literal, text in tokens:
        for ch in text:
            if ch == ":" and colons < 5:
                colons += 1
                out.append(":")
            elif literal or ch not in "*?":
                out.append(re.escape(ch))
            elif colons < 5:
                out.append("[^:]*" if ch == "*" else "[^:]")
            else:
                out.append(".*" if ch == "*" else ".")
    if colons < 5:
        if not pad:
            return None
        while colons < 5:
            colons += 1
            out.append(":[^:]*" if colons < 5 else ":.*")
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@lru_cache(maxsize=16384)
def arn_pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """ArnLike / ArnEquals: the compiled pattern, None when it is not an ARN (4+ colons)."""
    if pattern.count(":") < 4:
        return None
    if pattern.count(":") == 4:
        pattern += ":"  # iam-simulate and IAM read a missing resource part as empty
    return _arn_regex_from_tokens([(False, pattern)], pad=False)


def arn_segments_regex(segments: list[tuple[bool, str]]) -> re.Pattern[str] | None:
    """Like :func:`arn_pattern_regex` for a template resolved into (is_literal, text) parts."""
    text = "".join(t for _, t in segments)
    if text.count(":") < 4:
        return None
    if text.count(":") == 4:
        segments = [*segments, (True, ":")]
    return _arn_regex_from_tokens(segments, pad=False)


def is_arn_value(value: str) -> bool:
    """A request value the ARN operators can compare: ``arn:`` and at least four colons."""
    return value.startswith("arn:") and value.count(":") >= 4


def arn_value(value: str) -> str:
    return value if value.count(":") >= 5 else value + ":"


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals on plain text: segment by segment (False for non-ARNs)."""
    rx = arn_pattern_regex(pattern)
    if rx is None or not is_arn_value(value):
        return False
    return rx.match(arn_value(value)) is not None


@lru_cache(maxsize=16384)
def resource_regex(pattern: str) -> re.Pattern[str] | None:
    """The Resource-element matcher for a pattern without variables; None: matches nothing.

    An ARN pattern with fewer than six segments matches only when it holds a wildcard; the
    missing segments then read as ``*`` (how IAM and iam-simulate treat ``arn:aws:kms:*``).
    """
    if pattern == "*":
        return re.compile(r".*", re.DOTALL)
    if pattern.startswith("arn:"):
        pad = "*" in pattern and pattern.count(":") < 5
        return _arn_regex_from_tokens([(False, pattern)], pad=pad)
    return glob_regex(pattern)


def resource_segments_regex(segments: list[tuple[bool, str]]) -> re.Pattern[str] | None:
    """The Resource-element matcher for a resolved template."""
    text = "".join(t for _, t in segments)
    if text.startswith("arn:"):
        pad = text.count(":") < 5 and any(not lit and "*" in t for lit, t in segments)
        return _arn_regex_from_tokens(segments, pad=pad)
    return segments_regex(segments)


def resource_match(pattern: str, value: str) -> bool:
    """Resource element matching: ``*`` or an ARN pattern matched segment by segment."""
    rx = resource_regex(pattern)
    return rx is not None and rx.match(value) is not None
