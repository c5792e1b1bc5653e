"""The CDK cloud assembly reader (sources/cdk.py) through the CLI: environments, nested
assemblies, nested stacks, construct paths, bad manifests and paths that leave the assembly."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from cg_cli import REPO, invoke, run

CDK = REPO / "src" / "copyguard" / "examples" / "iac" / "cdk"
KEY = "BackupKey6F4A1D2B"


@pytest.fixture
def asm(tmp_path: Path) -> Path:
    """A copy of the example assembly (tmp/cdk.out) and its organization facts."""
    shutil.copytree(CDK / "cdk.out", tmp_path / "cdk.out")
    shutil.copy(CDK / "organization.yaml", tmp_path)
    return tmp_path / "cdk.out"


def manifest(asm: Path) -> dict[str, Any]:
    return json.loads((asm / "manifest.json").read_text())


def write(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1) if not isinstance(doc, str) else doc)


def check(asm: Path, *args: str) -> Any:
    return invoke("check", "cdk.out", "organization.yaml", *args, cwd=asm.parent)


# ----------------------------------------------------------------------------- environments


def test_environment_agnostic_stack_is_unknown_without_account(asm: Path) -> None:
    m = manifest(asm)
    m["artifacts"]["SourceStack"]["environment"] = "aws://unknown-account/unknown-region"
    write(asm / "manifest.json", m)
    r = check(asm, "--format", "json")
    assert r.code == 3, r  # never a pass: the source stack could not be placed
    reasons = [f for f in r.json()["findings"] if f["code"] == "CG902"]
    msg = " ".join(f["message"] for f in reasons)
    assert "SourceStack" in msg and "environment-agnostic" in msg, msg
    assert "--account cdk.out=ACCOUNT_ID" in msg and "--region cdk.out=REGION" in msg, msg


def test_environment_agnostic_stack_takes_account_and_region_options(asm: Path) -> None:
    m = manifest(asm)
    m["artifacts"]["SourceStack"]["environment"] = "aws://unknown-account/unknown-region"
    write(asm / "manifest.json", m)
    r = check(asm, "--account", "cdk.out=111122223333", "--region", "us-east-1", "--format", "json")
    assert r.code == 1, r
    (f,) = r.json()["findings"]
    assert f["code"] == "CG101"
    assert f["resource"] == f"arn:aws:kms:us-east-1:111122223333:key/pending:{KEY}"


def test_a_stack_environment_wins_over_the_account_option(asm: Path) -> None:
    """--account fills in only what the assembly does not say: the central stack stays in
    444455556666 (else the copy's destination vault would be missing, a CG902)."""
    r = check(asm, "--account", "999988887777", "--region", "eu-west-1", "--format", "json")
    assert r.code == 1, r
    assert [f["code"] for f in r.json()["findings"]] == ["CG101"]


def test_stack_parameters_from_the_manifest(asm: Path) -> None:
    tpl_path = asm / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    tpl["Parameters"]["CentralVault"] = {"Type": "String"}
    rule = tpl["Resources"]["DailyPlanC0F3B1A9"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]
    rule["CopyActions"][0]["DestinationBackupVaultArn"] = {"Ref": "CentralVault"}
    write(tpl_path, tpl)
    r = check(asm, "--format", "json")
    assert r.code == 3, r  # no value: unknown, named
    assert any("CentralVault" in f["message"] for f in r.json()["findings"] if f["code"] == "CG902")
    m = manifest(asm)
    m["artifacts"]["SourceStack"]["properties"]["parameters"] = {
        "CentralVault": "arn:aws:backup:us-east-1:444455556666:backup-vault:central-vault"
    }
    write(asm / "manifest.json", m)
    r = check(asm, "--format", "json")
    assert r.code == 1, r
    assert [f["code"] for f in r.json()["findings"]] == ["CG101"]


# ----------------------------------------------------------------------------- nesting


def test_nested_cloud_assembly(asm: Path) -> None:
    """A CDK Stage: the central stack in its own assembly directory inside cdk.out."""
    sub = asm / "assembly-Central"
    sub.mkdir()
    shutil.move(str(asm / "CentralStack.template.json"), sub / "CentralStack.template.json")
    m = manifest(asm)
    central = {k: m["artifacts"].pop(k) for k in ("CentralStack", "CentralStack.assets")}
    write(sub / "manifest.json", {"version": m["version"], "artifacts": central})
    m["artifacts"]["assembly-Central"] = {
        "type": "cdk:cloud-assembly",
        "properties": {"directoryName": "assembly-Central", "displayName": "Central"},
    }
    write(asm / "manifest.json", m)
    r = check(asm, "--format", "json")
    assert r.code == 1, r
    assert [f["code"] for f in r.json()["findings"]] == ["CG101"]  # the central vault was found
    shown = invoke("check", "cdk.out", "--show-inputs", "--format", "json", cwd=asm.parent)
    files = shown.json()["inputs"][0]["files"]
    assert "cdk.out/assembly-Central/CentralStack.template.json" in files


def _nested_stack(asm: Path, with_template: bool = True) -> None:
    """The source stack's copy plan moved into a nested stack that receives the key's ARN."""
    tpl_path = asm / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    res = tpl["Resources"]
    nested_res = {}
    for lid in ("DailyPlanC0F3B1A9", "DailyPlanVolumes5D0E6A13", "DailyPlanVolumesRole8B2E7F41"):
        nested_res[lid] = res.pop(lid)
        path = nested_res[lid]["Metadata"]["aws:cdk:path"]
        nested_res[lid]["Metadata"]["aws:cdk:path"] = path.replace(
            "SourceStack/", "SourceStack/Copies/"
        )
    nested_res["NestedVolume"] = {
        "Type": "AWS::EC2::Volume",
        "Properties": {
            "AvailabilityZone": "us-east-1a",
            "Encrypted": True,
            "KmsKeyId": {"Ref": "referencetoSourceStackBackupKeyArn"},
            "Size": 10,
        },
        "Metadata": {"aws:cdk:path": "SourceStack/Copies/NestedVolume/Resource"},
    }
    sel = nested_res["DailyPlanVolumes5D0E6A13"]["Properties"]["BackupSelection"]
    sel["Resources"] = [{"Fn::Sub": "arn:aws:ec2:us-east-1:111122223333:volume/${NestedVolume}"}]
    rule = nested_res["DailyPlanC0F3B1A9"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]
    rule["TargetBackupVault"] = {"Ref": "referencetoSourceStackVaultName"}
    nested = {
        "Parameters": {
            "referencetoSourceStackBackupKeyArn": {"Type": "String"},
            "referencetoSourceStackVaultName": {"Type": "String"},
        },
        "Resources": nested_res,
    }
    name = "SourceStackCopiesNestedStackCopiesNestedStackResource1A2B3C4D.nested.template.json"
    if with_template:
        write(asm / name, nested)
    res["CopiesNestedStackCopiesNestedStackResource1A2B3C4D"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {
            "Parameters": {
                "referencetoSourceStackBackupKeyArn": {"Fn::GetAtt": [KEY, "Arn"]},
                "referencetoSourceStackVaultName": "app-local",
            },
            "TemplateURL": {"Fn::Join": ["", ["https://s3.us-east-1.amazonaws.com/x/", name]]},
        },
        "Metadata": {
            "aws:cdk:path": "SourceStack/Copies.NestedStack/Copies.NestedStackResource",
            "aws:asset:path": name,
            "aws:asset:property": "TemplateURL",
        },
    }
    write(tpl_path, tpl)


def test_nested_stack_read_with_the_parent_key(asm: Path) -> None:
    _nested_stack(asm)
    r = check(asm, "--format", "json")
    assert r.code == 1, r
    (f,) = r.json()["findings"]
    assert f["code"] == "CG101"
    assert f["resource"].endswith(f"key/pending:{KEY}")
    assert f["copy"].startswith("DailyPlanC0F3B1A9/Daily/copy0/NestedVolume")
    r = check(asm, "--format", "sarif")
    copies = [
        x["fullyQualifiedName"]
        for res in r.json()["runs"][0]["results"]
        for x in res["locations"][0]["logicalLocations"]
    ]
    assert "SourceStack/BackupKey/Resource" in copies


def test_nested_stack_without_its_template_is_unknown_named(asm: Path) -> None:
    _nested_stack(asm, with_template=False)
    r = check(asm, "--format", "json")
    assert r.code == 3, r
    reasons = [f for f in r.json()["findings"] if f["code"] == "CG902"]
    nested = [f for f in reasons if "nested stack" in f["message"]]
    assert nested, reasons
    ev = nested[0]["evidence"]
    assert ev["input"] == "cdk.out/SourceStack.template.json"
    assert ev["address"] == "CopiesNestedStackCopiesNestedStackResource1A2B3C4D"
    assert ev["construct_path"] == "SourceStack/Copies.NestedStack/Copies.NestedStackResource"
    assert nested[0]["location"]["line"] >= 1


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda m: m.update(version="99.0.0"),
            ["manifest.json", "version", "99.0.0", "not supported"],
        ),
        (lambda m: m.update(version="latest"), ["manifest.json", "version", "MAJOR.MINOR.PATCH"]),
        (lambda m: m.update(artifacts=[]), ["manifest.json", "artifacts", "mapping"]),
        (
            lambda m: m["artifacts"]["SourceStack"].update(environment="aws://1234/us-east-1"),
            ["artifacts.SourceStack.environment", "12-digit"],
        ),
        (
            lambda m: m["artifacts"]["SourceStack"].update(environment="111122223333"),
            ["artifacts.SourceStack.environment", "aws://ACCOUNT/REGION"],
        ),
        (
            lambda m: m["artifacts"]["SourceStack"]["properties"].pop("templateFile"),
            ["artifacts.SourceStack.properties.templateFile", "relative path"],
        ),
        (
            lambda m: m["artifacts"]["SourceStack"]["properties"].update(templateFile="nope.json"),
            ["artifacts.SourceStack.properties.templateFile", "does not exist"],
        ),
        (
            lambda m: m["artifacts"]["SourceStack"].update(type=7),
            ["artifacts.SourceStack", "expected an artifact with a type"],
        ),
        (
            lambda m: m["artifacts"].update(
                {"Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "none"}}}
            ),
            ["artifacts.Stage.properties.directoryName", "has no manifest.json"],
        ),
    ],
)
def test_bad_manifest_is_exit_2_naming_file_and_field(
    asm: Path, change: Any, words: list[str]
) -> None:
    m = manifest(asm)
    change(m)
    write(asm / "manifest.json", m)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2, r
    assert "Traceback" not in r.err
    for w in words:
        assert w in r.err, (w, r.err)


