"""BinaryEquals: base64 text compared byte for byte. Policy variables: no."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARIABLES = False


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    return text


def match(base: str, prepared: Any, value: str) -> bool | None:
    return bool(value == prepared)
