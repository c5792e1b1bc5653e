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


def test_a_thread_that_started_compiling_finishes_after_another_did() -> None:
    # the race an organization scan's threads met: one thread is inside the first use's
    # __getattr__ when another has finished it (the object is a _Compiled by then)
    lazy = lazy_compile(r"(a+)b")
    first_use = type(lazy).__getattr__
    assert lazy.fullmatch("aab") is not None  # the other thread: compiled, class changed
    late = first_use(lazy, "fullmatch")  # the first thread, going on where it was
    assert late("aab") is not None and late("b") is None
    assert lazy.search("xaab").group(1) == "aa"


def test_threads_using_a_pattern_first_all_get_answers() -> None:
    import threading

    for _ in range(50):
        lazy = lazy_compile(r"[0-9]{3}")
        start = threading.Barrier(8)
        failures: list[BaseException] = []

        def use(
            pattern: object = lazy,
            barrier: threading.Barrier = start,
            failures: list[BaseException] = failures,
        ) -> None:
            barrier.wait()
            try:
                assert pattern.fullmatch("123") is not None  # type: ignore[attr-defined]
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not failures, failures
