"""``json_positions(text, wanted)`` steps over every container that holds no wanted path (json's
C scanner finds its end) and still answers exactly what the full map answers for the wanted
paths: on generated documents with keys full of dots, brackets, escapes and repeats, on text
cut short or broken, and whatever the wanted paths are (found, ancestors, absent)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.policy import locate
from copyguard.policy.locate import json_positions

_KEYS = st.text(alphabet='ab.[]0"\\é \n', max_size=4)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet='x"\\\n\t é', max_size=5),
)


def _objects(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # an object as its members, so that a key may come twice (JSON allows it; the first
    # occurrence is the one a position names)
    return st.lists(st.tuples(_KEYS, inner), max_size=4).map(lambda pairs: ("obj", pairs))


_VALUES = st.recursive(
    _SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), _objects(inner)), max_leaves=40
)


def _text(value: Any, space: str) -> str:
    if isinstance(value, tuple):
        members = [f"{json.dumps(k)}{space}:{space}{_text(v, space)}" for k, v in value[1]]
        return "{" + space + f",{space}".join(members) + space + "}"
    if isinstance(value, list):
        return "[" + space + f",{space}".join(_text(v, space) for v in value) + space + "]"
    return json.dumps(value)


def _ancestors(path: str) -> set[str]:
    return {path[:i] for i, c in enumerate(path) if c in ".["}


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.sampled_from(["", " ", "\n  "]), st.data())
def test_the_wanted_paths_get_the_full_maps_positions(
    value: Any, space: str, data: st.DataObject
) -> None:
    text = _text(value, space)
    cut = data.draw(st.sampled_from([None, "short", "broken"]))
    if cut == "short":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif cut == "broken" and text:
        at = data.draw(st.integers(0, len(text) - 1))
        text = text[:at] + data.draw(st.sampled_from(["}", "]", ",", '"', "x", ":"])) + text[at:]
    full = json_positions(text)
    paths = sorted(full)
    wanted = set(data.draw(st.lists(st.sampled_from(paths), max_size=5))) if paths else set()
    for p in list(wanted):
        if data.draw(st.booleans()):
            wanted |= _ancestors(p)
    wanted |= set(data.draw(st.lists(_KEYS, max_size=2)))  # most of them absent
    assert json_positions(text, wanted) == {p: full[p] for p in wanted if p in full}


def test_a_container_holding_nothing_wanted_is_not_read_token_by_token(monkeypatch: Any) -> None:
    """The point of it: the key policies a report does not point into are stepped over."""
    doc = {
        "keys": [
            {"arn": f"k{i}", "policy": {"Statement": [{"Sid": str(i)}] * 50}} for i in range(20)
        ],
        "copies": [{"name": f"c{i}"} for i in range(20)],
    }
    text = json.dumps(doc, indent=2)
    seen: list[int] = []
    real = locate._value_end

    def counting(text: str, start: int) -> int | None:
        seen.append(start)
        return real(text, start)

    monkeypatch.setattr(locate, "_value_end", counting)
    wanted = {"keys[3].policy", "keys[7].arn"}
    found = json_positions(text, wanted)
    assert found == {p: json_positions(text)[p] for p in wanted}
    # stepped over, each once: the 18 other keys whole, the two keys' policies (3's is
    # wanted, so placed, not entered), the copies list; nothing else
    offsets: dict[str, int] = {}
    locate._token_offsets(text, offsets)

    def opening(path: str) -> int:  # a member's offset is its key's: its value comes after
        return min(
            i for i in (text.find("{", offsets[path]), text.find("[", offsets[path])) if i >= 0
        )

    expected = [f"keys[{i}]" for i in range(20) if i not in (3, 7)]
    expected += ["keys[3].policy", "keys[7].policy", "copies"]
    assert sorted(seen) == sorted(opening(p) for p in expected)


def test_what_the_scanner_cannot_step_over_is_read_as_before() -> None:
    """A number too long for int(), NaN, a control character in a string: json's scanner
    refuses some of these; the container is then read token by token, as without wanted."""
    text = (
        '{"a": {"n": ' + "9" * 5000 + '}, "b": {"s": "x\ty", "t": 1}, "c": [NaN, 1], "d": {"e": 2}}'
    )
    full = json_positions(text)
    wanted = {"a.n", "b", "b.t", "c[1]", "d"}
    assert json_positions(text, wanted) == {p: full[p] for p in wanted}
    for skipped in ({"d"}, {"c"}, {"x"}):
        assert json_positions(text, skipped) == {p: full[p] for p in skipped if p in full}
