"""The runner: verdict rules, CG999 containment (habit 10), CG901 locations, determinism."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from cg_factory import UNSHARED, base, build, check, codes, put

from copyguard.checks import CHECKS, CheckContext, Finding, Options, Report, run_checks, tr
from copyguard.checks.base import Check


def _f(code: str, severity: str) -> Finding:
    return Finding(code=code, severity=severity, title=tr("t", "标题"), message=tr("m", "消息"))  # type: ignore[arg-type]


VERDICTS = [
    ([], "pass"),
    ([("CG106", "note")], "pass"),
    ([("CG107", "warning")], "pass"),
    ([("CG902", "warning")], "unknown"),
    ([("CG999", "warning"), ("CG902", "warning")], "unknown"),
    ([("CG101", "error")], "fail"),
    ([("CG101", "error"), ("CG902", "warning")], "fail"),
    ([("CG902", "warning"), ("CG204", "error"), ("CG106", "note")], "fail"),
    ([("CG901", "error")], "fail"),
]


@pytest.mark.parametrize(("found", "verdict"), VERDICTS)
def test_verdict_rules(found: list[tuple[str, str]], verdict: str) -> None:
    """fail if any error; else unknown if any CG902; else pass (spec section 4)."""
    report = Report(findings=[_f(c, s) for c, s in found])
    assert report.verdict == verdict
    assert report.to_dict()["verdict"] == verdict


def _boom(ctx: CheckContext) -> Iterable[Finding]:
    raise RuntimeError(f"kaboom on {ctx.copy.name}")


def _boom_midway(ctx: CheckContext) -> Iterable[Finding]:
    yield _f("CG107", "warning")
    raise KeyError("half-way")


@pytest.mark.parametrize("crasher", [_boom, _boom_midway])
def test_a_crashing_check_becomes_cg999_and_cg902_and_the_rest_still_run(crasher: object) -> None:
    crashing = Check("crashing", ("CG101",), crasher, True)  # type: ignore[arg-type]
    report = run_checks(build(base(UNSHARED)), Options(), checks=(crashing, *CHECKS))
    found = codes(report)
    assert {"CG999", "CG902", "CG101"} <= found  # the real source-key check still ran
    (crash,) = [f for f in report.findings if f.code == "CG999"]
    assert crash.evidence["check"] == "crashing"
    assert "Error" in crash.evidence["error"]
    assert crash.message.en and crash.message.zh
    assert crash.copy == "ebs-to-central"
    assert report.verdict == "fail"  # CG101 is still an error
    undecided = [f for f in report.findings if f.code == "CG902"]
    assert undecided and undecided[0].evidence["needed_for"] == "CG101"
    # a half-done check's findings are dropped, never half-reported as a pass
    assert "CG107" not in found


def test_a_crash_alone_is_never_a_pass() -> None:
    crashing = Check("crashing", ("CG301",), _boom, True)  # type: ignore[arg-type]
    report = run_checks(build(base()), Options(), checks=(*CHECKS, crashing))
    assert report.verdict == "unknown"
    assert codes(report) == {"CG999", "CG902"}


def test_every_copy_gets_its_own_crash_report() -> None:
    doc = base()
    doc["copies"].append(dict(doc["copies"][0], name="second"))
    crashing = Check("crashing", ("CG301",), _boom, True)  # type: ignore[arg-type]
    report = run_checks(build(doc), Options(), checks=(crashing,))
    assert sorted(f.copy or "" for f in report.findings if f.code == "CG999") == [
        "ebs-to-central",
        "second",
    ]


def test_cg901_for_a_malformed_policy_inside_a_scenario_with_its_path() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Permit", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
    }
    report = check(put(base(), "keys.0.policy", bad))
    cg901 = [f for f in report.findings if f.code == "CG901"]
    assert cg901
    assert cg901[0].path is not None and cg901[0].path.startswith("keys[0].policy")
    assert report.verdict == "fail"
    # the broken key policy is reported once, as CG901, never judged as if it were empty
    assert codes(report) == {"CG901"}


def test_findings_are_sorted_and_deterministic() -> None:
    doc = base(UNSHARED)
    doc["copies"].append(dict(doc["copies"][0], name="a-first"))
    doc = put(doc, "organization.cross_account_backup_enabled", False)
    one = check(doc).to_dict()
    two = check(doc).to_dict()
    assert one == two
    keys = [(f["severity"], f["copy"], f["code"]) for f in one["findings"]]
    order = {"error": 0, "warning": 1, "note": 2}
    assert keys == sorted(keys, key=lambda k: (order[k[0]], k[1] or "", k[2]))


def test_duplicate_findings_are_reported_once() -> None:
    doc = base()
    for field in ("source_vault", "resource_arn", "resource_key"):
        del doc["copies"][0][field]
    report = check(doc)
    same = [f for f in report.findings if f.path == "copies[0].source_vault"]
    assert len(same) == 1


def test_fingerprints_are_stable_and_distinct() -> None:
    report = check(base(UNSHARED))
    prints = [f.fingerprint for f in report.findings]
    assert len(prints) == len(set(prints))
    assert prints == [f.fingerprint for f in check(base(UNSHARED)).findings]


def test_a_fingerprint_follows_every_change_of_what_it_is_made_of() -> None:
    # the fingerprint is kept between reads: it must never be an earlier value's
    f = _f("CG101", "error")
    seen = {f.fingerprint}
    for change in (
        {"copy": "a"},
        {"resource": "arn:aws:kms:us-east-1:111122223333:key/k"},
        {"path": "keys[0]"},
        {"code": "CG102"},
    ):
        for name, value in change.items():
            setattr(f, name, value)
        fresh = Finding(
            **{
                n: getattr(f, n)
                for n in ("code", "severity", "title", "message", "copy", "resource", "path")
            }
        )  # type: ignore[arg-type]
        assert f.fingerprint == fresh.fingerprint not in seen
        seen.add(f.fingerprint)
    f.evidence["statements"] = []
    assert f.fingerprint not in seen
    seen.add(f.fingerprint)
    f.evidence.clear()
    f.evidence[1] = "x"  # keys equal to others but written otherwise: never taken from before
    one = f.fingerprint
    del f.evidence[1]
    f.evidence[True] = "x"
    assert f.fingerprint != one


def test_every_scenario_finding_speaks_both_languages() -> None:
    """Titles and messages of every finding of every scenario file, in English and Chinese."""
    import re
    from pathlib import Path

    from copyguard import api
    from copyguard.scenario import load_scenario

    cjk = re.compile(r"[\u4e00-\u9fff]")
    scenarios = sorted((Path(__file__).resolve().parents[1] / "data" / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 30
    seen: set[str] = set()
    for path in scenarios:
        report = api.check_scenario(load_scenario(path))
        for f in report.findings:
            seen.add(f.code)
            for text in (f.title, f.message, *f.steps):
                assert text.en and cjk.search(text.zh), (path.name, f.code, text)
        for fx in report.fixes:
            assert fx.description.en and cjk.search(fx.description.zh), (path.name, fx.kind)
            for step in fx.steps:
                assert cjk.search(step.zh), (path.name, fx.kind, step)
    every = {
        f"CG{n}"
        for n in (
            101,
            102,
            103,
            104,
            105,
            106,
            107,
            201,
            202,
            203,
            204,
            301,
            302,
            401,
            402,
            901,
            902,
        )
    }
    assert every <= seen, every - seen


@pytest.mark.parametrize("copies", [[], None])
def test_a_scenario_without_copies_is_unknown_not_pass(copies: object) -> None:
    doc = base()
    if copies is None:
        del doc["copies"]
    else:
        doc["copies"] = copies
    report = check(doc)
    assert report.verdict == "unknown"
    assert [f.path for f in report.findings] == ["copies"]


def test_copies_that_say_the_same_share_one_message_object() -> None:
    """The runner keeps one Text per distinct message (a large scenario repeats a sentence for
    every copy of a key to one destination): equal messages are one object, and what each
    finding says is unchanged."""
    doc = base(UNSHARED)
    doc["copies"] += [dict(doc["copies"][0], name=f"again-{i}") for i in range(3)]
    report = check(doc)
    by_text: dict[tuple[str, str], set[int]] = {}
    for f in report.findings:
        by_text.setdefault((f.message.en, f.message.zh), set()).add(id(f.message))
    assert len(report.findings) > len(by_text)  # some sentences said more than once
    assert all(len(ids) == 1 for ids in by_text.values())
    single = check(base(UNSHARED))
    first = {(f.code, f.message.en) for f in single.findings}
    assert first <= {(f.code, f.message.en) for f in report.findings}
