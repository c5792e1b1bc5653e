"""Ctrl-C in a real process that is waiting for its input: ``copyguard check -`` blocked on
standard input, sent SIGINT, says it was interrupted and exits 3 (unknown: nothing was
decided), on the quick path and on click's, with no traceback. (An interrupted organization
scan reports what it read: ``tests/live/test_org_sigint.py``.) Before, click's Abort after
Ctrl-C said "aborted" and exited 2, as if the input had been bad."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from copyguard.cli.quick import FORCE_CLICK_ENV
from emulator_fixtures import start_to_interrupt

pytestmark = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/wchan").exists(), reason="needs Linux's /proc/PID/wchan"
)


def _waiting_on_a_pipe(pid: int) -> bool:
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()  # pipe_read, anon_pipe_read
    except OSError:
        return False


def _interrupt_while_reading(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = start_to_interrupt(list(args), env, stdin=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # blocked reading its standard input, and twice in a row: start-up is over
    seen = 0
    while seen < 2 and time.monotonic() < deadline and proc.poll() is None:
        seen = seen + 1 if _waiting_on_a_pipe(proc.pid) else 0
        time.sleep(0.05)
    assert seen == 2, "copyguard never waited for its input"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("quick", ["1", "0"], ids=["quick-path", "click"])
def test_ctrl_c_while_reading_input_is_unknown(quick: str) -> None:
    env = dict(os.environ, **{FORCE_CLICK_ENV: quick})
    done = _interrupt_while_reading(env, "check", "-", "--format", "json")
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert done.stderr == "\ncopyguard: interrupted\n"  # the same on both paths
    assert done.stdout == ""


class _CtrlCOnImport:
    """A module finder that acts as a Ctrl-C arriving while ``name`` is imported."""

    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        if fullname == self.name:
            raise KeyboardInterrupt
        return None


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        ("copyguard.cli.main", ["explain", "CG101"]),  # click and the commands
        (
            "copyguard.cli.common",  # the quick form of check
            [
                "check",
                "--key-policy",
                "-",
                "--source-account",
                "111122223333",
                "--destination-account",
                "444455556666",
            ],
        ),
        ("copyguard.cli.simulate_batch", ["simulate", "--batch", "-"]),
    ],
    ids=["click", "quick-check", "quick-simulate"],
)
def test_ctrl_c_while_starting_is_unknown(
    module: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Ctrl-C during the imports that follow start-up (before, a Python traceback)."""
    import sys

    from copyguard.cli import quick

    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setattr(sys, "meta_path", [_CtrlCOnImport(module), *sys.meta_path])
    monkeypatch.setenv(FORCE_CLICK_ENV, "1")
    # the quick cases take the quick path (its imports are the ones interrupted)
    assert quick.quick_allowed() and (module == "copyguard.cli.main") == (
        quick.parse_quick(argv) is None and argv[0] != "simulate"
    )
    try:
        with pytest.raises(SystemExit) as ended:
            quick.main(argv)
    except KeyboardInterrupt:  # not pytest's own: the run goes on, this test fails
        pytest.fail(f"Ctrl-C while importing {module} escaped copyguard")
    assert ended.value.code == 3
    assert capsys.readouterr().err == "\ncopyguard: interrupted\n"
