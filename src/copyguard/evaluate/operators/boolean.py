"""Bool: "true" / "false", compared without regard to case. Policy variables: yes.

A policy value or a request value that is not a boolean can never be compared.
"""

from __future__ import annotations

from copyguard.evaluate.operators.base import INVALID

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARIABLES = True
_BOOLEANS = ("true", "false")


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    lowered = text.lower()
    return lowered if lowered in _BOOLEANS else INVALID


def match(base: str, prepared: Any, value: str) -> bool | None:
    lowered = value.lower()
    if lowered not in _BOOLEANS:
        return None
    return bool(lowered == prepared)
