"""``check``/``fix`` ``--show-inputs``: what was read from the inputs, each fact with where it
came from (input file, line, address / logical ID / construct path, attribute), and what is
unknown and why; text, and JSON with ``--format json`` (``--as json`` for fix)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from cg_cli import REPO, invoke, run

EX = REPO / "src" / "copyguard" / "examples" / "iac"
TF = EX / "terraform"
CFN = EX / "cloudformation"
CDK = EX / "cdk"


def facts(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in item["facts"]}


def test_cdk_json_names_template_logical_id_construct_path_and_attribute() -> None:
    r = invoke(
        "check", "cdk.out", "organization.yaml", "--show-inputs", "--format", "json", cwd=CDK
    )
    assert r.code == 0, r
    doc = r.json()
    assert doc["inputs"] == [
        {
            "input": "cdk.out",
            "kind": "cdk",
            "files": ["cdk.out/SourceStack.template.json", "cdk.out/CentralStack.template.json"],
        },
        {"input": "organization.yaml", "kind": "scenario", "files": ["organization.yaml"]},
    ]
    (key,) = [k for k in doc["keys"] if "BackupKey" in k["arn"]]
    policy = facts(key)["policy"]
    assert policy["state"] == "known"
    assert policy["value"]["Statement"][1]["Sid"] == "AllowCentralBackupAccount"
    src = policy["source"]
    assert src["input"] == "cdk.out/SourceStack.template.json"
    assert src["address"] == "BackupKey6F4A1D2B"
    assert src["construct_path"] == "SourceStack/BackupKey/Resource"
    assert src["attribute"] == "KeyPolicy"
    lines = (CDK / "cdk.out" / "SourceStack.template.json").read_text().splitlines()
    assert lines[src["line"] - 1].strip() == '"KeyPolicy": {'
    (copy,) = doc["copies"]
    assert facts(copy)["destination_vault"]["value"].endswith(":backup-vault:central-vault")
    assert copy["source"]["construct_path"] == "SourceStack/DailyPlan/Resource"
    (prot,) = doc["protected_resources"]
    assert prot["source"]["address"] == "DataVolume3C1F2A7E"
    assert prot["source"]["construct_path"] == "SourceStack/DataVolume/Resource"
    assert facts(prot)["resource_type"]["value"] == "EBS"
    assert facts(prot)["resource_arn"]["state"] == "unknown"  # the volume ID comes at deploy
    org = doc["organization"]
    assert org["source"]["input"] == "organization.yaml"
    assert facts(org)["cross_account_backup_enabled"]["value"] is True
    assert facts(org)["cross_account_backup_enabled"]["source"]["line"] == 8
    assert doc["unknown"] == []


def test_text_form_and_fix() -> None:
    r = invoke("check", "cdk.out", "--show-inputs", cwd=CDK)
    assert r.code == 0, r
    assert "Key arn:aws:kms:us-east-1:111122223333:key/pending:BackupKey6F4A1D2B" in r.out
    assert (
        "cdk.out/SourceStack.template.json:3, BackupKey6F4A1D2B, SourceStack/BackupKey/Resource"
        in r.out
    )
    assert "policy: a policy of 2 statement(s) (Sid AllowCentralBackupAccount)" in r.out
    assert "Organization: not described by any input" in r.out
    assert "organization: the organization: no input says it" in r.out
    assert "CG101" not in r.out  # shown, not judged
    f = invoke("fix", "cdk.out", "--show-inputs", cwd=CDK)
    assert f.code == 0 and f.out == r.out, f
    j = invoke("fix", "cdk.out", "--show-inputs", "--as", "json", cwd=CDK)
    assert j.json()["keys"][0]["arn"].endswith("BackupKey6F4A1D2B")


def test_unknown_facts_say_why_with_their_place() -> None:
    """Without the parameters file, the central account of the template is unknown."""
    r = invoke(
        "check",
        "source-account.yaml",
        "central-account.json",
        "--account",
        "source-account.yaml=111122223333",
        "--account",
        "central-account.json=444455556666",
        "--region",
        "us-east-1",
        "--show-inputs",
        "--format",
        "json",
        cwd=CFN,
    )
    assert r.code == 0, r
    unknown = r.json()["unknown"]
    hit = [u for u in unknown if "CentralAccountId" in u["why"]]
    assert hit, unknown
    assert hit[0]["source"]["input"] == "source-account.yaml"
    assert hit[0]["source"]["address"] == "DailyPlan"
    assert hit[0]["source"]["line"] >= 1


def test_terraform_plan_facts_carry_the_address_and_line() -> None:
    r = invoke(
        "check",
        "source-plan.json",
        "central-plan.json",
        "--show-inputs",
        "--format",
        "json",
        cwd=TF,
    )
    assert r.code == 0, r
    doc = r.json()
    vault = next(v for v in doc["vaults"] if v["arn"].endswith(":central"))
    access = facts(vault)["access_policy"]
    assert access["source"]["address"] == "aws_backup_vault_policy.central"
    key = next(k for k in doc["keys"] if k["arn"].endswith("aws_kms_key.ebs"))
    state = facts(key)["state"]["source"]
    lines = (TF / "source-plan.json").read_text().splitlines()
    assert state["attribute"] == "is_enabled"
    assert '"is_enabled"' in lines[state["line"] - 1]


def test_one_scenario_file(tmp_path: Path) -> None:
    r = invoke("check", "organization.yaml", "--show-inputs", "--format", "json", cwd=CDK)
    assert r.code == 0, r
    doc = r.json()
    assert doc["inputs"][0]["kind"] == "scenario"
    assert facts(doc["organization"])["id"]["source"] == {
        "input": "organization.yaml",
        "line": 6,
        "attribute": "id",
    }


def test_show_inputs_bad_input_and_quick_form(tmp_path: Path) -> None:
    shutil.copytree(CDK / "cdk.out", tmp_path / "cdk.out")
    m = json.loads((tmp_path / "cdk.out" / "manifest.json").read_text())
    m["version"] = "999.0.0"
    (tmp_path / "cdk.out" / "manifest.json").write_text(json.dumps(m))
    r = run("check", "cdk.out", "--show-inputs", cwd=tmp_path)
    assert r.code == 2 and "999.0.0" in r.err and "Traceback" not in r.err, r
    r = run("check", "--show-inputs")
    assert r.code == 2 and "--show-inputs" in r.err, r


def test_show_inputs_output_file(tmp_path: Path) -> None:
    out = tmp_path / "inputs.json"
    r = run("check", "cdk.out", "--show-inputs", "--format", "json", "-o", str(out), cwd=CDK)
    assert r.code == 0 and r.out == "", r
    assert json.loads(out.read_text())["inputs"][0]["kind"] == "cdk"
