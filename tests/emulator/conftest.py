"""Fixtures for the emulator's end-to-end tests: one emulator per test module.

Without the ``emulator`` extra (moto, boto3) these tests are not collected.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from emulator_fixtures import World, start_world

    @pytest.fixture(scope="module")
    def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
        yield from start_world(tmp_path_factory)
