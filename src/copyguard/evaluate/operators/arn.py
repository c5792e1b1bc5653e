"""ArnEquals / ArnLike (identical in AWS: both take wildcards per ARN segment)."""

from __future__ import annotations

from typing import Any

from copyguard.evaluate.patterns import arn_like, segments_regex, split_arn


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    if segments is not None and any(lit and ("*" in t or "?" in t) for lit, t in segments):
        return segments_regex(segments)  # substituted text must stay literal
    return text


def match(base: str, prepared: Any, value: str) -> bool:
    if isinstance(prepared, str):
        return arn_like(prepared, value)
    return split_arn(value) is not None and prepared.match(value) is not None
