"""``Emulator(scenario=...)``: a scenario file's world, ready to copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator_fixtures import World, start_world

pytestmark = pytest.mark.emulator

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from start_world(tmp_path_factory, scenario=DATA / "scenario_mixed.yaml")


def _run(world: World, name: str) -> dict:
    loaded = {c.name: c for c in world.emu.loaded.copies}[name]
    backup = world.client("source", "backup")
    job_id = backup.start_copy_job(**loaded.start_copy_job_args())["CopyJobId"]
    return dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])


def test_world_matches_the_scenario(world: World) -> None:
    assert world.emu.organization_id == "o-mixedorg001"
    assert world.emu.loaded.warnings == []
    assert sorted(c.name for c in world.emu.loaded.copies) == [
        "aurora-disabled-key",
        "ebs-ok",
        "efs-ok",
        "rds-aws-managed",
    ]
    kms = world.client("source", "kms")
    managed = kms.describe_key(KeyId="22222222-2222-2222-2222-222222222222")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    disabled = kms.describe_key(KeyId="33333333-3333-3333-3333-333333333333")["KeyMetadata"]
    assert disabled["KeyState"] == "Disabled"
    volumes = world.client("source", "ec2").describe_volumes(VolumeIds=["vol-0aaaaaaaaaaaaaaa1"])
    assert volumes["Volumes"][0]["KmsKeyId"].endswith("11111111-1111-1111-1111-111111111111")


def test_each_copy_path(world: World) -> None:
    assert _run(world, "ebs-ok")["State"] == "COMPLETED"
    assert _run(world, "efs-ok")["State"] == "COMPLETED"
    rds = _run(world, "rds-aws-managed")
    assert rds["StatusMessage"] == (
        "Snapshots encrypted with the AWS managed key can't be shared. Specify another snapshot."
    )
    aurora = _run(world, "aurora-disabled-key")
    assert aurora["StatusMessage"] == (
        "The source snapshot KMS key "
        "[arn:aws:kms:us-east-1:111122223333:key/33333333-3333-3333-3333-333333333333] "
        "does not exist, is not enabled or you do not have permissions to access it."
    )
