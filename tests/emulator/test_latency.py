"""``copyguard emulator --latency MS``: every AWS request waits like a real endpoint's round
trip, with no lock held, so requests sent side by side overlap (what the organization scan's
workers rely on against AWS, and what bench/bench_org_scan.py --latency shows)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner

from copyguard.cli.main import cli
from emulator_fixtures import World

pytestmark = pytest.mark.emulator

LATENCY = 0.4


def _identity(world: World) -> tuple[str, float]:
    client = world.client("source", "sts")
    started = time.monotonic()
    account = client.get_caller_identity()["Account"]
    return account, time.monotonic() - started


def test_requests_wait_and_overlap(world: World) -> None:
    _identity(world)  # the client's own set-up out of the measurement
    world.emu.app.latency = LATENCY
    try:
        account, alone = _identity(world)
        assert account == world.accounts["source"]
        assert alone >= LATENCY  # the wait is there
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: _identity(world), range(4)))
        together = time.monotonic() - started
    finally:
        world.emu.app.latency = 0.0
    assert all(seconds >= LATENCY for _, seconds in results)
    # one after the other would take 4 x LATENCY: the waits overlap (no lock held)
    assert together < 3 * LATENCY, f"{together:.2f} s for 4 requests of {LATENCY} s"


@pytest.mark.parametrize("value", ["-1", "10001", "fast"])
def test_latency_out_of_range_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(cli, ["emulator", "--latency", value])
    assert result.exit_code == 2
    assert "--latency" in result.output
