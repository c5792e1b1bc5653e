"""Golden tests through the real CLI: ``copyguard check`` on every example and every scenario
of ``tests/data/scenarios`` (one per finding code, and the pass/unknown paths): exit code,
the JSON report (spec section 4) against ``tests/golden/check/``, and the other formats."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cg_cli import (
    EXAMPLES,
    EXIT,
    GOLDEN,
    SARIF_SCHEMA,
    SCENARIOS,
    assert_clean,
    compare_golden,
    expected_header,
    golden_name,
    invoke,
    rel,
    run,
)

_run = run

INPUTS = sorted(EXAMPLES.glob("*.yaml")) + sorted(SCENARIOS.glob("*.yaml"))
IDS = [golden_name(p) for p in INPUTS]
FINDING_KEYS = {"code", "severity", "copy", "resource", "title", "message", "evidence", "fix"}
CODE = re.compile(r"^CG\d{3}$")


def _expected(path: Path) -> tuple[str, set[str] | None]:
    if path.parent == SCENARIOS:
        return expected_header(path)
    text = path.read_text(encoding="utf-8")
    m = re.search(r"Expected:\s*(pass|fail|unknown)", text)
    assert m, f"{path}: the example's header must say the expected verdict"
    return m.group(1), None


def _exit_for(report: dict[str, Any]) -> int:
    if any(f["code"] == "CG901" for f in report["findings"]):
        return 2
    return EXIT[report["verdict"]]


def _check_shape(report: dict[str, Any]) -> None:
    """Spec section 4."""
    assert report["tool"]["name"] == "copyguard"
    assert isinstance(report["tool"]["version"], str)
    assert report["verdict"] in ("pass", "fail", "unknown")
    for f in report["findings"]:
        assert set(f) >= FINDING_KEYS, set(f)
        assert CODE.match(f["code"])
        assert f["severity"] in ("error", "warning", "note")
        assert f["title"] and f["message"]
        assert isinstance(f["evidence"], dict)
        if f["fix"] is not None:
            assert set(f["fix"]) == {"kind", "resource", "applicability"}
            assert f["fix"]["applicability"] in ("safe", "unsafe", "display-only")
    for fx in report["fixes"]:
        assert {"kind", "resource", "policy", "diff"} <= set(fx)
        assert fx["kind"] in ("key-policy", "vault-access-policy", "playbook")
    errors = any(f["severity"] == "error" for f in report["findings"])
    unknown = any(f["code"] == "CG902" for f in report["findings"])
    assert report["verdict"] == ("fail" if errors else "unknown" if unknown else "pass")


@pytest.mark.parametrize("path", INPUTS, ids=IDS)
def test_check_json_golden(path: Path, update_golden: bool) -> None:
    result = run("check", rel(path), "--format", "json")
    assert "Traceback" not in result.err, str(result)
    report = result.json()
    _check_shape(report)
    assert result.code == _exit_for(report), str(result)
    verdict, codes = _expected(path)
    assert report["verdict"] == verdict, str(result)
    if codes is not None:
        assert {f["code"] for f in report["findings"]} == codes, str(result)
    # deterministic: sorted findings, no timestamps, no absolute paths, same output twice
    assert_clean(result.out)
    normalised = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    compare_golden(f"check/{golden_name(path)}.json", normalised, update_golden)


@pytest.mark.parametrize("path", INPUTS, ids=IDS)
def test_check_other_formats(path: Path, sarif_schema: Any) -> None:
    """Text, Markdown and SARIF: a subprocess for the examples, the same command in-process for
    the scenarios (many variants; the JSON test above runs each of them as a subprocess)."""
    verdict, _codes = _expected(path)
    report = _golden_or_run(path)
    want_exit = _exit_for(report)
    codes = sorted({f["code"] for f in report["findings"]})
    run = _run if path.parent == EXAMPLES else invoke

    text = run("check", rel(path))
    assert text.code == want_exit, str(text)
    assert "\x1b[" not in text.out, "no colour when not on a terminal"
    assert verdict.upper() in text.out
    for code in codes:
        assert code in text.out
    assert_clean(text.out + text.err)

    md = run("check", rel(path), "--format", "markdown")
    assert md.code == want_exit, str(md)
    for code in codes:
        assert code in md.out
    assert_clean(md.out + md.err)

    sarif = run("check", rel(path), "--format", "sarif")
    assert sarif.code == want_exit, str(sarif)
    doc = sarif.json()
    if sarif_schema is not None:
        sarif_schema.validate(doc)
    assert doc["version"] == "2.1.0"
    (sarif_run,) = doc["runs"]
    assert sorted({r["ruleId"] for r in sarif_run["results"]}) == codes
    rules = {r["id"] for r in sarif_run["tool"]["driver"].get("rules", [])}
    assert set(codes) <= rules
    assert_clean(sarif.out)


@pytest.mark.parametrize(
    "path",
    [
        *sorted(EXAMPLES.glob("*.yaml")),
        SCENARIOS / "cg104-deny-notprincipal.yaml",
        SCENARIOS / "unknown-principal-org-id-not-given.yaml",
        SCENARIOS / "cg402-rds-cross-region-job-failed.yaml",
    ],
    ids=lambda p: golden_name(p),
)
def test_check_in_chinese(path: Path) -> None:
    en = _golden_or_run(path)
    zh = run("check", rel(path), "--format", "json", "--lang", "zh")
    report = zh.json()
    assert report["verdict"] == en["verdict"]
    assert [f["code"] for f in report["findings"]] == [f["code"] for f in en["findings"]]
    for f_zh, f_en in zip(report["findings"], en["findings"]):
        assert re.search(r"[\u4e00-\u9fff]", f_zh["title"]), f_zh["title"]
        assert re.search(r"[\u4e00-\u9fff]", f_zh["message"]), f_zh["message"]
        assert f_zh["title"] != f_en["title"]
    text = run("check", rel(path), "--lang", "zh")
    assert re.search(r"[\u4e00-\u9fff]", text.out)
    assert text.code == zh.code


def test_the_json_report_is_byte_for_byte_repeatable() -> None:
    path = rel(SCENARIOS / "cg101-shared-key-two-destinations.yaml")
    first = run("check", path, "--format", "json")
    second = run("check", path, "--format", "json")
    assert first.out == second.out


def test_relative_paths_are_reported_as_given(tmp_path: Path) -> None:
    """Run from another directory: the report names the file as the user typed it."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        (SCENARIOS / "cg201-missing-vault-access-policy.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    result = run("check", "s.yaml", "--format", "json", cwd=tmp_path)
    report = result.json()
    assert report["source"] == "s.yaml"
    assert str(tmp_path) not in result.out


