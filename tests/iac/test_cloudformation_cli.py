"""``copyguard check``/``fix`` on CloudFormation templates (examples/iac/cloudformation), alone,
with a scenario file and with the Terraform example; goldens under tests/golden/iac/.

The goldens are written by this file's own helper: run
``COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest tests/iac`` and review the diff.
"""

from __future__ import annotations

import pytest
from cg_cli import FORMATS, REPO, assert_clean, iac_golden, invoke, run

EX = REPO / "src" / "copyguard" / "examples" / "iac"
CFN = EX / "cloudformation"
OPTS = (
    "--account",
    "source-account.yaml=111122223333",
    "--account",
    "central-account.json=444455556666",
    "--region",
    "us-east-1",
    "--parameters",
    "source-account.yaml=source-parameters.json",
)
ALL = ("source-account.yaml", "central-account.json", "organization.yaml", *OPTS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_templates_and_facts_golden(fmt: str) -> None:
    r = invoke("check", *ALL, "--format", fmt, cwd=CFN)
    assert r.code == 1, r
    assert_clean(r.out)
    assert "correct-horse-battery" not in r.out  # the NoEcho database password
    iac_golden(f"check-cloudformation.{fmt}", r.out)


def test_findings_locate_the_template_logical_id_and_line() -> None:
    r = invoke("check", *ALL, "--format", "json", cwd=CFN)
    found = {f["code"]: f for f in r.json()["findings"]}
    assert set(found) == {"CG101", "CG102"}
    assert found["CG101"]["evidence"]["address"] == "EbsKey"
    assert found["CG102"]["evidence"]["address"] == "OrdersDb"
    lines = (CFN / "source-account.yaml").read_text().splitlines()
    for code, logical in (("CG101", "EbsKey"), ("CG102", "OrdersDb")):
        loc = found[code]["location"]
        assert loc["file"] == "source-account.yaml"
        assert lines[loc["line"] - 1].strip() == f"{logical}:"


def test_fix_as_cloudformation_names_the_keypolicy_of_the_logical_id() -> None:
    r = invoke("fix", *ALL, "--as", "cloudformation", cwd=CFN)
    assert r.code == 0, r
    assert "the KeyPolicy of the logical ID EbsKey" in r.out
    assert "\n  EbsKey:\n    Type: AWS::KMS::Key\n" in r.out
    iac_golden("fix-cloudformation.yaml", r.out)


def test_without_parameters_the_central_account_is_unknown() -> None:
    r = invoke("check", *ALL[:-2], "--format", "json", cwd=CFN)
    assert r.code == 3, r
    reasons = [f["message"] for f in r.json()["findings"] if f["code"] == "CG902"]
    assert any("CentralAccountId has no value" in m for m in reasons), reasons


def test_merged_with_the_terraform_source_plan() -> None:
    """The Terraform source plan copies into the vault the central template creates."""
    r = invoke(
        "check",
        str(EX / "terraform" / "source-plan.json"),
        str(CFN / "central-account.json"),
        str(CFN / "organization.yaml"),
        "--account",
        f"{CFN / 'central-account.json'}=444455556666",
        "--region",
        "us-east-1",
        "--format",
        "json",
        cwd=REPO,
    )
    assert r.code == 1, r
    findings = r.json()["findings"]
    assert not [f for f in findings if f["code"] == "CG902"], findings
    assert {f["evidence"].get("address") for f in findings} >= {"aws_kms_key.ebs"}


def test_same_vault_defined_differently_in_terraform_and_cloudformation() -> None:
    r = run(
        "check",
        "cloudformation/central-account.json",
        "terraform/central-plan.json",
        "--account",
        "cloudformation/central-account.json=444455556666",
        "--region",
        "us-east-1",
        cwd=EX,
    )
    assert r.code == 2, r
    assert "Traceback" not in r.err
    assert "central-account.json" in r.err and "central-plan.json" in r.err


def test_detected_by_content_and_input_type(tmp_path: object) -> None:
    r = run(
        "check",
        "central-account.json",
        "--account",
        "444455556666",
        "--region",
        "us-east-1",
        "--input-type",
        "cloudformation",
        "--format",
        "json",
        cwd=CFN,
    )
    assert r.code == 3, r  # no copies in the central template alone: never a pass
    assert "no AWS::Backup::BackupPlan" in r.out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n", "invalid YAML"),
        (
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  V:\n    Type: AWS::Backup::"
            "BackupVault\n    Properties: {BackupVaultName: !GetAtt Nope.Name}\n",
            "does not define",
        ),
    ],
)
def test_bad_template_exit_2_without_traceback(tmp_path: object, text: str, words: str) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "bad.yaml"
    p.write_text(text)
    r = run("check", str(p), "--account", "111122223333", "--region", "us-east-1")
    assert r.code == 2, r
    assert "Traceback" not in r.err and "bad.yaml" in r.err and words in r.err
