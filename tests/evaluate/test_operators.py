"""Condition operators, one table per family (IAM User Guide, "Condition operators").

Each row: operator, policy value(s), the request's value for the key (``ABSENT``: the key is
not in the request), whether the condition holds. Set operators, ``IfExists``, negation and
policy variables go through the one dispatcher in ``copyguard.evaluate.conditions``.
"""

from __future__ import annotations

from typing import Any

import pytest

from copyguard.evaluate.conditions import compile_condition
from copyguard.policy import Condition

ABSENT: Any = object()
KEY = "test:Key"


def holds(
    operator: str,
    values: str | list[str],
    request_value: Any,
    extra: dict[str, Any] | None = None,
    variables: bool = True,
) -> bool:
    vals = (values,) if isinstance(values, str) else tuple(values)
    cond = compile_condition(
        Condition(operator, KEY, vals, f"Condition.{operator}.{KEY}"), variables
    )
    ctx: dict[str, Any] = {k.lower(): v for k, v in (extra or {}).items()}
    if request_value is not ABSENT:
        ctx[KEY.lower()] = request_value
    result = cond.test(ctx)
    if not result:
        assert cond.explain(ctx)  # every failing condition can say why
    return result


def rows(table: list[tuple[Any, ...]]) -> Any:
    return pytest.mark.parametrize(
        ("operator", "values", "request_value", "expected"),
        table,
        ids=[f"{r[0]}-{r[1]}-{'ABSENT' if r[2] is ABSENT else r[2]}" for r in table],
    )


STRING = [
    ("StringEquals", "abc", "abc", True),
    ("StringEquals", "abc", "ABC", False),
    ("StringEquals", "abc", ABSENT, False),
    ("StringEquals", "", "", True),
    ("StringEquals", "a*", "abc", False),  # no wildcards in StringEquals
    ("StringEquals", "a*", "a*", True),
    ("StringEquals", ["x", "abc"], "abc", True),  # values are ORed
    ("StringNotEquals", "abc", "xyz", True),
    ("StringNotEquals", "abc", "abc", False),
    ("StringNotEquals", "abc", ABSENT, True),  # negated + absent key: true
    ("StringNotEquals", ["x", "abc"], "abc", False),  # values are NORed
    ("StringNotEquals", ["x", "y"], "abc", True),
    ("StringEqualsIgnoreCase", "AbC", "aBc", True),
    ("StringEqualsIgnoreCase", "AbC", "abd", False),
    ("StringNotEqualsIgnoreCase", "AbC", "aBc", False),
    ("StringNotEqualsIgnoreCase", "AbC", "xyz", True),
    ("StringLike", "a*c", "abbbc", True),
    ("StringLike", "a*c", "ac", True),
    ("StringLike", "a*c", "abd", False),
    ("StringLike", "a?c", "abc", True),
    ("StringLike", "a?c", "ac", False),
    ("StringLike", "*", "", True),
    ("StringLike", "a.c", "abc", False),  # only * and ? are special
    ("StringLike", "backup.*.amazonaws.com", "backup.eu-west-1.amazonaws.com", True),
    ("StringNotLike", "a*", "bcd", True),
    ("StringNotLike", "a*", "abc", False),
    ("StringNotLike", "a*", ABSENT, True),
    ("StringEqualsIfExists", "abc", ABSENT, True),
    ("StringEqualsIfExists", "abc", "xyz", False),
    ("StringNotEqualsIfExists", "abc", ABSENT, True),
    ("StringNotEqualsIfExists", "abc", "abc", False),
    ("StringLikeIfExists", "a*", "abc", True),
]

