"""json_positions reads a string without escapes by slicing the text (no json.loads per
string); the positions must be exactly those of the escape-aware reading, for any JSON."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.policy import locate
from copyguard.policy.locate import json_positions


class _Reference(locate._Scanner):
    """Every string read character by character and decoded by json.loads."""

    def string(self) -> str:
        text = self.text
        start = self.i
        i = start + 1
        while True:
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                break
            i += 1
        self.i = i + 1
        value: str = json.loads(text[start : i + 1])
        return value


def _reference(text: str) -> dict[str, tuple[int, int]]:
    scanner = _Reference(text)
    scanner.value("")
    return locate.positions_of(text, scanner.found)


keys = st.text(alphabet=st.sampled_from('ab"\\/\n\t é\u2028{}[]:,'), max_size=6)
documents: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | keys,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, 1, 2]), st.booleans())
def test_positions_equal_the_escape_aware_reading(
    doc: Any, indent: int | None, ascii_: bool
) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_)
    assert json_positions(text) == _reference(text)


def test_escaped_keys_are_decoded() -> None:
    text = '{"a\\"b": {"c\\\\": 1}, "plain": [2]}'
    positions = json_positions(text)
    assert positions['a"b.c\\'] == (1, text.index('"c') + 1)  # where the key starts
    assert positions["plain[0]"] == (1, text.index("2") + 1)
