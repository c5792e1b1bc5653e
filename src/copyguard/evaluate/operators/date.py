"""DateEquals, DateLessThan(Equals), DateGreaterThan(Equals). Policy variables: no.

"You must specify date/time values with one of the W3C implementations of the ISO 8601 date
formats or in epoch (UNIX) time" (IAM User Guide, condition operators, Date). A value without
a time zone is read as UTC.
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.evaluate.operators.base import INVALID
from copyguard.evaluate.operators.numeric import compare
from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from datetime import UTC, datetime
    from typing import Any
else:  # imported by the first date read (_import_datetime): start-up time
    UTC = datetime = None

VARIABLES = False
_EPOCH_RE = lazy_compile(r"^[+-]?\d+(?:\.\d+)?$")
# W3C NOTE-datetime: YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD (YYYY alone is epoch)
_YEAR_MONTH_RE = lazy_compile(r"^(\d{4})-(\d{2})$")


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
    if datetime is None or UTC is None:
        _import_datetime()
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


def _import_datetime() -> None:
    """Bind the module's ``datetime`` and ``UTC`` (datetime is imported by the first date a
    condition reads, not at start-up; a name already bound, e.g. by a test, is kept)."""
    global UTC, datetime
    if datetime is None:
        from datetime import datetime
    if UTC is None:
        from datetime import UTC


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    moment = to_epoch(text)
    return INVALID if moment is None else moment


def match(base: str, prepared: Any, value: str) -> bool | None:
    moment = to_epoch(value)
    if moment is None:
        return None
    return compare(base[len("Date") :], moment, prepared)
