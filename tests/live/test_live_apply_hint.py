"""``copyguard scan`` says how to apply its fix in live mode (issue 7): the key-policy fix is
written by ``copyguard fix --live <the same flags> --apply``, every flag shell-quoted."""

from __future__ import annotations

import re
import shlex

import pytest

from emulator_fixtures import LIVE_FLAGS, EmulatorProcess, Lab, run_cli

pytestmark = pytest.mark.emulator


def test_scan_names_fix_live_apply_for_a_key_policy_fix(
    emulator_process: EmulatorProcess, process_lab: Lab
) -> None:
    lab = process_lab
    rp, vault = lab.ebs_recovery_point(lab.seed_key())
    job = lab.failed_copy(rp, vault, lab.destination_vault())
    args = ("scan", *LIVE_FLAGS, "--job-id", job["CopyJobId"], "--principal", "slr")
    for fmt in ("text", "markdown"):
        result = run_cli(emulator_process.env, *args, "--format", fmt)
        assert result.code == 1, result
        flat = " ".join(result.out.split())
        commands = re.findall(r"How to apply: `([^`]+)`", flat)
        assert commands, flat[-2000:]
        argv = shlex.split(commands[0])
        assert argv == [
            "copyguard",
            "fix",
            "--live",
            *LIVE_FLAGS,
            "--job-id",
            job["CopyJobId"],
            "--principal",
            "slr",
            "--apply",
        ]
