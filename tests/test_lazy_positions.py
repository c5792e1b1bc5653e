"""A JSON scenario's positions are mapped when needed (``scenario/positions.py``): the paths
of the findings only, during a check; everything, for any other reader; the same positions
either way."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest

from copyguard import api
from copyguard.policy.locate import json_positions
from copyguard.scenario import ScenarioError
from copyguard.scenario.load import parse_scenario_text
from copyguard.scenario.positions import JsonPositions
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


def test_a_check_maps_its_findings_only(text: str) -> None:
    scenario = parse_scenario_text(text, "s.json", REPO)
    assert isinstance(scenario.positions, JsonPositions)
    report = api.check_scenario(scenario)
    located = [f for f in report.findings if f.line is not None]
    assert len(located) >= 30  # half the copies fail, each pointing into the file
    assert scenario.positions.pending  # the full map was never made
    assert dict.__len__(scenario.positions) < len(json_positions(text)) / 10
    # the same positions as from the full map (the reading before this change)
    full = json_positions(text)
    for f in located:
        probe = f.path or ""
        while probe not in full:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        assert (f.file, f.line, f.column) == ("s.json", *full[probe])


def test_input_errors_still_point_at_the_line() -> None:
    doc = check_scale_bench().generate(3, 5, "keys")
    doc["copies"][2]["lifecycle"] = {"delete_after_days": "soon"}
    text = json.dumps(doc, indent=1)
    with pytest.raises(ScenarioError) as err:
        parse_scenario_text(text, "bad.json", REPO)
    line = json_positions(text)["copies[2].lifecycle.delete_after_days"][0]
    assert err.value.line == line
