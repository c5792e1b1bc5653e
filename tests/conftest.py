"""Suite-wide settings.

The fast subset is ``python -m pytest -m "not slow"``: every test that starts the emulator over
loopback HTTP (marker ``emulator``) or runs the independent evaluator in Node (marker
``differential``) is also marked ``slow`` here, so the subset needs neither a free port nor
``node_modules``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_SLOW_MARKERS = ("emulator", "differential")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in _SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _collector_stays_on() -> Iterator[None]:
    """A command-line run in this process (click's runner, ``cli.quick.main``) switches the
    cyclic collector off for what is left of its process (``_gcpolicy.hold_for_process``): the
    test process is not that process, so the collector is on again after every test."""
    import gc

    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()


@pytest.fixture
def clean_gc() -> Iterator[None]:
    """The test starts and ends with nothing frozen, the collector on and the interpreter's
    collector thresholds (tests of ``copyguard._gcpolicy``)."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's own, whatever an earlier run set
    gc.enable()
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    gc.enable()
