"""Bad input of every kind: exit code 2, a message naming the file, the field path and what
was expected, and never a traceback (spec sections 1 and 3)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import EXAMPLES, QUICK, SCENARIOS, invoke, run

BASE: dict[str, Any] = yaml.safe_load(
    (SCENARIOS / "pass-seed-fixed-root.yaml").read_text(encoding="utf-8")
)
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _edit(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    cur: Any = doc
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if part.isdigit() else cur[part]
    last = parts[-1]
    if last.isdigit():
        cur[int(last)] = value
    else:
        cur[last] = value
    return doc


# (id, document edit, field path the message must name, words the message must contain)
FIELD_ERRORS: list[tuple[str, str, Any, str, str]] = [
    ("keys-not-a-list", "keys", {"arn": KEY_ARN}, "keys", "expected a list"),
    ("copies-not-a-list", "copies", "ebs", "copies", "expected a list"),
    ("copy-not-an-object", "copies.0", "ebs-to-central", "copies[0]", "expected an object"),
    (
        "organization-not-an-object",
        "organization",
        ["o-exampleorg1"],
        "organization",
        "expected an object",
    ),
    ("unknown-top-field", "copys", [], "copys", "unknown field"),
    (
        "unknown-copy-field",
        "copies.0.destination_vualt",
        "x",
        "copies[0].destination_vualt",
        "unknown field",
    ),
    ("unknown-key-field", "keys.0.key_state", "Enabled", "keys[0].key_state", "unknown field"),
    (
        "bad-account-short",
        "organization.accounts.1",
        "11112222333",
        "organization.accounts[1]",
        "12-digit",
    ),
    (
        "bad-account-letters",
        "organization.management_account",
        "mgmt",
        "organization.management_account",
        "12-digit",
    ),
    ("bad-org-id", "organization.id", "exampleorg", "organization.id", "organization ID"),
    (
        "bad-bool",
        "organization.cross_account_backup_enabled",
        "yes please",
        "organization.cross_account_backup_enabled",
        "true or false",
    ),
    (
        "bad-key-arn",
        "keys.0.arn",
        "arn:aws:kms:us-east-1:111122223333:1234abcd",
        "keys[0].arn",
        "KMS key ARN",
    ),
    ("key-arn-number", "keys.0.arn", 12, "keys[0].arn", "KMS key ARN"),
    ("bad-manager", "keys.0.manager", "OWNER", "keys[0].manager", "CUSTOMER or AWS"),
    ("bad-state", "keys.0.state", "Sleeping", "keys[0].state", "Enabled"),
    ("state-number", "keys.0.state", 5, "keys[0].state", "KeyState"),
    ("bad-alias", "keys.0.aliases", ["ebs-backup"], "keys[0].aliases[0]", "alias/"),
    ("policy-number", "keys.0.policy", 42, "keys[0].policy", "policy object"),
    (
        "bad-vault-arn",
        "vaults.0.arn",
        "arn:aws:backup:us-east-1:444455556666:vault/central",
        "vaults[0].arn",
        "backup vault ARN",
    ),
    ("bad-vault-key", "vaults.0.key", "alias/central", "vaults[0].key", "KMS key"),
    (
        "bad-lock-days",
        "vaults.0.lock.min_retention_days",
        "seven",
        "vaults[0].lock.min_retention_days",
        "whole number",
    ),
    (
        "lock-min-above-max",
        "vaults.0.lock.min_retention_days",
        9999,
        "vaults[0].lock",
        "larger than",
    ),
    ("bad-vault-type", "vaults.0.vault_type", "COLD_VAULT", "vaults[0].vault_type", "BACKUP_VAULT"),
    (
        "bad-destination-vault",
        "copies.0.destination_vault",
        "central",
        "copies[0].destination_vault",
        "backup vault ARN",
    ),
    (
        "bad-resource-arn",
        "copies.0.resource_arn",
        "vol-0123456789abcdef0",
        "copies[0].resource_arn",
        "resource ARN",
    ),
    (
        "bad-resource-key",
        "copies.0.resource_key",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "copies[0].resource_key",
        "KMS key",
    ),
    (
        "negative-days",
        "copies.0.lifecycle.delete_after_days",
        -1,
        "copies[0].lifecycle.delete_after_days",
        "whole number",
    ),
    (
        "bool-days",
        "copies.0.lifecycle.delete_after_days",
        True,
        "copies[0].lifecycle.delete_after_days",
        "whole number",
    ),
    ("bad-role", "copies.0.iam_role_arn", "BackupRole", "copies[0].iam_role_arn", "IAM role ARN"),
    ("name-number", "copies.0.name", 7, "copies[0].name", "copy name"),
    ("type-list", "copies.0.resource_type", ["EBS"], "copies[0].resource_type", "resource type"),
    ("bad-version", "version", 2, "version", "expected 1"),
]


@pytest.mark.parametrize(
    ("edit", "value", "field", "words"),
    [t[1:] for t in FIELD_ERRORS],
    ids=[t[0] for t in FIELD_ERRORS],
)
def test_scenario_field_errors(
    edit: str, value: Any, field: str, words: str, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(_edit(edit, value), sort_keys=False), encoding="utf-8")
    for command, runner in (("check", run), ("fix", invoke)):
        result = runner(command, "scenario.yaml", cwd=tmp_path)
        assert result.code == 2, str(result)
        assert "Traceback" not in result.err
        assert "scenario.yaml" in result.err, result.err
        assert field in result.err, result.err
        assert words.lower() in result.err.lower(), result.err
        assert result.out == ""


def test_the_message_carries_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        yaml.safe_dump(_edit("copies.0.destination_vault", "central"), sort_keys=False),
        encoding="utf-8",
    )
    result = run("check", "scenario.yaml", cwd=tmp_path)
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "destination_vault" in text
    )
    assert f"scenario.yaml:{line}:" in result.err


FILE_ERRORS: list[tuple[str, str | bytes, str]] = [
    ("yaml-syntax", "version: 1\nkeys:\n  - arn: [unclosed\n", "invalid YAML"),
    ("json-syntax", '{"version": 1, "keys": [}', "invalid JSON"),
    ("empty", "", "empty"),
    ("top-level-list", "- 1\n- 2\n", "top level"),
    ("not-utf8", b"\xff\xfe\x00garbage", "UTF-8"),
    ("tabs", "version: 1\n\tkeys: []\n", "YAML"),
]


@pytest.mark.parametrize(
    ("content", "words"), [t[1:] for t in FILE_ERRORS], ids=[t[0] for t in FILE_ERRORS]
)
def test_broken_files(content: str | bytes, words: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = run("check", "broken.yaml", cwd=tmp_path)
    assert result.code == 2, str(result)
    assert "Traceback" not in result.err
    assert "broken.yaml" in result.err and words.lower() in result.err.lower(), result.err


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = run("check", "nope.yaml", cwd=tmp_path)
    assert missing.code == 2 and "nope.yaml" in missing.err and "not found" in missing.err
    directory = run("check", ".", cwd=tmp_path)
    assert directory.code == 2 and "directory" in directory.err
    for result in (missing, directory):
        assert "Traceback" not in result.err


def test_a_missing_policy_file_inside_a_scenario(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["keys"][0].pop("policy")
    doc["keys"][0]["policy_file"] = "policies/missing.json"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run("check", "s.yaml", cwd=tmp_path)
    assert result.code == 2
    assert "keys[0].policy_file" in result.err and "missing.json" in result.err


MALFORMED_POLICIES: list[tuple[str, Any, str]] = [
    (
        "effect-permit",
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Permit", "Principal": "*", "Action": "kms:*", "Resource": "*"}
            ],
        },
        "keys[0].policy.Statement[0]",
    ),
    (
        "no-principal",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
        },
        "keys[0].policy.Statement[0]",
    ),
    (
        "statement-string",
        {"Version": "2012-10-17", "Statement": "allow everything"},
        "keys[0].policy",
    ),
    ("json-string-broken", '{"Version": "2012-10-17", "Statement": [', "keys[0].policy"),
]


@pytest.mark.parametrize(
    ("policy", "field"), [t[1:] for t in MALFORMED_POLICIES], ids=[t[0] for t in MALFORMED_POLICIES]
)
def test_malformed_key_policy_inside_a_scenario(policy: Any, field: str, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        yaml.safe_dump(_edit("keys.0.policy", policy), sort_keys=False), encoding="utf-8"
    )
    result = run("check", "s.yaml", "--format", "json", cwd=tmp_path)
    assert result.code == 2, str(result)
    assert "Traceback" not in result.err
    assert field in result.err and "s.yaml" in result.err
    report = result.json()
    assert "CG901" in {f["code"] for f in report["findings"]}
    fix = run("fix", "s.yaml", cwd=tmp_path)
    assert fix.code == 2 and field in fix.err


QUICK_ERRORS: list[tuple[str, list[str], str]] = [
    ("missing-policy-file", ["--key-policy", "nope.json", *QUICK], "nope.json"),
    ("policy-not-json", ["--key-policy", "notjson.json", *QUICK], "notjson.json"),
    ("policy-invalid", ["--key-policy", "noprincipal.json", *QUICK], "Principal"),
    (
        "no-destination",
        ["--key-policy", "policy.json", "--source-account", "111122223333"],
        "--destination-account",
    ),
    (
        "bad-source-account",
        [
            "--key-policy",
            "policy.json",
            "--source-account",
            "1111",
            "--destination-account",
            "444455556666",
        ],
        "--source-account",
    ),
    (
        "same-accounts",
        [
            "--key-policy",
            "policy.json",
            "--source-account",
            "111122223333",
            "--destination-account",
            "111122223333",
        ],
        "--destination-account",
    ),
    (
        "key-arn-wrong-account",
        [
            "--key-policy",
            "policy.json",
            *QUICK,
            "--key-arn",
            "arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
        "--key-arn",
    ),
    (
        "key-arn-garbage",
        ["--key-policy", "policy.json", *QUICK, "--key-arn", "my-key"],
        "--key-arn",
    ),
    (
        "principal-garbage",
        ["--key-policy", "policy.json", *QUICK, "--principal", "garbage"],
        "--principal",
    ),
    (
        "principal-bad-arn",
        ["--key-policy", "policy.json", *QUICK, "--principal", "arn:aws:iam::444455556666:rolex"],
        "--principal",
    ),
    (
        "principal-other-account",
        [
            "--key-policy",
            "policy.json",
            *QUICK,
            "--principal",
            "arn:aws:iam::555566667777:role/Backup",
        ],
        "--principal",
    ),
    (
        "bad-key-state",
        ["--key-policy", "policy.json", *QUICK, "--key-state", "Sleeping"],
        "--key-state",
    ),
    (
        "bad-key-manager",
        ["--key-policy", "policy.json", *QUICK, "--key-manager", "BOB"],
        "--key-manager",
    ),
    ("bad-context", ["--key-policy", "policy.json", *QUICK, "--context", "nonsense"], "--context"),
    ("bad-format", ["--key-policy", "policy.json", *QUICK, "--format", "xml"], "--format"),
    ("unknown-flag", ["--key-policy", "policy.json", *QUICK, "--frobnicate"], "--frobnicate"),
    ("both-forms", ["scenario.yaml", "--key-policy", "policy.json", *QUICK], "not both"),
    (
        "quick-flag-on-scenario",
        ["scenario.yaml", "--source-account", "111122223333"],
        "--source-account",
    ),
    ("nothing", [], "SCENARIO"),
]


@pytest.fixture()
def quick_dir(tmp_path: Path) -> Path:
    (tmp_path / "policy.json").write_text(
        (EXAMPLES / "seed-key-policy.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "notjson.json").write_text('{"Version": ', encoding="utf-8")
    (tmp_path / "noprincipal.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(BASE), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "words"), [t[1:] for t in QUICK_ERRORS], ids=[t[0] for t in QUICK_ERRORS]
)
def test_command_line_errors(args: list[str], words: str, quick_dir: Path) -> None:
    result = run("check", *args, cwd=quick_dir)
    assert result.code == 2, str(result)
    assert "Traceback" not in result.err
    assert words in result.err, result.err
    for command in ("check", "fix"):
        result = invoke(command, *args, cwd=quick_dir)
        assert result.code == 2, str(result)
        assert "Traceback" not in result.err
        assert words in result.err, result.err


def test_explain_and_fix_never_trace_on_garbage(quick_dir: Path) -> None:
    for args in (
        ["fix", "--as", "yaml", "scenario.yaml"],
        ["explain", "--format", "xml", "x"],
        ["check", "--lang", "fr", "x"],
    ):
        result = run(*args, cwd=quick_dir)
        assert result.code == 2, str(result)
        assert "Traceback" not in result.err
