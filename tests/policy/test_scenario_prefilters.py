"""What reading a scenario skips, shortens or remembers (``scenario/load.py``): the look for
lone surrogates runs only when the text could hold one (``_may_hold_surrogates``), the depth
check walks lists and objects a level at a time (``_json_depth_ok``), and an ARN is checked
once per kind of field (``_arn``). Each answers as the full work does."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.scenario import load as scenario_load
from copyguard.scenario.load import ScenarioError, parse_scenario_text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for s in _strings(value) for c in s)


TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=4) | (
    st.sampled_from(["\ud800", "\udfff", "\ud83d\ude00", "\\ud800", "\\u", "\ud7ff\ue000"])
)
DOCS = st.recursive(
    st.none() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(doc=DOCS, ascii_only=st.booleans())
def test_a_json_text_with_a_lone_surrogate_in_its_strings_is_walked(
    doc: Any, ascii_only: bool
) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only)
    if _has_surrogate(json.loads(text)):
        assert scenario_load._may_hold_surrogates(text)


@settings(max_examples=400, deadline=None)
@given(
    code=st.integers(0xD000, 0xE0FF) | st.integers(0, 0x10FFFF),
    form=st.sampled_from(["\\u{:04x}", "\\u{:04X}", "\\U{:08x}", "\\U{:08X}", "\\x{:02x}"]),
)
def test_a_yaml_escape_that_makes_a_lone_surrogate_is_seen(code: int, form: str) -> None:
    if code > (0xFF if form.startswith("\\x") else 0xFFFF if form.startswith("\\u") else code):
        return
    text = f'a: "{form.format(code)}"\nb: [plain]\n'
    try:
        # the pure-Python loader (what copyguard uses without libyaml) makes the character;
        # libyaml's refuses the escape
        doc = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return  # not a string at all
    assert _has_surrogate(doc) == scenario_load._may_hold_surrogates(text)


def test_without_a_hint_no_walk_and_with_one_the_field_is_named() -> None:
    plain = '{"version": 1, "copies": [{"name": "\\u00e9t\\u00e9"}]}'
    assert not scenario_load._may_hold_surrogates(plain)
    assert not scenario_load._may_hold_surrogates('{"name": "été 夏"}')  # not ASCII, no surrogate
    assert scenario_load._may_hold_surrogates('{"name": "été \ud800"}')
    parse_scenario_text(plain, "s.json", None)
    with pytest.raises(ScenarioError, match=r"copies\[0\]\.name.*surrogate"):
        parse_scenario_text(plain.replace("00e9t", "d800t"), "s.json", None)


def _depth(value: Any) -> int:
    """How many levels below ``value`` its deepest value is (the plain recursive way)."""
    if isinstance(value, dict) and value:
        return 1 + max(_depth(v) for v in value.values())
    if isinstance(value, list) and value:
        return 1 + max(_depth(v) for v in value)
    return 0


@settings(max_examples=400, deadline=None)
@given(
    doc=st.recursive(
        st.integers() | st.just([]) | st.just({}),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
        max_leaves=12,
    ),
    limit=st.integers(0, 5),
)
def test_the_depth_check_is_the_recursive_one(doc: Any, limit: int) -> None:
    saved = scenario_load.MAX_DEPTH
    scenario_load.MAX_DEPTH = limit
    try:
        assert scenario_load._json_depth_ok(doc) == (_depth(doc) <= limit)
    finally:
        scenario_load.MAX_DEPTH = saved


def test_an_arn_valid_in_one_field_is_still_checked_in_another() -> None:
    vault = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"
    copy = {
        "name": "c0",
        "resource_type": "EBS",
        "resource_arn": "arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0",
        "source_vault": "arn:aws:backup:us-east-1:111122223333:backup-vault:local",
        "destination_vault": vault,
    }
    doc = {"version": 1, "copies": [copy, {**copy, "name": "c1", "resource_key": vault}]}
    with pytest.raises(ScenarioError, match=r"copies\[1\]\.resource_key.*KMS key"):
        parse_scenario_text(json.dumps(doc), "s.json", None)
    # the same value twice in one kind of field: read, and the same scenario as checked anew
    twice = {"version": 1, "copies": [copy, {**copy, "name": "c1"}]}
    scenario = parse_scenario_text(json.dumps(twice), "s.json", None)
    assert [c.destination_vault for c in scenario.copies] == [vault, vault]
