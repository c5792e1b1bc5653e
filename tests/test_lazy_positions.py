"""A scenario's positions are mapped when needed (``scenario/positions.py``): the paths of
the findings only, during a check; everything, for any other reader; the same positions
either way. JSON (the text scanned again) and YAML (the marks kept from the parser's
events, walked with the document) alike."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest
import yaml

from copyguard import api
from copyguard.policy.locate import json_positions
from copyguard.policy.paths import locate
from copyguard.scenario import ScenarioError
from copyguard.scenario import load as scenario_load
from copyguard.scenario.load import parse_scenario_text
from copyguard.scenario.positions import JsonPositions, LazyPositions, YamlPositions
from repo_scripts import check_scale_bench

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def text() -> str:
    return json.dumps(check_scale_bench().generate(30, 5, "keys"), indent=1)


def test_every_dict_reading_sees_the_full_map(text: str) -> None:
    full = json_positions(text)
    assert len(full) > 1000
    some = next(iter(full))
    for read in (
        lambda p: p.get("keys[3].policy.Statement[1].Principal"),
        lambda p: p["copies[0].name"],
        lambda p: "vaults[0].lock" in p,
        len,
        list,
        lambda p: sorted(p.items()),
        lambda p: list(p.values()),
        lambda p: p == full,
        lambda p: p.copy(),
        lambda p: dict(p),
        lambda p: {**p},
        lambda p: copy.deepcopy(p),
        lambda p: pickle.loads(pickle.dumps(p)),
        repr,
    ):
        lazy = JsonPositions(text)
        assert lazy.pending and bool(lazy)
        assert read(lazy) == read(full)
        assert not lazy.pending
        assert dict(lazy) == full and lazy[some] == full[some]


def test_fill_maps_only_the_paths_asked(text: str) -> None:
    full = json_positions(text)
    wanted = {"keys[3].policy.Statement[1].Principal.AWS", "copies[7]", "no.such[1].path", ""}
    assert json_positions(text, wanted) == {p: full[p] for p in wanted if p in full}
    lazy = JsonPositions(text)
    lazy.fill(wanted)
    assert lazy.pending
    assert dict.__len__(lazy) == 3  # the root and two paths; the missing one: known absent
    for p in wanted:
        assert lazy.get(p) == full.get(p)
    assert lazy.pending  # answered from what was filled
    assert lazy.get("copies[8]") == full["copies[8]"]  # anything else: the full map
    assert not lazy.pending and dict(lazy) == full


def test_writing_keeps_the_rest(text: str) -> None:
    lazy = JsonPositions(text)
    lazy["extra"] = (1, 1)
    assert len(lazy) == len(json_positions(text)) + 1


def _check_maps_its_findings_only(
    text: str, name: str, kind: type[LazyPositions], full: dict[str, tuple[int, int]]
) -> None:
    """A check of the scenario ``text`` (file ``name``) maps its findings' paths only, and
    they get the positions of ``full``, the whole map (the reading before the lazy one)."""
    scenario = parse_scenario_text(text, name, REPO)
    assert isinstance(scenario.positions, kind)
    report = api.check_scenario(scenario)
    located = [f for f in report.findings if f.line is not None]
    assert len(located) >= 30  # half the copies fail, each pointing into the file
    assert scenario.positions.pending  # the full map was never made
    assert dict.__len__(scenario.positions) < len(full) / 10
    for f in located:
        assert (f.file, f.line, f.column) == (name, *(locate(full, f.path or "") or ()))


def test_a_check_maps_its_findings_only(text: str) -> None:
    _check_maps_its_findings_only(text, "s.json", JsonPositions, json_positions(text))


def test_input_errors_still_point_at_the_line() -> None:
    doc = check_scale_bench().generate(3, 5, "keys")
    doc["copies"][2]["lifecycle"] = {"delete_after_days": "soon"}
    text = json.dumps(doc, indent=1)
    with pytest.raises(ScenarioError) as err:
        parse_scenario_text(text, "bad.json", REPO)
    line = json_positions(text)["copies[2].lifecycle.delete_after_days"][0]
    assert err.value.line == line


# -- YAML --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def yaml_text() -> str:
    # safe_dump writes the generator's shared lists as anchors and aliases
    return yaml.safe_dump(check_scale_bench().generate(30, 5, "keys"), sort_keys=False)


def _graph_positions(text: str) -> dict[str, tuple[int, int]]:
    """The node graph's map (the events path switched off): what the YAML reader kept
    before its positions were mapped lazily."""
    original = scenario_load._plain_yaml_document
    scenario_load._plain_yaml_document = lambda *_: None  # type: ignore[assignment]
    try:
        positions = scenario_load._yaml_document(text, "s.yaml")[1]
    finally:
        scenario_load._plain_yaml_document = original  # type: ignore[assignment]
    assert type(positions) is dict
    return positions


def _lazy_yaml(text: str) -> YamlPositions:
    positions = scenario_load._yaml_document(text, "s.yaml")[1]
    assert isinstance(positions, YamlPositions) and positions.pending
    return positions


def test_yaml_every_dict_reading_sees_the_node_graphs_map(yaml_text: str) -> None:
    full = _graph_positions(yaml_text)
    assert len(full) > 1000
    assert "*id" in yaml_text  # aliases: their fields get the anchored fields' positions
    for read in (len, lambda p: sorted(p.items()), lambda p: p == full, dict, repr):
        lazy = _lazy_yaml(yaml_text)
        assert read(lazy) == read(full)
        assert not lazy.pending and dict(lazy) == full


def test_yaml_fill_maps_only_the_paths_asked(yaml_text: str) -> None:
    full = _graph_positions(yaml_text)
    paths = sorted(full)
    wanted = {*paths[::97], "no.such[1].path", "", "keys[3].policy.Statement[9].Nope"}
    lazy = _lazy_yaml(yaml_text)
    lazy.fill(wanted)
    assert lazy.pending
    assert dict(dict.items(lazy)) == {p: full[p] for p in wanted if p in full}
    assert lazy.get("copies[8]") == full["copies[8]"]  # anything else: the full map
    assert not lazy.pending and dict(lazy) == full


def test_yaml_a_check_maps_its_findings_only(yaml_text: str) -> None:
    _check_maps_its_findings_only(yaml_text, "s.yaml", YamlPositions, _graph_positions(yaml_text))


def test_yaml_a_document_changed_after_reading_gets_no_wrong_positions() -> None:
    text = "a:\n  b: 1\n  c: [x, y]\nd: 2\n"
    full = _graph_positions(text)
    for change in (
        lambda doc: doc["a"].pop("b"),
        lambda doc: doc["a"].update(e=3),
        lambda doc: doc["a"]["c"].append("z"),
        lambda doc: doc.update(a="scalar now"),
        lambda doc: doc.update(d={"deeper": 1}),
    ):
        doc, positions, _ = scenario_load._yaml_document(text, "s.yaml")
        change(doc)
        got = dict(positions)
        # what is still as read keeps its position; nothing gets another's
        assert all(full[p] == pos for p, pos in got.items())
        assert got[""] == full[""] and "d" in got


def test_both_kinds_are_lazy_positions() -> None:
    assert issubclass(JsonPositions, LazyPositions) and issubclass(YamlPositions, LazyPositions)
