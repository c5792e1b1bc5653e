"""json_positions tokenizes the text in one regular-expression pass (GitHub issue 11: a 1 MB
policy, a 100,000-copy scenario): the positions are exactly those of the character-by-character
reference scanner (``locate._Scanner``), on organization-sized documents in every layout JSON
writers use, and nesting deeper than Python's recursion limit is located in full."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from copyguard.policy import locate
from copyguard.policy.locate import json_positions


def _reference(text: str) -> dict[str, tuple[int, int]]:
    scanner = locate._Scanner(text)
    scanner.value("")
    return locate.positions_of(text, scanner.found)


def _organization(seed: int) -> dict[str, Any]:
    """A scenario-like document: keys with policies (conditions, lists, escapes, numbers,
    booleans, null, empty containers), vaults and copies."""
    rng = random.Random(seed)
    keys = []
    for i in range(40):
        statements = [
            {
                "Sid": f'S{j} "quoted" \\ back/slash \u00e9\u2028',
                "Effect": rng.choice(["Allow", "Deny"]),
                "Principal": {"AWS": [f"arn:aws:iam::{rng.randrange(10**12):012d}:root"]},
                "Action": rng.choice(["kms:*", ["kms:Decrypt", "kms:Encrypt"]]),
                "Resource": "*",
                "Condition": rng.choice(
                    [
                        {},
                        {"Bool": {"kms:GrantIsForAWSResource": True}},
                        {"NumericLessThan": {"x": -1.5e3}},
                    ]
                ),
            }
            for j in range(rng.randrange(1, 6))
        ]
        keys.append({"arn": f"key-{i}", "policy": {"Version": "2012-10-17", "Statement": statements},
                     "aliases": [], "multi_region": None})  # fmt: skip
    copies = [{"name": f"c{i}", "lifecycle": {"delete_after_days": 35} if i % 2 else None}
              for i in range(200)]  # fmt: skip
    return {"version": 1, "keys": keys, "vaults": [[], {}, [[1, [2, {}]]]], "copies": copies}


@pytest.mark.parametrize(
    "dump",
    [
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, indent=1),
        lambda d: json.dumps(d, indent=2, ensure_ascii=False),
        lambda d: json.dumps(d, indent="\t"),
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: json.dumps(d, indent=2).replace("\n", "\r\n"),
    ],
    ids=["compact", "indent1", "indent2-utf8", "tabs", "minified", "crlf"],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_positions_equal_the_reference_scanner(dump: Any, seed: int) -> None:
    text = dump(_organization(seed))
    expected = _reference(text)
    assert len(expected) > 2000
    assert json_positions(text) == expected


def test_duplicate_keys_keep_the_first_position() -> None:
    text = '{"a": 1,\n "a": {"b": 2},\n "c": [{"a": 3}, {"a": 4}]}'
    positions = json_positions(text)
    assert positions["a"] == (1, 2)
    assert positions["c[1].a"] == (3, 19)
    assert positions == _reference(text)


def test_nesting_deeper_than_the_recursion_limit_is_located() -> None:
    depth = 5000
    text = "[" * depth + "1" + "]" * depth
    positions = json_positions(text)
    assert positions["[0]" * depth] == (1, depth + 1)
    assert len(positions) == depth + 1


def test_text_that_is_not_json_gives_a_partial_map_not_an_error() -> None:
    assert json_positions('{"a": [1, 2') == {
        "": (1, 1),
        "a": (1, 2),
        "a[0]": (1, 8),
        "a[1]": (1, 11),
    }
    assert json_positions("]]]") == {}
    assert json_positions('{"a\\x": 1}') == {"": (1, 1)}
