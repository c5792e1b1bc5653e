"""The last unbounded reads of command-line inputs (GitHub issue 7): ``explain -`` on
standard input, ``fix``'s policy files, the emulator's ``--scenario`` and ``--faults``. Fed
``/dev/zero``, each stops at its stated limit with exit 2 and a message naming the input,
within the time-out, and the emulator refuses before importing moto or binding a port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cg_cli import QUICK, env

TIMEOUT = 20
pytestmark = pytest.mark.skipif(os.name != "posix", reason="/dev/zero is POSIX")


def cg(*args: str, cwd: Path, stdin_path: str | None = None) -> subprocess.CompletedProcess[str]:
    with open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.run(
            [sys.executable, "-m", "copyguard", *args],
            stdin=stdin,
            capture_output=True,
            cwd=cwd,
            env=env(),
            timeout=TIMEOUT,  # a hang (or an endless read) fails the test
            check=False,
        )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode()
    )


def assert_refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    shown = f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr, shown
    for w in words:
        assert w.lower() in result.stderr.lower(), f"{w!r} missing\n{shown}"


def test_explain_reads_at_most_its_limit_from_standard_input(tmp_path: Path) -> None:
    result = cg("explain", "-", cwd=tmp_path, stdin_path="/dev/zero")
    assert_refused(result, "<stdin>", "message", "larger than", "1 MiB")


def test_explain_still_reads_a_message_with_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    message = tmp_path / "m.txt"
    message.write_bytes(b"Given key ID is not accessible \xff\n")
    result = cg("explain", "-", "--format", "json", cwd=tmp_path, stdin_path=str(message))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_fix_refuses_dev_zero_as_a_key_policy(tmp_path: Path) -> None:
    result = cg("fix", "--key-policy", "/dev/zero", *QUICK, cwd=tmp_path)
    assert_refused(result, "/dev/zero", "32 KiB")


def _busy_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


@pytest.mark.parametrize(
    ("option", "words"),
    [
        ("--scenario", ("/dev/zero", "scenario", "larger than", "16 MiB")),
        ("--faults", ("/dev/zero", "fault file", "larger than", "1 MiB")),
    ],
)
def test_the_emulator_refuses_dev_zero_before_binding(
    option: str, words: tuple[str, ...], tmp_path: Path
) -> None:
    # the port is taken: had the emulator got as far as binding, the error would say so
    with _busy_port() as sock:
        port = str(sock.getsockname()[1])
        result = cg("emulator", option, "/dev/zero", "--port", port, cwd=tmp_path)
    assert_refused(result, *words)
    assert "port" not in result.stderr.lower() and "address" not in result.stderr.lower()
