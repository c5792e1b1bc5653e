"""``copyguard check`` and ``fix`` end their process without freeing what they built.

Issue 11: run as the process's own command line (the console entry point, ``main()``), a check
keeps its scenario and report (``cli/fastexit.py`` ``keep``) and the process ends once the
report is written (``end_if_kept``): atexit functions run and the streams are flushed, the
interpreter's clean-up does not run. Output and exit code are those of a run that frees
everything (``main(argv)``, as a caller in its own process runs it), byte for byte; a command
that kept nothing ends the usual way.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cg_cli import REPO, TEARDOWN_WRAPPER, env

SEED = str(REPO / "examples" / "seed-failing.yaml")


def _run(args: list[str], *, own: bool) -> subprocess.CompletedProcess[bytes]:
    """``args`` as the process's own command line (``own``: ``main()``) or as a caller's
    (``main(args)``)."""
    code = TEARDOWN_WRAPPER.format(args=args, argv="" if own else repr(args))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        cwd=REPO,
        env=env("en"),
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["check", SEED, "--format", "json"],
        ["check", SEED, "--format", "text", "--no-color"],
        ["check", str(REPO / "examples" / "seed-fixed.yaml"), "--format", "sarif"],
        ["fix", SEED, "--as", "terraform"],
        ["fix", SEED, "--as", "json"],
    ],
    ids=["check-json", "check-text", "check-pass-sarif", "fix-terraform", "fix-json"],
)
def test_same_output_and_code_without_the_clean_up(args: list[str]) -> None:
    fast, usual = _run(args, own=True), _run(args, own=False)
    assert fast.stdout and fast.stdout == usual.stdout
    assert fast.returncode == usual.returncode
    assert fast.returncode in (0, 1)
    assert b"ATEXIT" in fast.stderr and b"ATEXIT" in usual.stderr
    assert b"TEARDOWN" not in fast.stderr  # ended before the interpreter's clean-up
    assert b"TEARDOWN" in usual.stderr  # a caller's process is not ended


def test_a_report_to_a_file_is_whole(tmp_path: Path) -> None:
    out, ref = tmp_path / "fast.json", tmp_path / "usual.json"
    fast = _run(["check", SEED, "--format", "json", "-o", str(out)], own=True)
    usual = _run(["check", SEED, "--format", "json", "-o", str(ref)], own=False)
    assert (fast.returncode, usual.returncode) == (1, 1)
    assert out.read_bytes() == ref.read_bytes()
    assert out.read_bytes().endswith(b"}\n")
    assert b"TEARDOWN" not in fast.stderr


def test_bad_input_and_other_commands_end_the_usual_way(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncopies: 3\n", encoding="utf-8")
    done = _run(["check", str(bad)], own=True)
    assert done.returncode == 2
    assert b"copies" in done.stderr and b"TEARDOWN" in done.stderr
    done, usual = _run(["explain", "CG101"], own=True), _run(["explain", "CG101"], own=False)
    assert (done.returncode, done.stdout) == (usual.returncode, usual.stdout)  # keeps nothing
    assert done.stdout
    assert b"ATEXIT" in done.stderr and b"TEARDOWN" in done.stderr
