"""CG206-CG210 (and CG204's 7-day floor): copies into and out of logically air-gapped vaults."""

from __future__ import annotations

import copy as _copy
from typing import Any

import pytest
from cg_factory import (
    DST,
    DST_KEY,
    REGION,
    SRC,
    SRC_KEY,
    SRC_VAULT,
    base,
    check,
    check_with_fixes,
    codes,
    finding,
    root,
)

from copyguard.checks import Options
from copyguard.scenario import ScenarioError, build_scenario

ROLE = f"arn:aws:iam::{SRC}:role/service-role/AWSBackupDefaultServiceRole"
LAG_VAULT = f"arn:aws:backup:{REGION}:{DST}:backup-vault:air-gapped"
LAG = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
LAG_CODES = {"CG206", "CG207", "CG208", "CG209", "CG210"}
VIA = "backup.*.amazonaws.com"
LAG_USE = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
]


def admin(account: str) -> dict[str, Any]:
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": root(account)},
        "Action": "kms:*",
        "Resource": "*",
    }


def role_statements(principals: Any, via: str | None = VIA) -> list[dict[str, Any]]:
    """AWS's two statements for the copy role on a customer managed LAG key."""
    cond = {"StringLike": {"kms:ViaService": via}} if via else None
    use: dict[str, Any] = {
        "Sid": "Allow use of the key for copy",
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": LAG_USE,
        "Resource": "*",
    }
    grant: dict[str, Any] = {
        "Sid": "Allow AWS Backup to create grant on the key for copy",
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": ["kms:CreateGrant"],
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }
    if cond:
        use["Condition"] = cond
        grant["Condition"] = {**grant["Condition"], **cond}
    return [use, grant]


def lag_in(key: str = "aws-owned", **copy_fields: Any) -> dict[str, Any]:
    """The passing EBS cross-account copy of cg_factory, into a LAG vault instead."""
    doc = base()
    doc["vaults"].append(
        {
            "arn": LAG_VAULT,
            "vault_type": LAG,
            "key": key,
            "access_policy": doc["vaults"][0]["access_policy"],
            "lock": {"min_retention_days": 7, "max_retention_days": 3650},
        }
    )
    doc["copies"][0]["destination_vault"] = LAG_VAULT
    doc["copies"][0]["iam_role_arn"] = ROLE
    doc["copies"][0].update(copy_fields)
    return doc


def with_dst_key_policy(doc: dict[str, Any], *statements: dict[str, Any]) -> dict[str, Any]:
    doc["keys"][1]["policy"] = {"Version": "2012-10-17", "Statement": [admin(DST), *statements]}
    return doc


def lag_codes(doc: dict[str, Any]) -> set[str]:
    return codes(check(doc)) & (LAG_CODES | {"CG204", "CG902"})


# -- into a LAG vault ---------------------------------------------------------------------------


def test_aws_owned_lag_destination_passes_without_unknowns() -> None:
    report = check(lag_in())
    assert report.verdict == "pass", [(f.code, f.message.en) for f in report.findings]


def test_aws_owned_key_implies_lag_without_vault_type() -> None:
    doc = lag_in()
    del doc["vaults"][1]["vault_type"]
    doc["keys"][0]["manager"] = "AWS"
    assert "CG206" in codes(check(doc))


@pytest.mark.parametrize("same_account", [True, False])
def test_cg206_aws_managed_resource_key(same_account: bool) -> None:
    doc = lag_in()
    doc["keys"][0]["manager"] = "AWS"
    doc["keys"][0]["aliases"] = ["alias/aws/ebs"]
    if same_account:
        vault = f"arn:aws:backup:{REGION}:{SRC}:backup-vault:air-gapped"
        doc["vaults"][1]["arn"] = vault
        doc["copies"][0]["destination_vault"] = vault
    report = check(doc)
    f = finding(report, "CG206")
    assert f.severity == "error" and f.evidence["reason"] == "aws-managed-key"
    assert f.path == "copies[0].resource_key"
    assert "cannot be copied to a logically air-gapped backup vault" in f.message.en
    assert report.verdict == "fail"


