"""``copyguard check``/``fix`` on Terraform plans (examples/iac/terraform), with goldens.

The goldens under tests/golden/iac/ are written by this file's own helper: run
``COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest tests/iac`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cg_cli import FORMATS, REPO, assert_clean, iac_golden, invoke, run
from tfplan import source_plan

TF = REPO / "src" / "copyguard" / "examples" / "iac" / "terraform"
ALL = ("source-plan.json", "central-plan.json", "organization.yaml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_plans_and_facts_golden(fmt: str) -> None:
    r = invoke("check", *ALL, "--format", fmt, cwd=TF)
    assert r.code == 1, r
    assert_clean(r.out)
    assert "correct-horse-battery" not in r.out  # the database password (after_sensitive)
    iac_golden(f"check-two-plans.{fmt}", r.out)


def test_findings_locate_the_plan_and_the_address() -> None:
    r = invoke("check", *ALL, "--format", "json", cwd=TF)
    found = {f["code"]: f for f in r.json()["findings"]}
    assert set(found) == {"CG101", "CG102"}
    assert found["CG101"]["evidence"]["address"] == "aws_kms_key.ebs"
    assert found["CG102"]["evidence"]["address"] == "aws_db_instance.orders"
    lines = (TF / "source-plan.json").read_text().splitlines()
    loc = found["CG102"]["location"]
    assert loc["file"] == "source-plan.json"
    assert '"address": "aws_db_instance.orders"' in lines[loc["line"]]


def test_source_plan_alone_is_not_a_pass() -> None:
    r = run("check", "source-plan.json", "--format", "json", cwd=TF)
    assert r.code == 1, r  # CG101 and CG102 are decided by the source plan alone
    findings = r.json()["findings"]
    assert any(
        f["code"] == "CG902" and f.get("path", "").endswith("destination_vault") for f in findings
    )
    iac_golden("check-source-plan.json", r.out)


def test_fix_as_terraform_names_the_key_resource() -> None:
    r = invoke("fix", *ALL, "--as", "terraform", cwd=TF)
    assert r.code == 0, r
    assert "key_id = aws_kms_key.ebs.id" in r.out
    assert "the policy of aws_kms_key.ebs" in r.out
    iac_golden("fix-two-plans.tf", r.out)


def test_fix_as_cli_never_names_a_key_that_does_not_exist_yet() -> None:
    r = invoke("fix", *ALL, "--as", "cli", cwd=TF)
    assert r.code == 0, r
    assert "pending:" not in r.out
    runnable = [ln for ln in r.out.splitlines() if ln.startswith("aws kms put-key-policy")]
    assert runnable == [], "a key a plan creates has no ARN to put a policy on yet"
    assert "# aws kms put-key-policy --key-id KEY_ARN" in r.out
    assert "created by aws_kms_key.ebs" in r.out


def test_stdin_plan() -> None:
    r = run("check", "-", "--format", "json", stdin=(TF / "source-plan.json").read_text(), cwd=TF)
    assert r.code == 1, r
    assert {f["code"] for f in r.json()["findings"]} >= {"CG101", "CG102"}


def test_no_backup_resources_is_unknown_and_says_what_it_read(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "aws_s3_bucket.b",
                "mode": "managed",
                "type": "aws_s3_bucket",
                "name": "b",
                "change": {"actions": ["create"], "after": {"bucket": "b"}, "after_unknown": {}},
            }
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    r = run("check", str(path), "--region", "us-east-1", "--account", "111122223333")
    assert r.code == 3, r
    assert "no aws_backup_plan rule with a copy_action" in r.out and "aws_s3_bucket" in r.out


def test_wrong_format_version_exits_2(tmp_path: Path) -> None:
    doc = source_plan().doc("2.0")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = run("check", str(path))
    assert r.code == 2, r
    assert "format version 2.0" in r.err and "plan.json" in r.err and "Traceback" not in r.err


def test_not_json_with_input_type_terraform_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("this is not json", encoding="utf-8")
    r = run("check", str(path), "--input-type", "terraform")
    assert r.code == 2, r
    assert "invalid JSON" in r.err and "Traceback" not in r.err


def test_scenario_json_as_terraform_exits_2() -> None:
    r = run("check", "examples/seed-key-policy.json", "--input-type", "terraform")
    assert r.code == 2, r
    assert "terraform show -json" in r.err


def test_account_option_for_a_plan_without_identity(tmp_path: Path) -> None:
    path = source_plan(identity=False).write(tmp_path / "p.json")
    r = run("check", str(path))
    assert r.code == 2 and "--account" in r.err, r
    r = run("check", str(path), "--account", f"{path}=111122223333", "--format", "json")
    assert r.code in (1, 3), r
    assert "key/pending:aws_kms_key.k" in r.out


def test_scenario_path_does_not_import_the_terraform_reader() -> None:
    r = run(
        "check",
        "examples/seed-failing.yaml",
        "--format",
        "json",
    )
    assert r.code == 1
    code = (
        "import sys\nfrom copyguard.cli.main import main\n"
        "sys.argv=['copyguard','check','examples/seed-failing.yaml']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('TF-LOADED' if 'copyguard.sources.terraform' in sys.modules else 'TF-ABSENT')\n"
    )
    import subprocess
    import sys

    from cg_cli import env

    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        check=False,
    ).stdout
    assert "TF-ABSENT" in out


def test_plan_check_imports_no_boto3() -> None:
    import subprocess
    import sys

    from cg_cli import env

    code = (
        "import sys\nfrom copyguard.cli.main import main\n"
        "sys.argv=['copyguard','check','source-plan.json','central-plan.json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'moto'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=TF, env=env(), check=False
    ).stdout
    assert "HEAVY:\n" in out
