"""Malformed documents: each is rejected with the JSON path of the problem, and for text input
its line and column. Nothing but PolicyError ever escapes the parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from copyguard.policy import KEY_POLICY_MAX_BYTES, PolicyError, parse_policy

GOOD: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*",
}


def stmt(**extra: Any) -> dict[str, Any]:
    out = dict(GOOD)
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


def doc(*statements: Any, **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Version": "2012-10-17", "Statement": list(statements)}
    out.update(top)
    return {k: v for k, v in out.items() if v is not None}


def errors_of(source: Any, kind: str = "key") -> list[Any]:
    with pytest.raises(PolicyError) as info:
        parse_policy(source, kind=kind, name="p.json")  # type: ignore[arg-type]
    errors = list(info.value.errors)
    assert errors, "a PolicyError always carries at least one error"
    assert str(info.value)  # a one-line summary
    return errors


# (document, kind, JSON path of the error, words in its message)
STRUCTURE = [
    ([], "key", "", "must be a JSON object, got array"),
    ("a string", "key", "", "got string"),
    (42, "key", "", "got number"),
    (None, "key", "", "got null"),
    (True, "key", "", "got boolean"),
    ({"Version": "2012-10-17"}, "key", "", "missing required element Statement"),
    (doc(stmt(), Extra=1), "key", "Extra", "unknown top-level element"),
    (doc(stmt(), Version="2020-01-01"), "key", "Version", "Version must be"),
    (doc(stmt(), Version=2012), "key", "Version", "Version must be"),
    (doc(stmt(), Id=5), "key", "Id", "Id must be a string"),
    ({"Version": "2012-10-17", "Statement": "Allow"}, "key", "Statement", "object or a list"),
    ({"Version": "2012-10-17", "Statement": 3}, "key", "Statement", "object or a list"),
    (doc("not a statement"), "key", "Statement[0]", "must be an object, got string"),
    (doc([GOOD]), "key", "Statement[0]", "must be an object, got array"),
    (doc(stmt(Principals="*")), "key", "Statement[0].Principals", "unknown statement element"),
    (doc(stmt(effect="Allow")), "key", "Statement[0].effect", "unknown statement element"),
    (doc(stmt(Effect=None)), "key", "Statement[0]", "missing required element Effect"),
    (doc(stmt(Effect="allow")), "key", "Statement[0].Effect", 'must be "Allow" or "Deny"'),
    (doc(stmt(Effect=True)), "key", "Statement[0].Effect", 'must be "Allow" or "Deny"'),
    (doc(stmt(Sid=1)), "key", "Statement[0].Sid", "Sid must be a string"),
    (doc(stmt(Sid="A"), stmt(Sid="A")), "key", "Statement[1].Sid", "duplicate Sid 'A'"),
]

PRINCIPALS = [
    (stmt(Principal="arn:aws:iam::1:root"), "key", "Statement[0].Principal", 'must be "*"'),
    (stmt(Principal=["*"]), "key", "Statement[0].Principal", "got array"),
    (stmt(Principal={}), "key", "Statement[0].Principal", "is empty"),
    (stmt(Principal={"IAM": "x"}), "key", "Statement[0].Principal.IAM", "unknown principal type"),
    (stmt(Principal={"AWS": []}), "key", "Statement[0].Principal.AWS", "must not be an empty list"),
    (stmt(Principal={"AWS": [1]}), "key", "Statement[0].Principal.AWS[0]", "expected a string"),
    (stmt(Principal={"AWS": {"a": 1}}), "key", "Statement[0].Principal.AWS", "got object"),
    (
        stmt(Principal={"AWS": "alice"}),
        "key",
        "Statement[0].Principal.AWS",
        "invalid AWS principal",
    ),
    (
        stmt(Principal={"AWS": "12345"}),
        "key",
        "Statement[0].Principal.AWS",
        "invalid AWS principal",
    ),
    (
        stmt(Principal={"AWS": ["arn:aws:iam::1:role/*"]}),
        "key",
        "Statement[0].Principal.AWS[0]",
        "wildcards are not allowed",
    ),
    (stmt(Principal={"Service": "*"}), "key", "Statement[0].Principal.Service", "invalid service"),
    (stmt(Principal={"Service": ""}), "key", "Statement[0].Principal.Service", "invalid service"),
    (stmt(NotPrincipal={"AWS": "*"}), "key", "Statement[0]", "both Principal and NotPrincipal"),
    (stmt(Principal=None), "key", "Statement[0]", "missing required element Principal"),
    (stmt(Principal=None), "resource", "Statement[0]", "missing required element Principal"),
    (stmt(), "identity", "Statement[0].Principal", "identity policy cannot contain Principal"),
    (
        stmt(Principal=None, NotPrincipal={"AWS": "*"}),
        "identity",
        "Statement[0].NotPrincipal",
        "cannot contain NotPrincipal",
    ),
    (stmt(), "scp", "Statement[0].Principal", "service control policy cannot contain"),
    (stmt(Effect="Deny"), "rcp", "Statement[0].Principal", 'only accepts Principal "*"'),
    (
        stmt(Principal=None, NotPrincipal="*", Effect="Deny"),
        "rcp",
        "Statement[0].NotPrincipal",
        "cannot contain NotPrincipal",
    ),
    (stmt(Principal="*", Action="kms:Decrypt"), "rcp", "Statement[0].Effect", "RCPFullAWSAccess"),
]

ACTIONS_RESOURCES = [
    (stmt(NotAction="kms:Decrypt"), "key", "Statement[0]", "both Action and NotAction"),
    (stmt(Action=5), "key", "Statement[0].Action", "got number"),
    (stmt(Action={"kms": "*"}), "key", "Statement[0].Action", "got object"),
    (stmt(Action=[]), "key", "Statement[0].Action", "must not be an empty list"),
    (stmt(Action=["kms:Decrypt", None]), "key", "Statement[0].Action[1]", "expected a string"),
    (stmt(Action="kms"), "key", "Statement[0].Action", "invalid action"),
    (stmt(Action="kms:"), "key", "Statement[0].Action", "invalid action"),
    (
        stmt(Action=["kms:Decrypt", "kms:De crypt"]),
        "key",
        "Statement[0].Action[1]",
        "invalid action",
    ),
    (stmt(Action="kms:Decrypt\nkms:Encrypt"), "key", "Statement[0].Action", "invalid action"),
    (stmt(NotResource="*"), "key", "Statement[0]", "both Resource and NotResource"),
    (stmt(Resource=7), "key", "Statement[0].Resource", "got number"),
    (stmt(Resource=[]), "key", "Statement[0].Resource", "must not be an empty list"),
    (
        {"Effect": "Allow", "Action": "kms:*"},
        "identity",
        "Statement[0]",
        "missing required element Resource",
    ),
    (
        {"Effect": "Allow", "Resource": "*"},
        "identity",
        "Statement[0]",
        "missing required element Action",
    ),
]

CONDITIONS = [
    (stmt(Condition=[]), "Statement[0].Condition", "object of condition operators"),
    (stmt(Condition="StringEquals"), "Statement[0].Condition", "object of condition operators"),
    (
        stmt(Condition={"StringEqualz": {"a:b": "c"}}),
        "Statement[0].Condition.StringEqualz",
        "unknown condition operator",
    ),
    (
        stmt(Condition={"NullIfExists": {"a:b": "true"}}),
        "Statement[0].Condition.NullIfExists",
        "unknown condition operator",
    ),
    (
        stmt(Condition={"ForSomeValues:StringEquals": {"a:b": "c"}}),
        "Statement[0].Condition.ForSomeValues:StringEquals",
        "unknown condition operator",
    ),
    (
        stmt(Condition={"StringEquals": "a:b"}),
        "Statement[0].Condition.StringEquals",
        "object of condition keys",
    ),
    (
        stmt(Condition={"StringEquals": {"": "c"}}),
        "Statement[0].Condition.StringEquals.",
        "non-empty string",
    ),
    (
        stmt(Condition={"StringEquals": {"a:b": {"x": 1}}}),
        "Statement[0].Condition.StringEquals.a:b",
        "expected a string, number or boolean, got object",
    ),
    (
        stmt(Condition={"StringEquals": {"a:b": None}}),
        "Statement[0].Condition.StringEquals.a:b",
        "got null",
    ),
    (
        stmt(Condition={"StringEquals": {"a:b": ["x", None]}}),
        "Statement[0].Condition.StringEquals.a:b[1]",
        "got null",
    ),
    (
        stmt(Condition={"StringEquals": {"a:b": [["x"]]}}),
        "Statement[0].Condition.StringEquals.a:b[0]",
        "got array",
    ),
    (
        stmt(Condition={"Null": {"a:b": "maybe"}}),
        "Statement[0].Condition.Null.a:b",
        'Null takes "true" or "false"',
    ),
    (
        stmt(Condition={"Null": {"a:b": ["true", 1]}}),
        "Statement[0].Condition.Null.a:b[1]",
        'Null takes "true" or "false"',
    ),
]


@pytest.mark.parametrize(("source", "kind", "path", "words"), STRUCTURE)
def test_document_structure(source: Any, kind: str, path: str, words: str) -> None:
    check(source, kind, path, words)


@pytest.mark.parametrize(("raw", "kind", "path", "words"), PRINCIPALS)
def test_principals(raw: dict[str, Any], kind: str, path: str, words: str) -> None:
    check(doc(raw), kind, path, words)


@pytest.mark.parametrize(("raw", "kind", "path", "words"), ACTIONS_RESOURCES)
def test_actions_and_resources(raw: dict[str, Any], kind: str, path: str, words: str) -> None:
    check(doc(raw), kind, path, words)


@pytest.mark.parametrize(("raw", "path", "words"), CONDITIONS)
def test_conditions(raw: dict[str, Any], path: str, words: str) -> None:
    check(doc(raw), "key", path, words)


def check(source: Any, kind: str, path: str, words: str) -> None:
    """The error is found, with its path, from a dict and from JSON text (with a position)."""
    errors = errors_of(source if isinstance(source, dict) else json.dumps(source), kind)
    assert any(e.path == path and words in e.message for e in errors), [str(e) for e in errors]
    if isinstance(source, dict):
        text = json.dumps(source, indent=2)
        errors = errors_of(text, kind)
        found = [e for e in errors if e.path == path and words in e.message]
        assert found, [str(e) for e in errors]
        for e in found:
            assert e.line is not None and e.column is not None
            assert e.source == "p.json"
            # the position points into the text at (or near) the offending element
            line = text.splitlines()[e.line - 1]
            last = path.rsplit(".", 1)[-1].split("[")[0]
            if path and last and not path.endswith("]"):
                assert last in line or line.strip() in ("{", "[") or e.column >= 1, (path, line)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('{"Version": "2012-10-17",', 1, 26, "Expecting property name"),
        ('{"Version": "2012-10-17", "Statement": [}', 1, 41, "Expecting value"),
        ('{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}', 3, 24, "Expecting property name"),
        ("{'Version': '2012-10-17'}", 1, 2, "Expecting property name enclosed in double quotes"),
        ('{"Version": "2012-10-17', 1, 13, "Unterminated string"),
        ("", 1, 1, "Expecting value"),
        ("   \n  ", 2, 3, "Expecting value"),
        ('{"a": 1} extra', 1, 10, "Extra data"),
        ('{"a": NaN-}', 1, 10, "Expecting"),
    ],
)
def test_broken_json_has_line_and_column(text: str, line: int, column: int, words: str) -> None:
    errors = errors_of(text)
    assert len(errors) == 1
    e = errors[0]
    assert (e.line, e.column) == (line, column)
    assert words in e.message and e.message.startswith("invalid JSON")
    assert str(e).startswith(f"p.json:{line}:{column}")


def test_errors_in_text_point_at_their_line() -> None:
    text = (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Permit",\n'
        '      "Principal": "*",\n      "Action": "kms:*",\n      "Resource": "*"\n    }\n  ]\n}\n'
    )
    (e,) = errors_of(text)
    assert (e.path, e.line, e.column) == ("Statement[0].Effect", 5, 7)  # the element's name
    assert (
        str(e)
        == 'p.json:5:7: Statement[0].Effect: error: Effect must be "Allow" or "Deny", got \'Permit\''
    )


def test_every_error_is_reported_at_once() -> None:
    bad = doc(stmt(Effect="allow", Action=[]), stmt(Principal={"IAM": "x"}), Version="1")
    paths = {e.path for e in errors_of(bad)}
    assert paths >= {
        "Version",
        "Statement[0].Effect",
        "Statement[0].Action",
        "Statement[1].Principal.IAM",
    }


def test_oversized_key_policy() -> None:
    big = doc(stmt(), Id="x" * KEY_POLICY_MAX_BYTES)
    for source in (big, json.dumps(big)):
        (e,) = errors_of(source)
        assert e.path == "" and "KMS allows at most 32768" in e.message


def test_oversized_by_one_byte() -> None:
    d = doc(stmt())
    base = len(json.dumps(d))
    d["Id"] = "x" * (KEY_POLICY_MAX_BYTES - base - len(', "Id": ""') + 1)
    text = json.dumps(d)
    assert len(text.encode()) == KEY_POLICY_MAX_BYTES + 1
    (e,) = errors_of(text)
    assert f"{KEY_POLICY_MAX_BYTES + 1} bytes" in e.message


def test_multibyte_characters_count_as_bytes() -> None:
    d = doc(stmt(), Id="\u00e9" * (KEY_POLICY_MAX_BYTES // 2))  # 2 bytes each in UTF-8
    (e,) = errors_of(json.dumps(d, ensure_ascii=False))
    assert "bytes" in e.message


@pytest.mark.parametrize(
    ("char", "name"),
    [("\u2603", "U+2603"), ("\u0080", "U+0080"), ("\x7f", "U+007F"), ("\u0101", "U+0101")],
)
def test_disallowed_characters(char: str, name: str) -> None:
    d = doc(stmt(Sid=f"A{char}"))
    (e,) = [x for x in errors_of(d) if name in x.message]
    assert e.path == "Statement[0].Sid" and "not allowed in a key policy" in e.message
    text = json.dumps(d, ensure_ascii=False)
    (e,) = [x for x in errors_of(text) if name in x.message]
    assert e.line == 1 and e.column == text.index(char) + 1
    parse_policy(d, kind="resource")  # the character set is a KMS key policy rule


def test_not_utf8_bytes() -> None:
    (e,) = errors_of(b'{"Version": "2012-10-17", "Statement": [], "Id": "\xff"}')
    assert "not UTF-8" in e.message


def test_missing_file(tmp_path: Path) -> None:
    (e,) = errors_of(tmp_path / "nope.json")
    assert "cannot read file" in e.message


def test_nested_too_deeply() -> None:
    (e,) = errors_of("[" * 100000 + "]" * 100000)
    assert "nested too deeply" in e.message or "must be a JSON object" in e.message


def test_not_json_serializable_dict() -> None:
    (e,) = errors_of({"Version": "2012-10-17", "Statement": [], "Id": {1, 2}})
    assert "not a JSON document" in e.message


def test_policy_error_keeps_warnings_too() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy({"Statement": [stmt(Effect="x")]})
    severities = {i.severity for i in info.value.issues}
    assert severities == {"error", "warning"}
    assert all(i.severity == "error" for i in info.value.errors)
    assert info.value.issues[0].to_dict()["severity"] in ("error", "warning")
