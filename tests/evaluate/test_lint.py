"""Semantic lint: what KMS accepts but cannot do what it seems to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from copyguard.evaluate.lint import lint_policies, lint_policy
from copyguard.policy import parse_policy


def lint(
    statement: dict[str, Any], kind: str = "key", version: str | None = "2012-10-17"
) -> list[Any]:
    base: dict[str, Any] = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    if kind in ("key", "resource"):
        base["Principal"] = {"AWS": "arn:aws:iam::111122223333:root"}
    base.update(statement)
    if "NotAction" in statement:
        del base["Action"]
    document: dict[str, Any] = {"Statement": [base]}
    if version:
        document["Version"] = version
    return list(lint_policy(parse_policy(document, kind=kind)))  # type: ignore[arg-type]


def codes(issues: list[Any]) -> list[str]:
    return [i.code for i in issues]


def test_clean_policy_has_no_warnings() -> None:
    issues = lint(
        {
            "Action": ["kms:CreateGrant", "kms:Describe*"],
            "Condition": {
                "Bool": {"kms:GrantIsForAWSResource": "true"},
                "StringLike": {"kms:ViaService": "backup.*.amazonaws.com"},
                "StringEquals": {"kms:CallerAccount": "444455556666", "aws:PrincipalOrgID": "o-1"},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-1/*"},
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"},
            },
        }
    )
    assert issues == []


@pytest.mark.parametrize(
    ("statement", "code", "path"),
    [
        ({"Action": "kms:Decrpyt"}, "unknown-action", "Statement[0].Action"),
        ({"Action": ["kms:Decrypt", "kms:Foo*"]}, "unknown-action", "Statement[0].Action[1]"),
        ({"Action": ["s3:GetObject"]}, "non-kms-action", "Statement[0].Action[0]"),
        ({"NotAction": "kms:Nothing"}, "unknown-action", "Statement[0].NotAction"),
        (
            {"Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
            "key-never-present",
            "Statement[0].Condition.Bool.kms:GrantIsForAWSResource",
        ),
        (
            {
                "Action": "kms:Decrypt",
                "Condition": {"StringEquals": {"kms:GrantOperations": "Decrypt"}},
            },
            "key-never-present",
            "Statement[0].Condition.StringEquals.kms:GrantOperations",
        ),
        (
            {"Condition": {"StringEquals": {"kms:GrantIsForAWSResource": "true"}}},
            "operator-type-mismatch",
            "Statement[0].Condition.StringEquals.kms:GrantIsForAWSResource",
        ),
        (
            {"Condition": {"NumericLessThan": {"kms:CallerAccount": "5"}}},
            "operator-type-mismatch",
            "Statement[0].Condition.NumericLessThan.kms:CallerAccount",
        ),
        (
            {"Condition": {"ArnLike": {"kms:ViaService": "arn:aws:*:*:*:*"}}},
            "operator-type-mismatch",
            "Statement[0].Condition.ArnLike.kms:ViaService",
        ),
        (
            {"Condition": {"StringEquals": {"kms:ViaService": "ec2.amazonaws.com"}}},
            "viaservice-without-region",
            "Statement[0].Condition.StringEquals.kms:ViaService",
        ),
        (
            {
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": ["ec2.us-east-1.amazonaws.com", "rds.amazonaws.com"]
                    }
                }
            },
            "viaservice-without-region",
            "Statement[0].Condition.StringEquals.kms:ViaService[1]",
        ),
        (
            {"Condition": {"StringEquals": {"kms:CallerAcount": "1"}}},
            "unknown-condition-key",
            "Statement[0].Condition.StringEquals.kms:CallerAcount",
        ),
        (
            {"Condition": {"StringLike": {"aws:PrincipalOrgPaths": "o-1/*"}}},
            "multivalued-without-set-operator",
            "Statement[0].Condition.StringLike.aws:PrincipalOrgPaths",
        ),
        (
            {"Condition": {"ForAllValues:StringEquals": {"kms:CallerAccount": "1"}}},
            "set-operator-on-single-valued",
            "Statement[0].Condition.ForAllValues:StringEquals.kms:CallerAccount",
        ),
        (
            {"Condition": {"Bool": {"aws:SecureTransport": "yes"}}},
            "invalid-condition-value",
            "Statement[0].Condition.Bool.aws:SecureTransport",
        ),
        (
            {"Condition": {"DateLessThan": {"aws:CurrentTime": "next year"}}},
            "invalid-condition-value",
            "Statement[0].Condition.DateLessThan.aws:CurrentTime",
        ),
        (
            {"Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.300"]}}},
            "invalid-condition-value",
            "Statement[0].Condition.IpAddress.aws:SourceIp[1]",
        ),
        (
            {"Condition": {"ArnLike": {"aws:PrincipalArn": "role/*"}}},
            "invalid-condition-value",
            "Statement[0].Condition.ArnLike.aws:PrincipalArn",
        ),
    ],
)
def test_warning(statement: dict[str, Any], code: str, path: str) -> None:
    issues = lint(statement)
    found = [i for i in issues if i.code == code]
    assert found, [str(i) for i in issues]
    assert found[0].path == path
    assert found[0].severity == "warning" and found[0].message


def test_key_present_for_some_actions_is_fine() -> None:
    issues = lint(
        {
            "Action": ["kms:Decrypt", "kms:CreateGrant"],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        }
    )
    assert "key-never-present" not in codes(issues)


def test_not_action_presence_uses_the_remaining_actions() -> None:
    issues = lint(
        {
            "NotAction": "kms:CreateGrant",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        }
    )
    assert "key-never-present" not in codes(issues)  # ListGrants and RevokeGrant carry it too
    issues = lint({"Action": "kms:*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
    assert "key-never-present" not in codes(issues)


def test_global_keys_are_present_for_every_action() -> None:
    assert lint({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}) == []


def test_variables_are_not_invalid_values() -> None:
    assert (
        lint({"Condition": {"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}}})
        == []
    )


def test_non_kms_actions_only_warned_in_key_policies() -> None:
    assert "non-kms-action" not in codes(lint({"Action": "s3:GetObject"}, kind="identity"))


def test_wildcard_viaservice_is_fine() -> None:
    assert lint({"Condition": {"StringLike": {"kms:ViaService": "*.amazonaws.com"}}}) == []


def test_positions_for_text_input() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "ec2.amazonaws.com"}},
            }
        ],
    }
    text = json.dumps(document, indent=2)
    (issue,) = lint_policy(parse_policy(text, name="kp.json"))
    assert issue.source == "kp.json" and issue.line is not None and issue.column is not None
    assert "kms:ViaService" in text.splitlines()[issue.line - 1]
    assert issue.to_dict()["line"] == issue.line


def test_lint_policies_by_name() -> None:
    p = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "kms:Nope", "Resource": "*"}
            ],
        },
        name="kp",
    )
    assert list(lint_policies([p])) == ["kp"]


@pytest.mark.parametrize(
    ("condition", "key"),
    [
        (
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/aws/backup"}},
            "kms:ResourceAliases",
        ),
        ({"StringEquals": {"kms:resourcealiases": "alias/x"}}, "kms:resourcealiases"),
        ({"StringEquals": {"aws:ResourceTag/team": "backup"}}, "aws:ResourceTag/team"),
        ({"Null": {"aws:ResourceTag/owner": "false"}}, "aws:ResourceTag/owner"),
    ],
)
def test_iam_only_condition_keys_are_an_error_in_a_key_policy(condition: Any, key: str) -> None:
    issues = lint({"Condition": condition})
    (found,) = [i for i in issues if i.code == "iam-only-condition-key"]
    assert found.severity == "error"
    assert key in found.message and "KMS rejects" in found.message
    assert found.path == f"Statement[0].Condition.{next(iter(condition))}.{key}"
    # the same condition in an IAM policy is what AWS documents: no error there
    assert not [i for i in lint({"Condition": condition}, kind="identity") if i.severity == "error"]


def test_iam_only_condition_key_error_has_its_line_in_text() -> None:
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ResourceAliases": "alias/x"}},
                }
            ],
        },
        indent=2,
    )
    (found,) = [
        i for i in lint_policy(parse_policy(text, kind="key")) if i.code == "iam-only-condition-key"
    ]
    assert found.line is not None and found.line > 1
