"""Fixtures for the command-line tests: every test runs the real CLI in a subprocess.

Golden files live in ``tests/golden/``. Regenerate them with ``pytest tests/cli --update-golden``
or ``COPYGUARD_UPDATE_GOLDEN=1 pytest tests/cli`` and review the diff before committing.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    env = os.environ.get("COPYGUARD_UPDATE_GOLDEN", "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    )
    try:
        option = bool(request.config.getoption("--update-golden"))
    except ValueError:  # the option is registered only when tests/cli is collected directly
        option = False
    return env or option
