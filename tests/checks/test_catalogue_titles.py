"""A finding's title is its rule's catalogue title (checks/docs/rules.yaml), in every language,
for every finding of every scenario, with and without the way back and the fixes; no check
passes a title of its own (GitHub issue 7)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from copyguard.checks import Options, run_checks
from copyguard.checks.model import Finding, tr
from copyguard.checks.rules import rule
from copyguard.fixes import build_fixes
from copyguard.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "data" / "scenarios").glob("*.yaml"))
SRC = ROOT / "src" / "copyguard"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
@pytest.mark.parametrize("round_trip", [False, True], ids=["forward", "round-trip"])
def test_every_finding_has_its_catalogue_title(path: Path, round_trip: bool) -> None:
    scenario = load_scenario(path)
    options = Options(round_trip=round_trip)
    report = run_checks(scenario, options)
    report.fixes = build_fixes(scenario, report, options)  # may add CG902 "no fix proven"
    for finding in report.findings:
        expected = rule(finding.code)
        assert expected is not None, finding.code
        for lang in ("en", "zh"):
            assert finding.to_dict(lang)["title"] == expected.title.get(lang), (
                finding.code,
                lang,
            )


def test_a_finding_built_without_a_title_takes_the_catalogue_title() -> None:
    f = Finding(code="CG203", severity="error", message=tr("m", "消息"))
    expected = rule("CG203")
    assert expected is not None
    assert f.title == expected.title
    assert f.to_dict("zh")["title"] == expected.title.zh


def test_an_unknown_code_is_a_bug_not_a_blank_title() -> None:
    with pytest.raises(ValueError, match="CG000"):
        Finding(code="CG000", severity="error", message=tr("m", "m"))


def test_no_code_in_copyguard_passes_a_finding_title() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Finding"
                and any(k.arg == "title" for k in node.keywords)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
