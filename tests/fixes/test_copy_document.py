"""``copy_document`` is ``copy.deepcopy`` for policy documents: the same copy (equal values,
no container shared with the original, sharing inside kept as deepcopy keeps it), whatever
the document holds."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.fixes.key_policy import copy_document

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=30,
)


def _containers(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, (dict, list)):
        out.append(value)
        for item in value.values() if isinstance(value, dict) else value:
            _containers(item, out)
    return out


def _shape(value: Any) -> list[int]:
    """Which containers are the same object, as indexes of their first appearance."""
    firsts: dict[int, int] = {}
    return [firsts.setdefault(id(c), i) for i, c in enumerate(_containers(value, []))]


def _alike(doc: Any) -> None:
    ours, theirs = copy_document(doc), copy.deepcopy(doc)
    assert ours == theirs == doc
    assert _shape(ours) == _shape(theirs) == _shape(doc)
    originals = {id(c) for c in _containers(doc, [])}
    assert not originals & {id(c) for c in _containers(ours, [])}


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_a_generated_document_copies_as_deepcopy_copies_it(doc: Any) -> None:
    _alike(doc)


@settings(max_examples=100, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=4), st.data())
def test_shared_containers_stay_shared_as_a_yaml_alias_leaves_them(
    parts: list[Any], data: st.DataObject
) -> None:
    shared = {"Statement": parts[0]}
    doc = {
        "Version": "2012-10-17",
        "Statement": [shared, *parts[1:], shared, [shared]],
        "Extra": data.draw(st.sampled_from([shared, parts[-1], None])),
    }
    _alike(doc)
    copied = copy_document(doc)
    copied["Statement"][0]["Sid"] = "changed"  # the copy's alias changes with it, as deepcopy's
    assert copied["Statement"][-2]["Sid"] == "changed"
    assert "Sid" not in shared


def test_a_cycle_and_values_that_are_not_json() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    odd = {"tuple": (1, [2]), "set": {3}, "decimal": Decimal("1.5"), 4: "int key", (5, 6): [7]}
    doc: dict[Any, Any] = {"loop": loop, "odd": odd, "again": odd["tuple"]}
    ours, theirs = copy_document(doc), copy.deepcopy(doc)
    assert ours["loop"][1] is ours["loop"]
    assert ours["odd"] == theirs["odd"] == odd
    assert ours["odd"]["tuple"][1] is not odd["tuple"][1]
    assert ours["again"] is ours["odd"]["tuple"]  # one memo for both ways of copying


class _Dict(dict[str, Any]):
    pass


class _Key:
    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


def test_a_key_that_is_not_a_string_is_deepcopied() -> None:
    key = _Key("k")
    doc = {key: [1]}
    (ours,), (theirs,) = copy_document(doc), copy.deepcopy(doc)
    assert ours == theirs == key
    assert ours is not key and theirs is not key


def test_a_dict_subclass_is_deepcopied_not_flattened() -> None:
    doc = {"Statement": _Dict(Effect="Allow")}
    copied = copy_document(doc)
    assert type(copied["Statement"]) is _Dict
    assert copied == doc
    assert copied["Statement"] is not doc["Statement"]
