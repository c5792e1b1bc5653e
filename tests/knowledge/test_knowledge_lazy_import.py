"""Importing copyguard.knowledge must read no data file (STYLE.md habit 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import builtins, io, json
opened = []
real_open = io.open
def spy(file, *args, **kwargs):
    opened.append(str(file))
    return real_open(file, *args, **kwargs)
builtins.open = spy
io.open = spy
import copyguard.knowledge as knowledge
from copyguard.knowledge import _loader
at_import = [f for f in opened if f.endswith((".yaml", ".yml"))]
cache_at_import = _loader.load_data.cache_info().currsize
knowledge.kms_action("kms:Decrypt")
after_call = [f for f in opened if f.endswith((".yaml", ".yml"))]
print(json.dumps({"at_import": at_import, "cache": cache_at_import, "after_call": after_call}))
"""


def test_import_reads_no_data_file() -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True
    )
    import json

    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["at_import"] == []
    assert result["cache"] == 0
    # positive control: the spy sees the file once a loader function is called
    assert any(path.endswith("kms.yaml") for path in result["after_call"])


def test_the_lazy_names_are_the_error_catalogues_exports() -> None:
    """``copyguard.knowledge`` lists the catalogue's names by hand (so importing the package
    does not import the catalogue): the list must stay the catalogue's ``__all__``."""
    import copyguard.knowledge as knowledge
    from copyguard.knowledge import errors

    assert set(errors.__all__) == knowledge._LAZY_ERRORS
    for name in errors.__all__:
        assert getattr(knowledge, name) is getattr(errors, name)
