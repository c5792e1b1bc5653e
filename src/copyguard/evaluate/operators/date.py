"""DateEquals, DateLessThan(Equals), DateGreaterThan(Equals). Policy variables: no.

"You must specify date/time values with one of the W3C implementations of the ISO 8601 date
formats or in epoch (UNIX) time" (IAM User Guide, condition operators, Date). A value without
a time zone is read as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from copyguard.evaluate.operators.base import INVALID
from copyguard.evaluate.operators.numeric import compare

VARIABLES = False
_EPOCH_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
# W3C NOTE-datetime: YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD (YYYY alone is epoch)
_YEAR_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


#: Values at most this long are remembered once read (every valid date is shorter), so a
#: request's date is read once however many statements compare it; longer text is read
#: each time and never kept.
MEMO_MAX_CHARS = 64


def to_epoch(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date or an epoch number; None when it is neither."""
    if len(text) <= MEMO_MAX_CHARS:
        return _to_epoch_memo(text)
    return _read_epoch(text)


def _read_epoch(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    if _EPOCH_RE.match(text):
        return float(text)
    m = _YEAR_MONTH_RE.match(text)
    if m:
        try:
            return datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=UTC).timestamp()
        except ValueError:
            return None
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


_to_epoch_memo = lru_cache(maxsize=4096)(_read_epoch)


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    moment = to_epoch(text)
    return INVALID if moment is None else moment


def match(base: str, prepared: Any, value: str) -> bool | None:
    moment = to_epoch(value)
    if moment is None:
        return None
    return compare(base[len("Date") :], moment, prepared)