def test_cg206_not_for_fully_managed_types_on_aws_backup_key() -> None:
    doc = lag_in(resource_type="S3", resource_arn="arn:aws:s3:::bucket-1")
    doc["copies"][0]["resource_key"] = None
    doc["vaults"].append({"arn": SRC_VAULT, "key": None, "vault_type": "BACKUP_VAULT"})
    assert "CG206" not in codes(check(doc))


@pytest.mark.parametrize(("rtype", "expected"), [("Aurora", True), ("EBS", False)])
def test_cg206_unencrypted_aurora(rtype: str, expected: bool) -> None:
    arn = (
        f"arn:aws:rds:{REGION}:{SRC}:cluster:db-1"
        if rtype == "Aurora"
        else f"arn:aws:ec2:{REGION}:{SRC}:volume/vol-0123456789abcdef0"
    )
    doc = lag_in(resource_type=rtype, resource_arn=arn, resource_key=None)
    found = check(doc)
    assert ("CG206" in codes(found)) is expected
    if expected:
        assert finding(found, "CG206").evidence["reason"] == "unencrypted"


def test_cg206_unknown_manager_is_unknown() -> None:
    doc = lag_in()
    del doc["keys"][0]["manager"]
    del doc["keys"][0]["aliases"]
    report = check(doc)
    assert any(f.code == "CG902" and f.evidence["needed_for"] == "CG206" for f in report.findings)
    assert report.verdict == "unknown"


def test_cg207_lag_key_without_the_copy_role() -> None:
    doc = with_dst_key_policy(lag_in(key=DST_KEY))
    report = check(doc)
    f = finding(report, "CG207")
    assert f.resource == DST_KEY and f.evidence["principal"] == ROLE
    assert "kms:CreateGrant" in f.evidence["actions"] and "kms:Encrypt" in f.evidence["actions"]
    assert f.evidence["via_service"] == f"backup.{REGION}.amazonaws.com"
    assert f.fix is not None and f.fix.kind == "key-policy" and f.fix.applicability == "safe"


def test_cg207_passes_with_awss_statements() -> None:
    doc = with_dst_key_policy(lag_in(key=DST_KEY), *role_statements(ROLE))
    assert "CG207" not in codes(check(doc))
    # the source account's root delegates to its IAM (assumed to allow): allowed too
    doc = with_dst_key_policy(lag_in(key=DST_KEY), *role_statements(root(SRC)))
    assert "CG207" not in codes(check(doc))


def test_cg207_wrong_via_service_fails() -> None:
    doc = with_dst_key_policy(lag_in(key=DST_KEY), *role_statements(ROLE, "ec2.*.amazonaws.com"))
    assert "CG207" in codes(check(doc))


def test_cg207_explicit_deny_is_unsafe() -> None:
    deny = {
        "Sid": "No grants for the source",
        "Effect": "Deny",
        "Principal": {"AWS": ROLE},
        "Action": "kms:CreateGrant",
        "Resource": "*",
    }
    doc = with_dst_key_policy(lag_in(key=DST_KEY), *role_statements(ROLE), deny)
    f = finding(check(doc), "CG207")
    assert f.evidence["actions"] == {"kms:CreateGrant": "explicit_deny"}
    assert f.fix is not None and f.fix.applicability == "unsafe"


def test_cg207_unknown_copy_role() -> None:
    doc = with_dst_key_policy(lag_in(key=DST_KEY))
    del doc["copies"][0]["iam_role_arn"]
    report = check(doc)
    assert "CG207" not in codes(report)
    assert any(f.code == "CG902" and f.path == "copies[0].iam_role_arn" for f in report.findings)
    # with an AWS owned key no role is needed
    doc = lag_in()
    del doc["copies"][0]["iam_role_arn"]
    assert check(doc).verdict == "pass"


def test_cg207_unknown_lag_key() -> None:
    doc = lag_in()
    del doc["vaults"][1]["key"]
    report = check(doc)
    assert any(f.code == "CG902" and f.path == "vaults[1].key" for f in report.findings)


