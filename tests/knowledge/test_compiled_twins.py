"""The compiled JSON twins of the packaged YAML files (scripts/compile_data.py): in sync with
their YAML, used only when compiled from exactly the YAML text, and never needed for
correctness (a missing or stale twin means the YAML is parsed)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from copyguard.knowledge._loader import parse_packaged_yaml, twin_name, yaml_digest

REPO = Path(__file__).resolve().parents[2]


def _compiler():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "compile_data", REPO / "scripts" / "compile_data.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


COMPILER = _compiler()
FILES = COMPILER.yaml_files()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_twin_is_in_sync_with_its_yaml(path: Path) -> None:
    twin = path.with_name(twin_name(path.name))
    assert twin.exists(), f"{twin} is missing: run python scripts/compile_data.py"
    body = json.loads(twin.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    assert body["yaml_sha256"] == yaml_digest(text), (
        f"{twin.name} is stale: run python scripts/compile_data.py"
    )
    assert body["data"] == yaml.safe_load(text)
    assert parse_packaged_yaml(text, twin) == yaml.safe_load(text)


def test_a_twin_is_used_only_for_the_text_it_was_compiled_from(tmp_path: Path) -> None:
    text = "a: 1\nb: [x, y]\n"
    twin = tmp_path / "t.compiled.json"
    # a twin whose data differs from the YAML shows which one was read
    twin.write_text(json.dumps({"yaml_sha256": yaml_digest(text), "data": {"from": "twin"}}))
    assert parse_packaged_yaml(text, twin) == {"from": "twin"}
    edited = text + "c: 2\n"  # the YAML changed since the twin was compiled
    assert parse_packaged_yaml(edited, twin) == {"a": 1, "b": ["x", "y"], "c": 2}
    assert parse_packaged_yaml(text, tmp_path / "missing.json") == {"a": 1, "b": ["x", "y"]}
    assert parse_packaged_yaml(text, None) == {"a": 1, "b": ["x", "y"]}
    twin.write_text("{not json")
    assert parse_packaged_yaml(text, twin) == {"a": 1, "b": ["x", "y"]}


def test_the_compiler_check_mode_passes_on_the_shipped_twins() -> None:
    assert COMPILER.main(["--check"]) == 0
