"""The fixes reuse the source-key analysis the checks computed in the same run (issue 7):
one computation per (copy, policy), not one in the checks and another in build_fixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import copyguard.checks.analysis as analysis
import copyguard.checks.base as base
import copyguard.fixes as fixes_pkg
import copyguard.fixes.key_policy as key_policy
from copyguard import api
from copyguard.checks import Options
from copyguard.policy import parse_policy
from copyguard.records import replace
from copyguard.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
ONE_FAILING_COPY = SCENARIOS / "cg101-rds-cmk-default-policy.yaml"


def _count(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Record every analysis computation (copy name, policy object), wherever it is called
    from (the module that computes it and every module that imported it by name)."""
    calls: list[tuple[str, Any]] = []
    real = analysis.analyse_source_key

    def counting(scenario: Any, copy: Any, key_arn: str, key: Any, policy: Any, *rest: Any) -> Any:
        calls.append((copy.name, policy))
        return real(scenario, copy, key_arn, key, policy, *rest)

    for module in (analysis, base, fixes_pkg, key_policy):
        monkeypatch.setattr(module, "analyse_source_key", counting, raising=False)
    return calls


def test_checks_and_fixes_analyse_the_failing_copy_once(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ONE_FAILING_COPY)
    (copy,) = scenario.copies
    key = scenario.keys[str(copy.resource_key)]
    calls = _count(monkeypatch)
    report = api.check_scenario(scenario, Options())
    assert report.verdict == "fail"
    assert [f.code for f in report.findings] == ["CG101"]
    assert [f.kind for f in report.fixes] == ["key-policy"]
    on_current_policy = [c for c in calls if c[0] == copy.name and c[1] is key.policy]
    assert len(on_current_policy) == 1
    # the fix itself is proven against the patched policy: that is a different document,
    # analysed once, through the run's cache
    assert len(calls) == 2 and calls[1][1] is not key.policy
    assert report.analyses is not None and report.analyses.computed == 2


def test_the_next_copy_of_a_key_starts_from_the_proven_policy_and_its_analysis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Several copies of one key to one destination: the first copy's fix is proven on the
    patched policy; the next copies start from that very policy object, whose analysis the
    proof left in the cache (before: parsed again and analysed again)."""
    scenario = load_scenario(ONE_FAILING_COPY)
    first = scenario.copies[0]
    scenario.copies += [replace(first, name=f"{first.name}-{i}") for i in (2, 3)]
    key = scenario.keys[str(first.resource_key)]
    calls = _count(monkeypatch)
    parses = 0
    real_parse = fixes_pkg.parse_policy

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        nonlocal parses
        parses += 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(fixes_pkg, "parse_policy", counting_parse)
    report = api.check_scenario(scenario, Options())
    (fix,) = [f for f in report.fixes if f.kind == "key-policy"]
    patched = [p for _name, p in calls if p is not key.policy]
    assert len(patched) == 1  # the proof's analysis, reused for the other two copies
    assert patched[0].document is fix.policy
    assert parses == 0  # build_fixes parsed nothing again
    alone = api.check_file(ONE_FAILING_COPY)
    assert fix.policy == alone.fixes[0].policy


def test_the_shared_analysis_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = api.check_file(ONE_FAILING_COPY).to_dict()
    scenario = load_scenario(ONE_FAILING_COPY)
    report = api.check_scenario(scenario, with_fixes=False)
    report.analyses = None  # build_fixes then computes its own analysis, as before
    report.fixes = fixes_pkg.build_fixes(scenario, report, Options())
    report.sort()
    assert json.dumps(report.to_dict(), sort_keys=True) == json.dumps(shared, sort_keys=True)


def test_a_patched_policy_is_never_served_from_the_cache() -> None:
    scenario = load_scenario(ONE_FAILING_COPY)
    (copy,) = scenario.copies
    key = scenario.key(copy.resource_key) if isinstance(copy.resource_key, str) else None
    report = api.check_scenario(scenario)
    assert report.analyses is not None
    (fix,) = report.fixes
    patched = parse_policy(fix.policy, name="key policy", kind="key")
    before = report.analyses.computed
    dest = copy.destination_account
    assert dest is not None and key is not None
    facts = base.CheckContext(scenario, copy, Options()).facts
    view = report.analyses.view(scenario, copy, key.arn, None, patched, facts, dest, {})
    assert report.analyses.computed == before + 1
    assert all(r.decision == "allowed" for r in view.results.values())
