"""Checks: one module per finding family. They take model values and return findings."""

from copyguard.checks.base import CheckContext, Options
from copyguard.checks.model import Finding, Fix, FixRef, NotRun, Report, Text, tr
from copyguard.checks.runner import CHECKS, run_checks

__all__ = [
    "CHECKS",
    "CheckContext",
    "Finding",
    "Fix",
    "FixRef",
    "NotRun",
    "Options",
    "Report",
    "Text",
    "run_checks",
    "tr",
]