def test_manifest_not_json_and_template_not_json(asm: Path) -> None:
    write(asm / "SourceStack.template.json", "{not json")
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "SourceStack.template.json" in r.err and "invalid JSON" in r.err, r
    write(asm / "manifest.json", '{"version": "36.0.0", "artifacts": {')
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "manifest.json" in r.err and "invalid JSON" in r.err, r
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    ("template_file", "words"),
    [
        ("../outside.template.json", "without '..'"),
        ("sub/../../outside.template.json", "without '..'"),
        ("/etc/hostname", "not absolute"),
        ("link.template.json", "leads outside the assembly"),
    ],
)
def test_paths_must_stay_inside_the_assembly(asm: Path, template_file: str, words: str) -> None:
    outside = asm.parent / "outside.template.json"
    shutil.copy(asm / "SourceStack.template.json", outside)
    os.symlink(outside, asm / "link.template.json")
    m = manifest(asm)
    m["artifacts"]["SourceStack"]["properties"]["templateFile"] = template_file
    write(asm / "manifest.json", m)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2, r
    assert words in r.err and "templateFile" in r.err, r.err


def test_a_symlinked_nested_assembly_out_of_the_directory_is_refused(asm: Path) -> None:
    elsewhere = asm.parent / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere / "manifest.json", {"version": "36.0.0", "artifacts": {}})
    os.symlink(elsewhere, asm / "assembly-X")
    m = manifest(asm)
    m["artifacts"]["X"] = {
        "type": "cdk:cloud-assembly",
        "properties": {"directoryName": "assembly-X"},
    }
    write(asm / "manifest.json", m)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "leads outside the assembly" in r.err, r


