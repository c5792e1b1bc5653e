"""``copyguard simulate --batch FILE`` on the quick path (no click) against the click command.

GitHub issue 11. Each case runs ``copyguard`` as a whole process twice: as a user does (the
quick entry point takes ``simulate --batch FILE``) and with ``COPYGUARD_QUICK_PATH=0``
(click). Standard output, standard error and the exit code must be byte for byte the same;
a probe reports which path answered. Also: ``COPYGUARD_BATCH_WORKERS`` (one process, two
processes, a bad value) and a reader that goes away in the middle of a two-process batch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cg_cli import REPO, env, run_entry_point

from copyguard.cli.simulate_batch import WORKERS_ENV, parse_quick_simulate
from repo_scripts import request_generator


def _generate(seed: int, count: int) -> list[Any]:
    return list(request_generator().generate(seed, count))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("simulate-corpus")
    lines = [json.dumps(r, separators=(",", ":")) for r in _generate(21, 300)]
    clean = root / "clean.jsonl"
    clean.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mixed = root / "mixed.jsonl"
    bad = ["", "not json", '{"id": "x"}', '{"id": 1e400}', "[]", '{"id": "\\ud800"}']
    mixed.write_bytes(
        ("\n".join(lines[:50] + bad + lines[50:120]) + "\n").encode() + b"\xff\n" + b"{" * 9000
    )
    empty = root / "empty.jsonl"
    empty.write_bytes(b"")
    return {"clean": clean, "mixed": mixed, "empty": empty, "dir": root}


def _run(
    args: list[str],
    tmp_path: Path,
    *,
    click: bool,
    stdin: bytes = b"",
    extra: dict[str, str] | None = None,
) -> tuple[int, bytes, bytes, str]:
    return run_entry_point(args, tmp_path, {**env("en"), **(extra or {})}, click=click, stdin=stdin)


def _compare(
    args: list[str],
    tmp_path: Path,
    *,
    stdin: bytes = b"",
    extra: dict[str, str] | None = None,
    expect_quick: bool = True,
) -> tuple[int, bytes, bytes]:
    fast = _run(args, tmp_path, click=False, stdin=stdin, extra=extra)
    slow = _run(args, tmp_path, click=True, stdin=stdin, extra=extra)
    assert slow[3] == "click"
    assert fast[3] == ("quick" if expect_quick else "click"), args
    assert b"Traceback" not in fast[2] + slow[2], fast[2].decode(errors="replace")
    assert (fast[0], fast[2]) == (slow[0], slow[2]), args
    assert fast[1] == slow[1], args
    return fast[0], fast[1], fast[2]


@pytest.mark.parametrize(
    ("name", "form", "code"),
    [
        ("clean", "space", 0),
        ("clean", "equals", 0),
        ("mixed", "space", 2),
        ("mixed", "equals", 2),
        ("empty", "space", 0),
    ],
)
def test_batch_file_quick_and_click_alike(
    corpus: dict[str, Path], tmp_path: Path, name: str, form: str, code: int
) -> None:
    path = str(corpus[name])
    args = ["simulate", "--batch", path] if form == "space" else ["simulate", f"--batch={path}"]
    rc, out, _ = _compare(args, tmp_path)
    assert rc == code
    lines = corpus[name].read_bytes().split(b"\n")
    want = len(lines) - (1 if lines[-1] == b"" else 0)
    assert len(out.splitlines()) == want


def test_standard_input_quick_and_click_alike(corpus: dict[str, Path], tmp_path: Path) -> None:
    rc, out, _ = _compare(
        ["simulate", "--batch", "-"], tmp_path, stdin=corpus["mixed"].read_bytes()
    )
    assert rc == 2 and out.count(b"\n") > 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--batch", "/nonexistent/batch.jsonl"], b"batch file not found"),
        (["simulate", "--batch", "DIR"], b"expected a file, got a directory"),
    ],
)
def test_input_errors_quick_and_click_alike(
    corpus: dict[str, Path], tmp_path: Path, args: list[str], message: bytes
) -> None:
    args = [str(corpus["dir"]) if a == "DIR" else a for a in args]
    rc, out, err = _compare(args, tmp_path)
    assert rc == 2 and out == b"" and message in err and err.startswith(b"copyguard: error: ")


@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--batch", "FILE", "--explain"],
        ["simulate", "--batch", "FILE", "--batch", "FILE"],
        ["simulate", "--lint", "--batch", "FILE"],
        ["simulate", "--batch", "FILE", "--max-line-bytes", "100"],
        ["simulate", "--batch", "--explain"],
        ["simulate", "--batch="],
        ["simulate", "--batch"],
        ["simulate", "--help"],
    ],
)
def test_other_simulate_command_lines_go_to_click(
    corpus: dict[str, Path], tmp_path: Path, args: list[str]
) -> None:
    args = [str(corpus["mixed"]) if a == "FILE" else a for a in args]
    assert parse_quick_simulate(args) is None
    _compare(args, tmp_path, expect_quick=False)


@pytest.mark.parametrize("workers", ["1", "2", "auto", " AUTO "])
def test_workers_setting_changes_nothing_in_the_output(
    corpus: dict[str, Path], tmp_path: Path, workers: str
) -> None:
    args = ["simulate", "--batch", str(corpus["mixed"])]
    base = _run(args, tmp_path, click=False)
    got = _compare(args, tmp_path, extra={WORKERS_ENV: workers})
    assert got == base[:3]


def test_a_bad_workers_setting_is_an_input_error(corpus: dict[str, Path], tmp_path: Path) -> None:
    args = ["simulate", "--batch", str(corpus["clean"])]
    rc, out, err = _compare(args, tmp_path, extra={WORKERS_ENV: "many"})
    assert (rc, out) == (2, b"")
    assert err == b"copyguard: error: COPYGUARD_BATCH_WORKERS: expected 1, 2 or auto, got 'many'\n"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_reader_going_away_ends_the_batch_quietly(
    corpus: dict[str, Path], tmp_path: Path, workers: str
) -> None:
    """``copyguard simulate --batch big | head -1``: exit 1 as click has it, no traceback,
    in one process or two (the child is stopped, not left running)."""
    big = tmp_path / "big.jsonl"
    big.write_bytes(corpus["clean"].read_bytes() * 40)  # 12,000 lines: many flushes
    environ = env("en")
    environ[WORKERS_ENV] = workers
    proc = subprocess.Popen(
        [sys.executable, "-m", "copyguard", "simulate", "--batch", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=environ,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read()
    rc = proc.wait(timeout=120)
    assert first.startswith(b'{"id": "s21-00000", "decision": ')
    assert rc == 1 and b"Traceback" not in err, err
