"""What ships in the wheel: every example (commands such as ``copyguard examples`` and the
README's read them from the installed package), the schemas and the knowledge data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "copyguard"


def _tree(folder: str) -> set[str]:
    root = PACKAGE / folder
    return {
        "copyguard/" + p.relative_to(PACKAGE).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.slow
def test_the_wheel_holds_every_example_schema_and_data_file(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("copyguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("examples", "schemas", "knowledge/data", "checks/docs", "report/templates"):
        expected = _tree(folder)
        assert expected, folder
        missing = sorted(expected - names)
        assert not missing, f"not in the wheel: {missing}"
    assert "copyguard/py.typed" in names
