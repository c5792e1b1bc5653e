"""ArnEquals / ArnLike (identical in AWS: both take wildcards per ARN segment).

Policy variables: yes. A policy value or request value that is not an ARN can never be
compared (so ``ArnNotLike`` does not hold for it either).
"""

from __future__ import annotations

from copyguard.evaluate.operators.base import INVALID
from copyguard.evaluate.patterns import (
    arn_pattern_matcher,
    arn_segments_matcher,
    arn_value,
    is_arn_value,
)
from copyguard.policy.wildcard import ArnGlob

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VARIABLES = True


def prepare(base: str, text: str, segments: list[tuple[bool, str]] | None) -> Any:
    m: ArnGlob | None
    m = arn_segments_matcher(segments) if segments is not None else arn_pattern_matcher(text)
    return INVALID if m is None else m


def match(base: str, prepared: Any, value: str) -> bool | None:
    if not is_arn_value(value):
        return None
    return bool(prepared.match(arn_value(value)))
