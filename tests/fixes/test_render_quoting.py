"""Printed fixes are safe for their target whatever the input strings hold (issue 7): the
AWS CLI form runs only ``aws`` with the exact values, Terraform interpolates nothing,
CloudFormation is one valid YAML document, JSON always encodes, and ``--as diff`` patches
the user's own file. Fix values are built directly, so input validation cannot hide a
renderer's mistake."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from output_checks import (
    HOSTILE,
    assert_no_terraform_template,
    run_patch,
    run_shell,
    terraform_values,
)

from copyguard.checks.model import Finding, Fix, tr
from copyguard.escape import (
    hcl_string,
    is_unsafe,
    json_dumps,
    md_code,
    md_text,
    shell_quote,
    visible,
)
from copyguard.fixes.playbooks import playbook
from copyguard.fixes.render import PolicyFile, file_diff, render_fixes

SRC, DST = "111122223333", "444455556666"


def _policy(value: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Id": value,
        "Statement": [
            {
                "Sid": "Allow use of the key",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
                "Action": ["kms:DescribeKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": value}},
            }
        ],
    }


def _key_fix(value: str) -> Fix:
    return Fix(
        kind="key-policy",
        resource=f"arn:aws:kms:us-east-1:{SRC}:key/{value}",
        applicability="safe",
        description=tr(f"Allow {value}\nrm -rf ~", f"允许 {value}\nrm -rf ~"),
        policy=_policy(value),
        diff="--- key policy (current)\n+++ key policy (fixed)\n",
        region=f"us-east-1{value}",
        account=f"{SRC}{value}",
    )


def _vault_fix(value: str) -> Fix:
    return Fix(
        kind="vault-access-policy",
        resource=f"arn:aws:backup:us-east-1:{DST}:backup-vault:{value}",
        applicability="safe",
        description=tr(f"Vault {value}", f"保管库 {value}"),
        policy=_policy(value),
        diff="--- vault access policy (current)\n+++ vault access policy (fixed)\n",
        region="us-east-1",
        account=DST,
    )


def _finding(code: str, resource: str, **evidence: Any) -> Finding:
    return Finding(
        code=code,
        severity="error",
        title=tr(f"title {resource}", f"标题 {resource}"),
        message=tr("m", "m"),
        resource=resource,
        evidence=evidence,
    )


def _playbooks(value: str) -> list[Fix]:
    key = f"arn:aws:kms:us-east{value}:{SRC}:key/{value}"
    vault = f"arn:aws:backup:us-east-1:{DST}:backup-vault:{value}"
    found = [
        _finding("CG103", key, state="PendingDeletion"),
        _finding("CG103", key, state="Disabled"),
        _finding("CG102", key, resource_type="EBS"),
        _finding("CG202", vault),
        _finding("CG203", key, state="Disabled"),
        _finding("CG301", key, outside=[value, SRC]),
        _finding("CG302", vault),
        _finding("CG402", vault, destination_region=value, source_region=value),
    ]
    fixes = [playbook(f) for f in found]
    assert all(fixes)
    return [f for f in fixes if f is not None]


def _ids(values: tuple[str, ...]) -> list[str]:
    return [visible(v)[:24] for v in values]


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_shell_quote_round_trips_and_shows_nothing_hidden(value: str) -> None:
    quoted = shell_quote(value)
    assert not any(is_unsafe(c) for c in quoted)
    if not any(is_unsafe(c) for c in value):
        assert shlex.split(quoted) == [value]


def test_helpers_escape_for_their_target() -> None:
    assert hcl_string('a${b}%{c}"\\\n') == '"a$${b}%%{c}\\"\\\\\\n"'
    assert visible("a\x1b[31mb\u202ec\r") == "a\\x1b[31mb\\u202ec\\x0d"
    text = json_dumps({"k": "\ud800\u202e\x1b"})
    text.encode("utf-8")  # a lone surrogate is escaped, never a crash
    assert json.loads(text) == {"k": "\ud800\u202e\x1b"}
    # DEL is the one control json leaves raw: escaped whether or not the rest is ASCII
    assert json_dumps("a\x7f") == '"a\\u007f"'
    assert json_dumps(["a\x7f", "é"]) == '["a\\u007f", "é"]'
    assert "<" not in md_text("<img src=x onerror=alert(1)>")
    assert "](" not in md_text("[click](http://evil.example)")
    assert md_code("a``b").startswith("```") and md_code("a``b").endswith("```")
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    for value in ("a&b<c>d", "&lt;", "<&>", "&amp;&", "> x & y", "# <a>", "1) &", *HOSTILE):
        assert md_text(value) == _md_text_by_character(value)


def _md_text_by_character(text: str) -> str:
    """md_text as it was: the entities made one character at a time (so none twice)."""
    from copyguard import escape

    entities = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    escaped = escape._MD_SPECIAL.sub(r"\\\1", visible(text))
    escaped = "".join(entities.get(c, c) for c in escaped)
    return escape._MD_BLOCK_START.sub(escape._escape_marker, escaped, count=1)


# ----------------------------------------------------------------------------- --as cli


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_cli_form_runs_only_aws_with_the_exact_values(value: str, tmp_path: Path) -> None:
    fixes = [_key_fix(value), _vault_fix(value)]
    for lang in ("en", "zh"):
        script = render_fixes(fixes, "cli", lang)
        assert not any(is_unsafe(c) for c in script.replace("\n", ""))
        calls = run_shell(script, tmp_path / lang)
        assert len(calls) == 2, script
        key, vault = calls
        assert key[:4] == ["kms", "put-key-policy", "--key-id", fixes[0].resource]
        assert key[key.index("--region") + 1] == f"us-east-1{value}"
        assert json.loads(key[key.index("--policy") + 1]) == _policy(value)
        assert vault[:4] == [
            "backup",
            "put-backup-vault-access-policy",
            "--backup-vault-name",
            value,
        ]
        assert json.loads(vault[vault.index("--policy") + 1]) == _policy(value)


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_playbook_commands_run_only_aws_with_the_exact_values(value: str, tmp_path: Path) -> None:
    fixes = _playbooks(value)
    script = render_fixes(fixes, "cli", "en")
    calls = run_shell(script, tmp_path)
    assert [
        "kms",
        "enable-key",
        "--key-id",
        fixes[0].resource,
        "--region",
        fixes[0].region,
    ] in calls
    assert [
        "kms",
        "cancel-key-deletion",
        "--key-id",
        fixes[0].resource,
        "--region",
        fixes[0].region,
    ] in calls
    assert [
        "organizations",
        "invite-account-to-organization",
        "--target",
        f"Id={value},Type=ACCOUNT",
    ] in calls
    created = [c for c in calls if c[:2] == ["backup", "create-backup-vault"]]
    assert created and created[0][created[0].index("--backup-vault-name") + 1] == f"{value}-cmk"
    copy = [c for c in calls if c[:2] == ["backup", "start-copy-job"]]
    assert copy and copy[0][copy[0].index("--region") + 1] == value
    # the commands a report shows are the same words
    for fx in fixes:
        for c in fx.commands:
            assert not any(is_unsafe(ch) for ch in c)


def test_a_command_not_built_with_the_helpers_is_never_printed_runnable(tmp_path: Path) -> None:
    fx = Fix(
        kind="playbook",
        resource=None,
        applicability="display-only",
        description=tr("d", "d"),
        commands=["aws sts get-caller-identity\ntouch PWNED9"],
    )
    assert run_shell(render_fixes([fx], "cli"), tmp_path) == []


# ----------------------------------------------------------------------------- terraform


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_terraform_interpolates_nothing_and_keeps_the_values(value: str, tmp_path: Path) -> None:
    fixes = [_key_fix(value), _vault_fix(value), *_playbooks(value)[:2]]
    hcl = render_fixes(fixes, "terraform", "en")
    assert_no_terraform_template(hcl)
    for line in hcl.splitlines():
        assert not any(is_unsafe(c) for c in line)
    values = terraform_values(hcl, tmp_path)
    if not values:
        pytest.skip("terraform is not installed: the lexical check passed")
    (kt, key), (vt, vault) = values
    assert kt == "aws_kms_key_policy" and key["key_id"] == fixes[0].resource
    assert json.loads(key["policy"]) == _policy(value)
    assert vt == "aws_backup_vault_policy" and vault["backup_vault_name"] == value
    assert json.loads(vault["policy"]) == _policy(value)


def test_terraform_keeps_iam_policy_variables_literal(tmp_path: Path) -> None:
    fx = _key_fix("k")
    assert fx.policy is not None
    fx.policy["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:PrincipalTag/owner": "${aws:username}", "x": "%{ if a }b%{ endif }"}
    }
    hcl = render_fixes([fx], "terraform")
    assert "$${aws:username}" in hcl and "%%{ if a }" in hcl
    values = terraform_values(hcl, tmp_path)
    if values:
        assert json.loads(values[0][1]["policy"]) == fx.policy


# ----------------------------------------------------------------------------- cloudformation


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_cloudformation_is_one_valid_template(value: str) -> None:
    fixes = [_key_fix(value), _vault_fix(value), *_playbooks(value)]
    text = render_fixes(fixes, "cloudformation", "en")
    assert not any(is_unsafe(c) for c in text.replace("\n", ""))
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == 1
    (doc,) = docs
    assert list(doc) == ["Resources"]
    resources = list(doc["Resources"].values())
    assert [r["Type"] for r in resources] == ["AWS::KMS::Key", "AWS::Backup::BackupVault"]
    assert resources[0]["Properties"]["KeyPolicy"] == _policy(value)
    assert resources[1]["Properties"] == {"BackupVaultName": value, "AccessPolicy": _policy(value)}
    assert all(k.isascii() and k.isalnum() for k in doc["Resources"])


def test_cloudformation_logical_ids_are_unique() -> None:
    a, b = _key_fix("same"), _key_fix("same")
    b.resource = f"arn:aws:kms:eu-west-1:{SRC}:key/same"
    doc = yaml.safe_load(render_fixes([a, b], "cloudformation"))
    assert len(doc["Resources"]) == 2


# ----------------------------------------------------------------------------- json and diff


def test_json_form_survives_a_lone_surrogate() -> None:
    fx = _key_fix("\ud800 lone")
    text = render_fixes([fx], "json")
    text.encode("utf-8")
    assert json.loads(text)["fixes"][0]["policy"] == _policy("\ud800 lone")


@pytest.mark.parametrize("value", HOSTILE, ids=_ids(HOSTILE))
def test_diff_comments_cannot_break_out(value: str) -> None:
    fixes = [_key_fix(value), *_playbooks(value)]
    for line in render_fixes(fixes, "diff").splitlines():
        assert not any(is_unsafe(c) for c in line)


FIXED = _policy("fixed")


@pytest.mark.parametrize(
    ("layout", "name"),
    [
        ("two", "key policy.json"),
        ("four-crlf", "policies/key.json"),
        ("tab-no-newline", "a'b\"c $(x).json"),
        ("custom", "custom.json"),
        ("bom", "bom.json"),
        ("separator", "sep.json"),
    ],
)
def test_file_diff_is_a_patch_of_the_users_file(layout: str, name: str, tmp_path: Path) -> None:
    original = _policy("before\u2028after\x0c" if layout == "separator" else "before")
    text = {
        "two": json.dumps(original, indent=2) + "\n",
        "four-crlf": (json.dumps(original, indent=4) + "\n").replace("\n", "\r\n"),
        "tab-no-newline": json.dumps(original, indent="\t"),
        "custom": '{"Version": "2012-10-17",\n "Id": "before", "Statement": '
        + json.dumps(original["Statement"])
        + "}\n",
        "bom": "\ufeff" + json.dumps(original, indent=2) + "\n",
        "separator": json.dumps(original, indent=2, ensure_ascii=False) + "\n",
    }[layout]
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    diff = file_diff(PolicyFile(name, text), FIXED)
    first = diff.splitlines()[0]
    assert first.startswith("--- ") and (name in first or shlex.quote(name) != name)
    result = run_patch(tmp_path, diff, "-p0")
    assert result.returncode == 0, result.stdout + result.stderr
    patched = path.read_bytes().decode("utf-8")
    assert json.loads(patched.lstrip("\ufeff")) == FIXED
    if layout in ("two", "four-crlf", "tab-no-newline", "bom"):
        # the file's own layout is kept: only the changed lines are in the diff
        assert ("\r\n" in patched) == (layout == "four-crlf")
        assert patched.endswith("\n") == (layout != "tab-no-newline")
        assert patched.startswith("\ufeff") == (layout == "bom")
        assert sum(1 for ln in diff.splitlines() if ln.startswith("-")) <= 3
    # and the same diff applies to the file named on the command line
    path.write_bytes(text.encode("utf-8"))
    again = run_patch(tmp_path, diff, str(path))
    assert again.returncode == 0, again.stdout + again.stderr


def test_diff_of_an_inline_policy_says_what_it_is() -> None:
    out = render_fixes([_key_fix("k")], "diff")
    assert out.startswith("# key-policy of arn:aws:kms:")
    assert "not a patch of the input file" in out.splitlines()[0]
