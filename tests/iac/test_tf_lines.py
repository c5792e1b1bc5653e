"""The line of each Terraform resource in the ``.tf`` files beside the plan (and in its local
modules), in findings' locations: text, JSON and SARIF (examples/iac/terraform-config)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cg_cli import FORMATS, REPO, assert_clean, iac_golden, invoke

from copyguard.sources.merge import load_inputs
from copyguard.sources.terraform import module_dirs, read_terraform, scan_tf_text

CONFIG = REPO / "src" / "copyguard" / "examples" / "iac" / "terraform-config"
ARGS = ("plan.json", "../terraform/central-plan.json", "../terraform/organization.yaml")


def _line(file: Path, text: str) -> int:
    return file.read_text().splitlines().index(text) + 1


def test_scanner_skips_comments_strings_and_heredocs() -> None:
    text = "\n".join(
        [
            '# resource "aws_kms_key" "a" {',  # 1
            '// resource "aws_kms_key" "a" {',
            '/* resource "aws_kms_key" "a" {',
            '   resource "aws_kms_key" "a" { */',
            'locals { p = "arn:aws:s3:::b/*" }',  # 5: "/*" in a string opens no comment
            'resource "aws_kms_key" "b" {',  # 6
            "  policy = <<-EOT",
            'resource "aws_kms_key" "a" {',
            "  EOT",
            "}",
            'resource "aws_kms_key" "a" {',  # 11
            'data "aws_region" "here" {}',  # 12
            'resource "aws_kms_key" "a" {',  # a second block of the same name: the first wins
        ]
    )
    out: dict[str, tuple[str, int]] = {}
    scan_tf_text(text, "main.tf", out)
    assert out == {
        "aws_kms_key.b": ("main.tf", 6),
        "aws_kms_key.a": ("main.tf", 11),
        "data.aws_region.here": ("main.tf", 12),
    }


def test_addresses_get_the_line_of_their_block_also_in_modules() -> None:
    label = str(CONFIG / "plan.json")
    doc = json.loads((CONFIG / "plan.json").read_text())
    tf = read_terraform(doc, label, (CONFIG / "plan.json").read_text())
    root, module = CONFIG / "main.tf", CONFIG / "modules" / "backup" / "main.tf"
    assert tf.source_lines["aws_kms_key.ebs"] == (
        str(root),
        _line(root, 'resource "aws_kms_key" "ebs" {'),
    )
    assert tf.source_lines["aws_ebs_volume.data[0]"][1] == _line(
        root, 'resource "aws_ebs_volume" "data" {'
    )
    assert tf.source_lines["module.backup.aws_backup_vault.local"] == (
        str(module),
        _line(module, 'resource "aws_backup_vault" "local" {'),
    )


def test_registry_modules_are_found_through_terraform_init(tmp_path: Path) -> None:
    mods = tmp_path / ".terraform" / "modules"
    (mods / "backup").mkdir(parents=True)
    (mods / "modules.json").write_text(
        json.dumps(
            {
                "Modules": [
                    {"Key": "", "Dir": "."},
                    {"Key": "backup", "Dir": ".terraform/modules/backup"},
                ]
            }
        )
    )
    plan = {
        "configuration": {
            "root_module": {"module_calls": {"backup": {"source": "acme/backup/aws", "module": {}}}}
        }
    }
    assert module_dirs(plan, str(tmp_path))["module.backup"] == str(mods / "backup")
    (mods / "modules.json").write_text("{not json")  # a broken manifest: no lines, no error
    assert "module.backup" not in module_dirs(plan, str(tmp_path))


def test_unreadable_tf_files_never_fail_the_run(tmp_path: Path) -> None:
    for f in ("plan.json",):
        shutil.copy(CONFIG / f, tmp_path / f)
    (tmp_path / "broken.tf").write_bytes(b'\xff\xfe\x00resource "aws_kms_key" \x00\n{{{')
    (tmp_path / "dir.tf").mkdir()  # a directory named like a file
    (tmp_path / "main.tf").write_text((CONFIG / "main.tf").read_text())
    loaded = load_inputs(
        (
            str(tmp_path / "plan.json"),
            str(REPO / "src/copyguard/examples/iac/terraform/central-plan.json"),
        )
    )
    origin = next(o for o in loaded.origins.values() if o.file.endswith("plan.json") and o.lines)
    assert origin.lines["aws_kms_key.ebs"][0] == str(tmp_path / "main.tf")
    # the module's directory is missing: its resources keep the plan's own lines
    assert "module.backup.aws_backup_vault.local" not in origin.lines


@pytest.mark.parametrize("fmt", FORMATS)
def test_findings_are_located_in_the_tf_files(fmt: str) -> None:
    r = invoke("check", *ARGS, "--format", fmt, cwd=CONFIG)
    assert r.code == 1, r
    assert_clean(r.out)
    iac_golden(f"check-terraform-config.{fmt}", r.out)


def test_json_and_sarif_name_the_tf_file_and_line() -> None:
    r = invoke("check", *ARGS, "--format", "json", cwd=CONFIG)
    found = {f["code"]: f for f in r.json()["findings"]}
    root = CONFIG / "main.tf"
    assert found["CG101"]["location"] == {
        "file": "main.tf",
        "line": _line(root, 'resource "aws_kms_key" "ebs" {'),
        "column": 1,
    }
    assert found["CG101"]["evidence"]["input"] == "plan.json"  # the input it was read from
    assert found["CG102"]["location"]["line"] == _line(
        root, 'resource "aws_db_instance" "orders" {'
    )
    sarif = invoke("check", *ARGS, "--format", "sarif", cwd=CONFIG).json()
    regions = {
        res["ruleId"]: res["locations"][0]["physicalLocation"]
        for res in sarif["runs"][0]["results"]
    }
    assert regions["CG101"]["artifactLocation"]["uri"] == "main.tf"
    assert regions["CG101"]["region"]["startLine"] == found["CG101"]["location"]["line"]
