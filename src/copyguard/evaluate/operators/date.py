"""DateEquals, DateLessThan(Equals), DateGreaterThan(Equals): ISO 8601 or epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from copyguard.evaluate.operators.numeric import compare


def to_epoch(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    candidate = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    return to_epoch(text)


def match(base: str, prepared: Any, value: str) -> bool:
    if prepared is None:
        return False
    moment = to_epoch(value)
    if moment is None:
        return False
    return compare(base[len("Date") :], moment, prepared)
