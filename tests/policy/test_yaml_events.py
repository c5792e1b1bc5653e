"""A YAML scenario read from the parser's events (``scenario/load.py``
``_plain_yaml_document``) is what the node graph's path gives: the same document (aliases the
same objects), positions (mapped when asked: all of them, or the paths asked for) and
integer texts; whatever it does not take, the node graph's path
decides, errors included."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard.scenario import load as scenario_load
from copyguard.scenario.load import ScenarioError, load_scenario
from copyguard.scenario.positions import LazyPositions

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _graph(text: str) -> Any:
    """The node graph's path alone (the fast path switched off), or the exception it raises."""
    original = scenario_load._plain_yaml_document
    scenario_load._plain_yaml_document = lambda *_: None  # type: ignore[assignment]
    try:
        return scenario_load._yaml_document(text, "f.yaml")
    except Exception as exc:  # compared with the other path's outcome
        return exc
    finally:
        scenario_load._plain_yaml_document = original  # type: ignore[assignment]


def _shape(value: Any, ids: dict[int, int]) -> Any:
    """``value`` with every list and mapping numbered by first appearance: two documents with
    the same shape share their objects alike (an alias is the anchored object itself)."""
    if isinstance(value, dict | list):
        if id(value) in ids:
            return ("same", ids[id(value)])
        ids[id(value)] = len(ids)
        if isinstance(value, dict):
            return ("map", ids[id(value)], [(k, _shape(v, ids)) for k, v in value.items()])
        return ("seq", ids[id(value)], [_shape(v, ids) for v in value])
    return (type(value).__name__, repr(value))


def _same(text: str) -> bool:
    """Assert both paths agree on ``text``; True if the events path took it."""
    graph = _graph(text)
    events = scenario_load._plain_yaml_document(text, LOADER)
    if events is None:
        return False
    assert not isinstance(graph, Exception), (text, graph)
    doc, positions, written = events
    if isinstance(positions, LazyPositions):  # the paths asked for only: the same positions
        expected = graph[1]
        wanted = {*list(expected)[::2], "a.b", "[0]", "nope"}
        positions.fill(wanted)
        assert dict(dict.items(positions)) == {p: expected[p] for p in wanted if p in expected}
    assert _shape(doc, {}) == _shape(graph[0], {})
    assert positions == graph[1]
    assert written == graph[2]
    return True


KEYS = st.one_of(
    st.text(alphabet="ab.[]<: -#&*!'\"\n0123", min_size=1, max_size=5),
    st.sampled_from(["a", "b", "a.b", "a[0]", "<<", "1", "0x1", "true", "null", "~", "1.5"]),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**70), 10**70),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["2001-12-14", "0o17", "1_000", "1:30", ".inf", "yes", "=", "~"]),
)


@st.composite
def documents(draw: st.DrawFn) -> Any:
    """Nested values where some lists and mappings appear more than once (safe_dump writes
    them as an anchor and aliases)."""
    shared: list[Any] = []

    def grow(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(KEYS, children, max_size=3),
        )

    tree = st.recursive(SCALARS, grow, max_leaves=12)
    doc = draw(st.dictionaries(KEYS, tree, min_size=1, max_size=4))
    for _ in range(draw(st.integers(0, 3))):
        pick = draw(tree)
        if isinstance(pick, dict | list):
            shared.append(pick)
    for i, obj in enumerate(shared):
        doc[f"s{i}"] = obj
        doc[f"t{i}"] = [obj, {"again": obj}]
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), flow=st.sampled_from([False, True, None]))
def test_generated_documents_read_alike(doc: Any, flow: bool | None) -> None:
    _same(yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True, sort_keys=False))


