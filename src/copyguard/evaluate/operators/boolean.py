"""Bool: "true"/"false", compared without regard to case."""

from __future__ import annotations

from typing import Any


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    lowered = text.strip().lower()
    return lowered if lowered in ("true", "false") else None


def match(base: str, prepared: Any, value: str) -> bool:
    return prepared is not None and value.strip().lower() == prepared
