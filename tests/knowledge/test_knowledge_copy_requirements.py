from __future__ import annotations

import pytest

from copyguard.knowledge import (
    copy_contexts,
    copy_requirements,
    expand_action_pattern,
    kms_action,
)

DEST = "444455556666"
SLR = f"arn:aws:iam::{DEST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"


def test_destination_principals() -> None:
    req = copy_requirements()
    assert req.destination_slr_arn(DEST) == SLR
    assert req.destination_root_arn(DEST) == f"arn:aws:iam::{DEST}:root"
    assert req.default_principal == "root"


def test_use_and_grant_actions() -> None:
    req = copy_requirements()
    assert set(req.use_actions) == {
        "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
        "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
    }  # fmt: skip
    assert set(req.grant_actions) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
    assert req.grant_condition == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert set(req.recommended_actions) == set(req.use_actions) | set(req.grant_actions)
    for item in req.actions:
        assert kms_action(item.action) is not None


def test_generate_data_key_is_not_in_the_kc_list() -> None:
    item = copy_requirements().action("kms:GenerateDataKey")
    assert item is not None
    assert (item.in_kc_list, item.in_kc_template) == (False, True)


EVIDENCED = {
    "kms:DescribeKey", "kms:CreateGrant", "kms:ListGrants", "kms:ReEncryptFrom",
    "kms:GenerateDataKeyWithoutPlaintext",
}  # fmt: skip


@pytest.mark.parametrize(
    ("rtype", "expected"),
    [
        ("EBS", EVIDENCED),
        ("EC2", EVIDENCED),
        ("RDS", EVIDENCED),
        ("aurora", EVIDENCED),
        ("DocDB", EVIDENCED),
        ("FSx", EVIDENCED),
        ("S3", set()),
        ("EFS", set()),
        ("NoSuchType", set()),
    ],
)
def test_evidenced_minimum(rtype: str, expected: set[str]) -> None:
    got = copy_requirements().minimum_actions(rtype)
    assert {a.action for a in got} == expected
    assert all(a.confidence == "inference" for a in got)


def test_template_covers_every_recommended_action() -> None:
    req = copy_requirements()
    statements = req.key_policy_statements(f"arn:aws:iam::{DEST}:root")
    assert [s["Principal"] for s in statements] == [{"AWS": f"arn:aws:iam::{DEST}:root"}] * 2
    covered = {name for s in statements for p in s["Action"] for name in expand_action_pattern(p)}
    assert set(req.recommended_actions) <= covered
    assert statements[1]["Condition"] == req.grant_condition


