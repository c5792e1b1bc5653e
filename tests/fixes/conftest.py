"""The fix tests share the in-memory scenario factory of tests/checks."""

from __future__ import annotations

import sys
from pathlib import Path

CHECKS = Path(__file__).resolve().parent.parent / "checks"
if str(CHECKS) not in sys.path:
    sys.path.insert(0, str(CHECKS))
