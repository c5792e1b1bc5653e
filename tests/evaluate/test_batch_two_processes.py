"""``run_batch(parallel=...)``: a forked child answers every other chunk of a batch file.

GitHub issue 11. The output must be byte for byte the one of a single process, in input
order, error lines and their line numbers included, whatever the chunks look like; a child
that dies, answers wrongly or reads something else than the parent (the file changed) must
never cost a line: the parent answers those chunks itself.
"""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard.evaluate import batch
from copyguard.evaluate.batch import BatchLimits, BatchStats, run_batch
from repo_scripts import request_generator

from .test_batch_fastpath import batches

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def run(path: Path, parallel: bool | None, **kwargs: Any) -> tuple[bytes, BatchStats]:
    out = io.BytesIO()
    with path.open("rb") as fh:
        stats = run_batch(fh, out, parallel=parallel, **kwargs)
    return out.getvalue(), stats


def hostile_lines() -> list[bytes]:
    """Lines every kind of error comes from, mixed into the chunks."""
    good = json.dumps(next(iter(request_generator().generate(3, 1)))).encode()
    return [
        b"",
        b"not json",
        b"\xff\xfe not utf-8",
        b'{"id": "x", "principal": 7}',
        b"[1, 2]",
        b"   ",
        b'{"id": 1e400, "principal": "a"}',
        good + b"\r",
        good.replace(b"kms:", b"kms:\\u0000"),
        b"{" * 5000,
        b"x" * 3000,  # too long with max_line_bytes=2048 below
    ]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_LINES", 3)
    monkeypatch.setattr(batch, "CHUNK_BYTES", 4096)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("explain", [False, True])
def test_two_processes_write_what_one_writes(tmp_path: Path, explain: bool) -> None:
    lines = [json.dumps(r).encode() for r in request_generator().generate(7, 60)]
    lines[10:10] = hostile_lines()
    lines[40:40] = hostile_lines()
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))  # a BOM, no final line end
    limits = BatchLimits(max_line_bytes=2048)
    one, one_stats = run(path, False, explain=explain, limits=limits)
    two, two_stats = run(path, True, explain=explain, limits=limits)
    assert two == one
    assert len(one.splitlines()) == len(lines)
    assert (two_stats.lines, two_stats.errors) == (one_stats.lines, one_stats.errors)
    assert one_stats.child_chunks == 0
    # every other chunk of 3 lines (or 4 KiB) came from the child
    assert two_stats.child_chunks >= len(lines) // 8


@pytest.mark.usefixtures("small_chunks")
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=batches(), cut=st.integers(0, 3))
def test_random_batches_alike_in_one_or_two_processes(
    tmp_path: Path, lines: list[str], cut: int
) -> None:
    data = "\n".join(lines * 3).encode()
    data = data[: len(data) - cut]  # sometimes a cut last line
    path = tmp_path / "random.jsonl"
    path.write_bytes(data)
    one, _ = run(path, False)
    two, stats = run(path, True)
    assert two == one
    assert stats.child_chunks > 0 or len(data.split(b"\n")) <= 3


def test_reading_continues_from_where_the_stream_is(tmp_path: Path) -> None:
    """A stream already read from: the child starts where the parent is."""
    lines = [json.dumps(r).encode() for r in request_generator().generate(9, 300)]
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with path.open("rb") as fh:
        fh.readline()
        two = io.BytesIO()
        stats = run_batch(fh, two, parallel=True)
    one = io.BytesIO()
    run_batch(io.BytesIO(b"\n".join(lines[1:]) + b"\n"), one)
    assert stats.child_chunks > 0
    assert two.getvalue() == one.getvalue()


def _child_that(behaviour: str) -> Any:
    real = batch._child

    def child(fd: int, offset: int, pipe: int, *args: Any) -> None:
        if behaviour == "dies at once":
            os._exit(1)
        if behaviour == "killed later":
            # answers some chunks, then is killed as by the OOM killer
            writes = 0
            write_all = batch._write_all

            def counting(fd_: int, data: bytes) -> None:
                nonlocal writes
                writes += 1
                if writes > 2:
                    os.kill(os.getpid(), signal.SIGKILL)
                write_all(fd_, data)

            batch._write_all = counting
        if behaviour == "lies":
            # a frame of the right size but for another chunk (as if the file changed)
            frame = batch._FRAME

            class Lying:
                size = frame.size

                @staticmethod
                def pack(index: int, *rest: int) -> bytes:
                    return frame.pack(index + 2, *rest)

            batch._FRAME = Lying  # type: ignore[assignment]
        if behaviour == "raises":
            raise RuntimeError("a bug in the child")
        real(fd, offset, pipe, *args)

    return child


@pytest.mark.parametrize("behaviour", ["dies at once", "killed later", "lies", "raises"])
def test_a_failing_child_costs_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, behaviour: str
) -> None:
    lines = [json.dumps(r).encode() for r in request_generator().generate(4, 400)]
    lines[100:100] = hostile_lines()
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    one, one_stats = run(path, False, limits=BatchLimits(max_line_bytes=2048))
    monkeypatch.setattr(batch, "_child", _child_that(behaviour))
    two, two_stats = run(path, True, limits=BatchLimits(max_line_bytes=2048))
    assert two == one
    assert (two_stats.lines, two_stats.errors) == (one_stats.lines, one_stats.errors)
    if behaviour == "killed later":
        assert two_stats.child_chunks == 2  # the two frames it sent were used
    else:
        assert two_stats.child_chunks == 0
    # the child was reaped: no zombie is left behind
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_when_the_child_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b'{"id": 1}\n' * 10)
    big = tmp_path / "big.jsonl"
    big.write_bytes(b'{"id": 1}\n' * (batch.PARALLEL_MIN_BYTES // 10 + 100))
    worth = batch.parallel_worth_it
    with small.open("rb") as fh:
        assert worth(fh, False) is None
        assert worth(fh, True) == 0  # forced: whatever the size
        assert worth(fh, None) is None  # too small to pay
    assert worth(io.BytesIO(b"x\n" * 10**6), True) is None  # not a file
    with big.open("rb") as fh:
        monkeypatch.setattr(batch.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
        assert worth(fh, None) == 0
        fh.readline()
        assert worth(fh, None) == 10  # the child reads from where the parent is
        monkeypatch.setattr(batch.os, "getloadavg", lambda: (1.6, 0.0, 0.0))
        assert worth(fh, None) is None  # no idle core
        monkeypatch.setattr(batch.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0}, raising=False)
        assert worth(fh, None) is None  # one CPU
        monkeypatch.setattr(batch.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
        release = threading.Event()
        thread = threading.Thread(target=release.wait)
        thread.start()
        try:
            assert worth(fh, True) is None  # never fork a process with threads
        finally:
            release.set()
            thread.join()
        assert worth(fh, True) == 10


def test_the_frame_size_is_the_frame_format_size() -> None:
    assert struct.calcsize(batch._FRAME) == batch._FRAME_SIZE