def test_policy_documents_are_fresh_copies() -> None:
    req = copy_requirements()
    doc = req.destination_slr_policy
    doc["Statement"].clear()
    assert len(req.destination_slr_policy["Statement"]) == 3
    sids = [s["Sid"] for s in req.destination_slr_policy["Statement"]]
    assert sids == ["KMSDescribePermissions", "KMSGrantPermissions", "KMSCreateGrantPermissions"]
    role = req.source_copy_role_policy
    actions = {
        a
        for s in role["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "backup:CopyIntoBackupVault" in actions


def test_slr_policy_via_services() -> None:
    req = copy_requirements()
    grant = req.destination_slr_policy["Statement"][2]
    assert grant["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grant["Condition"]["StringLike"]["kms:ViaService"] == [
        "ec2.*.amazonaws.com", "rds.*.amazonaws.com", "fsx.*.amazonaws.com",
    ]  # fmt: skip
    assert req.slr_via_services == ("ec2", "rds", "fsx")


@pytest.mark.parametrize(
    ("rtype", "action", "vias", "pinned"),
    [
        ("EBS", "kms:CreateGrant", ["ec2.us-east-1.amazonaws.com"], True),
        ("EC2", "kms:ReEncryptFrom", ["ec2.us-east-1.amazonaws.com"], True),
        ("EBS", "kms:DescribeKey", ["ec2.us-east-1.amazonaws.com", None], False),
        ("RDS", "kms:CreateGrant", ["rds.us-east-1.amazonaws.com"], True),
        ("DocDB", "kms:ListGrants", ["rds.us-east-1.amazonaws.com"], True),
        ("Neptune", "kms:GenerateDataKeyWithoutPlaintext", ["rds.us-east-1.amazonaws.com"], True),
        ("FSx", "kms:CreateGrant", ["fsx.us-east-1.amazonaws.com"], True),
        ("Storage Gateway", "kms:CreateGrant", ["ec2.us-east-1.amazonaws.com", None], False),
        ("Redshift", "kms:CreateGrant", ["redshift.us-east-1.amazonaws.com", None], False),
        ("S3", "kms:Decrypt", ["backup.us-east-1.amazonaws.com", None], False),
        # AWS documents AWS Backup's CreateGrant only through backup.*.amazonaws.com (S-ENC)
        ("EFS", "kms:CreateGrant", ["backup.us-east-1.amazonaws.com"], False),
        ("DynamoDB", "kms:CreateGrant", ["backup.us-east-1.amazonaws.com"], False),
        ("EFS", "kms:ListGrants", ["backup.us-east-1.amazonaws.com", None], False),
        ("EKS", "kms:DescribeKey", ["backup.us-east-1.amazonaws.com", None], False),
    ],
)
def test_copy_contexts(rtype: str, action: str, vias: list[str | None], pinned: bool) -> None:
    alts = copy_contexts(rtype, action, "us-east-1", DEST, "o-exampleorg1", SLR)
    assert [a.context.get("kms:ViaService") for a in alts] == vias
    assert all(bool(a.assumption) is not pinned for a in alts)
    for alt in alts:
        ctx = alt.context
        assert ctx["kms:CallerAccount"] == DEST
        assert ctx["aws:PrincipalAccount"] == DEST
        assert ctx["aws:PrincipalArn"] == SLR
        assert ctx["aws:PrincipalOrgID"] == "o-exampleorg1"
        assert ctx["aws:PrincipalIsAWSService"] == "false"
        grant = action in ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
        assert ("kms:GrantIsForAWSResource" in ctx) is grant
        if grant:
            assert ctx["kms:GrantIsForAWSResource"] == "true"


def test_fully_managed_alternatives_say_unconfirmed() -> None:
    for alt in copy_contexts("S3", "kms:Decrypt", "eu-west-1", DEST, None, SLR):
        assert "UNCONFIRMED" in alt.assumption
    dynamo = copy_contexts("DynamoDB", "kms:Decrypt", "eu-west-1", DEST, None, SLR)
    assert all("ResourceTypeManagementPreference" in a.assumption for a in dynamo)


def test_org_id_absent_when_unknown() -> None:
    alts = copy_contexts("EBS", "kms:CreateGrant", "us-east-1", DEST, None, SLR)
    assert "aws:PrincipalOrgID" not in alts[0].context


@pytest.mark.parametrize(
    ("rtype", "action"),
    [("Lambda", "kms:CreateGrant"), ("EBS", "s3:GetObject"), ("EBS", "kms:NoSuch")],
)
def test_copy_contexts_rejects_unknown_input(rtype: str, action: str) -> None:
    with pytest.raises(ValueError):
        copy_contexts(rtype, action, "us-east-1", DEST, None, SLR)


def test_contexts_are_independent() -> None:
    first = copy_contexts("EBS", "kms:DescribeKey", "us-east-1", DEST, None, SLR)
    first[0].context["kms:CallerAccount"] = "000000000000"
    again = copy_contexts("EBS", "kms:DescribeKey", "us-east-1", DEST, None, SLR)
    assert again[0].context["kms:CallerAccount"] == DEST


# --- kms:EncryptionContextKeys (facts sheet section 9) ------------------------------------

# AWS's documented CreateGrant statement (Encryption page), for the destination account.
DOCUMENTED_GRANT = {
    "Sid": "Allow AWS Backup to create grants",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{DEST}:root"},
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {
        "ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "aws:backup:backup-vault"},
        "Bool": {"kms:GrantIsForAWSResource": True},
        "StringLike": {"kms:ViaService": "backup.*.amazonaws.com"},
    },
}


def test_backup_grant_requests_carry_the_documented_encryption_context_key() -> None:
    alts = copy_contexts("S3", "kms:CreateGrant", "eu-west-1", DEST, None, SLR)
    via_backup = [a for a in alts if a.context.get("kms:ViaService")]
    assert via_backup[0].context["kms:EncryptionContextKeys"] == ["aws:backup:backup-vault"]
    assert "INFERENCE" in via_backup[0].encryption_context
    assert len(alts) == 1 and "INFERENCE" in alts[0].assumption  # no direct CreateGrant
    direct = [
        a
        for a in copy_contexts("S3", "kms:Decrypt", "eu-west-1", DEST, None, SLR)
        if not a.context.get("kms:ViaService")
    ]
    assert "kms:EncryptionContextKeys" not in direct[0].context
    assert "does not document" in direct[0].encryption_context


def test_ebs_calls_carry_aws_ebs_id_and_undocumented_ones_say_so() -> None:
    (reencrypt,) = copy_contexts("EBS", "kms:ReEncryptFrom", "us-east-1", DEST, None, SLR)
    assert reencrypt.context["kms:EncryptionContextKeys"] == ["aws:ebs:id"]
    assert reencrypt.assumption == ""  # the ViaService is still pinned
    (grant,) = copy_contexts("EBS", "kms:CreateGrant", "us-east-1", DEST, None, SLR)
    assert "kms:EncryptionContextKeys" not in grant.context
    assert "AWS does not document" in grant.encryption_context


def test_the_documented_statement_allows_aws_backups_grant_request() -> None:
    from copyguard.evaluate import Request, evaluate_kms
    from copyguard.policy import parse_policy

    policy = parse_policy({"Version": "2012-10-17", "Statement": [DOCUMENTED_GRANT]}, kind="key")
    # the caller's own IAM side, allowed here so that only the key policy's conditions decide
    identity = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*"}],
        },
        kind="identity",
    )
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    decisions = {}
    for alt in copy_contexts("S3", "kms:CreateGrant", "eu-west-1", DEST, None, SLR):
        request = Request(SLR, "kms:CreateGrant", key, alt.context)
        decisions[alt.context.get("kms:ViaService")] = evaluate_kms(
            request, policy, [identity]
        ).decision
    assert decisions == {"backup.eu-west-1.amazonaws.com": "allowed"}


def test_source_copy_role_policy_is_v30() -> None:
    sids = {s["Sid"] for s in copy_requirements().source_copy_role_policy["Statement"]}
    assert "KMSViaDSQL" in sids
