"""The policy grammar: every form AWS accepts parses into the model, with the right warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from copyguard.policy import (
    BASE_OPERATORS,
    KEY_POLICY_MAX_BYTES,
    Policy,
    Principals,
    parse_operator,
    parse_policy,
)

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def stmt(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def doc(*statements: dict[str, Any], **top: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Version": "2012-10-17", "Statement": list(statements)}
    out.update(top)
    return {k: v for k, v in out.items() if v is not None}


def one(raw: dict[str, Any], kind: str = "key") -> Any:
    policy = parse_policy(doc(raw), kind=kind)  # type: ignore[arg-type]
    assert len(policy.statements) == 1
    return policy.statements[0]


def codes(policy: Policy) -> list[str]:
    return [w.code for w in policy.warnings]


def test_statement_as_single_object() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": stmt()})
    assert [s.path for s in policy.statements] == ["Statement"]


def test_statement_list_paths_and_indexes() -> None:
    policy = parse_policy(doc(stmt(Sid="A"), stmt(Sid="B", Effect="Deny")))
    assert [(s.index, s.path, s.sid, s.effect) for s in policy.statements] == [
        (0, "Statement[0]", "A", "Allow"),
        (1, "Statement[1]", "B", "Deny"),
    ]
    assert policy.statement_by_sid("B") is policy.statements[1]
    assert policy.statements[1].label == "Statement[1] (B)"


@pytest.mark.parametrize("version", ["2012-10-17", "2008-10-17"])
def test_versions(version: str) -> None:
    policy = parse_policy(doc(stmt(), Version=version))
    assert policy.version == version
    assert policy.variables_enabled is (version == "2012-10-17")
    assert ("old-version" in codes(policy)) is (version == "2008-10-17")


def test_missing_version_is_a_warning() -> None:
    policy = parse_policy({"Statement": [stmt()]})
    assert policy.version is None and not policy.variables_enabled
    assert codes(policy) == ["no-version"]


def test_id_and_sid() -> None:
    policy = parse_policy(doc(stmt(Sid="Enable IAM User Permissions"), Id="key-default-1"))
    assert policy.statements[0].sid == "Enable IAM User Permissions"
    assert policy.warnings == ()


def test_sid_with_unusual_characters_is_a_warning() -> None:
    policy = parse_policy(doc(stmt(Sid="Allow <everything>")))
    assert [w.path for w in policy.warnings] == ["Statement[0].Sid"]


@pytest.mark.parametrize(
    ("principal", "wildcard", "entries"),
    [
        ("*", True, ()),
        ({"AWS": "*"}, True, ()),
        ({"AWS": "111122223333"}, False, (("AWS", "111122223333"),)),
        (
            {"AWS": ["arn:aws:iam::1:root", "444455556666"]},
            False,
            (("AWS", "arn:aws:iam::1:root"), ("AWS", "444455556666")),
        ),
        ({"Service": "backup.amazonaws.com"}, False, (("Service", "backup.amazonaws.com"),)),
        (
            {"Service": ["a.amazonaws.com", "b.amazonaws.com"]},
            False,
            (("Service", "a.amazonaws.com"), ("Service", "b.amazonaws.com")),
        ),
        (
            {"Federated": "cognito-identity.amazonaws.com"},
            False,
            (("Federated", "cognito-identity.amazonaws.com"),),
        ),
        ({"CanonicalUser": "79a59df9"}, False, (("CanonicalUser", "79a59df9"),)),
        ({"AWS": ["*", "111122223333"]}, True, (("AWS", "111122223333"),)),
        (
            {"AWS": "arn:aws:sts::1:assumed-role/R/s"},
            False,
            (("AWS", "arn:aws:sts::1:assumed-role/R/s"),),
        ),
    ],
)
def test_principal_forms(principal: Any, wildcard: bool, entries: tuple[Any, ...]) -> None:
    st = one(stmt(Principal=principal))
    assert st.principal == Principals(wildcard, entries)
    assert not st.principal_negated
    assert st.principal.values("AWS") == tuple(v for t, v in entries if t == "AWS")


def test_not_principal() -> None:
    st = one(stmt(Principal=None, NotPrincipal={"AWS": "arn:aws:iam::1:root"}, Effect="Deny"))
    assert st.principal_negated and st.principal.entries == (("AWS", "arn:aws:iam::1:root"),)


@pytest.mark.parametrize(
    ("elem", "value", "expected"),
    [
        ("Action", "kms:Decrypt", ("kms:Decrypt",)),
        ("Action", ["kms:Decrypt", "kms:Describe*"], ("kms:Decrypt", "kms:Describe*")),
        ("Action", "*", ("*",)),
        ("Action", "kms:?ecrypt", ("kms:?ecrypt",)),
        ("NotAction", ["kms:ScheduleKeyDeletion"], ("kms:ScheduleKeyDeletion",)),
    ],
)
def test_action_forms(elem: str, value: Any, expected: tuple[str, ...]) -> None:
    st = one(stmt(**{"Action": None, elem: value}))
    assert st.actions == expected
    assert st.actions_negated is (elem == "NotAction")


@pytest.mark.parametrize(
    ("elem", "value", "expected"),
    [
        ("Resource", "*", ("*",)),
        ("Resource", KEY, (KEY,)),
        (
            "Resource",
            [KEY, "arn:aws:kms:*:111122223333:key/*"],
            (KEY, "arn:aws:kms:*:111122223333:key/*"),
        ),
        ("NotResource", KEY, (KEY,)),
    ],
)
def test_resource_forms(elem: str, value: Any, expected: tuple[str, ...]) -> None:
    st = one(stmt(**{"Resource": None, elem: value}))
    assert st.resources == expected
    assert st.resources_negated is (elem == "NotResource")


def test_condition_values_keep_aws_spelling() -> None:
    st = one(
        stmt(
            Condition={
                "StringEquals": {"kms:CallerAccount": "444455556666", "kms:ViaService": ["a", "b"]},
                "Bool": {"kms:GrantIsForAWSResource": True},
                "NumericLessThan": {"aws:MultiFactorAuthAge": 3600, "x:Float": 1.5},
                "Null": {"kms:ViaService": False},
            }
        )
    )
    got = {(c.operator, c.key): (c.values, c.path) for c in st.conditions}
    assert got[("StringEquals", "kms:CallerAccount")] == (
        ("444455556666",),
        "Statement[0].Condition.StringEquals.kms:CallerAccount",
    )
    assert got[("StringEquals", "kms:ViaService")][0] == ("a", "b")
    assert got[("Bool", "kms:GrantIsForAWSResource")][0] == ("true",)
    assert got[("NumericLessThan", "aws:MultiFactorAuthAge")][0] == ("3600",)
    assert got[("NumericLessThan", "x:Float")][0] == ("1.5",)
    assert got[("Null", "kms:ViaService")][0] == ("false",)


@pytest.mark.parametrize("base", sorted(spec[0] for spec in BASE_OPERATORS.values()))
@pytest.mark.parametrize("prefix", ["", "ForAnyValue:", "ForAllValues:"])
@pytest.mark.parametrize("suffix", ["", "IfExists"])
def test_every_operator_spelling(base: str, prefix: str, suffix: str) -> None:
    written = f"{prefix}{base}{suffix}"
    spec = parse_operator(written)
    if base == "Null" and suffix:
        assert spec is None  # NullIfExists is not an operator
        return
    assert spec is not None and spec.base == base
    assert spec.if_exists is bool(suffix)
    assert spec.set_operator == (prefix[:-1] or None)
    value = "true" if base == "Null" else "x"
    st = one(stmt(Condition={written: {"aws:SourceIp": value}}))
    assert st.conditions[0].operator == written


def test_operator_spelling_is_case_insensitive() -> None:
    spec = parse_operator("forallvalues:stringlikeifexists")
    assert spec is not None and (spec.base, spec.set_operator, spec.if_exists) == (
        "StringLike",
        "ForAllValues",
        True,
    )


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("identity", {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}),
        ("scp", {"Effect": "Deny", "Action": "kms:*"}),  # Resource defaults to "*"
        ("rcp", {"Effect": "Deny", "Principal": "*", "Action": "kms:*"}),
        ("rcp", {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        ("resource", stmt()),
    ],
)
def test_policy_kinds(kind: str, raw: dict[str, Any]) -> None:
    st = one(raw, kind)
    if kind in ("scp", "rcp"):
        assert st.resources == ("*",)


def test_sources_dict_text_bytes_bom_and_file(tmp_path: Path) -> None:
    d = doc(stmt(Sid="A"))
    text = json.dumps(d, indent=2)
    path = tmp_path / "policy.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    parsed = [
        parse_policy(d),
        parse_policy(text),
        parse_policy(text.encode()),
        parse_policy(b"\xef\xbb\xbf" + text.encode()),
        parse_policy(path),
    ]
    assert all(p.statements == parsed[0].statements for p in parsed)
    assert parsed[4].name == str(path)
    assert parsed[1].text == text and parsed[0].text is None


def test_size_limit_is_inclusive() -> None:
    d = doc(stmt(Sid="A"))
    base = len(json.dumps(d))
    d["Id"] = "x" * (KEY_POLICY_MAX_BYTES - base - len(', "Id": ""'))
    text = json.dumps(d)
    assert len(text.encode()) == KEY_POLICY_MAX_BYTES
    assert parse_policy(text).size == KEY_POLICY_MAX_BYTES


def test_allowed_characters() -> None:
    text = json.dumps(doc(stmt(Sid="Caf\u00e9")), ensure_ascii=False).replace(",", ",\t\r\n")
    assert parse_policy(text).statements[0].sid == "Caf\u00e9"
    assert parse_policy(doc(stmt(Sid="Caf\u00e9"))).statements[0].sid == "Caf\u00e9"


def test_size_limit_applies_to_key_policies_only() -> None:
    big = doc(stmt(Sid="A"), Id="x" * KEY_POLICY_MAX_BYTES)
    parse_policy(big, kind="resource")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (stmt(Action=None), "no-action"),
        (stmt(Resource=None), "no-resource"),
    ],
)
def test_key_policy_statements_kms_accepts_but_never_apply(raw: dict[str, Any], code: str) -> None:
    policy = parse_policy(doc(raw))
    assert codes(policy) == [code]
    assert policy.warnings[0].path == "Statement[0]"


def test_other_warnings() -> None:
    assert codes(parse_policy(doc())) == ["empty"]
    policy = parse_policy(doc(stmt(Condition={"StringEquals": {}, "StringLike": {"k:K": []}})))
    assert [w.path for w in policy.warnings] == [
        "Statement[0].Condition.StringEquals",
        "Statement[0].Condition.StringLike.k:K",
    ]


def test_warning_positions_for_text_input() -> None:
    text = (
        '{\n  "Statement": [\n    {"Effect": "Allow", "Principal": "*", "Action": "kms:*"}\n  ]\n}'
    )
    policy = parse_policy(text, name="p.json")
    by_code = {w.code: w for w in policy.warnings}
    assert by_code["no-resource"].line == 3 and by_code["no-resource"].column == 5
    assert str(by_code["no-resource"]).startswith("p.json:3:5: Statement[0]: warning:")


def test_document_is_kept_untouched() -> None:
    d = doc(stmt(Condition={"Bool": {"aws:SecureTransport": True}}))
    snapshot = json.dumps(d)
    policy = parse_policy(d)
    assert policy.document is d and json.dumps(policy.document) == snapshot
