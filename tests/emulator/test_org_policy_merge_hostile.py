"""The effective-policy merge of the emulator's organization on hostile policies: bounded
(long arrays under @@append/@@remove are linear, not quadratic) and with the same values a
list comparison gives (1 == 1.0 == True, objects and arrays compared by value)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from copyguard.emulator.org_policies import ALLOWED, PolicyMergeError, merge_levels, parse_content


def _regions(op: str, values: list[object]) -> dict[str, object]:
    return {"plans": {"p": {"regions": {op: values}}}}


def test_long_arrays_merge_in_linear_time() -> None:
    n = 20_000  # about 120 KB of policy: the quadratic merge took 10-20 s on this
    start = time.thread_time()  # CPU time: a loaded machine does not move it
    appended = merge_levels(
        [[_regions("@@assign", list(range(n)))], [_regions("@@append", list(range(n, 2 * n)))]]
    )
    removed = merge_levels(
        [[_regions("@@assign", list(range(n)))], [_regions("@@remove", list(range(1, n)))]]
    )
    assert time.thread_time() - start < 3
    assert appended["plans"]["p"]["regions"] == list(range(2 * n))
    assert removed["plans"]["p"]["regions"] == [0]


def test_append_and_remove_compare_values_as_before() -> None:
    base = [1, "x", {"a": 1}, [2], None]
    got = merge_levels(
        [
            [_regions("@@assign", base)],
            [_regions("@@append", [True, 1.0, {"a": 1}, [2], [3], {"b": 2}, "y", "y"])],
        ]
    )["plans"]["p"]["regions"]
    # True and 1.0 equal 1, the object and the array equal the ones there; what is new is
    # added (twice when given twice, as before)
    assert got == [1, "x", {"a": 1}, [2], None, [3], {"b": 2}, "y", "y"]
    got = merge_levels(
        [[_regions("@@assign", base)], [_regions("@@remove", [True, [2], {"a": 1}])]]
    )["plans"]["p"]["regions"]
    assert got == ["x", None]


@pytest.mark.parametrize(
    "doc",
    [
        {"plans": {ALLOWED: {"@@assign": [{"a": 1}]}, "p": {"x": {"@@assign": 1}}}},
        {"plans": {"p": {"x": {"@@assign": 1}, ALLOWED: [["@@assign"]]}}},
    ],
)
def test_an_operator_list_of_objects_is_a_merge_error(doc: dict[str, object]) -> None:
    with pytest.raises(PolicyMergeError):
        merge_levels([[doc], [{"plans": {"p": {"x": {"@@assign": 2}}}}]])


def test_a_policy_nested_too_deeply_is_a_merge_error() -> None:
    with pytest.raises(PolicyMergeError):
        parse_content('{"plans":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}")


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from copyguard.emulator import Emulator

    with Emulator(port=0) as running:
        yield running


@pytest.mark.emulator
def test_a_request_body_nested_too_deeply_is_a_400_not_a_500(emu: Any) -> None:
    from botocore.config import Config

    org = emu.session("management").client(
        "organizations", config=Config(retries={"max_attempts": 1})
    )
    body = b"[" * 100_000 + b"]" * 100_000

    def replace_body(request: Any, **_: Any) -> None:
        request.data = body
        request.headers["Content-Length"] = str(len(body))

    org.meta.events.register("before-sign.organizations.DescribeEffectivePolicy", replace_body)
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="BACKUP_POLICY")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.value.response["Error"]["Code"] == "SerializationException"
