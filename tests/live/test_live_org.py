"""Organization membership: a destination account outside the source's organization."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator_fixtures import LIVE_FLAGS, Lab, assert_clean, in_process_emulator, run_cli

pytestmark = pytest.mark.emulator

MSG_NOT_SAME_ORG = (
    "Copy job failed. Both source and destination account must be a member of the same organization"
)


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Lab]]:
    from copyguard.emulator import DEFAULT_ACCOUNTS

    members = [DEFAULT_ACCOUNTS["management"], DEFAULT_ACCOUNTS["source"]]
    yield from in_process_emulator(tmp_path_factory.mktemp("aws"), members=members)


def test_destination_outside_the_organization(outside: tuple[Any, Lab]) -> None:
    _, lab = outside
    rp, vault = lab.ebs_recovery_point(lab.shared_key())
    job = lab.failed_copy(rp, vault, lab.destination_vault())
    assert job["StatusMessage"] == MSG_NOT_SAME_ORG
    result = run_cli(lab.env, "scan", *LIVE_FLAGS, "--job-id", job["CopyJobId"], "--format", "json")
    assert_clean(result)
    assert result.code == 1, result
    assert "CG301" in result.error_codes
    assert result.error_codes <= {"CG301", "CG302"}, result.json()["findings"]
    assert "CG902" not in result.codes
