"""The runner checks the copies grouped by source key and destination vault
(``checks/runner.py``, ``_check_order``: what they share stays in the processor's caches),
and the report is the one the scenario's own order gives: the same findings, assumptions,
not-run list and fixes, byte for byte, whatever order the copies are checked in."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from copyguard import api
from copyguard.checks import Options, runner
from copyguard.report import render_json
from copyguard.scenario.load import load_scenario, parse_scenario_text
from repo_scripts import check_scale_bench

REPO = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        *(REPO / "tests" / "data" / "scenarios").glob("*.y*ml"),
        *(REPO / "tests" / "data" / "scenarios").glob("*.json"),
        *(REPO / "src" / "copyguard" / "examples").glob("*.yaml"),
    ]
)


def _report(scenario_of: Any, options: Options, order: Any = None) -> str:
    saved = runner._check_order
    if order is not None:
        runner._check_order = order  # type: ignore[assignment]
    try:
        report = api.check_scenario(scenario_of(), options)
    finally:
        runner._check_order = saved  # type: ignore[assignment]
    return "".join(render_json(report, "en", tool_version="test"))


ORDERS = {
    "reversed": lambda copies: list(range(len(copies)))[::-1],
    "shuffled": lambda copies: random.Random(len(copies)).sample(range(len(copies)), len(copies)),
    "as written": lambda copies: list(range(len(copies))),
}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
@pytest.mark.parametrize("quick", [False, True], ids=["full", "quick"])
def test_the_report_does_not_depend_on_the_order_copies_are_checked_in(
    path: Path, quick: bool
) -> None:
    try:
        load_scenario(path)
    except Exception:  # a file the tests keep to be refused: nothing to check
        pytest.skip("not a scenario copyguard reads")
    options = Options(quick=quick)
    expected = _report(lambda: load_scenario(path), options)
    for order in ORDERS.values():
        assert _report(lambda: load_scenario(path), options, order) == expected


def test_many_copies_over_many_keys() -> None:
    # the scale bench's scenario: copies dealt out over the keys in turn, so the grouped
    # order is far from the written one; half the keys lack the destination (fixes, notes)
    text = json.dumps(check_scale_bench().generate(240, 3, "copies"), indent=1)
    expected = _report(lambda: parse_scenario_text(text, "s.json", REPO), Options())
    assert json.loads(expected)["findings"]
    for order in ORDERS.values():
        got = _report(lambda: parse_scenario_text(text, "s.json", REPO), Options(), order)
        assert got == expected


def test_the_order_groups_a_key_and_keeps_the_scenarios_order_within() -> None:
    doc = check_scale_bench().generate(60, 3, "copies")
    scenario = parse_scenario_text(json.dumps(doc), "s.json", REPO)
    copies = scenario.copies
    order = runner._check_order(copies)
    assert sorted(order) == list(range(len(copies)))
    groups = [(copies[i].resource_key, copies[i].destination_vault) for i in order]
    # each group's copies are next to each other...
    seen: list[Any] = []
    for g in groups:
        if not seen or seen[-1] != g:
            assert g not in seen
            seen.append(g)
    assert len(seen) == 6  # 60 copies, 6 keys, each to its one vault
    # ... in the scenario's order, the groups in the order of their first copy
    firsts = []
    for g in seen:
        members = [i for i in order if (copies[i].resource_key, copies[i].destination_vault) == g]
        assert members == sorted(members)
        firsts.append(members[0])
    assert firsts == sorted(firsts)
    assert order != list(range(len(copies)))  # the bench deals copies out: grouped differs
