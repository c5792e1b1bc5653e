"""A destination account outside the source's organization."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import World, start_world

pytestmark = pytest.mark.emulator

MSG_ORG = (
    "Copy job failed. Both source and destination account must be a member of the same organization"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # only the source joins the organization; the destination is a standalone account
    yield from start_world(tmp_path_factory, members=["111122223333"])


def test_copy_to_an_account_outside_the_organization(world: World) -> None:
    with pytest.raises(ClientError) as info:
        world.client("destination", "organizations").describe_organization()
    assert info.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    rp, vault = world.ebs_recovery_point(None)
    job = world.copy(rp, vault, world.destination_vault())
    assert (job["State"], job["StatusMessage"]) == ("FAILED", MSG_ORG)


def test_global_settings_outside_an_organization(world: World) -> None:
    backup = world.client("destination", "backup")
    with pytest.raises(backup.exceptions.InvalidRequestException):
        backup.describe_global_settings()