def test_output_file_option(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run("check", rel(EXAMPLES / "seed-failing.yaml"), "--format", "json", "-o", str(out))
    assert result.code == 1
    assert result.out == ""
    assert json.loads(out.read_text(encoding="utf-8"))["verdict"] == "fail"


def _golden_or_run(path: Path) -> Any:
    golden = GOLDEN / "check" / f"{golden_name(path)}.json"
    if golden.exists():
        return json.loads(golden.read_text(encoding="utf-8"))
    return run("check", rel(path), "--format", "json").json()


@pytest.fixture(scope="session")
def sarif_schema() -> Any:
    if not SARIF_SCHEMA.exists():
        return None
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.Draft4Validator
    return cls(schema)


@pytest.mark.parametrize(
    ("org_id", "code", "verdict"),
    [(None, 3, "unknown"), ("o-exampleorg1", 0, "pass"), ("o-otherorg123", 1, "fail")],
)
def test_context_pins_an_assumption(org_id: str | None, code: int, verdict: str) -> None:
    args = ["check", rel(SCENARIOS / "unknown-principal-org-id-not-given.yaml"), "--format", "json"]
    if org_id:
        args += ["--context", f"aws:PrincipalOrgID={org_id}"]
    result = run(*args)
    assert result.code == code, str(result)
    assert result.json()["verdict"] == verdict
