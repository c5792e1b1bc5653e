"""Hostile inputs found in review: each case here broke (hung, crashed or leaked) before."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from copyguard.scenario import ScenarioError
from copyguard.sources import cdk


def _nesting_fan_out(root: Path, levels: int, width: int) -> None:
    """An assembly whose template T0 nests T1 ``width`` times, T1 nests T2 ``width`` times..."""
    manifest = {
        "version": "36.0.0",
        "artifacts": {
            "S": {
                "type": "aws:cloudformation:stack",
                "environment": "aws://111122223333/us-east-1",
                "properties": {"templateFile": "T0.json"},
            }
        },
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    for level in range(levels):
        resources = {
            f"N{i}": {
                "Type": "AWS::CloudFormation::Stack",
                "Metadata": {"aws:asset:path": f"T{level + 1}.json"},
                "Properties": {"TemplateURL": "https://example.invalid/t.json"},
            }
            for i in range(width)
        }
        (root / f"T{level}.json").write_text(json.dumps({"Resources": resources}))
    leaf = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    (root / f"T{levels}.json").write_text(json.dumps(leaf))


def test_nested_stacks_count_against_the_artifact_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 5 + 25 + 125 + 625 nested stack reads from 5 small files: far past the bound (the
    # real bound, 2000, is passed the same way by 20 x 20 x 20 x 20 ... reads)
    monkeypatch.setattr(cdk, "MAX_ARTIFACTS", 50)
    _nesting_fan_out(tmp_path, levels=4, width=5)
    with pytest.raises(ScenarioError, match="at most 50"):
        cdk.read_assembly(str(tmp_path), str(tmp_path))


def test_nested_stacks_within_the_bound_are_read(tmp_path: Path) -> None:
    _nesting_fan_out(tmp_path, levels=2, width=3)
    stacks = cdk.read_assembly(str(tmp_path), str(tmp_path))
    assert len(stacks) == 1 + 3 + 9


# ------------------------------------------------------------------ .tf lines


def test_tf_scanner_skips_long_hostile_lines_at_regex_speed() -> None:
    from copyguard.sources.terraform import scan_tf_text

    # 4 MB on one line each: character by character these took 5-7 s apiece
    texts = [
        "<" * (4 << 20),
        "<< " + " " * (4 << 20) + "x y",
        "resource" + " " * (4 << 20) + '"a"',
        'resource "a" "b" { x = 1 }\n' + "x = y * z" * (4 << 18),
    ]
    start = time.thread_time()  # CPU time: a loaded machine does not move it
    out: dict[str, tuple[str, int]] = {}
    for text in texts:
        scan_tf_text(text, "main.tf", out)
    assert out == {"a.b": ("main.tf", 1)}
    assert time.thread_time() - start < 6


def test_tf_file_linked_out_of_its_directory_is_not_read(tmp_path: Path) -> None:
    from copyguard.sources.terraform import scan_tf_dir

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.tf").write_text('resource "aws_kms_key" "leak" {\n}\n')
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "main.tf").write_text('\nresource "aws_kms_key" "own" {\n}\n')
    (conf / "linked.tf").symlink_to(outside / "secret.tf")
    (conf / "same.tf").symlink_to(conf / "main.tf")  # inside: still read
    found = scan_tf_dir(str(conf))
    assert found == {"aws_kms_key.own": (str(conf / "main.tf"), 2)}


def test_tf_bytes_are_bounded_across_directories(tmp_path: Path) -> None:
    from copyguard.sources.terraform import scan_tf_dir

    for name in ("a", "b"):
        d = tmp_path / name
        d.mkdir()
        (d / "main.tf").write_text(f'resource "aws_kms_key" "{name}" {{\n}}\n' + "#" * 1000)
    budget = [1500]
    assert set(scan_tf_dir(str(tmp_path / "a"), budget)) == {"aws_kms_key.a"}
    assert scan_tf_dir(str(tmp_path / "b"), budget) == {}  # over what is left
    assert budget[0] < 1500
