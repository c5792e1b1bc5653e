"""The source-key analysis takes its request contexts, kms:EncryptionContextKeys included,
from the knowledge layer (``copy_contexts``), and shows the inference it rests on.

AWS's Encryption page documents AWS Backup's CreateGrant statement: ForAnyValue:StringEquals
kms:EncryptionContextKeys = aws:backup:backup-vault, Bool kms:GrantIsForAWSResource and StringLike
kms:ViaService backup.*.amazonaws.com (facts sheet section 9). A fully managed copy whose source
vault key carries exactly that statement passes; a key the request does not carry never does.
(``test_encryption_context_keys.py`` covers linting and the IAM-only keys.)
"""

from __future__ import annotations

import copy as _copy
from typing import Any

import pytest
from cg_factory import (
    ADMIN,
    DST,
    GRANT,
    GRANT_TRUE,
    REGION,
    SLR,
    SRC,
    SRC_KEY,
    SRC_VAULT,
    USE,
    base,
    check,
    check_with_fixes,
    codes,
    finding,
)

from copyguard.checks import Options
from copyguard.report import render

EC_KEYS = "kms:EncryptionContextKeys"


def documented_grant(
    keys: str | list[str] = "aws:backup:backup-vault", operator: str = "ForAnyValue:StringEquals"
) -> dict[str, Any]:
    """AWS's documented CreateGrant statement for the destination's AWS Backup role."""
    return {
        "Sid": "Allow AWS Backup to create grants",
        "Effect": "Allow",
        "Principal": {"AWS": SLR},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            operator: {EC_KEYS: keys},
            "Bool": {"kms:GrantIsForAWSResource": "true"},
            "StringLike": {"kms:ViaService": "backup.*.amazonaws.com"},
        },
    }


def policy(grant: dict[str, Any], use: dict[str, Any] | None = None) -> dict[str, Any]:
    """The destination's SLR may use the key, list and revoke grants, and create them as
    ``grant`` says."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            ADMIN,
            use
            or {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": SLR},
                "Action": list(USE),
                "Resource": "*",
            },
            grant,
            {
                "Sid": "Other grant operations",
                "Effect": "Allow",
                "Principal": {"AWS": SLR},
                "Action": [g for g in GRANT if g != "kms:CreateGrant"],
                "Resource": "*",
                "Condition": GRANT_TRUE,
            },
        ],
    }


RESOURCES = {
    "S3": "arn:aws:s3:::orders-bucket",
    "EFS": f"arn:aws:elasticfilesystem:{REGION}:{SRC}:file-system/fs-0123456789abcdef0",
}


def fully_managed(rtype: str, key_policy: dict[str, Any]) -> dict[str, Any]:
    """A cross-account copy of a fully managed type: its source key is the source vault's."""
    doc = base(_copy.deepcopy(key_policy))
    doc["vaults"].append({"arn": SRC_VAULT, "key": SRC_KEY})
    cp = doc["copies"][0]
    cp.pop("resource_key", None)
    cp.update({"name": f"{rtype.lower()}-to-central", "resource_type": rtype})
    cp["resource_arn"] = RESOURCES[rtype]
    return doc


def actions_of(report: Any, code: str) -> dict[str, str]:
    table: dict[str, str] = finding(report, code).evidence["actions"]
    return table


@pytest.mark.parametrize("rtype", ["S3", "EFS"])
def test_the_documented_create_grant_statement_passes(rtype: str) -> None:
    report = check(fully_managed(rtype, policy(documented_grant())))
    assert report.verdict == "pass", [(f.code, f.message.en) for f in report.findings]
    assert not {"CG101", "CG105", "CG902"} & codes(report)


@pytest.mark.parametrize("rtype", ["S3", "EFS"])
def test_the_inference_the_pass_rests_on_is_shown(rtype: str) -> None:
    report = check(fully_managed(rtype, policy(documented_grant())))
    name = f"{rtype.lower()}-to-central"
    notes = [a for a in report.assumptions if "aws:backup:backup-vault" in a.en]
    assert len(notes) == 1
    assert notes[0].en.startswith(f"{name}: kms:CreateGrant through backup.{REGION}.amazonaws.com")
    assert "INFERENCE" in notes[0].en and "推断" in notes[0].zh
    assert "aws:backup:backup-vault" in notes[0].zh
    # the kms:ViaService the grant call is taken to carry is an inference too, and said so
    assert any(f"backup.{REGION}.amazonaws.com (INFERENCE" in a.en for a in report.assumptions)
    # every format shows it
    as_json = report.to_dict("en")["assumptions"]
    assert any("aws:backup:backup-vault" in a for a in as_json)
    text = render(report, "text", "en", tool_version="0")
    assert "aws:backup:backup-vault" in text
    assert "aws:backup:backup-vault" in render(report, "markdown", "zh", tool_version="0")


