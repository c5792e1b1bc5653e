"""The batch's memory is bounded by size, and repeated request values are read once.

GitHub issue 11: the policy cache used to hold a number of documents whatever their size
(thousands of distinct 100-statement key policies took gigabytes), and a request's dates,
numbers and IP addresses were read again by every statement that compared them.
"""

from __future__ import annotations

import io
import ipaddress
import json
from datetime import datetime
from typing import Any

import pytest

from copyguard.evaluate import batch
from copyguard.evaluate.batch import (
    DEFAULT_CACHE_BYTES,
    PolicyCache,
    cache_cost,
    evaluate_line,
    run_batch,
    split_line,
)
from copyguard.evaluate.operators import date, ip, numeric

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ADMIN = "arn:aws:iam::111122223333:role/Admin"


def big_policy(n: int, statements: int = 100) -> dict[str, Any]:
    """A valid key policy of ``statements`` statements, different for every ``n``."""
    return {
        "Version": "2012-10-17",
        "Id": f"policy-{n}",
        "Statement": [
            {
                "Sid": f"S{i}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::111122223333:role/R{n}-{i}"},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "backup.us-east-1.amazonaws.com"}},
            }
            for i in range(statements)
        ],
    }


def compact(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def test_the_cache_keeps_under_its_byte_bound_whatever_the_number_of_documents() -> None:
    bound = 2_000_000
    cache = PolicyCache(max_bytes=bound)
    costs = []
    for n in range(60):
        doc = big_policy(n)
        text = compact(doc)
        costs.append(cache_cost(text))
        cache.get(doc, "key_policy", "key", text)
        # the accounting is exact: the total is the sum of what the entries were counted for
        assert cache.bytes == sum(cost for _, cost in cache.entries.values())
        assert cache.bytes <= bound
    assert min(costs) > 10 * len(compact(big_policy(0))) > 100_000  # counted for their size
    # far fewer than the 60 documents fit; the most recent ones are the ones kept
    assert 0 < len(cache.entries) < 60
    kept = [key[2] for key in cache.entries]
    assert kept == [compact(big_policy(n)) for n in range(60 - len(kept), 60)]


def test_a_hit_makes_an_entry_the_most_recent() -> None:
    one = compact(big_policy(0, 10))
    cache = PolicyCache(max_bytes=3 * cache_cost(one))
    docs = [big_policy(n, 10) for n in range(3)]
    first = cache.get(docs[0], "key_policy", "key", compact(docs[0]))
    for doc in docs[1:]:
        cache.get(doc, "key_policy", "key", compact(doc))
    assert cache.get(docs[0], "key_policy", "key", compact(docs[0])) is first  # a hit
    newer = big_policy(3, 10)
    cache.get(newer, "key_policy", "key", compact(newer))  # evicts docs[1], not docs[0]
    kept = {key[2] for key in cache.entries}
    assert compact(docs[0]) in kept and compact(docs[1]) not in kept
    assert cache.get(docs[0], "key_policy", "key", compact(docs[0])) is first


def test_a_document_larger_than_the_bound_is_answered_but_not_kept() -> None:
    doc = big_policy(1)
    cache = PolicyCache(max_bytes=cache_cost(compact(doc)) - 1)
    policy = cache.get(doc, "key_policy", "key", compact(doc))
    assert len(policy.statements) == 100
    assert cache.entries == {} and cache.bytes == 0


def test_the_default_bound_is_a_stated_number_of_bytes() -> None:
    assert PolicyCache().max_bytes == DEFAULT_CACHE_BYTES == 64 * 1024 * 1024


def test_a_batch_of_distinct_big_policies_answers_every_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caches: list[PolicyCache] = []

    class Recording(PolicyCache):
        def __init__(self, *_: int) -> None:
            super().__init__(max_bytes=1_500_000)
            caches.append(self)

    monkeypatch.setattr(batch, "PolicyCache", Recording)
    lines = [
        json.dumps(
            {
                "id": f"r{n}",
                "principal": f"arn:aws:iam::111122223333:role/R{n}-7",
                "action": "kms:Decrypt",
                "resource": KEY,
                "context": {"kms:ViaService": "backup.us-east-1.amazonaws.com"},
                "key_policy": big_policy(n),
            }
        )
        for n in range(40)
    ]
    out = io.BytesIO()
    # --lint takes the general path for every line, the one that fills this cache (the
    # decision-only path's caches: tests/evaluate/test_batch_fastpath.py)
    stats = run_batch(io.BytesIO(("\n".join(lines) + "\n").encode()), out, lint=True)
    assert stats.lines == 40 and stats.errors == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["decision"] for a in answers] == ["allowed"] * 40
    assert len(caches) == 1 and caches[0].bytes <= 1_500_000
    assert len(caches[0].entries) < 40


