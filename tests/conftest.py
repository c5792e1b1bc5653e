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


@pytest.fixture
def clean_gc() -> Iterator[None]:
    """The test starts and ends with nothing frozen and the interpreter's collector
    thresholds (tests of ``copyguard._gcpolicy``; a command-line run earlier in this process
    may have held its thresholds: that hold is set aside during the test)."""
    import gc

    from copyguard import _gcpolicy

    before = gc.get_threshold()
    held = _gcpolicy._held
    _gcpolicy._held = None
    gc.set_threshold(700, 10, 10)  # CPython's own, whatever an earlier run held
    assert gc.get_freeze_count() == 0
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    _gcpolicy._held = held
