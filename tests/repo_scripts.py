"""Scripts of the repository that are not package modules (the differential test's request
generator, the benchmarks' scenario generators), loaded as modules for the tests that reuse
their generators."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


@cache
def repo_script(relative: str) -> ModuleType:
    """The script at ``relative`` (from the repository's root, e.g.
    ``tests/differential/generate.py``), loaded once per process and registered in
    ``sys.modules`` under its path (its dataclasses resolve their module)."""
    name = "repo_script_" + relative.removesuffix(".py").replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, REPO / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def request_generator() -> ModuleType:
    """tests/differential/generate.py: generated batch requests."""
    return repo_script("tests/differential/generate.py")


def check_scale_bench() -> ModuleType:
    """bench/bench_check_scale.py: generated scenarios of any size."""
    return repo_script("bench/bench_check_scale.py")
