"""``copyguard scan --format html`` (spec section 8): the live scan's page draws the copy it
read, failing, from the source account's vault to the destination account's vault."""

from __future__ import annotations

import re

import pytest

from emulator_fixtures import LIVE_FLAGS, EmulatorProcess, Lab, run_cli

pytestmark = pytest.mark.emulator


def test_scan_format_html_draws_the_failing_copy(
    emulator_process: EmulatorProcess, process_lab: Lab
) -> None:
    lab = process_lab
    rp, vault = lab.ebs_recovery_point(lab.seed_key())
    job = lab.failed_copy(rp, vault, lab.destination_vault())
    result = run_cli(
        emulator_process.env, "scan", *LIVE_FLAGS, "--job-id", job["CopyJobId"], "--format", "html"
    )
    assert result.code == 1, result
    page = result.out
    assert page.startswith("<!DOCTYPE html>")
    assert re.findall(r'<path class="flow v-(\w+)"', page) == ["fail"]
    lanes = re.findall(r'<text class="lane-title mono"[^>]*>([^<]+)</text>', page)
    assert len(lanes) == 2 and lanes[0] != lanes[1]
    assert "CG101" in page
    # the live fix is applied with fix --live ... --apply, named on the page
    assert "copyguard fix --live" in page and "--apply" in page
