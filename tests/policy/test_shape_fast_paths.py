"""The string-method checks that stand for regular expressions on the quick path (no pattern
compiled at start-up) answer exactly as the expressions they replace; the Sid check (a
pattern compiled on first use) answers as the pattern."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from copyguard.policy import ids, parse

SID = re.compile(r"^[A-Za-z0-9 _.\-:/=+,@]*$")
ACCOUNT = re.compile(r"[0-9]{12}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

CHARS = st.sampled_from(
    [*"aZ09 _.-:/=+,@#!'\"\n\t\r\x00\x1b\x7f\x85\u2028\u2029é", "\u0663", "\uff11", "\ud800"]
)
TEXT = st.text(alphabet=CHARS, max_size=16)
DIGITS = st.text(alphabet=st.sampled_from([*"0123456789", "\u0663", "\uff11", "\n"]), max_size=13)


def _text_problem_by_regex(value: str) -> str | None:
    m = CONTROL.search(value)
    if m:
        return f"it contains the control character {m.group()!r} at position {m.start()}"
    for i, ch in enumerate(value):
        if "\ud800" <= ch <= "\udfff":
            return f"it contains a lone surrogate {ch!r} at position {i} (not valid Unicode)"
    return None


@settings(max_examples=500)
@given(TEXT)
@example("Allow use of the key")
@example("abc\n")
@example("abc\n\n")
@example("\n")
def test_a_sid_is_checked_as_its_expression(sid: str) -> None:
    assert parse.plain_sid(sid) == (SID.match(sid) is not None)


@settings(max_examples=500)
@given(st.one_of(DIGITS, TEXT))
@example("111122223333")
@example("111122223333\n")
@example("11112222333\u0663")
@example("１１１１２２２２３３３３")
def test_an_account_is_checked_as_its_expression(value: str) -> None:
    assert ids.is_account(value) == (ACCOUNT.fullmatch(value) is not None)
    assert (ids.account_problem(value) is None) == (ACCOUNT.fullmatch(value) is not None)


@settings(max_examples=500)
@given(TEXT)
@example("arn:aws:kms:us-east-1:111122223333:key/x")
@example("a\x7fb")
@example("a\u2028b")
def test_text_problems_are_found_as_before(value: str) -> None:
    assert ids.text_problem(value) == _text_problem_by_regex(value)
