"""The merge takes each entry's addresses from an index built once per input: the same
entries as scanning the whole table for every entry (which made one big plan quadratic)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from copyguard.sources.merge import _Below

SEGMENT = st.sampled_from(["keys", "vaults", "copies", "policy", "a", "Statement"])
INDEX = st.sampled_from(["[0]", "[1]", "[01]", "[10]", ""])
PATH = st.lists(st.tuples(SEGMENT, INDEX), min_size=1, max_size=4).map(
    lambda parts: ".".join(s + i for s, i in parts)
)


def scanned(table: dict[str, str], own: str) -> dict[str, str]:
    return {
        k[len(own) :]: v
        for k, v in table.items()
        if k == own or k.startswith((own + ".", own + "["))
    }


@given(st.dictionaries(PATH, st.text(max_size=3), max_size=30), st.lists(PATH, max_size=10))
def test_index_gives_what_a_scan_gives(table: dict[str, str], owns: list[str]) -> None:
    below = _Below()
    for own in [*owns, *list(table)[:5]]:
        assert below(table, own) == scanned(table, own)


def test_siblings_with_a_common_prefix_stay_apart() -> None:
    table = {"keys[1]": "a", "keys[1].policy": "b", "keys[10]": "c", "keys[1][2]": "d"}
    assert _Below()(table, "keys[1]") == {"": "a", ".policy": "b", "[2]": "d"}
