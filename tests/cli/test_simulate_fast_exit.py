"""``copyguard simulate --batch FILE`` ends the process without the interpreter's clean-up.

GitHub issue 11 (start-up and end of a batch run): once the quick form has answered every
line, ``cli/fastexit.exit_now`` runs the ``atexit`` functions, flushes the standard
streams and ends the process, so the batch's caches and the modules are not freed object by
object. What anyone can see of a normal exit still happens: every output line, the exit
code, ``atexit`` functions. The click command and library callers are unchanged: their
caches are freed when ``run_batch`` returns.
"""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from cg_cli import REPO, TEARDOWN_WRAPPER, env

from copyguard.evaluate import batch
from copyguard.evaluate.batch import run_batch

WRAPPER = TEARDOWN_WRAPPER.replace("{argv}", "")  # the process's own command line

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = "arn:aws:iam::111122223333:role/Admin"


def _line(rid: str, action: str = "kms:Decrypt") -> str:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"S{rid}",
                "Effect": "Allow",
                "Principal": {"AWS": ADMIN},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ],
    }
    request = {
        "id": rid,
        "principal": ADMIN,
        "action": action,
        "resource": KEY,
        "key_policy": policy,
    }
    return json.dumps(request, separators=(",", ":"))


def _run(
    args: list[str], extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environ = env("en")
    environ.update(extra or {})
    return subprocess.run(
        [sys.executable, "-c", WRAPPER.format(args=args)],
        capture_output=True,
        cwd=REPO,
        env=environ,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_quick_form_skips_the_clean_up_but_not_atexit_or_output(
    tmp_path: Path, workers: str
) -> None:
    lines = [_line(f"r{i}") for i in range(3000)] + ["not json"]
    batch_file = tmp_path / "batch.jsonl"
    batch_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run(["simulate", "--batch", str(batch_file)], {"COPYGUARD_BATCH_WORKERS": workers})
    out = done.stdout.decode("utf-8").splitlines()
    assert len(out) == 3001  # every line, flushed before the process ended
    assert json.loads(out[0]) == {"id": "r0", "decision": "allowed"}
    assert json.loads(out[2999]) == {"id": "r2999", "decision": "allowed"}
    assert json.loads(out[3000])["line"] == 3001
    assert done.returncode == 2  # an error line: the exit code is kept
    assert b"ATEXIT" in done.stderr
    assert b"TEARDOWN" not in done.stderr  # no clean-up of the modules' objects


def test_the_click_command_still_cleans_up(tmp_path: Path) -> None:
    batch_file = tmp_path / "batch.jsonl"
    batch_file.write_text(_line("a") + "\n", encoding="utf-8")
    done = _run(["simulate", "--batch", str(batch_file)], {"COPYGUARD_QUICK_PATH": "0"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == b'{"id": "a", "decision": "allowed"}\n'
    assert b"ATEXIT" in done.stderr and b"TEARDOWN" in done.stderr


def test_a_reader_that_goes_away_is_still_a_quiet_exit(tmp_path: Path) -> None:
    batch_file = tmp_path / "batch.jsonl"
    batch_file.write_text("\n".join(_line(f"r{i}") for i in range(20000)) + "\n", "utf-8")
    environ = env("en")
    wrapper = WRAPPER.format(args=["simulate", "--batch", str(batch_file)])
    code = f"{shlex.quote(sys.executable)} -c {shlex.quote(wrapper)} | head -n 1"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", code],
        capture_output=True,
        cwd=REPO,
        env=environ,
        check=False,
        timeout=120,
    )
    assert done.stdout == b'{"id": "r0", "decision": "allowed"}\n'
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    assert done.returncode == 1  # as click does after a broken pipe


def test_a_closed_standard_error_is_no_internal_error(tmp_path: Path) -> None:
    batch_file = tmp_path / "batch.jsonl"
    batch_file.write_text(_line("a") + "\n", encoding="utf-8")
    wrapper = WRAPPER.format(args=["simulate", "--batch", str(batch_file)])
    code = f"{shlex.quote(sys.executable)} -c {shlex.quote(wrapper)} 2>&-"
    done = subprocess.run(
        ["bash", "-c", code], capture_output=True, cwd=REPO, env=env("en"), check=False
    )
    assert (done.returncode, done.stdout) == (0, b'{"id": "a", "decision": "allowed"}\n')


def test_library_callers_keep_no_caches() -> None:
    before = len(batch.KEPT_CACHES)
    out = io.BytesIO()
    run_batch(io.BytesIO((_line("x") + "\n").encode()), out)
    assert out.getvalue() == b'{"id": "x", "decision": "allowed"}\n'
    assert len(batch.KEPT_CACHES) == before  # freed when run_batch returned
    run_batch(io.BytesIO((_line("y") + "\n").encode()), io.BytesIO(), keep_caches=True)
    assert len(batch.KEPT_CACHES) == before + 1
    del batch.KEPT_CACHES[before:]
