"""A scenario file with a logically air-gapped vault, loaded into the emulator: the copy fails
as copyguard predicted (its own module: it needs an emulator of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from copyguard import api
from emulator_fixtures import World, start_world

pytestmark = pytest.mark.emulator

LAG = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


@pytest.fixture(scope="module")
def lag_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from start_world(
        tmp_path_factory, scenario=SCENARIOS / "lag-in-cmk-missing-copy-role.yaml"
    )


def test_scenario_world_fails_as_copyguard_predicts(lag_world: World) -> None:
    path = SCENARIOS / "lag-in-cmk-missing-copy-role.yaml"
    predicted = api.check_file(path)
    cg207 = next(f for f in predicted.findings if f.code == "CG207")
    (loaded,) = lag_world.emu.loaded.copies
    backup = lag_world.client("source", "backup")
    job_id = backup.start_copy_job(**loaded.start_copy_job_args())["CopyJobId"]
    job = backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]
    assert job["State"] == "FAILED"
    assert job["DestinationVaultType"] == LAG
    assert job["StatusMessage"].startswith(f"User: {cg207.evidence['principal']} is not authorized")
