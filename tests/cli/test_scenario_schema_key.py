"""A JSON scenario may name its JSON Schema with a top-level ``"$schema"`` key (issue 7), so
editors validate it with ``copyguard schema scenario``: the loader and the schema both accept
it (a string, at the top level only) and the verdict is the one without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cg_cli import SCENARIOS, run

from copyguard.scenario import ScenarioError, load_scenario

SEED = SCENARIOS / "cg101-rds-cmk-default-policy.yaml"


def _scenario(**top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    return {**top, **doc}


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "s.scenario.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def test_a_json_scenario_with_a_schema_key_loads_and_checks_the_same(tmp_path: Path) -> None:
    plain = run("check", str(_write(tmp_path, _scenario())), "--format", "json")
    path = _write(tmp_path, _scenario(**{"$schema": "./scenario.schema.json"}))
    assert load_scenario(path).copies
    with_key = run("check", str(path), "--format", "json")
    assert with_key.code == plain.code == 1, with_key.err
    report = json.loads(with_key.out)
    assert report["verdict"] == "fail"
    assert [f["code"] for f in report["findings"]] == [
        f["code"] for f in json.loads(plain.out)["findings"]
    ]


@pytest.mark.parametrize("value", [7, None, ["x"], {"a": 1}])
def test_a_schema_key_that_is_not_a_string_is_an_input_error(tmp_path: Path, value: Any) -> None:
    path = _write(tmp_path, _scenario(**{"$schema": value}))
    with pytest.raises(ScenarioError, match=r"\$schema"):
        load_scenario(path)
    result = run("check", str(path))
    assert result.code == 2 and "$schema" in result.err and "Traceback" not in result.err


def test_a_schema_key_below_the_top_level_is_still_unknown(tmp_path: Path) -> None:
    doc = _scenario()
    doc["copies"][0]["$schema"] = "./scenario.schema.json"
    with pytest.raises(ScenarioError, match="unknown field"):
        load_scenario(_write(tmp_path, doc))


def test_the_scenario_schema_accepts_the_key_as_a_string_only() -> None:
    result = run("schema", "scenario")
    assert result.code == 0, result.err
    validator = jsonschema.Draft202012Validator(json.loads(result.out))
    assert not list(validator.iter_errors(_scenario(**{"$schema": "./scenario.schema.json"})))
    assert list(validator.iter_errors(_scenario(**{"$schema": 7})))
