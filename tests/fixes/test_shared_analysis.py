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
    # the fix itself is proven against the patched policy: that is a different document
    assert all(p is not key.policy for _name, p in calls[1:])
    assert report.analyses is not None and report.analyses.computed == 1


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
