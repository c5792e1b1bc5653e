"""Suite-wide settings.

The fast subset is ``python -m pytest -m "not slow"``: every test that starts the emulator over
loopback HTTP (marker ``emulator``) or runs the independent evaluator in Node (marker
``differential``) is also marked ``slow`` here, so the subset needs neither a free port nor
``node_modules``.
"""

from __future__ import annotations

import pytest

_SLOW_MARKERS = ("emulator", "differential")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in _SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
