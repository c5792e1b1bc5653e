"""Wildcard matching for actions, resources and ARNs (compiled once, cached).

* ``*`` matches any run of characters and ``?`` exactly one (IAM User Guide, "IAM JSON
  policy elements: Action / Resource").
* ARNs match segment by segment: "Each of the six colon-delimited components of the ARN is
  checked separately and each can include multi-character match wildcards (*) or
  single-character match wildcards (?)" (IAM User Guide, condition operators, ARN). A
  wildcard in the partition, service, Region or account never crosses a colon; the resource
  part (after the fifth colon) may itself contain colons.
* Text substituted for a policy variable is literal: its ``*`` and ``?`` are not wildcards.

Matching is linear (``copyguard.policy.wildcard``): no regular expression is built from
policy text. Every matcher has ``.match(value) -> bool`` (whole value).
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.policy.wildcard import (
    EVERYTHING,
    ArnGlob,
    Glob,
    arn_glob_tokens,
    glob,
    glob_tokens,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class Matcher(Protocol):
        def match(self, value: str) -> bool: ...


def glob_matcher(pattern: str, ignore_case: bool = False) -> Glob:
    """``*`` matches any run of characters, ``?`` exactly one; everything else is literal."""
    return glob(pattern, ignore_case)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return glob(pattern, ignore_case).match(value)


def segments_matcher(segments: list[tuple[bool, str]], ignore_case: bool = False) -> Glob:
    """A matcher from (is_literal, text) parts: literal parts never act as wildcards."""
    return glob_tokens(segments, ignore_case)


def split_arn(value: str) -> list[str] | None:
    """``arn:partition:service:region:account:resource`` -> 6 parts, or None."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


@lru_cache(maxsize=16384)
def arn_pattern_matcher(pattern: str) -> ArnGlob | None:
    """ArnLike / ArnEquals: the compiled pattern, None when it is not an ARN (4+ colons)."""
    if pattern.count(":") < 4:
        return None
    if pattern.count(":") == 4:
        pattern += ":"  # iam-simulate and IAM read a missing resource part as empty
    return arn_glob_tokens([(False, pattern)], pad=False)


def arn_segments_matcher(segments: list[tuple[bool, str]]) -> ArnGlob | None:
    """Like :func:`arn_pattern_matcher` for a template resolved into (is_literal, text) parts."""
    text = "".join(t for _, t in segments)
    if text.count(":") < 4:
        return None
    if text.count(":") == 4:
        segments = [*segments, (True, ":")]
    return arn_glob_tokens(segments, pad=False)


def is_arn_value(value: str) -> bool:
    """A request value the ARN operators can compare: ``arn:`` and at least four colons."""
    return value.startswith("arn:") and value.count(":") >= 4


def arn_value(value: str) -> str:
    return value if value.count(":") >= 5 else value + ":"


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals on plain text: segment by segment (False for non-ARNs)."""
    m = arn_pattern_matcher(pattern)
    if m is None or not is_arn_value(value):
        return False
    return m.match(arn_value(value))


@lru_cache(maxsize=16384)
def resource_matcher(pattern: str) -> Matcher | None:
    """The Resource-element matcher for a pattern without variables; None: matches nothing.

    An ARN pattern with fewer than six segments matches only when it holds a wildcard; the
    missing segments then read as ``*`` (how IAM and iam-simulate treat ``arn:aws:kms:*``).
    """
    if pattern == "*":
        return EVERYTHING
    if pattern.startswith("arn:"):
        pad = "*" in pattern and pattern.count(":") < 5
        return arn_glob_tokens([(False, pattern)], pad=pad)
    return glob(pattern)


def resource_segments_matcher(segments: list[tuple[bool, str]]) -> Matcher | None:
    """The Resource-element matcher for a resolved template."""
    text = "".join(t for _, t in segments)
    if text.startswith("arn:"):
        pad = text.count(":") < 5 and any(not lit and "*" in t for lit, t in segments)
        return arn_glob_tokens(segments, pad=pad)
    return glob_tokens(segments)


def resource_match(pattern: str, value: str) -> bool:
    """Resource element matching: ``*`` or an ARN pattern matched segment by segment."""
    m = resource_matcher(pattern)
    return m is not None and m.match(value)
