"""``copyguard.lazyre.lazy_compile``: a regular expression compiled on first use behaves as
``re.compile`` of the same pattern and flags."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copyguard.lazyre import lazy_compile

PATTERNS = [
    (r"[0-9]{12}", 0),
    (r"(?P<head>[a-z]+)-(\d+)", re.IGNORECASE),
    (r"^(\s*)([#>+=\[-]|\d+[.)])", 0),
    (r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", 0),
]


def test_nothing_is_compiled_before_first_use() -> None:
    lazy = lazy_compile(r"(unbalanced")  # an invalid pattern fails only when used
    assert "match" not in vars(lazy)
    assert repr(lazy) == "lazy_compile('(unbalanced')"
    with pytest.raises(re.error):
        lazy.match("x")


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_attributes_are_those_of_the_compiled_pattern(pattern: str, flags: int) -> None:
    lazy, real = lazy_compile(pattern, flags), re.compile(pattern, flags)
    assert (lazy.pattern, lazy.flags, lazy.groups, dict(lazy.groupindex)) == (
        real.pattern,
        real.flags,
        real.groups,
        dict(real.groupindex),
    )
    assert "match" in vars(lazy)  # later calls go straight to the compiled pattern


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
@given(text=st.text(alphabet="abcXYZ0123456789-#> \n\x1b\u2028", max_size=30))
def test_every_method_answers_as_the_compiled_pattern(pattern: str, flags: int, text: str) -> None:
    lazy, real = lazy_compile(pattern, flags), re.compile(pattern, flags)

    def groups(m: re.Match[str] | None) -> object:
        return None if m is None else (m.span(), m.groups())

    assert groups(lazy.match(text)) == groups(real.match(text))
    assert groups(lazy.fullmatch(text)) == groups(real.fullmatch(text))
    assert groups(lazy.search(text)) == groups(real.search(text))
    assert lazy.sub("<\\g<0>>", text) == real.sub("<\\g<0>>", text)
    assert lazy.subn("", text, count=1) == real.subn("", text, count=1)
    assert lazy.split(text) == real.split(text)
    assert lazy.findall(text) == real.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in real.finditer(text)]


def test_special_names_are_not_forwarded() -> None:
    lazy = lazy_compile(r"a")
    assert not hasattr(lazy, "__deepcopy__")
    assert "match" not in vars(lazy)  # looking up a special name compiles nothing
