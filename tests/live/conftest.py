"""Fixtures of the live end-to-end tests (marker ``emulator``): the emulator as a child process
(``copyguard emulator --port P --write-aws-config DIR``) or in this process, reached over
loopback HTTP with plain boto3 clients and with the real ``copyguard`` command."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("moto")
pytest.importorskip("boto3")

from emulator_fixtures import (
    EmulatorProcess,
    Lab,
    in_process_emulator,
    start_emulator_process,
)


@pytest.fixture(scope="module")
def emulator_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """``copyguard emulator`` in a child process, one per test module."""
    base = tmp_path_factory.mktemp("emulator")
    yield from start_emulator_process(base / "aws", base / "emulator.log")


@pytest.fixture(scope="module")
def process_lab(emulator_process: EmulatorProcess) -> Lab:
    return Lab.from_config(emulator_process.config_dir)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Lab]]:
    """An in-process Emulator (one per module: moto's state is per process)."""
    yield from in_process_emulator(tmp_path_factory.mktemp("aws"))
