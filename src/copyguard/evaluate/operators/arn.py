"""ArnEquals / ArnLike (identical in AWS: both take wildcards per ARN segment).

Policy variables: yes. A policy value or request value that is not an ARN can never be
compared (so ``ArnNotLike`` does not hold for it either).
"""

from __future__ import annotations

import re
from typing import Any

from copyguard.evaluate.operators.base import INVALID
from copyguard.evaluate.patterns import (
    arn_pattern_regex,
    arn_segments_regex,
    arn_value,
    is_arn_value,
)

VARIABLES = True


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    rx: re.Pattern[str] | None
    rx = arn_segments_regex(segments) if segments is not None else arn_pattern_regex(text)
    return INVALID if rx is None else rx


def match(base: str, prepared: Any, value: str) -> bool | None:
    if not is_arn_value(value):
        return None
    return prepared.match(arn_value(value)) is not None
