"""``plain_text``: whether a policy's text as written can be measured and decoded without
a character-set check (issue 11: the batch's decision path tests every line with it)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from copyguard.policy.parse import KEY_POLICY_MAX_BYTES, plain_text

# texts made mostly of the characters the test turns on
PIECES = st.sampled_from(['"', "\\", "u", "\\u", "\\\\u", "\\/", "\x7f", "é", "a", " ", "{}"])


def reference(raw: str) -> bool:
    return (
        len(raw) <= KEY_POLICY_MAX_BYTES
        and raw.isascii()
        and "\\u" not in raw
        and "\x7f" not in raw
    )


@given(st.lists(PIECES, max_size=30).map("".join))
def test_plain_text_is_ascii_without_u_escapes_or_del(raw: str) -> None:
    assert plain_text(raw) == reference(raw)


def test_examples() -> None:
    assert plain_text('{"a":"b\\/c"}')  # an escape, but not \u
    assert not plain_text('{"a":"\\u00e9"}')
    assert not plain_text('{"a":"\\\\u"}')  # an escaped backslash then u: still refused
    assert not plain_text('{"a":"é"}')
    assert not plain_text('{"a":"\x7f"}')
    assert plain_text("x" * KEY_POLICY_MAX_BYTES)
    assert not plain_text("x" * (KEY_POLICY_MAX_BYTES + 1))
