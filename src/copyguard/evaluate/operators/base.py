"""What every operator family shares: the outcome of comparing one request value.

Comparing one request value with a condition's policy values has three outcomes: ``HIT``
(some policy value matches), ``MISS`` (none matches, and every comparison was possible) and
``ERR`` (none matches, and some comparison was not possible: a policy variable without a
value, a policy value or request value that is not a number, date, boolean, IP address or
ARN). A positive operator holds on ``HIT``; a negated one only on ``MISS``: a comparison that
cannot be made never proves "not equal" ("any attempt to match it fails", IAM User Guide,
policy variables).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Final

    # match(base, prepared, request_value) -> True / False, or None when the request value
    # is unusable for this family
    MatchFn = Callable[[str, Any, str], bool | None]

MISS: Final = 0
HIT: Final = 1
ERR: Final = 2


class _Invalid:
    __slots__ = ()

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Final[Any] = _Invalid()
"""A prepared policy value that can never be compared (not a number, not an ARN, ...)."""


def outcome(match: MatchFn, base: str, prepared: list[Any], value: str) -> int:
    """HIT, MISS or ERR for one request value against every prepared policy value."""
    err = False
    for pv in prepared:
        if pv is INVALID:
            err = True
            continue
        r = match(base, pv, value)
        if r:
            return HIT
        if r is None:
            err = True
    return ERR if err else MISS