@pytest.mark.parametrize(("days", "locked"), [(3, False), (3, True), (7, False)])
def test_lag_retention_floor(days: int, locked: bool) -> None:
    doc = lag_in(lifecycle={"delete_after_days": days})
    if not locked:
        del doc["vaults"][1]["lock"]
    report = check(doc)
    cg204 = [f for f in report.findings if f.code == "CG204"]
    if days >= 7:
        assert not cg204
        return
    assert len(cg204) == 1  # once, whether the lock is given or not
    if not locked:
        assert "lifecycle is outside the valid range for backup vault" in cg204[0].message.en


@pytest.mark.parametrize(
    ("region", "cross", "reason"),
    [
        ("ca-west-1", False, "no-lag-vaults"),
        ("mx-central-1", True, "no-cross-copies"),
        ("mx-central-1", False, None),
    ],
)
def test_cg209_regions(region: str, cross: bool, reason: str | None) -> None:
    account = DST if cross else SRC
    vault = f"arn:aws:backup:{region}:{account}:backup-vault:air-gapped"
    src_vault = f"arn:aws:backup:{region}:{SRC}:backup-vault:local"
    doc = lag_in()
    doc["vaults"][1]["arn"] = vault
    doc["copies"][0]["destination_vault"] = vault
    doc["copies"][0]["source_vault"] = src_vault
    doc["copies"][0]["resource_arn"] = f"arn:aws:ec2:{region}:{SRC}:volume/vol-0123456789abcdef0"
    found = [f for f in check(doc).findings if f.code == "CG209"]
    assert [f.evidence["reason"] for f in found] == ([reason] if reason else [])


def test_cg209_aurora_cross_region() -> None:
    key = f"arn:aws:kms:eu-west-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    doc = lag_in(
        resource_type="Aurora",
        resource_arn=f"arn:aws:rds:eu-west-1:{SRC}:cluster:db-1",
        resource_key=key,
        source_vault=f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:local",
    )
    doc["keys"][0]["arn"] = key
    f = finding(check(doc), "CG209")
    assert f.evidence["reason"] == "type-no-cross-region"


# -- out of a LAG vault -------------------------------------------------------------------------

OUT_SRC = f"arn:aws:backup:{REGION}:{SRC}:backup-vault:air-gapped"


def lag_out(
    lag_policy: list[dict[str, Any]] | None, dest_key: str | None = DST_KEY
) -> dict[str, Any]:
    """A copy of an EBS recovery point out of SRC's CMK-encrypted LAG vault into DST's
    standard vault."""
    doc = base()
    doc["keys"][0]["policy"] = {
        "Version": "2012-10-17",
        "Statement": [admin(SRC), *(lag_policy or [])],
    }
    doc["vaults"].append({"arn": OUT_SRC, "vault_type": LAG, "key": SRC_KEY})
    doc["vaults"][0]["key"] = dest_key
    doc["copies"][0]["source_vault"] = OUT_SRC
    doc["copies"][0]["iam_role_arn"] = ROLE
    return doc


SLR_DST = f"arn:aws:iam::{DST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"


def test_cg208_lag_key_without_destination_slr() -> None:
    report = check(lag_out(role_statements(ROLE)))
    f = finding(report, "CG208")
    assert f.evidence["requirement"] == "destination-slr-on-lag-key"
    assert f.evidence["principal"] == SLR_DST and f.resource == SRC_KEY
    assert "CG101" not in codes(report)  # the LAG key is not judged twice
    assert "CG207" not in codes(report)  # the copy role (same account) is allowed


def test_copy_out_passes_with_awss_statements() -> None:
    report = check(lag_out(role_statements([ROLE, SLR_DST], via=None)))
    assert not (codes(report) & LAG_CODES), [(f.code, f.message.en) for f in report.findings]
    assert report.verdict == "pass"


def test_cg208_destination_on_aws_backup_key() -> None:
    doc = lag_out(role_statements([ROLE, SLR_DST], via=None), dest_key=None)
    doc["copies"][0].update(resource_type="S3", resource_arn="arn:aws:s3:::bucket-1")
    f = finding(check(doc), "CG208")
    assert f.evidence["requirement"] == "customer-managed-destination-key"
    assert "INFERENCE" in f.message.en and "INFERENCE" in f.message.zh


