"""A local emulator of AWS Backup's cross-account copy, built on moto's server.

Needs the ``emulator`` extra (moto, boto3). Importing this package is cheap: moto is only
imported when an ``Emulator`` starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from copyguard.emulator.constants import ACCOUNT_NAMES, DEFAULT_ACCOUNTS, DEFAULT_REGION

if TYPE_CHECKING:
    from copyguard.emulator.core import Emulator, EmulatorError

__all__ = ["ACCOUNT_NAMES", "DEFAULT_ACCOUNTS", "DEFAULT_REGION", "Emulator", "EmulatorError"]


def __getattr__(name: str) -> Any:
    if name in ("Emulator", "EmulatorError"):
        from copyguard.emulator import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
