"""NumericEquals, NumericLessThan(Equals), NumericGreaterThan(Equals). Policy variables: no.

Values are integers or decimals ("comparing a key to an integer or decimal value", IAM User
Guide, condition operators, Numeric). Anything else can never be compared.
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.evaluate.operators.base import INVALID
from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARIABLES = False
_NUMBER_RE = lazy_compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


#: Values at most this long are remembered once read, so a request's number is read once
#: however many statements compare it; longer text is read each time and never kept.
MEMO_MAX_CHARS = 64


def to_number(text: str) -> float | None:
    """The number an integer or decimal text stands for; None when it is not one."""
    if len(text) <= MEMO_MAX_CHARS:
        return _to_number_memo(text)
    return _read_number(text)


def _read_number(text: str) -> float | None:
    text = text.strip()
    if not _NUMBER_RE.match(text):
        return None
    return float(text)


_to_number_memo = lru_cache(maxsize=4096)(_read_number)


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    number = to_number(text)
    return INVALID if number is None else number


def match(base: str, prepared: Any, value: str) -> bool | None:
    number = to_number(value)
    if number is None:
        return None
    return compare(base[len("Numeric") :], number, prepared)


def compare(op: str, left: float, right: float) -> bool:
    """``left`` is the request value, ``right`` the policy value."""
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
