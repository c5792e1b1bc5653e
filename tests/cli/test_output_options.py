"""What the commands print, through the real CLI (issue 7): colour only when wanted
(``--color``/``--no-color``, ``NO_COLOR``), text wrapped to the terminal, one JSON document
from ``fix`` however many fixes, ``fix --as diff`` that GNU patch applies to the user's own
file, "How to apply" naming the real command, and hostile input that runs nothing."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shlex
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import DST, EXAMPLES, QUICK, REPO, SRC, env, run

from copyguard.escape import is_unsafe
from copyguard.report.common import cell_width

sys.path.insert(0, str(REPO / "tests" / "fixes"))
from output_checks import run_patch, run_shell, terraform_values

KEY = f"arn:aws:kms:us-east-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VAULT = f"arn:aws:backup:us-east-1:{DST}:backup-vault:central"
ESC = "\x1b["


def run_tty(*args: str, cols: int = 80, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    """The CLI with standard output on a pseudo-terminal ``cols`` wide (what a user sees)."""
    e = env()
    for name in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR"):
        e.pop(name, None)
    e["TERM"] = "xterm-256color"
    e.update(extra_env or {})
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "copyguard", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=e,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    proc.wait(timeout=120)
    assert proc.stderr is not None
    proc.stderr.close()
    return proc.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


# ----------------------------------------------------------------------------- colour


SEED = "examples/seed-failing.yaml"


def test_a_terminal_gets_colour_unless_no_color_is_set() -> None:
    code, out = run_tty("check", SEED)
    assert code == 1 and ESC in out
    code, out = run_tty("check", SEED, extra_env={"NO_COLOR": "1"})
    assert code == 1 and ESC not in out and "Verdict: FAIL" in out
    # an empty NO_COLOR does not count (no-color.org)
    assert ESC in run_tty("check", SEED, extra_env={"NO_COLOR": ""})[1]


@pytest.mark.parametrize(
    "command", [["check", SEED], ["explain", "Given key ID is not accessible"]]
)
def test_no_color_and_color_flags(command: list[str]) -> None:
    assert ESC not in run_tty(*command, "--no-color")[1]
    # --color forces it, through a pipe and over NO_COLOR (a flag beats the environment)
    forced = run(*command, "--color")
    assert ESC in forced.out, str(forced)
    assert ESC not in run(*command).out


def test_scan_takes_the_colour_flags() -> None:
    result = run("scan", "--help")
    assert "--no-color" in result.out and "NO_COLOR" in result.out


# ----------------------------------------------------------------------------- width


@pytest.mark.parametrize("cols", [60, 132])
def test_text_wraps_to_the_terminal_width(cols: int) -> None:
    piped = run("check", SEED).out.splitlines()
    code, out = run_tty("check", SEED, "--no-color", cols=cols)
    lines = out.splitlines()
    assert code == 1
    assert lines != piped, "the width of the terminal changes the layout"
    unwrapped = set(piped)
    for line in lines:
        if line in unwrapped or "`" in line or len(line.split()) == 1:
            continue  # diffs, commands, tables and single long words are never broken
        assert cell_width(line) <= cols, (cols, line)
    if cols > 100:
        assert any(cell_width(ln) > 100 and ln not in unwrapped for ln in lines)


# ----------------------------------------------------------------------------- one document


def _two_fix_scenario(tmp: Path, *, vault_policy_file: bool = False) -> Path:
    """The seed scenario (key policy in a file) plus a destination vault without an access
    policy: a key-policy fix and a vault-access-policy fix."""
    doc = yaml.safe_load((EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8"))
    shutil.copy(EXAMPLES / "seed-key-policy.json", tmp / "seed-key-policy.json")
    vault = doc["vaults"][0]
    if vault_policy_file:
        vault.pop("access_policy")
        (tmp / "vault policy.json").write_text(
            json.dumps({"Version": "2012-10-17", "Statement": []}, indent=4) + "\n",
            encoding="utf-8",
        )
        vault["access_policy_file"] = "vault policy.json"
    else:
        vault["access_policy"] = None
    path = tmp / "two-fixes.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_fix_with_several_fixes_prints_one_json_document(tmp_path: Path) -> None:
    path = str(_two_fix_scenario(tmp_path))
    fixes = run("fix", path, "--as", "json").json()["fixes"]
    assert {f["kind"] for f in fixes} == {"key-policy", "vault-access-policy"}
    policies = {f["resource"]: f["policy"] for f in fixes}
    default = run("fix", path)
    assert default.code == 0, str(default)
    assert json.loads(default.out) == policies
    assert json.loads(run("fix", path, "--as", "policy").out) == policies
    # one CloudFormation template with both resources
    (doc,) = list(yaml.safe_load_all(run("fix", path, "--as", "cloudformation").out))
    props = [r["Properties"] for r in doc["Resources"].values()]
    assert [p.get("KeyPolicy", p.get("AccessPolicy")) for p in props] == [
        policies[KEY],
        policies[VAULT],
    ]


def test_fix_with_one_fix_still_prints_the_policy_itself() -> None:
    result = run("fix", "--key-policy", "examples/seed-key-policy.json", *QUICK)
    fixed = json.loads((EXAMPLES / "seed-key-policy-fixed.json").read_text(encoding="utf-8"))
    assert json.loads(result.out) == fixed


# ----------------------------------------------------------------------------- diff


def test_quick_form_diff_patches_the_users_file(tmp_path: Path) -> None:
    policy = tmp_path / "my key policy.json"
    original = json.loads((EXAMPLES / "seed-key-policy.json").read_text(encoding="utf-8"))
    text = (json.dumps(original, indent=4) + "\n").replace("\n", "\r\n")
    policy.write_bytes(text.encode("utf-8"))
    args = ["fix", "--key-policy", policy.name, *QUICK, "--as", "diff"]
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", *args],
        capture_output=True,
        cwd=tmp_path,
        env=env(),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    diff = proc.stdout.decode("utf-8")  # bytes as printed: the file's CRLF kept
    assert diff.startswith('--- "my key policy.json"\n+++ "my key policy.json"\n')
    assert "\r\n" in diff
    applied = run_patch(tmp_path, diff, "-p0")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    patched = policy.read_bytes().decode("utf-8")
    fixed = json.loads((EXAMPLES / "seed-key-policy-fixed.json").read_text(encoding="utf-8"))
    assert json.loads(patched) == fixed
    assert patched == (json.dumps(fixed, indent=4) + "\n").replace("\n", "\r\n")
    assert run(*args, cwd=tmp_path).out == ""


def test_scenario_diff_patches_the_policy_files(tmp_path: Path) -> None:
    path = _two_fix_scenario(tmp_path, vault_policy_file=True)
    result = run("fix", path.name, "--as", "diff", cwd=tmp_path)
    assert result.code == 0, str(result)
    headers = [ln for ln in result.out.splitlines() if ln.startswith("--- ")]
    assert headers == ["--- seed-key-policy.json", '--- "vault policy.json"']
    applied = run_patch(tmp_path, result.out, "-p0")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    fixes = run("fix", path.name, "--as", "json", cwd=tmp_path).json()["fixes"]
    assert fixes == [], "the patched files are the fix"


def test_inline_policy_diff_is_labelled_as_the_document() -> None:
    out = run("fix", "tests/data/scenarios/cg201-missing-vault-access-policy.yaml", "--as", "diff")
    assert out.out.splitlines()[0].startswith(f"# vault-access-policy of {VAULT}")
    assert "not a patch of the input file" in out.out.splitlines()[0]


# ----------------------------------------------------------------------------- how to apply


def _how_to_apply(out: str) -> list[str]:
    flat = " ".join(out.split())
    return re.findall(r"How to apply: `([^`]+)`", flat)


def test_check_names_the_fix_command_for_its_input(tmp_path: Path) -> None:
    name = "set-up $(touch PWNED) 'x'.yaml"
    doc = yaml.safe_load((EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8"))
    doc["keys"][0]["policy_file"] = str(EXAMPLES / "seed-key-policy.json")
    (tmp_path / name).write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run("check", name, "--principal", "slr", cwd=tmp_path)
    assert result.code == 1, str(result)
    (command,) = set(_how_to_apply(result.out))
    argv = shlex.split(command)
    assert argv == ["copyguard", "fix", name, "--principal", "slr", "--as", "cli"]
    # run it as printed: it prints the AWS CLI fix, and nothing else runs
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "copyguard").write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m copyguard "$@"\n', encoding="utf-8"
    )
    (shim / "copyguard").chmod(0o755)
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        env={**env(), "PATH": f"{shim}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "aws kms put-key-policy" in proc.stdout
    assert "AWSServiceRoleForBackup" in proc.stdout
    assert not list(tmp_path.rglob("PWNED*"))


def test_check_quick_form_names_the_quick_fix_command() -> None:
    result = run(
        "check", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--context", "a=b c"
    )
    (command,) = set(_how_to_apply(result.out))
    assert shlex.split(command) == [
        "copyguard",
        "fix",
        "--key-policy",
        "examples/seed-key-policy.json",
        "--source-account",
        SRC,
        "--destination-account",
        DST,
        "--context",
        "a=b c",
        "--as",
        "cli",
    ]


# ----------------------------------------------------------------------------- hostile input


HOSTILE_TEXT = "x$(touch PWNED1)`touch PWNED2`'\"; touch PWNED3 ${aws:username} %{ if 1 }"


def _hostile_scenario(tmp: Path, vault_name: str | None = None) -> Path:
    doc = yaml.safe_load((EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8"))
    policy = json.loads((EXAMPLES / "seed-key-policy.json").read_text(encoding="utf-8"))
    policy["Id"] = HOSTILE_TEXT
    policy["Statement"][0]["Sid"] = HOSTILE_TEXT
    doc["keys"][0].pop("policy_file")
    doc["keys"][0]["policy"] = policy
    doc["vaults"][0]["access_policy"] = None
    if vault_name is not None:
        arn = f"arn:aws:backup:us-east-1:{DST}:backup-vault:{vault_name}"
        doc["vaults"][0]["arn"] = arn
        doc["copies"][0]["destination_vault"] = arn
    path = tmp / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("vault_name", [None, "cen`touch PWNED4`tral$(touch PWNED5)"])
def test_hostile_values_run_nothing_in_any_form(vault_name: str | None, tmp_path: Path) -> None:
    path = str(_hostile_scenario(tmp_path, vault_name))
    fixes_run = run("fix", path, "--as", "json")
    if vault_name is not None and fixes_run.code == 2:
        assert fixes_run.out == ""  # refused as input: safe too
        return
    assert fixes_run.code == 0, str(fixes_run)
    fixes = fixes_run.json()["fixes"]
    by_kind = {f["kind"]: f for f in fixes}
    assert set(by_kind) == {"key-policy", "vault-access-policy"}
    assert by_kind["key-policy"]["policy"]["Id"] == HOSTILE_TEXT
    # AWS CLI: bash runs only aws, with the exact values
    calls = run_shell(run("fix", path, "--as", "cli").out, tmp_path / "sh")
    policies = {c[1]: json.loads(c[c.index("--policy") + 1]) for c in calls}
    assert policies == {
        "put-key-policy": by_kind["key-policy"]["policy"],
        "put-backup-vault-access-policy": by_kind["vault-access-policy"]["policy"],
    }
    (vault_call,) = [c for c in calls if c[1] == "put-backup-vault-access-policy"]
    name = vault_call[vault_call.index("--backup-vault-name") + 1]
    assert name == (vault_name or "central")
    # Terraform: nothing interpolated, values kept
    values = terraform_values(run("fix", path, "--as", "terraform").out, tmp_path / "tf")
    for kind, attrs in values:
        fx = by_kind["key-policy" if kind == "aws_kms_key_policy" else "vault-access-policy"]
        assert json.loads(attrs["policy"]) == fx["policy"]
    # CloudFormation: one valid template with the same policies
    (doc,) = list(yaml.safe_load_all(run("fix", path, "--as", "cloudformation").out))
    props = [r["Properties"] for r in doc["Resources"].values()]
    assert props[0]["KeyPolicy"] == by_kind["key-policy"]["policy"]
    assert props[1]["AccessPolicy"] == by_kind["vault-access-policy"]["policy"]
    # every report format prints it safely
    for fmt in ("text", "markdown", "json", "sarif"):
        out = run("check", path, "--format", fmt).out
        assert not any(is_unsafe(c) for c in out.replace("\n", "")), fmt


def test_control_characters_in_a_scenario_are_shown_escaped(tmp_path: Path) -> None:
    doc: dict[str, Any] = yaml.safe_load(
        (EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8")
    )
    doc["keys"][0]["policy_file"] = str(EXAMPLES / "seed-key-policy.json")
    doc["copies"][0]["name"] = "copy\x1b[2J\u202eevil\u2066"
    path = tmp_path / "ctl.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=False), encoding="utf-8")
    result = run("check", str(path))
    assert result.code == 1, str(result)
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert "copy\\x1b[2J\\u202eevil\\u2066" in result.out
    parsed = run("check", str(path), "--format", "json").json()
    assert parsed["findings"][0]["copy"] == "copy\x1b[2J\u202eevil\u2066"


def test_explain_with_undecodable_bytes_prints_valid_json(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"copyguard",
            b"explain",
            b"Access denied \xff\xfe \x1b[31m",
            b"--format",
            b"json",
        ],
        capture_output=True,
        env=env(),
        cwd=REPO,
        timeout=120,
    )
    assert b"internal error" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 3)
    parsed = json.loads(proc.stdout.decode("utf-8"))
    assert parsed["message"].startswith("Access denied")
    assert b"\x1b" not in proc.stdout


def test_input_errors_on_standard_error_show_control_characters_escaped() -> None:
    name = "missing\x1b[2J\u202e.yaml"
    for args in (["check", name], ["fix", "--key-policy", name, *QUICK]):
        result = run(*args)
        assert result.code == 2, str(result)
        assert "\x1b" not in result.err and "\u202e" not in result.err
        assert "missing\\x1b[2J\\u202e.yaml" in result.err