def test_cg210_shared_account_cannot_copy() -> None:
    doc = lag_out(role_statements([ROLE, SLR_DST], via=None))
    doc["copies"][0]["iam_role_arn"] = f"arn:aws:iam::{DST}:role/restore-operator"
    f = finding(check(doc), "CG210")
    assert f.evidence == {
        "vault_account": SRC,
        "copy_account": DST,
        "role": f"arn:aws:iam::{DST}:role/restore-operator",
    }


def test_aws_owned_lag_source_needs_no_key_statements() -> None:
    doc = lag_out(None)
    doc["vaults"][1]["key"] = "aws-owned"
    report = check(doc)
    assert not (codes(report) & LAG_CODES)
    assert "CG101" not in codes(report)


# -- classification and input -------------------------------------------------------------------


def test_lag_message_with_omitted_vault_type_is_unknown() -> None:
    doc = base()
    doc["copies"][0]["status_message"] = (
        "Backup job completed successfully to the target backup vault. This resource is "
        "encrypted with an AWS managed key and cannot be copied to a logically air-gapped "
        "backup vault."
    )
    report = check(doc)
    assert any(f.code == "CG902" and f.path == "vaults[0].vault_type" for f in report.findings)


def test_standard_copy_has_no_lag_findings() -> None:
    assert not (codes(check(base())) & LAG_CODES)


@pytest.mark.parametrize(
    ("vault", "path"),
    [
        ({"key": "aws-owned", "vault_type": "BACKUP_VAULT"}, "vaults[0].key"),
        (
            {"key": "aws-owned", "lock": {"min_retention_days": 3, "max_retention_days": 30}},
            "vaults[0].lock.min_retention_days",
        ),
        ({"key": "AWS-OWNED"}, "vaults[0].key"),
    ],
)
def test_bad_lag_vaults_are_input_errors(vault: dict[str, Any], path: str) -> None:
    doc = {"version": 1, "vaults": [{"arn": LAG_VAULT, **vault}]}
    with pytest.raises(ScenarioError) as err:
        build_scenario(doc)
    assert err.value.path == path


def test_quick_form_lists_lag_codes_as_not_run() -> None:
    report = check(lag_in(), Options(quick=True))
    assert {n.code for n in report.not_run} >= LAG_CODES


def test_lag_fix_is_proven() -> None:
    doc = with_dst_key_policy(lag_in(key=DST_KEY))
    report = check_with_fixes(doc)
    fixes = [fx for fx in report.fixes if fx.kind == "key-policy" and fx.resource == DST_KEY]
    assert len(fixes) == 1 and fixes[0].policy is not None
    assert fixes[0].verification["required_requests_allowed"] == 10
    assert fixes[0].verification["idempotent"] is True
    fixed = _copy.deepcopy(doc)
    fixed["keys"][1]["policy"] = fixes[0].policy
    assert "CG207" not in codes(check(fixed))


def test_copy_out_fix_names_the_destination_slr_and_proves_out() -> None:
    doc = lag_out(role_statements(ROLE))
    report = check_with_fixes(doc)
    fixes = [fx for fx in report.fixes if fx.kind == "key-policy" and fx.resource == SRC_KEY]
    assert len(fixes) == 1 and fixes[0].codes == ["CG208"]
    assert SLR_DST in fixes[0].diff
    fixed = _copy.deepcopy(doc)
    fixed["keys"][0]["policy"] = fixes[0].policy
    assert not (codes(check(fixed)) & LAG_CODES)


def test_lag_playbooks() -> None:
    doc = lag_in()
    doc["keys"][0]["manager"] = "AWS"
    report = check_with_fixes(doc)
    books = [fx for fx in report.fixes if fx.kind == "playbook" and fx.codes == ["CG206"]]
    assert len(books) == 1 and books[0].applicability == "display-only" and books[0].steps


def test_lag_to_lag_ignores_the_resource_key_and_checks_both_keys() -> None:
    doc = lag_in(key=DST_KEY)
    doc["keys"][0]["manager"] = "AWS"  # the original resource's key no longer matters
    doc["keys"][0]["aliases"] = ["alias/aws/ebs"]
    doc["vaults"].append({"arn": OUT_SRC, "vault_type": LAG, "key": "aws-owned"})
    doc["copies"][0]["source_vault"] = OUT_SRC
    with_dst_key_policy(doc)
    found = codes(check(doc))
    assert "CG206" not in found and "CG207" in found
