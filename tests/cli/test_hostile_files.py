"""Hostile input through the real command line (GitHub issue 7): alias bombs, absurd
numbers, deep nesting, lone surrogates, invalid UTF-8, a BOM or a closed standard input, a
FIFO with no writer, /dev/zero, a directory, oversized policies, IDs that are not AWS's
shapes, a bare key policy given as a scenario. Each gets exit 2 with a message naming the
file, the field and the expectation, quickly, and never a traceback or "internal error".

Every run has a short time-out, so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import QUICK, SCENARIOS, env

BASE: dict[str, Any] = yaml.safe_load(
    (SCENARIOS / "pass-seed-fixed-root.yaml").read_text(encoding="utf-8")
)
KEY_POLICY = BASE["keys"][0]["policy"]
TIMEOUT = 20
POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")

# 371 bytes that expand to 9**9 strings ("billion laughs")
ALIAS_BOMB = (
    "# 9**9 = 387,420,489 strings\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def cg(
    *args: str,
    cwd: Path,
    stdin: bytes | None = None,
    close_stdin: bool = False,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m copyguard ARGS`` with a time-out (a hang is a failure, not a stall)."""
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", *args],
        input=stdin,
        stdin=None if stdin is not None or close_stdin else subprocess.DEVNULL,
        capture_output=True,
        cwd=cwd,
        env={**env(), **(extra_env or {})},
        timeout=TIMEOUT,
        check=False,
        preexec_fn=(lambda: os.close(0)) if close_stdin else None,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def assert_input_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    shown = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr, shown
    assert "internal error" not in result.stderr.lower(), shown
    for w in words:
        assert w.lower() in result.stderr.lower(), f"{w!r} not in the message\n{shown}"


