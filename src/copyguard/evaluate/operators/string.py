"""StringEquals, StringEqualsIgnoreCase, StringLike (negations derive from these)."""

from __future__ import annotations

import re
from typing import Any

from copyguard.evaluate.patterns import glob_regex, segments_regex


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    if base == "StringEqualsIgnoreCase":
        return text.lower()
    if base == "StringLike":
        if segments is not None:
            return segments_regex(segments)
        if "*" not in text and "?" not in text:
            return text
        return glob_regex(text)
    return text


def match(base: str, prepared: Any, value: str) -> bool:
    if base == "StringEqualsIgnoreCase":
        return bool(value.lower() == prepared)
    if isinstance(prepared, re.Pattern):
        return prepared.match(value) is not None
    return bool(value == prepared)
