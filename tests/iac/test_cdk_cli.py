"""``copyguard check``/``fix`` on the CDK example (examples/iac/cdk: the cdk.out ``cdk synth``
writes for a source stack and a central stack in two accounts), alone, with the organization
facts and with a Terraform plan; goldens under tests/golden/iac/.

The goldens are written by this file's own helper: run
``COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest tests/iac/test_cdk_cli.py`` and review the diff.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cg_cli import FORMATS, REPO, assert_clean, iac_golden, invoke, run

EX = REPO / "src" / "copyguard" / "examples" / "iac"
CDK = EX / "cdk"
ALL = ("cdk.out", "organization.yaml")
SOURCE_TEMPLATE = "cdk.out/SourceStack.template.json"


@pytest.mark.parametrize("fmt", FORMATS)
def test_assembly_and_facts_golden(fmt: str) -> None:
    r = invoke("check", *ALL, "--format", fmt, cwd=CDK)
    assert r.code == 1, r
    assert_clean(r.out)
    assert "SourceStack/BackupKey/Resource" in r.out
    iac_golden(f"check-cdk.{fmt}", r.out)


def test_fix_as_cloudformation_golden() -> None:
    r = invoke("fix", *ALL, "--as", "cloudformation", cwd=CDK)
    assert r.code == 0, r
    assert "the KeyPolicy of the logical ID BackupKey6F4A1D2B" in r.out
    iac_golden("fix-cdk.yaml", r.out)


def test_the_broken_key_policy_is_located_by_template_logical_id_and_construct_path() -> None:
    r = invoke("check", *ALL, "--format", "json", cwd=CDK)
    findings = r.json()["findings"]
    assert [f["code"] for f in findings] == ["CG101"], findings
    f = findings[0]
    assert f["evidence"]["input"] == SOURCE_TEMPLATE
    assert f["evidence"]["address"] == "BackupKey6F4A1D2B"
    assert f["evidence"]["construct_path"] == "SourceStack/BackupKey/Resource"
    assert f["location"]["file"] == SOURCE_TEMPLATE
    lines = (CDK / SOURCE_TEMPLATE).read_text().splitlines()
    assert lines[f["location"]["line"] - 1].strip() == '"BackupKey6F4A1D2B": {'
    # the two actions the broken policy does allow are not among the missing ones
    assert "kms:Decrypt," not in f["message"] and "kms:CreateGrant" in f["message"]


def test_sarif_locations_carry_the_construct_path() -> None:
    r = invoke("check", *ALL, "--format", "sarif", cwd=CDK)
    (result,) = r.json()["runs"][0]["results"]
    (loc,) = result["locations"]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == SOURCE_TEMPLATE
    assert loc["physicalLocation"]["region"]["startLine"] >= 1
    construct = [x for x in loc["logicalLocations"] if x.get("name") == "BackupKey6F4A1D2B"]
    assert construct == [
        {
            "name": "BackupKey6F4A1D2B",
            "fullyQualifiedName": "SourceStack/BackupKey/Resource",
            "kind": "resource",
        }
    ]


def test_without_the_organization_the_setting_is_not_assumed() -> None:
    r = invoke("check", "cdk.out", "--format", "json", cwd=CDK)
    assert r.code == 1, r  # CG101 still fails the copy
    codes = {f["code"] for f in r.json()["findings"]}
    assert "CG101" in codes and len(codes) > 1, codes


def test_the_manifest_file_and_input_type_cdk_read_the_same() -> None:
    a = invoke("check", "cdk.out", "--format", "json", cwd=CDK).json()
    b = invoke("check", "cdk.out/manifest.json", "--format", "json", cwd=CDK).json()
    c = run("check", "cdk.out", "--input-type", "cdk", "--format", "json", cwd=CDK)
    assert c.code == 1, c
    prints = [f["fingerprint"] for f in a["findings"]]
    assert prints == [f["fingerprint"] for f in b["findings"]]
    assert prints == [f["fingerprint"] for f in c.json()["findings"]]
    # every INPUT is read as the --input-type: the scenario file is no assembly
    r = run("check", "cdk.out", "organization.yaml", "--input-type", "cdk", cwd=CDK)
    assert r.code == 2 and "organization.yaml" in r.err and "manifest.json" in r.err, r


def test_input_type_choices_name_cloudformation_and_cdk() -> None:
    r = run("check", "--help")
    assert "scenario|terraform|cloudformation|cdk" in r.out.replace("\n", "").replace(" ", "")


def test_fixed_key_policy_passes(tmp_path: Path) -> None:
    """The CloudFormation fix, put into the template, makes the assembly pass."""
    out = tmp_path / "cdk.out"
    shutil.copytree(CDK / "cdk.out", out)
    shutil.copy(CDK / "organization.yaml", tmp_path)
    fixed = invoke("fix", *ALL, cwd=CDK)
    assert fixed.code == 0, fixed
    tpl_path = out / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    tpl["Resources"]["BackupKey6F4A1D2B"]["Properties"]["KeyPolicy"] = json.loads(fixed.out)
    tpl_path.write_text(json.dumps(tpl, indent=1))
    r = invoke("check", "cdk.out", "organization.yaml", "--format", "json", cwd=tmp_path)
    assert r.code == 0, r
    assert r.json()["verdict"] == "pass"


def test_merged_with_a_terraform_source_plan(tmp_path: Path) -> None:
    """The source account in Terraform, the central account in CDK: the plan's copy goes into the
    vault the CDK central stack creates, one set-up."""
    plan = (EX / "terraform" / "source-plan.json").read_text()
    (tmp_path / "source-plan.json").write_text(
        plan.replace("backup-vault:central", "backup-vault:central-vault")
    )
    shutil.copytree(CDK / "cdk.out", tmp_path / "cdk.out")
    shutil.copy(CDK / "organization.yaml", tmp_path)
    manifest = json.loads((tmp_path / "cdk.out" / "manifest.json").read_text())
    del manifest["artifacts"]["SourceStack"]
    (tmp_path / "cdk.out" / "manifest.json").write_text(json.dumps(manifest, indent=1))
    r = invoke(
        "check",
        "source-plan.json",
        "cdk.out",
        "organization.yaml",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert r.code == 1, r
    findings = r.json()["findings"]
    # the plan's destination vault is the CDK central stack's: no CG902 for a missing side
    assert not [f for f in findings if f["code"] == "CG902"], findings
    where = {(f["evidence"].get("input"), f["evidence"].get("address")) for f in findings}
    assert ("source-plan.json", "aws_kms_key.ebs") in where
    # without the central stack, the destination vault is unknown and CG902 names it
    manifest["artifacts"].pop("CentralStack")
    manifest["artifacts"]["Other"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    (tmp_path / "cdk.out" / "manifest.json").write_text(json.dumps(manifest))
    r = invoke("check", "source-plan.json", "cdk.out", cwd=tmp_path)
    assert r.code == 2, r  # an assembly without any stack is an input error
    assert "no artifact of type aws:cloudformation:stack" in r.err