TAKEN = {
    "plain": "version: 1\nkeys:\n  - arn: a\n    n: 0x1F\n    f: 1.5\n    t: 2001-12-14\n",
    "anchor and aliases": "a: &x [1, {b: 2}]\nc: *x\nd: [*x, *x]\ne: {f: *x}\n",
    "scalar anchor": "a: &n 12\nb: *n\nc: [*n]\n",
    "nested anchors": "a: &o {b: &i [1, 2], c: *i}\nd: *o\ne: [*i, *o]\n",
    "keys not strings, repeated": "a: &x {1: a, 0x2: {3: b}, false: c}\nc: *x\nd: [0, *x]\n",
    "two fields, one path": "a: {b: 1}\na.b: x\nc: [{d: 1}]\nc[0].d: y\n",
    "explicit core tags": "a: !!str 12\nb: !!int '7'\nc: !!float '1'\nd: !!binary aGk=\n",
    "empty values": "a:\nb: []\nc: {}\nd: ''\n",
    "flow": "{a: [1, 2, {b: c}], d: e}\n",
    "empty document": "",
    "comments": "# c\na: 1 # d\n",
    "document markers": "---\na: 1\n...\n",
}
NOT_TAKEN = {
    "merge key": "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
    "literal merge-like key": "'<<': 1\n",
    "complex key": "? [a]\n: 1\n",
    "anchored key": "&k a: 1\nb: *k\n",
    "set": "a: !!set {x, y}\n",
    "omap": "a: !!omap [x: 1]\n",
    "unknown tag": "a: !foo 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "two integers, one path": "a: {b: 1}\na.b: 2\n",
    "two keys constructed equal": "1: a\n0x1: b\n",
    "true is 1": "1: a\ntrue: b\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "undefined alias": "a: *nope\n",
    "recursive alias": "a: &r [1, *r]\n",
    "anchor defined twice": "a: &x 1\nb: &x 2\nc: *x\n",
    "long number": "a: " + "9" * 80 + "\n",
    "too deep": "a: " + "[" * 70 + "]" * 70 + "\n",
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg")),
    "anchors nested deep, each keeping what is inside": "".join(
        f"{{k{i}: &a{i} " for i in range(60)
    )
    + "{"
    + ", ".join(f"f{j}: {j}" for j in range(3000))
    + "}"
    + "}" * 60
    + "\n",
    "parse error": "a: [1, 2\n",
    "bad timestamp": "a: 2001-02-30\n",
    "bad int": "a: !!int x\n",
}


@pytest.mark.parametrize("text", TAKEN.values(), ids=list(TAKEN))
def test_usual_documents_are_read_from_events(text: str) -> None:
    assert _same(text)


@pytest.mark.parametrize("text", NOT_TAKEN.values(), ids=list(NOT_TAKEN))
def test_anything_else_goes_the_node_graphs_way(text: str) -> None:
    assert scenario_load._plain_yaml_document(text, LOADER) is None


@pytest.mark.parametrize("text", [*TAKEN.values(), *NOT_TAKEN.values()], ids=[*TAKEN, *NOT_TAKEN])
def test_the_scenario_reader_answers_as_before(text: str, tmp_path: Any) -> None:
    # the same document or the same error message (with its line and column), with or
    # without the events path
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")

    def outcome() -> str:
        try:
            return repr(load_scenario(path).raw)
        except ScenarioError as exc:
            return f"error: {exc}"

    with_events = outcome()
    original = scenario_load._plain_yaml_document
    scenario_load._plain_yaml_document = lambda *_: None  # type: ignore[assignment]
    try:
        assert outcome() == with_events
    finally:
        scenario_load._plain_yaml_document = original  # type: ignore[assignment]


def test_a_loader_with_its_own_string_constructor_is_followed() -> None:
    # strings are taken as their text only from PyYAML's own constructor
    class Loader(LOADER):  # type: ignore[misc,valid-type]
        pass

    Loader.add_constructor("tag:yaml.org,2002:str", lambda _loader, node: node.value.upper())
    read = scenario_load._plain_yaml_document("a: b\nc: 'd'\ne: [f, 1]\n", Loader)
    assert read is not None
    assert read[0] == {"A": "B", "C": "D", "E": ["F", 1]}
    assert read[1] == {
        "": (1, 1),
        "a": (1, 1),
        "c": (2, 1),
        "e": (3, 1),
        "e[0]": (3, 5),
        "e[1]": (3, 8),
    }


def test_equal_keys_are_one_string_as_json_reads_them() -> None:
    """A key written many times is one string object, as json's reader makes it (a large
    scenario's keys are most of its strings), and the document is the node graph's."""
    import json

    text = "copies:\n" + "".join(
        f"  - name: c{i}\n    resource_type: EBS\n    lifecycle: {{delete_after_days: {i}}}\n"
        for i in range(50)
    )
    assert _same(text)
    events = scenario_load._plain_yaml_document(text, LOADER)
    assert events is not None
    copies = events[0]["copies"]
    for doc in (copies, json.loads(json.dumps(copies))):
        names = {id(k) for c in doc for k in c}
        inner = {id(k) for c in doc for k in c["lifecycle"]}
        assert len(names) == 3 and len(inner) == 1