def edited(path: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    cur: Any = doc
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if part.isdigit() else cur[part]
    last = parts[-1]
    cur[int(last) if last.isdigit() else last] = value
    return doc


# ------------------------------------------------------------------- YAML and JSON documents
def test_a_371_byte_alias_bomb_is_an_input_error_at_once(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB.encode()) == 371
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    started = time.monotonic()
    result = cg("check", "bomb.yaml", cwd=tmp_path)
    assert_input_error(result, "bomb.yaml", "alias", "expected at most")
    assert time.monotonic() - started < 10


DOCUMENTS: list[tuple[str, str, str | bytes, tuple[str, ...]]] = [
    (
        "yaml-long-integer",
        "s.yaml",
        "version: 1\nkeys:\n- arn: " + "9" * 5000 + "\n",
        ("keys[0].arn", "5000 characters", "at most 64"),
    ),
    ("json-long-integer", "s.json", '{"version": ' + "1" * 5000 + "}", ("5000 characters",)),
    ("json-deep", "s.json", "[" * 100_000 + "]" * 100_000, ("nested too deeply",)),
    ("json-deep-in-object", "s.json", '{"keys": ' + "[" * 500 + "]" * 500 + "}", ("nested",)),
    ("yaml-deep", "s.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", ("invalid YAML",)),
    (
        "yaml-deep-block",
        "s.yaml",
        "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
        ("nested too deeply", "at most 64"),
    ),
    (
        "json-lone-surrogate",
        "s.json",
        '{"version": 1, "copies": [{"name": "\\ud800"}]}',
        ("copies[0].name", "surrogate"),
    ),
    ("yaml-lone-surrogate", "s.yaml", 'version: 1\ncopies:\n- name: "\\ud800"\n', ("YAML",)),
    ("invalid-utf8", "s.yaml", b"version: 1\ncopies:\n- name: \xc3\x28\n", ("UTF-8", "byte")),
    ("json-nan", "s.json", '{"version": NaN}', ("NaN", "finite number")),
    ("json-infinity", "s.json", '{"version": 1, "x": -Infinity}', ("Infinity",)),
    ("json-duplicate-field", "s.json", '{"version": 1, "version": 1}', ("duplicate field",)),
    ("yaml-duplicate-field", "s.yaml", "version: 1\nkeys: []\nkeys: []\n", ("keys", "duplicate")),
]


@pytest.mark.parametrize(
    ("name", "content", "words"), [d[1:] for d in DOCUMENTS], ids=[d[0] for d in DOCUMENTS]
)
def test_hostile_documents(
    name: str, content: str | bytes, words: tuple[str, ...], tmp_path: Path
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert_input_error(cg("check", name, cwd=tmp_path), name, *words)


# ------------------------------------------------------------------- account IDs (spec 3)
def test_an_unquoted_yaml_account_is_read_as_the_digits_written(tmp_path: Path) -> None:
    """YAML 1.1 reads 012345670123 as an octal number; the account is still 012345670123."""
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "management_account: '111111111111'", "management_account: 012345670123"
    )
    text = text.replace("- '111111111111'", "- 012345670123")
    assert "management_account: 012345670123" in text
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = cg("check", "s.yaml", "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    # the same scenario with the account quoted gives the same report
    quoted = text.replace("012345670123", "'012345670123'")
    (tmp_path / "q.yaml").write_text(quoted, encoding="utf-8")
    other = cg("check", "q.yaml", "--format", "json", cwd=tmp_path)

    def codes(out: str) -> list[tuple[str, str]]:
        return [(f["code"], f.get("path", "")) for f in json.loads(out)["findings"]]

    assert codes(result.stdout) == codes(other.stdout)
    from copyguard.scenario import load_scenario

    org = load_scenario(tmp_path / "s.yaml").organization
    assert org.management_account == "012345670123"  # not 001402433619, its octal value
    assert "012345670123" in org.accounts


@pytest.mark.parametrize(
    "written", ["0123_4567_0123", "0x1B3A0C2E6F", "12345670123", "1.1e11", "0o12345670123"]
)
def test_a_number_that_is_not_12_digits_is_never_an_account(written: str, tmp_path: Path) -> None:
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "management_account: '111111111111'", f"management_account: {written}"
    )
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = cg("check", "s.yaml", cwd=tmp_path)
    assert_input_error(result, "s.yaml", "organization.management_account", "12-digit")


# ------------------------------------------------------------------- IDs by their AWS shapes
KEY_ARN = BASE["keys"][0]["arn"]
ID_ERRORS: list[tuple[str, str, Any, str, str]] = [
    ("account-newline", "organization.accounts.0", "111111111111\n", "accounts[0]", "control"),
    ("account-arabic-digits", "organization.accounts.0", "١١١١١١١١١١١١", "accounts[0]", "ASCII"),
    ("account-11-digits", "organization.management_account", "11111111111", "management", "12"),
    ("org-id-short", "organization.id", "o-1", "organization.id", "10-32"),
    (
        "key-id-not-uuid",
        "keys.0.arn",
        KEY_ARN.replace("1234abcd-12ab-34cd-56ef-1234567890ab", "my-key"),
        "keys[0].arn",
        "not a KMS key ID",
    ),
    (
        "key-id-trailing-newline",
        "keys.0.arn",
        KEY_ARN + "\n",
        "keys[0].arn",
        "control character",
    ),
    (
        "mrk-too-short",
        "keys.0.arn",
        KEY_ARN.replace("1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234"),
        "keys[0].arn",
        "mrk-",
    ),
    ("key-region", "keys.0.arn", KEY_ARN.replace("us-east-1", "Mars"), "keys[0].arn", "Region"),
    ("key-partition", "keys.0.arn", KEY_ARN.replace(":aws:", ":awz:"), "keys[0].arn", "partition"),
    ("alias-space", "keys.0.aliases.0", "alias/my key", "keys[0].aliases[0]", "alias name"),
    (
        "vault-name-long",
        "vaults.0.arn",
        "arn:aws:backup:us-east-1:111122223333:backup-vault:" + "v" * 51,
        "vaults[0].arn",
        "2-50",
    ),
    (
        "vault-name-dot",
        "copies.0.destination_vault",
        "arn:aws:backup:us-east-1:444455556666:backup-vault:a.b",
        "copies[0].destination_vault",
        "vault name",
    ),
    (
        "role-name-space",
        "copies.0.iam_role_arn",
        "arn:aws:iam::111122223333:role/my role",
        "copies[0].iam_role_arn",
        "role/NAME",
    ),
    (
        "resource-arn-space",
        "copies.0.resource_arn",
        "arn:aws:ec2:us-east-1:111122223333:volume/vol 1",
        "copies[0].resource_arn",
        "white space",
    ),
    (
        "resource-arn-volume-id",
        "copies.0.resource_arn",
        "arn:aws:ec2:us-east-1:111122223333:volume/my-volume",
        "copies[0].resource_arn",
        "vol- and 8 or 17 hex digits",
    ),
    (
        "resource-arn-account",
        "copies.0.resource_arn",
        "arn:aws:ec2:us-east-1:1111222233334:volume/vol-1",
        "copies[0].resource_arn",
        "12 ASCII digits",
    ),
]


@pytest.mark.parametrize(
    ("edit", "value", "field", "words"),
    [t[1:] for t in ID_ERRORS],
    ids=[t[0] for t in ID_ERRORS],
)
def test_ids_are_checked_by_their_aws_shapes(
    edit: str, value: Any, field: str, words: str, tmp_path: Path
) -> None:
    (tmp_path / "s.json").write_text(json.dumps(edited(edit, value)), encoding="utf-8")
    assert_input_error(cg("check", "s.json", cwd=tmp_path), "s.json", field, words)


def test_well_formed_ids_of_every_shape_are_accepted(tmp_path: Path) -> None:
    doc = edited("keys.0.aliases.0", "alias/aws/backup_Team-1")
    doc["keys"][1]["arn"] = "arn:aws:kms:us-east-1:444455556666:key/mrk-" + "0123456789abcdef" * 2
    for v in doc["vaults"]:
        if v.get("key") == BASE["keys"][1]["arn"]:
            v["key"] = doc["keys"][1]["arn"]
    (tmp_path / "s.json").write_text(json.dumps(doc), encoding="utf-8")
    result = cg("check", "s.json", cwd=tmp_path)
    assert result.returncode in (0, 1, 3), result.stderr


QUICK_ERRORS: list[tuple[str, list[str], str]] = [
    ("source-newline", ["--source-account", "111122223333\n"], "--source-account"),
    ("source-arabic", ["--source-account", "١١١١٢٢٢٢٣٣٣٣"], "ASCII"),
    ("destination-short", ["--destination-account", "44445555666"], "--destination-account"),
    (
        "key-arn-not-uuid",
        ["--key-arn", KEY_ARN.replace("1234abcd-12ab", "zzzzzzzz-12ab")],
        "key ID",
    ),
    ("key-arn-newline", ["--key-arn", KEY_ARN + "\n"], "control"),
    ("key-arn-region", ["--key-arn", KEY_ARN.replace("us-east-1", "us_east_1")], "Region"),
]


@pytest.mark.parametrize(
    ("args", "words"), [t[1:] for t in QUICK_ERRORS], ids=[t[0] for t in QUICK_ERRORS]
)
def test_quick_form_ids(args: list[str], words: str, tmp_path: Path) -> None:
    (tmp_path / "key.json").write_text(json.dumps(KEY_POLICY), encoding="utf-8")
    flags = dict(zip(QUICK[::2], QUICK[1::2], strict=True))
    flags.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [x for kv in flags.items() for x in kv]
    assert_input_error(cg("check", "--key-policy", "key.json", *argv, cwd=tmp_path), words)


# ------------------------------------------------------------------- files that are not files
def test_a_bare_key_policy_given_as_a_scenario_shows_the_quick_form(tmp_path: Path) -> None:
    name = "my key policy.json"
    (tmp_path / name).write_text(json.dumps(KEY_POLICY), encoding="utf-8")
    result = cg("check", name, cwd=tmp_path)
    assert_input_error(result, name, "quick form")
    command = f"copyguard check --key-policy {shlex.quote(name)} --source-account"
    assert command in result.stderr
    assert "unknown field 'Version'" not in result.stderr


def test_an_oversized_key_policy_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = {
        "Version": "2012-10-17",
        "Statement": [KEY_POLICY["Statement"][0]] * 1,
        "Pad": "x" * 2**20,
    }
    (tmp_path / "key.json").write_text(json.dumps(big), encoding="utf-8")
    result = cg("check", "--key-policy", "key.json", *QUICK, cwd=tmp_path)
    assert_input_error(result, "key.json", "32 KiB (32,768 bytes)")


@POSIX
def test_dev_zero_is_refused_at_the_limit(tmp_path: Path) -> None:
    assert_input_error(cg("check", "/dev/zero", cwd=tmp_path), "/dev/zero", "larger than", "MiB")
    result = cg("check", "--key-policy", "/dev/zero", *QUICK, cwd=tmp_path)
    assert_input_error(result, "/dev/zero", "32 KiB")


@POSIX
def test_a_fifo_with_no_writer_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    quick = {"COPYGUARD_INPUT_TIMEOUT": "0.5"}
    started = time.monotonic()
    assert_input_error(
        cg("check", "fifo", cwd=tmp_path, extra_env=quick), "fifo", "no data arrived"
    )
    result = cg("check", "--key-policy", "fifo", *QUICK, cwd=tmp_path, extra_env=quick)
    assert_input_error(result, "fifo", "no data arrived")
    assert time.monotonic() - started < 15


def test_a_directory_as_key_policy(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = cg("check", "--key-policy", "d", *QUICK, cwd=tmp_path)
    assert_input_error(result, "d", "directory")


@POSIX
def test_a_closed_standard_input(tmp_path: Path) -> None:
    result = cg("check", "--key-policy", "-", *QUICK, cwd=tmp_path, close_stdin=True)
    assert_input_error(result, "standard input is closed")
    assert_input_error(cg("check", "-", cwd=tmp_path, close_stdin=True), "standard input")


def test_a_bom_on_standard_input_is_dropped(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps(KEY_POLICY).encode()
    with_bom = cg(
        "check", "--key-policy", "-", *QUICK, "--format", "json", cwd=tmp_path, stdin=data
    )
    plain = cg(
        "check", "--key-policy", "-", *QUICK, "--format", "json", cwd=tmp_path, stdin=data[3:]
    )
    assert with_bom.returncode == plain.returncode != 2, with_bom.stderr
    assert json.loads(with_bom.stdout)["findings"] == json.loads(plain.stdout)["findings"]
    scenario = b"\xef\xbb\xbf" + yaml.safe_dump(BASE).encode()
    assert cg("check", "-", cwd=tmp_path, stdin=scenario).returncode == 0


def test_invalid_utf8_key_policy_names_the_byte(tmp_path: Path) -> None:
    (tmp_path / "key.json").write_bytes(b'{"Version": "2012-10-17", "x": "\xff"}')
    result = cg("check", "--key-policy", "key.json", *QUICK, cwd=tmp_path)
    assert_input_error(result, "key.json", "UTF-8", "byte 32")


def test_a_backtracking_action_pattern_does_not_stall_check(tmp_path: Path) -> None:
    """``kms:*?*?...Z`` once took minutes in the action catalogue's regex (lint, CG checks)."""
    policy = copy.deepcopy(KEY_POLICY)
    policy["Statement"][1]["Action"] = "kms:" + "*?" * 30 + "Z"
    (tmp_path / "key.json").write_text(json.dumps(policy), encoding="utf-8")
    started = time.monotonic()
    result = cg("check", "--key-policy", "key.json", *QUICK, cwd=tmp_path)
    assert result.returncode in (0, 1, 3), result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 15
