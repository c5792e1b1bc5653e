"""BinaryEquals: base64 text compared byte for byte."""

from __future__ import annotations

from typing import Any


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    return text


def match(base: str, prepared: Any, value: str) -> bool:
    return bool(value == prepared)
