"""NumericEquals, NumericLessThan(Equals), NumericGreaterThan(Equals)."""

from __future__ import annotations

import math
from typing import Any


def to_number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    return to_number(text)


def match(base: str, prepared: Any, value: str) -> bool:
    if prepared is None:
        return False
    number = to_number(value)
    if number is None:
        return False
    return compare(base[len("Numeric") :], number, prepared)


def compare(op: str, left: float, right: float) -> bool:
    if op == "Equals":
        return left == right
    if op == "LessThan":
        return left < right
    if op == "LessThanEquals":
        return left <= right
    if op == "GreaterThan":
        return left > right
    if op == "GreaterThanEquals":
        return left >= right
    raise ValueError(f"unknown comparison {op}")
