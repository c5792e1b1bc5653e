"""SARIF 2.1.0: valid against the official schema, with the whole rule catalogue."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from report_samples import KEY, REPORTS, SCHEMA_FILE, cg101, cg902, full_report

from copyguard.checks.model import Report
from copyguard.checks.rules import all_rules
from copyguard.report import render
from copyguard.report.sarif import FINGERPRINT_KEY, artifact_uri

SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def sarif(report: Report, lang: str = "en") -> dict[str, Any]:
    out: dict[str, Any] = json.loads(render(report, "sarif", lang, tool_version="1.2.3"))
    return out


def test_vendored_schema_is_the_official_file() -> None:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_valid_against_the_schema(name: str, lang: str, sarif_validator: Any) -> None:
    log = sarif(REPORTS[name](), lang)
    errors = sorted(sarif_validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_odd_locations_stay_valid(sarif_validator: Any) -> None:
    findings = [
        cg101(file="/tmp/with space/scénario.yaml", line=1, column=1),
        cg101(file="C:\\work\\scenario.json", line=3, column=None, copy="win"),
        cg101(file="relative dir/key policy.json", line=None, column=None, copy="rel"),
        cg101(file="policy.json", line=0, column=0, copy="zero"),
    ]
    log = sarif(Report(findings=findings))
    assert not list(sarif_validator.iter_errors(log))
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    )
    assert uris == sorted(
        [
            "file:///tmp/with%20space/sc%C3%A9nario.yaml",
            "file:///C:/work/scenario.json",
            "relative%20dir/key%20policy.json",
            "policy.json",
        ]
    )


def test_artifact_uri() -> None:
    assert artifact_uri("examples/a.yaml") == "examples/a.yaml"
    assert artifact_uri("examples\\a.yaml") == "examples/a.yaml"
    assert artifact_uri("/abs/a b.yaml") == "file:///abs/a%20b.yaml"
    assert artifact_uri("https://example.com/x") == "https://example.com/x"


def test_driver_and_rules() -> None:
    run = sarif(full_report())["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "copyguard"
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [r.code for r in all_rules()]
    for meta, rule in zip(rules, all_rules()):
        assert meta["name"] == rule.name
        assert meta["shortDescription"]["text"] == rule.title.en
        assert meta["fullDescription"]["text"] == rule.what.en
        assert rule.why.en in meta["help"]["markdown"]
        assert rule.fixed_example in meta["help"]["markdown"]
        for line in rule.fixed_example.splitlines():
            assert line.strip() in meta["help"]["text"]
        assert meta["defaultConfiguration"]["level"] == rule.severity
        if rule.references:
            assert meta["helpUri"] == rule.references[0]


def test_results() -> None:
    run = sarif(full_report())["runs"][0]
    results = run["results"]
    assert [r["ruleId"] for r in results] == ["CG101", "CG902", "CG106"]
    assert [r["level"] for r in results] == ["error", "warning", "note"]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    first = results[0]
    assert ids[first["ruleIndex"]] == "CG101"
    assert first["message"]["text"] == cg101().message.en
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: cg101().fingerprint}
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "examples/seed/scenario.yaml"
    assert physical["region"] == {"startLine": 12, "startColumn": 7}
    props = first["properties"]
    assert props["copy"] == "ebs-to-central"
    assert props["resource"] == KEY
    assert props["evidence"]["actions"]["kms:CreateGrant"] == "implicit_deny"
    assert props["fix"] == {"kind": "key-policy", "resource": KEY, "applicability": "safe"}
    assert run["properties"]["verdict"] == "fail"
    assert [f["kind"] for f in run["properties"]["fixes"]] == ["key-policy", "playbook"]
    assert run["properties"]["checks_not_run"][0]["code"] == "CG201"


def test_logical_location_without_a_file() -> None:
    result = sarif(Report(findings=[cg902()]))["runs"][0]["results"][0]
    loc = result["locations"][0]
    assert "physicalLocation" not in loc
    names = {x.get("fullyQualifiedName") for x in loc["logicalLocations"]}
    assert "arn:aws:backup:us-east-1:444455556666:backup-vault:central" in names
    assert "copy:rds-to-dr" in names


def test_zh() -> None:
    run = sarif(full_report(), "zh")["runs"][0]
    assert run["language"] == "zh-CN"
    assert run["results"][0]["message"]["text"] == cg101().message.zh
    cg101_rule = run["tool"]["driver"]["rules"][0]
    assert cg101_rule["shortDescription"]["text"] == "源密钥的密钥策略未允许目标账户"


def test_the_validator_does_reject_bad_logs(sarif_validator: Any) -> None:
    log = sarif(full_report())
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert len(list(sarif_validator.iter_errors(log))) == 2
