"""No offline command imports boto3, botocore or moto (STYLE habit 15; docs/INTERNALS.md): an
offline check must not pay for them, and must work where they are not installed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cg_cli import QUICK, REPO, env

HEAVY = ("boto3", "botocore", "moto")
WRAPPER = """
import atexit, sys
def _report():
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
    sys.stderr.write("\\nHEAVY-MODULES:" + ",".join(heavy) + "\\n")
atexit.register(_report)
sys.argv = ["copyguard", *{args!r}]
from copyguard.cli.quick import main  # the console entry point (pyproject's [project.scripts])
main()
"""
SLR = "arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
BATCH = (
    '{"id": "c1", "principal": "' + SLR + '", "action": "kms:CreateGrant", '
    '"resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", '
    '"context": {"kms:GrantIsForAWSResource": "true"}, '
    '"key_policy": {"Version": "2012-10-17", "Statement": []}}\n'
)

COMMANDS: list[tuple[str, list[str], str | None]] = [
    ("check-scenario", ["check", "examples/seed-failing.yaml"], None),
    ("check-json", ["check", "examples/seed-failing.yaml", "--format", "json"], None),
    ("check-sarif", ["check", "examples/seed-failing.yaml", "--format", "sarif"], None),
    (
        "check-markdown-zh",
        ["check", "examples/seed-failing.yaml", "--format", "markdown", "--lang", "zh"],
        None,
    ),
    ("check-quick", ["check", "--key-policy", "examples/seed-key-policy.json", *QUICK], None),
    ("fix-cli", ["fix", "examples/seed-failing.yaml", "--as", "cli"], None),
    ("fix-cloudformation", ["fix", "examples/seed-failing.yaml", "--as", "cloudformation"], None),
    (
        "fix-quick",
        ["fix", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--as", "terraform"],
        None,
    ),
    ("explain", ["explain", "Given key ID is not accessible", "--format", "json"], None),
    (
        "simulate-one",
        [
            "simulate",
            "--key-policy",
            "examples/seed-key-policy.json",
            "--principal",
            SLR,
            "--action",
            "kms:CreateGrant",
            "--context",
            "kms:GrantIsForAWSResource=true",
        ],
        None,
    ),
    ("simulate-batch", ["simulate", "--batch", "-"], BATCH),
    ("rules", ["rules"], None),
    ("rules-one", ["rules", "CG101", "--lang", "zh"], None),
    ("bad-input", ["check", "does-not-exist.yaml"], None),
]


@pytest.mark.parametrize(("args", "stdin"), [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_offline_commands_never_import_boto3_or_moto(args: list[str], stdin: str | None) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(heavy=HEAVY, args=args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        check=False,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    marker = [line for line in proc.stderr.splitlines() if line.startswith("HEAVY-MODULES:")]
    assert marker, f"the wrapper did not report (exit {proc.returncode}):\n{proc.stderr}"
    assert marker[-1] == "HEAVY-MODULES:", (
        f"copyguard {' '.join(args)} imported {marker[-1].split(':', 1)[1]}"
    )
    assert proc.returncode in (0, 1, 2, 3)


def test_importtime_of_the_quick_form_has_no_heavy_module() -> None:
    """The same through ``-X importtime``: the interpreter's own list of what was imported."""
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "copyguard",
            "check",
            "--key-policy",
            "examples/seed-key-policy.json",
            *QUICK,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "copyguard" in imported
    assert not imported & set(HEAVY)
    # the quick form is answered by the entry point's quick path (cli/quick.py): no click, and
    # no rich or YAML parser either
    assert not imported & {"click", "rich", "yaml"}
