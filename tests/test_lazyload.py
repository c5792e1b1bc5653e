"""copyguard.lazyload: a package's names imported from their submodules on first use, from
several threads at once (a live scan checks copies in a thread pool)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

PACKAGE = """
from copyguard.lazyload import submodule_getattr
_HOMES = {"VALUE": "slow"}
__getattr__ = submodule_getattr(__name__, _HOMES, globals())
"""
SLOW = """
import os, time
open(os.environ["CG_LAZY_STARTED"], "w").close()
time.sleep(0.5)  # a submodule still being imported when a second thread asks for its name
VALUE = 42
"""


def test_a_name_asked_for_while_another_thread_imports_its_submodule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cg_lazy_probe"
    package.mkdir()
    (package / "__init__.py").write_text(PACKAGE)
    (package / "slow.py").write_text(SLOW)
    started = tmp_path / "started"
    monkeypatch.setenv("CG_LAZY_STARTED", str(started))
    monkeypatch.syspath_prepend(str(tmp_path))
    import cg_lazy_probe  # type: ignore[import-not-found]

    got: dict[str, object] = {}

    def ask(who: str) -> None:
        try:
            got[who] = cg_lazy_probe.VALUE
        except Exception as exc:  # what the second thread used to get: AttributeError
            got[who] = exc

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    deadline = time.monotonic() + 10
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert started.exists()
    ask("second")  # the submodule is in sys.modules, half initialised
    first.join()
    assert got == {"first": 42, "second": 42}
    for name in ("cg_lazy_probe", "cg_lazy_probe.slow"):
        sys.modules.pop(name, None)


def test_an_unknown_name_is_an_attribute_error() -> None:
    import copyguard.scenario

    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        copyguard.scenario.nothing_here  # noqa: B018
