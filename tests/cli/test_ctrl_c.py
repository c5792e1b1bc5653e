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