NUMERIC = [
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", "1e3", "1000", True),
    ("NumericEquals", "-1.5", "-1.5", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "10", "ten", False),  # not a number: cannot compare
    ("NumericEquals", "10", ABSENT, False),
    ("NumericEquals", "ten", "10", False),  # an invalid policy value never matches
    ("NumericEquals", "10", "inf", False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", "ten", False),  # a failed comparison is not "not equal"
    ("NumericNotEquals", "ten", "10", False),
    ("NumericNotEquals", "10", ABSENT, True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "10.5", False),
    ("NumericGreaterThan", "10", "11", True),
    ("NumericGreaterThan", "10", "10", False),
    ("NumericGreaterThanEquals", "10", "10", True),
    ("NumericGreaterThanEquals", "10", "9", False),
    ("NumericLessThanIfExists", "10", ABSENT, True),
]

DATE = [
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),  # epoch seconds
    ("DateEquals", "1577836800", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T01:00:00+01:00", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01", "2020-01-01T00:00:00Z", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "not a date", False),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", "not a date", False),
    ("DateNotEquals", "2020-01-01T00:00:00Z", ABSENT, True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2019-12-31T23:59:59Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", False),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "1893456000", "2031-01-01T00:00:00Z", True),
    ("DateGreaterThan", "1893456000", "2029-01-01T00:00:00Z", False),
    ("DateGreaterThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", ABSENT, False),
]

BOOL = [
    ("Bool", "true", "true", True),
    ("Bool", "true", "TRUE", True),
    ("Bool", "True", "true", True),
    ("Bool", "true", "false", False),
    ("Bool", "false", "false", True),
    ("Bool", "true", "yes", False),  # not a boolean
    ("Bool", "true", "1", False),
    ("Bool", "maybe", "true", False),  # an invalid policy value never matches
    ("Bool", "true", ABSENT, False),
    ("Bool", ["true", "false"], "false", True),
    ("BoolIfExists", "false", ABSENT, True),
    ("BoolIfExists", "false", "true", False),
]

BINARY = [
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", True),
    ("BinaryEquals", "QmluYXJ5VmFsdWVJbkJhc2U2NA==", "QmluYXJ5", False),
    ("BinaryEquals", "QmluYXJ5", ABSENT, False),
    ("BinaryEqualsIfExists", "QmluYXJ5", ABSENT, True),
]

IP = [
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # no prefix: /32
    ("IpAddress", "203.0.113.7", "203.0.113.8", False),
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("IpAddress", "203.0.113.0/24", "2001:db8::1", False),  # IPv6 address, IPv4 block
    ("IpAddress", "203.0.113.0/24", "not-an-ip", False),
    ("IpAddress", "not-a-block", "203.0.113.7", False),
    ("IpAddress", ["10.0.0.0/8", "203.0.113.0/24"], "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", ABSENT, False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.7", False),
    ("NotIpAddress", "203.0.113.0/24", "not-an-ip", False),
    ("NotIpAddress", "203.0.113.0/24", ABSENT, True),
]

ROLE = "arn:aws:iam::123456789012:role/BackupRole"
ARN = [
    ("ArnLike", "arn:aws:iam::*:role/*", ROLE, True),
    ("ArnEquals", "arn:aws:iam::*:role/*", ROLE, True),  # ArnEquals and ArnLike are identical
    ("ArnLike", "arn:aws:iam::123456789012:role/Backup?ole", ROLE, True),
    ("ArnLike", "arn:aws:iam::123456789012:role/Other*", ROLE, False),
    ("ArnLike", "arn:aws:iam::*", ROLE, False),  # fewer than six components
    ("ArnLike", "*", ROLE, False),
    ("ArnLike", "arn:aws:iam::*:role/*", "not-an-arn", False),
    (
        "ArnLike",
        "arn:aws:someservice:*:111122223333:finance/*",
        "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
        False,  # the documented example: wildcards do not cross colons
    ),
    ("ArnLike", "arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a:b/c", True),  # resource part
    ("ArnLike", "arn:aws:iam::*:role/*", "ARN:AWS:IAM::123456789012:ROLE/X", False),  # case
    ("ArnNotLike", "arn:aws:iam::*:role/Other*", ROLE, True),
    ("ArnNotLike", "arn:aws:iam::*:role/*", ROLE, False),
    ("ArnNotLike", "arn:aws:iam::*:role/*", "not-an-arn", False),  # cannot compare
    ("ArnNotEquals", "arn:aws:iam::*:role/*", ABSENT, True),
    ("ArnLikeIfExists", "arn:aws:iam::*:role/*", ABSENT, True),
]

NULL = [
    ("Null", "true", ABSENT, True),
    ("Null", "true", "x", False),
    ("Null", "true", "", True),  # an empty value counts as null
    ("Null", "true", [], True),
    ("Null", "false", ABSENT, False),
    ("Null", "false", "x", True),
    ("Null", "false", ["a"], True),
    ("Null", "false", [], False),
    ("Null", "FALSE", "x", True),
    ("Null", ["true", "false"], ABSENT, True),
]

SETS = [
    ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", ["a", "b"], ["c"], False),
    ("ForAnyValue:StringEquals", ["a", "b"], ABSENT, False),
    ("ForAnyValue:StringEquals", ["a", "b"], [], False),
    ("ForAnyValue:StringEquals", ["a", "b"], "", False),  # empty data set
    ("ForAnyValue:StringEquals", ["a", "b"], "b", True),  # a single value is a set of one
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", ["a", "b"], ABSENT, True),
    ("ForAllValues:StringEquals", ["a", "b"], [], True),
    ("ForAllValues:StringEquals", ["a", "b"], "", True),  # empty data set
    ("ForAllValues:StringEquals", ["a", "b"], [""], False),  # one empty value is a value
    ("ForAnyValue:StringNotEquals", "a", ["a", "b"], True),
    ("ForAnyValue:StringNotEquals", "a", ["a"], False),
    ("ForAllValues:StringNotEquals", "a", ["b", "c"], True),
    ("ForAllValues:StringNotEquals", "a", ["a", "b"], False),
    ("ForAllValues:StringLike", "o-1/*", ["o-1/r-1/ou-1/", "o-1/r-1/ou-2/"], True),
    ("ForAllValues:StringLike", "o-1/*", ["o-1/r-1/", "o-2/r-2/"], False),
    ("ForAnyValue:StringLikeIfExists", "o-1/*", ABSENT, False),  # IfExists adds nothing
    ("ForAllValues:StringEqualsIfExists", "a", ABSENT, True),
    ("foranyvalue:stringequals", "a", ["a"], True),  # operators read in any case
    # an operator without a set operator never matches a multivalued (list) request value
    ("StringLike", "o-1/*", ["o-1/r-1/ou-1/"], False),
    ("StringEquals", "a", ["a"], False),
    ("StringNotEquals", "a", ["b"], False),
    ("StringNotLike", "o-1/*", ["o-2/"], False),
    ("StringEqualsIfExists", "a", ["a"], False),
    ("StringNotEqualsIfExists", "a", ["b"], False),
    ("StringNotEquals", "a", [], False),
    ("ArnLike", "arn:aws:iam::*:role/*", [ROLE], False),
    ("ForAnyValue:ArnLike", "arn:aws:iam::*:role/*", [ROLE, "x"], True),
    ("ForAllValues:ArnLike", "arn:aws:iam::*:role/*", [ROLE, "x"], False),
    ("ForAnyValue:NumericLessThan", "10", ["20", "5"], True),
    ("ForAllValues:Bool", "true", ["true", "TRUE"], True),
]


@rows(STRING)
def test_string(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(NUMERIC)
def test_numeric(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(DATE)
def test_date(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(BOOL)
def test_bool(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(BINARY)
def test_binary(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(IP)
def test_ip_address(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(ARN)
def test_arn(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(NULL)
def test_null(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


@rows(SETS)
def test_set_operators(operator: str, values: Any, request_value: Any, expected: bool) -> None:
    assert holds(operator, values, request_value) is expected


# (operator, policy value, request value, other request keys, holds)
VARIABLES = [
    ("StringEquals", "${aws:username}", "bob", {"aws:username": "bob"}, True),
    ("StringEquals", "${AWS:UserName}", "bob", {"aws:username": "bob"}, True),  # key case
    ("StringEquals", "home/${aws:username}/", "home/bob/", {"aws:username": "bob"}, True),
    ("StringEquals", "${aws:username}", "bob", {}, False),  # no value: never matches
    ("StringNotEquals", "${aws:username}", "bob", {}, False),  # ... not even "not equal"
    ("StringNotEquals", ["x", "${aws:username}"], "bob", {}, False),
    ("StringEquals", ["bob", "${aws:username}"], "bob", {}, True),  # other values still match
    ("StringEquals", "${aws:username, 'anon'}", "anon", {}, True),  # default
    ("StringEquals", "${aws:username, 'anon'}", "bob", {"aws:username": "bob"}, True),
    ("StringEquals", "${aws:username, anon}", "anon", {}, False),  # default needs quotes
    ("StringEquals", "a${*}", "a*", {}, True),
    ("StringLike", "a${*}", "abc", {}, False),  # ${*} is a literal asterisk
    ("StringLike", "a${?}", "a?", {}, True),
    ("StringLike", "a${?}", "ab", {}, False),
    ("StringEquals", "${$}{x}", "${x}", {}, True),
    ("StringLike", "${aws:username}", "bob", {"aws:username": "*"}, False),  # literal text
    ("StringLike", "${aws:username}*", "bob-1", {"aws:username": "bob"}, True),
    ("StringEquals", "${aws:TagKeys}", "a", {"aws:TagKeys": ["a"]}, False),  # multivalued
    ("StringEquals", "${aws:TagKeys, 'a'}", "a", {"aws:TagKeys": ["a", "b"]}, True),
    ("Bool", "${aws:flag}", "true", {"aws:flag": "true"}, True),  # Bool takes variables
    ("NumericEquals", "${aws:n}", "5", {"aws:n": "5"}, False),  # Numeric does not
    ("DateEquals", "${aws:d}", "2020-01-01", {"aws:d": "2020-01-01"}, False),
    ("IpAddress", "${aws:ip}", "10.0.0.1", {"aws:ip": "10.0.0.1"}, False),
    ("ArnLike", "arn:aws:iam::${aws:acct}:role/*", ROLE, {"aws:acct": "123456789012"}, True),
    ("ArnLike", "arn:aws:iam::${aws:acct}:role/*", ROLE, {"aws:acct": "999999999999"}, False),
    ("ArnNotLike", "arn:aws:iam::${aws:acct}:role/*", ROLE, {}, False),
]


@pytest.mark.parametrize(
    ("operator", "value", "request_value", "extra", "expected"),
    VARIABLES,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in VARIABLES],
)
def test_policy_variables(
    operator: str, value: str, request_value: Any, extra: dict[str, Any], expected: bool
) -> None:
    assert holds(operator, value, request_value, extra) is expected


def test_variables_off_reads_text_literally() -> None:
    extra = {"aws:username": "bob"}
    assert holds("StringEquals", "${aws:username}", "${aws:username}", extra, variables=False)
    assert not holds("StringEquals", "${aws:username}", "bob", extra, variables=False)


def test_explain_names_the_reason() -> None:
    cond = compile_condition(Condition("StringLike", KEY, ("o-1/*",), "p"), True)
    assert "multivalued" in cond.explain({KEY.lower(): ["o-1/x"]})
    assert "has no" in cond.explain({})
    cond = compile_condition(Condition("StringEquals", KEY, ("${aws:username}",), "p"), True)
    assert "policy variable" in cond.explain({KEY.lower(): "bob"})
    cond = compile_condition(Condition("NumericLessThan", KEY, ("10",), "p"), True)
    assert "not a valid Numeric value" in cond.explain({KEY.lower(): "ten"})
    cond = compile_condition(Condition("Null", KEY, ("false",), "p"), True)
    assert "null" in cond.explain({KEY.lower(): []})