def test_no_note_when_the_policy_does_not_test_encryption_context_keys() -> None:
    grant = documented_grant()
    del grant["Condition"]["ForAnyValue:StringEquals"]
    del grant["Condition"]["StringLike"]
    report = check(fully_managed("S3", policy(grant)))
    assert report.verdict == "pass"
    # no note on encryption context (the vault-type note is about the input, not the request)
    assert [a for a in report.assumptions if "vault_type" not in a.en] == []


@pytest.mark.parametrize(
    ("operator", "keys"),
    [
        ("ForAnyValue:StringEquals", "aws:foo"),
        ("ForAllValues:StringEquals", "aws:foo"),  # the request's key is not among them
        ("ForAnyValue:StringLike", "aws:ebs:*"),
    ],
)
def test_a_key_the_backup_request_does_not_carry_fails(operator: str, keys: Any) -> None:
    report = check(fully_managed("S3", policy(documented_grant(keys, operator))))
    assert report.verdict == "fail"
    assert actions_of(report, "CG101")["kms:CreateGrant"] == "implicit_deny"
    assert "CG902" not in codes(report)


def test_pinning_the_keys_with_context_overrides_the_inference() -> None:
    doc = fully_managed("S3", policy(documented_grant()))
    report = check(doc, Options(context={EC_KEYS: ["aws:foo"]}))
    assert actions_of(report, "CG101")["kms:CreateGrant"] == "implicit_deny"
    pinned = check(doc, Options(context={EC_KEYS: ["aws:backup:backup-vault"]}))
    assert pinned.verdict == "pass"


def test_ebs_with_the_documented_statement_still_fails() -> None:
    """EBS's grant calls come through EC2 (ec2.REGION.amazonaws.com), not AWS Backup."""
    doc = base(policy(documented_grant()))
    report = check(doc)
    assert report.verdict == "fail"
    assert actions_of(report, "CG101")["kms:CreateGrant"] == "implicit_deny"
    cg105 = finding(report, "CG105")
    assert cg105.evidence["actions"] == ["kms:CreateGrant"]
    assert any("ViaService" in c for c in cg105.evidence["conditions"])


def test_ebs_calls_carry_aws_ebs_id_as_the_managed_policy_implies() -> None:
    """AWSBackupServiceRolePolicyForBackup allows ReEncrypt*/GenerateDataKeyWithoutPlaintext
    through EC2 only with aws:ebs:id: a statement written the same way passes, with the note."""
    ebs_only = ["kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext"]
    use = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": {"AWS": SLR},
        "Action": [
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyPair",
            "kms:GenerateDataKeyPairWithoutPlaintext",
        ],
        "Resource": "*",
    }
    ebs = {
        "Sid": "Through EC2 for EBS volumes",
        "Effect": "Allow",
        "Principal": {"AWS": SLR},
        "Action": ebs_only,
        "Resource": "*",
        "Condition": {"ForAnyValue:StringEquals": {EC_KEYS: "aws:ebs:id"}},
    }
    grant = {
        "Sid": "Grants",
        "Effect": "Allow",
        "Principal": {"AWS": SLR},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": GRANT_TRUE,
    }
    doc_policy = policy(grant, use)
    doc_policy["Statement"].append(ebs)
    report = check(base(doc_policy))
    assert report.verdict == "pass", [(f.code, f.message.en) for f in report.findings]
    notes = [a.en for a in report.assumptions if "aws:ebs:id" in a.en]
    assert sorted(n.split(" through ")[0].split(": ")[1] for n in notes) == sorted(ebs_only)


def test_undocumented_encryption_context_keys_are_never_a_pass() -> None:
    """AWS documents no encryption context keys for S3's Decrypt: assuming "none" would let a
    ForAllValues condition hold vacuously, so the verdict is unknown, with the cases in words."""
    use = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": {"AWS": SLR},
        "Action": list(USE),
        "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {EC_KEYS: "aws:foo"}},
    }
    report = check(fully_managed("S3", policy(documented_grant(), use)))
    assert report.verdict == "unknown"
    f = finding(report, "CG902")
    assert f.evidence["actions"]["kms:Decrypt"] == "depends"
    assert f.evidence["actions"]["kms:DescribeKey"] == "allowed"  # carries no such key
    assert "a key the policy does not name" in f.message.en


def test_the_key_policy_fix_is_proved_under_the_knowledge_contexts() -> None:
    doc = fully_managed("S3", policy(documented_grant("aws:foo")))
    report = check_with_fixes(doc)
    (fix,) = [x for x in report.fixes if x.kind == "key-policy"]
    assert fix.resource == SRC_KEY
    fixed = _copy.deepcopy(doc)
    fixed["keys"][0]["policy"] = fix.policy
    after = check(fixed)
    assert after.verdict == "pass", [(f.code, f.message.en) for f in after.findings]
    assert DST in str(fix.policy)
