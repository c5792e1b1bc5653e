"""Ctrl-C in a real process: ``copyguard scan --organization`` sent SIGINT mid-scan prints the
report of what it read (a CG902 saying it was interrupted), exits 3, and shows no traceback.
The emulator's ``latency`` keeps the scan running long enough to be interrupted in the middle."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import clean_env, start_to_interrupt

pytestmark = pytest.mark.emulator


def test_sigint_mid_scan_reports_what_was_read(tmp_path: Path) -> None:
    from copyguard.emulator import Emulator

    config_dir = tmp_path / "aws"
    with Emulator(port=0, members=8, seed=2) as emu:
        emu.write_aws_config(config_dir)
        emu.app.latency = 0.25  # about 70 reads one at a time: well over 10 s uninterrupted
        served = _count_requests(emu.app)
        proc = start_to_interrupt(
            [
                *("scan", "--organization", "--management-profile", "management"),
                *("--all-plans", "--max-workers", "1", "--format", "json"),
            ],
            clean_env(config_dir),
        )
        # start-up done, the organization read, some members read: the emulator has answered
        # a dozen reads (a fixed wait was too short on a loaded machine)
        deadline = time.monotonic() + 60
        while len(served) < 12 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "the scan ended before it could be interrupted"
        assert len(served) >= 12, f"only {len(served)} reads in 60 s"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        emu.app.latency = 0.0
    assert proc.returncode == 3, (proc.returncode, len(served), err[-2000:], out[-2000:])
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err
    report = json.loads(out)
    assert report["verdict"] == "unknown"
    stop = [f for f in report["findings"] if f["evidence"].get("interrupted")]
    assert len(stop) == 1 and stop[0]["code"] == "CG902"
    assert "interrupted (Ctrl-C) after reading" in stop[0]["message"]
    assert "of 10 account(s)" in stop[0]["message"]  # 8 members, the central and management


def _count_requests(app: Any) -> list[float]:
    """Record the time of every AWS request the emulator serves (``app._aws``, after its
    latency)."""
    served: list[float] = []
    real = app._aws

    def counted(*args: Any, **kwargs: Any) -> Any:
        served.append(time.monotonic())
        return real(*args, **kwargs)

    app._aws = counted
    return served
