"""``copyguard examples``: the bundled set-ups make the README's commands work from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copyguard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_list_names_every_bundled_example(tmp_path: Path) -> None:
    out = run("examples", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    root = REPO / "src/copyguard/examples"
    on_disk = sorted(p.name for p in root.iterdir() if p.is_file())
    assert [n for n in names if not n.endswith("/")] == on_disk
    assert "seed-failing.yaml" in names
    # the folders of IaC and CI inputs are named too (two levels: iac/terraform/, ci/)
    folders = [n for n in names if n.endswith("/")]
    assert "iac/terraform/" in folders and "iac/cloudformation/" in folders and "ci/" in folders
    assert all((root / f).is_dir() for f in folders)


def test_print_one_by_stem_is_the_file(tmp_path: Path) -> None:
    out = run("examples", "seed-failing", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (REPO / "src/copyguard/examples/seed-failing.yaml").read_text("utf-8")


def test_unknown_name_is_an_input_error(tmp_path: Path) -> None:
    out = run("examples", "no-such-example", cwd=tmp_path)
    assert out.returncode == 2
    assert "no example named 'no-such-example'" in out.stderr
    assert "Traceback" not in out.stderr


def test_written_examples_check_from_another_folder(tmp_path: Path) -> None:
    target = tmp_path / "ex"
    out = run("examples", "--write", str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # the policy_file references resolve next to the written scenario, wherever we run from
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    failing = run("check", str(target / "seed-failing.yaml"), "--format", "json", cwd=elsewhere)
    assert failing.returncode == 1, failing.stderr
    assert [f["code"] for f in json.loads(failing.stdout)["findings"]] == ["CG101"]
    fixed = run("check", str(target / "seed-fixed.yaml"), "--format", "json", cwd=elsewhere)
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["verdict"] == "pass"


def test_write_copies_the_iac_folders_so_their_commands_work(tmp_path: Path) -> None:
    target = tmp_path / "ex"
    out = run("examples", "--write", str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    root = REPO / "src/copyguard/examples"
    shipped = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    written = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert written == shipped
    assert f"{len(shipped)} example file(s) written" in out.stdout
    plans = sorted(str(p) for p in (target / "iac" / "terraform").glob("*.json"))
    assert plans
    checked = run("check", *plans, "--format", "json", cwd=tmp_path)
    assert checked.returncode in (0, 1, 3), checked.stderr
    assert json.loads(checked.stdout)["findings"] is not None


def test_write_keeps_a_file_the_user_changed(tmp_path: Path) -> None:
    target = tmp_path / "ex"
    target.mkdir()
    (target / "seed-failing.yaml").write_text("# mine\n", encoding="utf-8")
    out = run("examples", "--write", str(target), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "already there, kept" in out.stdout
    assert (target / "seed-failing.yaml").read_text("utf-8") == "# mine\n"
    assert (target / "seed-fixed.yaml").is_file()


def test_name_and_write_together_are_refused(tmp_path: Path) -> None:
    out = run("examples", "seed-failing", "--write", str(tmp_path / "x"), cwd=tmp_path)
    assert out.returncode == 2
    assert not (tmp_path / "x").exists()


def test_package_metadata_is_complete() -> None:
    meta = metadata.metadata("copyguard")
    if not meta.get_all("Classifier") or "Typing :: Typed" not in meta.get_all("Classifier"):
        pytest.skip("installed metadata predates pyproject.toml (reinstall with pip install -e .)")
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "Apache-2.0"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert meta["Keywords"] and "aws-backup" in meta["Keywords"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues"} <= set(urls)


def test_licence_file_is_the_declared_licence() -> None:
    text = (REPO / "LICENSE").read_text("utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert 'license = "Apache-2.0"' in (REPO / "pyproject.toml").read_text("utf-8")
