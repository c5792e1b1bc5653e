"""The batch engine as a library (:mod:`copyguard.evaluate.batch`), in process.

Contract (spec section 2, GitHub issue 7): one output line per input line, in order, always;
bytes in and bytes out (UTF-8 whatever the locale); bounded cost per line.
"""

from __future__ import annotations

import io
import json
import signal
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.evaluate.batch import BatchLimits, BatchStats, _read_lines, run_batch

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = "arn:aws:iam::111122223333:role/Admin"
KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ADMIN},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def request(rid: Any, **extra: Any) -> dict[str, Any]:
    out = {
        "id": rid,
        "principal": ADMIN,
        "action": "kms:Decrypt",
        "resource": KEY,
        "key_policy": KEY_POLICY,
    }
    out.update(extra)
    return out


def slow_request(rid: str) -> dict[str, Any]:
    """27 million pattern/value pairs to try (see tests/test_simulate_cli.py)."""
    patterns = [f"*a*a*a*a*b{i}" for i in range(1500)]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                **KEY_POLICY["Statement"][0],  # type: ignore[index]
                "Condition": {"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": patterns}},
            }
        ],
    }
    values = ["a" * 40 + str(i) for i in range(18000)]
    return request(rid, key_policy=policy, context={"kms:EncryptionContextKeys": values})


def batch(data: bytes, **kwargs: Any) -> tuple[BatchStats, list[dict[str, Any]], bytes]:
    out = io.BytesIO()
    stats = run_batch(io.BytesIO(data), out, **kwargs)
    raw = out.getvalue()
    text = raw.decode("utf-8")  # strict
    return stats, [json.loads(line) for line in text.split("\n")[:-1]], raw


def encode(*reqs: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in reqs)


def test_one_answer_per_line_with_stats() -> None:
    data = encode(request("a")) + b"\n\xc3\x28\n{oops\n" + encode(request("b"))
    stats, out, _ = batch(data)
    assert stats == BatchStats(lines=5, errors=3)
    assert [r["id"] for r in out] == ["a", None, None, None, "b"]
    assert [r.get("line") for r in out] == [None, 2, 3, 4, None]
    assert "empty line" in out[1]["error"] and "UTF-8" in out[2]["error"]


def test_bom_only_on_the_first_line() -> None:
    line = json.dumps(request("x")).encode()
    stats, out, _ = batch(b"\xef\xbb\xbf" + line + b"\n\xef\xbb\xbf" + line + b"\n")
    assert out[0] == {"id": "x", "decision": "allowed"}
    assert "error" in out[1] and stats.errors == 1


def test_lone_surrogates_and_non_ascii_round_trip() -> None:
    ids = ["\ud800", "\udfff tail", "caf\u00e9 \U0001f600", "a\u2028b"]
    stats, out, raw = batch(encode(*(request(i) for i in ids)))
    assert stats.errors == 0
    assert [r["id"] for r in out] == ids
    assert b"\\ud800" in raw and "caf\u00e9".encode() in raw


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (b'{"id": Infinity}', "invalid JSON"),
        (b'{"id": -NaN}', "invalid JSON"),
        (b'{"id": 1' + b"0" * 5000 + b"}", "invalid JSON"),
        (b'{"id": 1e999, "principal": "p"}', "cannot be written as JSON"),
    ],
)
def test_numbers_json_cannot_hold(line: bytes, words: str) -> None:
    stats, out, _ = batch(line + b"\n" + encode(request("next")))
    assert stats.errors == 1 and words in out[0]["error"] and out[0]["line"] == 1
    assert out[1] == {"id": "next", "decision": "allowed"}


def test_read_lines_bounds_each_line() -> None:
    data = b"0123456789\n" + b"x" * 11 + b"\n" + b"y" * 30 + b"\nshort\n" + b"z" * 11
    lines = list(_read_lines(io.BufferedReader(io.BytesIO(data), 4), 10))
    assert lines[0] == b"0123456789\n" and lines[3] == b"short\n"
    assert [getattr(x, "size", None) for x in lines] == [None, 11, 30, None, 11]


def test_time_limit_stops_a_line_and_restores_the_signal_state() -> None:
    before = signal.getsignal(signal.SIGPROF)
    data = encode(request("a"), slow_request("slow"), request("a-again"), request("b"))
    started = time.monotonic()
    stats, out, _ = batch(data, limits=BatchLimits(line_time_limit=0.2))
    assert time.monotonic() - started < 30
    assert [r["id"] for r in out] == ["a", "slow", "a-again", "b"]
    assert "CPU time" in out[1]["error"] and out[1]["line"] == 2
    assert out[2] == {"id": "a-again", "decision": "allowed"}  # cache rebuilt, still right
    assert stats.errors == 1
    assert signal.getsignal(signal.SIGPROF) == before
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_outside_the_main_thread_it_still_answers() -> None:
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(batch(encode(request("t")))))
    thread.start()
    thread.join(60)
    assert results and results[0][1] == [{"id": "t", "decision": "allowed"}]


def test_a_small_line_limit_answers_every_line() -> None:
    big = request("big", context={"k:K": "v" * 500})
    _, out, _ = batch(encode(request("a"), big, request("b")), limits=BatchLimits(400))
    assert [r["id"] for r in out] == ["a", None, "b"]
    assert "line too long" in out[1]["error"] and "400" in out[1]["error"]


def test_a_line_without_end_stops_the_reading() -> None:
    """/dev/zero has no line end: the reader gives up SKIP_FACTOR times past the limit."""
    line = encode(request("after"))
    assert len(line) < 500
    stats, out, _ = batch(b"x" * 40000 + b"\n" + line, limits=BatchLimits(500))
    assert stats == BatchStats(lines=1, errors=1)
    assert "no line end" in out[0]["error"] and "not read" in out[0]["error"]
    stats, out, _ = batch(b"x" * 5000 + b"\n" + line, limits=BatchLimits(500))
    assert [r["id"] for r in out] == [None, "after"] and "5000 bytes" in out[0]["error"]


_FRAGMENTS = [
    b"",
    b" ",
    b"\r",
    b"{",
    b"}",
    b'"id"',
    b":",
    b",",
    b"\\ud800",
    b'"\\ud800"',
    b"\xff",
    b"\xc3",
    b"\xe2\x80\xa8",
    b"NaN",
    b"1e999",
    b"[",
    b"]",
    b"null",
    b"\x00",
    b"\xef\xbb\xbf",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")),
            st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map(b"".join),
            st.sampled_from([json.dumps(request("ok")).encode()]),
        ),
        max_size=12,
    ),
    st.booleans(),
)
def test_any_bytes_get_one_utf8_json_answer_per_line(lines: list[bytes], final: bool) -> None:
    data = b"\n".join(lines) + (b"\n" if final and lines else b"")
    # lines end at "\n"; what follows the last "\n" is a line only if it is not empty
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    stats, out, raw = batch(data)
    assert stats.lines == len(out) == expected
    assert raw.count(b"\n") == expected
    for i, result in enumerate(out, 1):
        assert ("decision" in result) != ("error" in result)
        assert "error" not in result or result["line"] == i
