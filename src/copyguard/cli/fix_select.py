"""Which fixes a ``fix`` run shows and applies: shared by the offline command (``cli/fix.py``)
and the live one (``cli/live.py``), so neither imports the other for it."""

from __future__ import annotations

from typing import Any


def select_fixes(report: Any, unsafe: bool) -> list[Any]:
    """The report's fixes without the unsafe ones; with ``unsafe``, a key's unsafe key-policy
    fix (which already contains the safe one) instead of its safe fix."""
    fixes = list(report.fixes)
    if unsafe:
        unsafe_keys = {
            f.resource for f in fixes if f.kind == "key-policy" and f.applicability == "unsafe"
        }
        return [
            f
            for f in fixes
            if not (
                f.kind == "key-policy" and f.applicability == "safe" and f.resource in unsafe_keys
            )
        ]
    return [f for f in fixes if f.applicability != "unsafe"]