# ----------------------------------------------------------- request values read once


def _line(conditions: dict[str, Any], context: dict[str, Any], statements: int = 30) -> str:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"S{i}",
                "Effect": "Allow",
                "Principal": {"AWS": ADMIN},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": conditions_for(conditions, i),
            }
            for i in range(statements)
        ],
    }
    return json.dumps(
        {
            "id": "r",
            "principal": ADMIN,
            "action": "kms:Decrypt",
            "resource": KEY,
            "context": context,
            "key_policy": policy,
        }
    )


def conditions_for(conditions: dict[str, Any], i: int) -> dict[str, Any]:
    """Statement ``i``'s conditions: each policy value made different per statement."""
    out: dict[str, Any] = {}
    for op, block in conditions.items():
        out[op] = {key: value(i) for key, value in block.items()}
    return out


def _decide(line: str) -> str:
    split = split_line(line)
    assert split is not None
    result = evaluate_line(split[0], PolicyCache(), False, split[1])
    return str(result.get("decision", result.get("error")))


def test_a_request_date_is_read_once_for_all_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []

    class Counting(datetime):
        @classmethod
        def fromisoformat(cls, text: str) -> Any:
            read.append(text)
            return datetime.fromisoformat(text)

    monkeypatch.setattr(date, "datetime", Counting)
    date._to_epoch_memo.cache_clear()
    # every statement compares the request's date with its own epoch number (numbers are
    # not ISO dates, so only the request's value goes through fromisoformat)
    line = _line(
        {"DateGreaterThan": {"aws:CurrentTime": lambda i: str(1_900_000_000 + i)}},
        {"aws:CurrentTime": "2029-07-04T12:00:00Z"},
    )
    assert _decide(line) == "implicit_deny"  # 2029 is before every policy date
    assert read == ["2029-07-04T12:00:00+00:00"]


def test_a_request_number_is_read_once_for_all_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []
    pattern = numeric._NUMBER_RE

    class Counting:
        def match(self, text: str) -> Any:
            read.append(text)
            return pattern.match(text)

    monkeypatch.setattr(numeric, "_NUMBER_RE", Counting())
    numeric._to_number_memo.cache_clear()
    line = _line(
        {"NumericLessThan": {"aws:MultiFactorAuthAge": lambda i: str(1000 + i)}},
        {"aws:MultiFactorAuthAge": "4321"},
    )
    assert _decide(line) == "implicit_deny"
    assert read.count("4321") == 1


def test_a_request_address_is_read_once_for_all_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []

    class Counting:
        ip_network = staticmethod(ipaddress.ip_network)

        @staticmethod
        def ip_address(text: str) -> Any:
            read.append(text)
            return ipaddress.ip_address(text)

    monkeypatch.setattr(ip, "ipaddress", Counting)
    ip._read_memo.cache_clear()
    line = _line(
        {"IpAddress": {"aws:SourceIp": lambda i: f"10.{i}.0.0/16"}},
        {"aws:SourceIp": "10.29.1.2"},
    )
    assert _decide(line) == "allowed"  # the last statement's network holds it
    assert read == ["10.29.1.2"]


@pytest.mark.parametrize(
    ("module", "memo", "reader"),
    [
        (date, "_to_epoch_memo", "to_epoch"),
        (numeric, "_to_number_memo", "to_number"),
    ],
)
def test_long_values_are_never_kept(module: Any, memo: str, reader: str) -> None:
    getattr(module, memo).cache_clear()
    long_text = "1" * 5000
    getattr(module, reader)(long_text)
    assert getattr(module, memo).cache_info().currsize == 0
