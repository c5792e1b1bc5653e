"""CG201-CG204 (destination vault, its key, its lock), CG301-CG302 (organization) and
CG401-CG402 (resource type): one parametrized table per check."""

from __future__ import annotations

from typing import Any

import pytest
from cg_factory import (
    DST,
    DST_KEY,
    MGMT,
    ORG,
    SRC,
    base,
    check,
    codes,
    finding,
    put,
    root,
)

from copyguard.checks import Options

COPY_INTO = "backup:CopyIntoBackupVault"


def _vault_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _vstmt(
    principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow"
) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal,
        "Action": COPY_INTO,
        "Resource": "*",
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


ORG_PATHS = {
    "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-11111111/*"]}
}
VAULT_TABLE: list[tuple[str, Any, dict[str, Any], set[str], str]] = [
    ("source-root", _vault_policy(_vstmt({"AWS": root(SRC)})), {}, set(), "pass"),
    ("source-bare-id", _vault_policy(_vstmt({"AWS": SRC})), {}, set(), "pass"),
    (
        "org-id-known",
        _vault_policy(_vstmt("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        {},
        set(),
        "pass",
    ),
    (
        "org-id-other",
        _vault_policy(_vstmt("*", {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg123"}})),
        {},
        {"CG201"},
        "fail",
    ),
    (
        "org-id-unknown",
        _vault_policy(_vstmt("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}})),
        {"organization": {"accounts": [MGMT, SRC, DST], "cross_account_backup_enabled": True}},
        {"CG902"},
        "unknown",
    ),
    ("org-paths-unknown", _vault_policy(_vstmt("*", ORG_PATHS)), {}, {"CG902"}, "unknown"),
    (
        "org-paths-known",
        _vault_policy(_vstmt("*", ORG_PATHS)),
        {
            "organization": {
                "id": ORG,
                "accounts": [MGMT, SRC, DST],
                "cross_account_backup_enabled": True,
                "paths": {SRC: [f"{ORG}/r-ab12/ou-ab12-11111111/"]},
            }
        },
        set(),
        "pass",
    ),
    ("other-account", _vault_policy(_vstmt({"AWS": root("999988887777")})), {}, {"CG201"}, "fail"),
    ("no-policy", None, {}, {"CG201"}, "fail"),
    (
        "deny-source",
        _vault_policy(
            _vstmt({"AWS": root(SRC)}),
            _vstmt("*", {"StringEquals": {"aws:PrincipalAccount": SRC}}, "Deny"),
        ),
        {},
        {"CG201"},
        "fail",
    ),
    (
        "named-role-unknown",
        _vault_policy(_vstmt({"AWS": f"arn:aws:iam::{SRC}:role/BackupCopyRole"})),
        {},
        {"CG902"},
        "unknown",
    ),
    (
        "named-role-known",
        _vault_policy(_vstmt({"AWS": f"arn:aws:iam::{SRC}:role/BackupCopyRole"})),
        {"copies.0.iam_role_arn": f"arn:aws:iam::{SRC}:role/BackupCopyRole"},
        set(),
        "pass",
    ),
]


@pytest.mark.parametrize(
    ("policy", "edits", "want", "verdict"),
    [t[1:] for t in VAULT_TABLE],
    ids=[t[0] for t in VAULT_TABLE],
)
def test_cg201_vault_access_policy(
    policy: Any, edits: dict[str, Any], want: set[str], verdict: str
) -> None:
    doc = put(base(), "vaults.0.access_policy", policy)
    for path, value in edits.items():
        doc = put(doc, path, value)
    report = check(doc)
    assert codes(report) == want, [f.message.en for f in report.findings]
    assert report.verdict == verdict


def test_cg201_deny_is_an_unsafe_fix_and_no_policy_a_safe_one() -> None:
    deny = put(
        base(),
        "vaults.0.access_policy",
        _vault_policy(
            _vstmt({"AWS": root(SRC)}),
            _vstmt("*", {"StringEquals": {"aws:PrincipalAccount": SRC}}, "Deny"),
        ),
    )
    f = finding(check(deny), "CG201")
    assert f.fix is not None and f.fix.applicability == "unsafe"
    assert f.evidence["decision"] == "explicit_deny"
    missing = finding(check(put(base(), "vaults.0.access_policy", None)), "CG201")
    assert missing.fix is not None and missing.fix.applicability == "safe"
    assert (
        "Access Denied trying to call AWS Backup service" in missing.message.en or missing.evidence
    )


# ---------------------------------------------------------------- CG202 / CG203

AWS_BACKUP = f"arn:aws:kms:us-east-1:{DST}:alias/aws/backup"
DEST_KEY_TABLE: list[tuple[str, str, Any, list[dict[str, Any]] | None, set[str]]] = [
    ("ebs-aws-backup-alias", "EBS", AWS_BACKUP, None, {"CG202"}),
    ("ebs-vault-key-null", "EBS", None, None, {"CG202"}),
    ("rds-aws-backup-alias", "RDS", AWS_BACKUP, None, {"CG202"}),
    (
        "ebs-aws-backup-key-by-alias-list",
        "EBS",
        "arn:aws:kms:us-east-1:444455556666:key/aaaa1111-2222-3333-4444-555566667777",
        [
            {
                "arn": "arn:aws:kms:us-east-1:444455556666:key/aaaa1111-2222-3333-4444-555566667777",
                "manager": "AWS",
                "state": "Enabled",
                "aliases": ["alias/aws/backup"],
            }
        ],
        {"CG202"},
    ),
    (
        "ebs-service-key-aws-ebs",
        "EBS",
        "arn:aws:kms:us-east-1:444455556666:key/bbbb1111-2222-3333-4444-555566667777",
        [
            {
                "arn": "arn:aws:kms:us-east-1:444455556666:key/bbbb1111-2222-3333-4444-555566667777",
                "manager": "AWS",
                "state": "Enabled",
                "aliases": ["alias/aws/ebs"],
            }
        ],
        set(),
    ),
    ("ebs-customer-key", "EBS", DST_KEY, None, set()),
]


@pytest.mark.parametrize(
    ("rtype", "vault_key", "extra_keys", "want"),
    [t[1:] for t in DEST_KEY_TABLE],
    ids=[t[0] for t in DEST_KEY_TABLE],
)
def test_cg202_destination_vault_key(
    rtype: str, vault_key: Any, extra_keys: Any, want: set[str]
) -> None:
    doc = put(put(base(), "copies.0.resource_type", rtype), "vaults.0.key", vault_key)
    if extra_keys:
        doc["keys"] += extra_keys
    assert codes(check(doc)) == want


def test_fully_managed_type_into_aws_backup_vault_passes() -> None:
    doc = base()
    doc["keys"][0].update({"manager": "AWS", "aliases": ["alias/aws/backup"]})
    doc["keys"][0].pop("policy")
    doc["vaults"][0]["key"] = AWS_BACKUP
    doc["vaults"].append(
        {
            "arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:local",
            "key": doc["keys"][0]["arn"],
            "lock": None,
        }
    )
    doc["copies"][0].update(
        {
            "resource_type": "EFS",
            "resource_arn": f"arn:aws:elasticfilesystem:us-east-1:{SRC}:file-system/fs-0123456789abcdef0",
        }
    )
    assert check(doc).verdict == "pass"


DENY_GRANT = {
    "Sid": "No grants",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "kms:CreateGrant",
    "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{DST}:role/platform/*"}},
}


@pytest.mark.parametrize(
    ("field", "value", "blocked"),
    [
        ("state", "Disabled", None),
        ("state", "PendingDeletion", None),
        (
            "policy",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": root(DST)},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    DENY_GRANT,
                ],
            },
            {"kms:CreateGrant": "explicit_deny"},
        ),
        (
            "policy",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": root("999988887777")},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            },
            "implicit",
        ),
    ],
)
def test_cg203_destination_key_not_usable(field: str, value: Any, blocked: Any) -> None:
    report = check(put(base(), f"keys.1.{field}", value))
    f = finding(report, "CG203")
    assert report.verdict == "fail"
    if blocked == "implicit":
        assert set(f.evidence["actions"].values()) == {"implicit_deny"}
    elif blocked:
        assert f.evidence["actions"] == blocked
    else:
        assert f.evidence == {"state": value}


# ---------------------------------------------------------------- CG204

LOCKS = [
    (
        "inside",
        {"min_retention_days": 7, "max_retention_days": 3650},
        {"delete_after_days": 35},
        set(),
    ),
    (
        "at-min",
        {"min_retention_days": 35, "max_retention_days": 3650},
        {"delete_after_days": 35},
        set(),
    ),
    ("below-min", {"min_retention_days": 90}, {"delete_after_days": 35}, {"CG204"}),
    (
        "above-max",
        {"min_retention_days": 1, "max_retention_days": 30},
        {"delete_after_days": 365},
        {"CG204"},
    ),
    ("forever-with-max", {"max_retention_days": 3650}, None, {"CG204"}),
    ("forever-min-only", {"min_retention_days": 7}, None, set()),
    (
        "no-delete-days",
        {"min_retention_days": 7, "max_retention_days": 30},
        {"move_to_cold_storage_after_days": 30},
        {"CG204", "CG404"},  # CG404: a cold-tier copy cannot be copied on to another account
    ),
    ("lock-null", None, {"delete_after_days": 36500}, set()),
]


@pytest.mark.parametrize(
    ("lock", "lifecycle", "want"), [t[1:] for t in LOCKS], ids=[t[0] for t in LOCKS]
)
def test_cg204_vault_lock_range(lock: Any, lifecycle: Any, want: set[str]) -> None:
    doc = put(put(base(), "vaults.0.lock", lock), "copies.0.lifecycle", lifecycle)
    report = check(doc)
    assert codes(report) == want
    if want:
        f = finding(report, "CG204")
        assert f.path == "copies[0].lifecycle"
        assert "not within the range" in f.message.en


# ---------------------------------------------------------------- CG301 / CG302

ORGS: list[tuple[str, Any, set[str], str]] = [
    (
        "member",
        {"id": ORG, "accounts": [MGMT, SRC, DST], "cross_account_backup_enabled": True},
        set(),
        "pass",
    ),
    (
        "destination-outside",
        {"id": ORG, "accounts": [MGMT, SRC], "cross_account_backup_enabled": True},
        {"CG301"},
        "fail",
    ),
    (
        "source-outside",
        {"id": ORG, "accounts": [MGMT, DST], "cross_account_backup_enabled": True},
        {"CG301"},
        "fail",
    ),
    ("no-organization", None, {"CG301"}, "fail"),
    ("org-id-null", {"id": None}, {"CG301"}, "fail"),
    (
        "setting-off",
        {"id": ORG, "accounts": [MGMT, SRC, DST], "cross_account_backup_enabled": False},
        {"CG302"},
        "fail",
    ),
    (
        "setting-off-string",
        {"id": ORG, "accounts": [MGMT, SRC, DST], "cross_account_backup_enabled": "false"},
        {"CG302"},
        "fail",
    ),
    ("setting-unknown", {"id": ORG, "accounts": [MGMT, SRC, DST]}, {"CG902"}, "unknown"),
    ("accounts-unknown", {"id": ORG, "cross_account_backup_enabled": True}, {"CG902"}, "unknown"),
]


@pytest.mark.parametrize(
    ("org", "want", "verdict"), [t[1:] for t in ORGS], ids=[t[0] for t in ORGS]
)
def test_cg301_cg302_organization(org: Any, want: set[str], verdict: str) -> None:
    report = check(put(base(), "organization", org))
    assert codes(report) == want
    assert report.verdict == verdict


def test_cg302_names_the_management_account_and_its_playbook() -> None:
    from copyguard.api import check_scenario
    from copyguard.scenario import build_scenario

    doc = put(base(), "organization.cross_account_backup_enabled", False)
    report = check_scenario(build_scenario(doc))
    f = finding(report, "CG302")
    assert MGMT in f.message.en
    (pb,) = [x for x in report.fixes if x.kind == "playbook" and "CG302" in x.codes]
    assert any(
        "update-global-settings" in c and "isCrossAccountBackupEnabled=true" in c
        for c in pb.commands
    )


# ---------------------------------------------------------------- CG401 / CG402

WEST_VAULT = f"arn:aws:backup:us-west-2:{DST}:backup-vault:central-west"
NOT_SUPPORTED = (
    "Copy job from us-east-1 to us-west-2 cannot be initiated for RDS resources. "
    "Feature is not supported for provided resource type."
)
TYPES: list[tuple[str, str, bool, str | None, set[str], str]] = [
    ("ebs-same-region", "EBS", False, None, set(), "pass"),
    ("ebs-cross-region", "EBS", True, None, set(), "pass"),
    ("fsx-ontap", "FSx:ONTAP", False, None, {"CG401"}, "fail"),
    ("rds-same-region", "RDS", False, None, set(), "pass"),
    # December 2026: RDS supports one copy that is both cross-Region and cross-account
    ("rds-cross-region", "RDS", True, None, set(), "pass"),
    ("rds-cross-region-observed", "RDS", True, NOT_SUPPORTED, {"CG402"}, "fail"),
    ("fsx-cross-region-unconfirmed", "FSx", True, None, {"CG902"}, "unknown"),
    ("redshift-no-cross-account", "Redshift", False, None, {"CG401"}, "fail"),
    ("redshift-serverless-no-cross-account", "Redshift Serverless", False, None, {"CG401"}, "fail"),
    ("unknown-type", "Floppy", False, None, {"CG902"}, "unknown"),
]


@pytest.mark.parametrize(
    ("rtype", "cross_region", "status", "want", "verdict"),
    [t[1:] for t in TYPES],
    ids=[t[0] for t in TYPES],
)
def test_cg401_cg402_resource_type(
    rtype: str, cross_region: bool, status: str | None, want: set[str], verdict: str
) -> None:
    doc = put(base(), "copies.0.resource_type", rtype)
    if cross_region:
        doc["vaults"][0]["arn"] = WEST_VAULT
        doc["copies"][0]["destination_vault"] = WEST_VAULT
    if status:
        doc["copies"][0]["status_message"] = status
    report = check(doc)
    assert codes(report) == want, [f.message.en for f in report.findings]
    assert report.verdict == verdict


def test_cg402_observed_cites_the_status_message() -> None:
    doc = put(base(), "copies.0.resource_type", "RDS")
    doc["vaults"][0]["arn"] = WEST_VAULT
    doc["copies"][0].update({"destination_vault": WEST_VAULT, "status_message": NOT_SUPPORTED})
    f = finding(check(doc), "CG402")
    assert f.evidence["observed"] == NOT_SUPPORTED
    assert (
        f.evidence["source_region"] == "us-east-1"
        and f.evidence["destination_region"] == "us-west-2"
    )


def test_options_context_does_not_leak_between_runs() -> None:
    opts = Options(context={"aws:PrincipalOrgID": ORG})
    check(base(), opts)
    assert opts.context == {"aws:PrincipalOrgID": ORG}