def test_nested_stack_template_path_escape(asm: Path) -> None:
    _nested_stack(asm)
    tpl_path = asm / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    stack = tpl["Resources"]["CopiesNestedStackCopiesNestedStackResource1A2B3C4D"]
    stack["Metadata"]["aws:asset:path"] = "../../etc/passwd.json"
    write(tpl_path, tpl)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "aws:asset:path" in r.err and "'..'" in r.err, r


def test_assembly_that_nests_itself_is_bounded(asm: Path) -> None:
    m = manifest(asm)
    m["artifacts"]["Loop"] = {"type": "cdk:cloud-assembly", "properties": {"directoryName": "."}}
    write(asm / "manifest.json", m)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "nested too deeply" in r.err, r


def test_too_many_artifacts(asm: Path) -> None:
    m = manifest(asm)
    for i in range(2001):
        m["artifacts"][f"T{i}"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    write(asm / "manifest.json", m)
    r = run("check", "cdk.out", cwd=asm.parent)
    assert r.code == 2 and "too many artifacts" in r.err, r


def test_a_directory_without_manifest_and_stdin(tmp_path: Path) -> None:
    r = run("check", str(tmp_path))
    assert r.code == 2 and "manifest.json" in r.err, r
    r = run("check", "-", "--input-type", "cdk", stdin="{}")
    assert r.code == 2 and "directory" in r.err, r


def test_cross_stack_reference_through_an_export(asm: Path) -> None:
    """CDK turns a reference between two stacks of one environment into an export and an
    Fn::ImportValue: the key in KeyStack, used by the source stack's vault and volume."""
    src_path = asm / "SourceStack.template.json"
    src = json.loads(src_path.read_text())
    key = src["Resources"].pop(KEY)
    src["Resources"].pop("BackupKeyAlias4A9D8E0F")
    key["Metadata"]["aws:cdk:path"] = "KeyStack/BackupKey/Resource"
    export = "KeyStack:ExportsOutputFnGetAttBackupKey6F4A1D2BArn1A2B3C4D"
    imported = {"Fn::ImportValue": export}
    src["Resources"]["SourceVault1E2D3C4B"]["Properties"]["EncryptionKeyArn"] = imported
    src["Resources"]["DataVolume3C1F2A7E"]["Properties"]["KmsKeyId"] = imported
    write(src_path, src)
    write(
        asm / "KeyStack.template.json",
        {
            "Resources": {KEY: key},
            "Outputs": {
                "ExportsOutputFnGetAttBackupKey6F4A1D2BArn1A2B3C4D": {
                    "Value": {"Fn::GetAtt": [KEY, "Arn"]},
                    "Export": {"Name": export},
                }
            },
        },
    )
    m = manifest(asm)
    m["artifacts"] = {
        "KeyStack": {
            "type": "aws:cloudformation:stack",
            "environment": "aws://111122223333/us-east-1",
            "properties": {"templateFile": "KeyStack.template.json"},
            "metadata": {
                "/KeyStack/BackupKey/Resource": [{"type": "aws:cdk:logicalId", "data": KEY}]
            },
        },
        **m["artifacts"],
    }
    write(asm / "manifest.json", m)
    r = check(asm, "--format", "json")
    assert r.code == 1, r
    (f,) = r.json()["findings"]
    assert f["code"] == "CG101"
    assert f["evidence"]["input"] == "cdk.out/KeyStack.template.json"
    assert f["evidence"]["construct_path"] == "KeyStack/BackupKey/Resource"


def test_parameters_option_overrides_the_manifest(asm: Path) -> None:
    tpl_path = asm / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    tpl["Parameters"]["CentralVault"] = {"Type": "String"}
    rule = tpl["Resources"]["DailyPlanC0F3B1A9"]["Properties"]["BackupPlan"]["BackupPlanRule"][0]
    rule["CopyActions"][0]["DestinationBackupVaultArn"] = {"Ref": "CentralVault"}
    write(tpl_path, tpl)
    m = manifest(asm)
    m["artifacts"]["SourceStack"]["properties"]["parameters"] = {"CentralVault": "wrong"}
    write(asm / "manifest.json", m)
    params = asm.parent / "params.json"
    write(
        params, {"CentralVault": "arn:aws:backup:us-east-1:444455556666:backup-vault:central-vault"}
    )
    r = check(asm, "--parameters", "cdk.out=params.json", "--format", "json")
    assert r.code == 1, r
    assert [f["code"] for f in r.json()["findings"]] == ["CG101"]


def test_hostile_construct_path_is_escaped_in_text(asm: Path) -> None:
    tpl_path = asm / "SourceStack.template.json"
    tpl = json.loads(tpl_path.read_text())
    tpl["Resources"][KEY]["Metadata"]["aws:cdk:path"] = "SourceStack/\x1b[31mEvil\u202e/Resource"
    write(tpl_path, tpl)
    for args in ((), ("--show-inputs",)):
        r = check(asm, *args)
        assert "\x1b" not in r.out and "\u202e" not in r.out, r.out
        assert "SourceStack/\\x1b[31mEvil\\u202e/Resource" in r.out
    r = check(asm, "--format", "json")
    assert r.json()["findings"][0]["evidence"]["construct_path"].startswith("SourceStack/\x1b")
