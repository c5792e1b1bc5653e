"""AWS's own documented CreateGrant statement (Encryption page: ForAnyValue:StringEquals
kms:EncryptionContextKeys = aws:backup:backup-vault, Bool kms:GrantIsForAWSResource, StringLike
kms:ViaService backup.*.amazonaws.com) must not be failed by copyguard because of its
EncryptionContextKeys condition; and IAM-only condition keys in a key policy are CG901."""

from __future__ import annotations

from typing import Any

import pytest
from cg_factory import (
    ADMIN,
    DST,
    GRANT,
    SRC,
    SRC_VAULT,
    base,
    check,
    codes,
    finding,
    root,
    use_stmt,
)

from copyguard.evaluate.lint import lint_policy
from copyguard.policy import parse_policy

DOCUMENTED_GRANT: dict[str, Any] = {
    "Sid": "Allow AWS Backup to create grants",
    "Effect": "Allow",
    "Principal": {"AWS": root(DST)},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {
        "ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "aws:backup:backup-vault"},
        "Bool": {"kms:GrantIsForAWSResource": True},
        "StringLike": {"kms:ViaService": "backup.*.amazonaws.com"},
    },
}
OTHER_GRANTS: dict[str, Any] = {
    "Sid": "Grants",
    "Effect": "Allow",
    "Principal": {"AWS": root(DST)},
    "Action": [g for g in GRANT if g != "kms:CreateGrant"],
    "Resource": "*",
    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [ADMIN, use_stmt([root(DST)]), DOCUMENTED_GRANT, OTHER_GRANTS],
}


def _fully_managed(rtype: str) -> dict[str, Any]:
    """A copy of a fully managed type whose source vault key carries ``POLICY``."""
    doc = base()
    src_key = doc["keys"][0]
    src_key["policy"] = POLICY
    doc["vaults"].append({"arn": SRC_VAULT, "key": src_key["arn"]})
    cp = doc["copies"][0]
    cp.update({"resource_type": rtype})
    cp.pop("resource_key", None)
    cp["resource_arn"] = {
        "S3": "arn:aws:s3:::orders-bucket",
        "EFS": f"arn:aws:elasticfilesystem:us-east-1:{SRC}:file-system/fs-0123456789abcdef0",
    }[rtype]
    return doc


@pytest.mark.parametrize("rtype", ["S3", "EFS"])
def test_the_documented_statement_is_not_failed_for_its_context_keys(rtype: str) -> None:
    report = check(_fully_managed(rtype))
    assert not {"CG101", "CG105"} & codes(report), [f.message.en for f in report.findings]
    assert report.verdict != "fail"


def test_the_documented_statement_lints_clean() -> None:
    policy = parse_policy(POLICY, kind="key")
    assert [i for i in lint_policy(policy) if i.severity == "error"] == []
    assert not [i for i in lint_policy(policy) if "EncryptionContextKeys" in i.message]


IAM_ONLY = [
    (
        "kms:ResourceAliases",
        {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/aws/backup"}},
    ),
    ("aws:ResourceTag/team", {"StringEquals": {"aws:ResourceTag/team": "backup"}}),
]


@pytest.mark.parametrize(("key", "condition"), IAM_ONLY)
def test_iam_only_condition_keys_in_a_key_policy_are_cg901(key: str, condition: Any) -> None:
    doc = base()
    policy = doc["keys"][0]["policy"]
    policy["Statement"][1]["Condition"] = condition
    report = check(doc)
    f = finding(report, "CG901")
    assert key in f.message.en and "KMS rejects" in f.message.en
    assert f.path == f"keys[0].policy.Statement[1].Condition.{next(iter(condition))}.{key}"
    assert f.resource == doc["keys"][0]["arn"]
    assert report.verdict == "fail"


def test_an_iam_only_key_in_an_identity_policy_is_fine() -> None:
    for key, condition in IAM_ONLY:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:DescribeKey",
                    "Resource": "*",
                    "Condition": condition,
                }
            ],
        }
        issues = lint_policy(parse_policy(document, kind="identity"))
        assert not [i for i in issues if i.code == "iam-only-condition-key"], key
