"""Small in-memory scenarios for the check tables (spec section 3 shapes, realistic IDs).

``base()`` is a complete, passing EBS cross-account copy whose key policy names the
destination's AWSServiceRoleForBackup (so no CG106 note); the helpers return deep copies that
a test edits before ``build()``.
"""

from __future__ import annotations

import copy as _copy
from typing import Any

from copyguard import api
from copyguard.checks import Options, Report, run_checks
from copyguard.scenario import Scenario, build_scenario

SRC = "111122223333"
DST = "444455556666"
DST2 = "555566667777"
MGMT = "111111111111"
ORG = "o-exampleorg1"
REGION = "us-east-1"
SRC_KEY = f"arn:aws:kms:{REGION}:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DST_KEY = f"arn:aws:kms:{REGION}:{DST}:key/5678ef01-56ef-78ab-90cd-567890abcdef"
SRC_VAULT = f"arn:aws:backup:{REGION}:{SRC}:backup-vault:local"
DST_VAULT = f"arn:aws:backup:{REGION}:{DST}:backup-vault:central"
SLR = f"arn:aws:iam::{DST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
SLR2 = f"arn:aws:iam::{DST2}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
USE = ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"]
GRANT = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
GRANT_TRUE = {"Bool": {"kms:GrantIsForAWSResource": "true"}}
REQUIRED = (
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:CreateGrant",
    "kms:ListGrants",
    "kms:RevokeGrant",
)


def root(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


ADMIN: dict[str, Any] = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": root(SRC)},
    "Action": "kms:*",
    "Resource": "*",
}


def use_stmt(principals: Any, sid: str = "Allow use of the key", **extra: Any) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": list(USE),
        "Resource": "*",
        **extra,
    }


def grant_stmt(
    principals: Any, sid: str = "Allow attachment of persistent resources", **extra: Any
) -> dict[str, Any]:
    stmt = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": list(GRANT),
        "Resource": "*",
        "Condition": GRANT_TRUE,
    }
    stmt.update(extra)
    return stmt


def key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Id": "cab-kms-key", "Statement": [ADMIN, *statements]}


SHARED_SLR = key_policy(use_stmt([root(SRC), SLR]), grant_stmt([root(SRC), SLR]))
SHARED_ROOT = key_policy(use_stmt([root(SRC), root(DST)]), grant_stmt([root(SRC), root(DST)]))
UNSHARED = key_policy(use_stmt([root(SRC)]), grant_stmt([root(SRC)]))
VAULT_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Allow copies from the source account",
            "Effect": "Allow",
            "Principal": {"AWS": root(SRC)},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
        }
    ],
}
DST_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": root(DST)},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def base(source_policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """A complete EBS copy that passes (unless ``source_policy`` says otherwise)."""
    return _copy.deepcopy(
        {
            "version": 1,
            "organization": {
                "id": ORG,
                "accounts": [MGMT, SRC, DST],
                "cross_account_backup_enabled": True,
                "management_account": MGMT,
            },
            "keys": [
                {
                    "arn": SRC_KEY,
                    "manager": "CUSTOMER",
                    "state": "Enabled",
                    "aliases": ["alias/ebs-backup"],
                    "policy": source_policy if source_policy is not None else SHARED_SLR,
                },
                {
                    "arn": DST_KEY,
                    "manager": "CUSTOMER",
                    "state": "Enabled",
                    "aliases": ["alias/central-backup"],
                    "policy": DST_KEY_POLICY,
                },
            ],
            "vaults": [
                {
                    "arn": DST_VAULT,
                    "key": DST_KEY,
                    "access_policy": VAULT_POLICY,
                    "lock": {"min_retention_days": 7, "max_retention_days": 3650},
                }
            ],
            "copies": [
                {
                    "name": "ebs-to-central",
                    "resource_type": "EBS",
                    "resource_arn": f"arn:aws:ec2:{REGION}:{SRC}:volume/vol-0123456789abcdef0",
                    "resource_key": SRC_KEY,
                    "source_vault": SRC_VAULT,
                    "destination_vault": DST_VAULT,
                    "lifecycle": {"delete_after_days": 35},
                }
            ],
        }
    )


def build(doc: dict[str, Any]) -> Scenario:
    return build_scenario(doc)


def check(doc: dict[str, Any], options: Options | None = None, **kw: Any) -> Report:
    """Run the checks only (no fixes)."""
    return run_checks(build(doc), options or Options(), **kw)


def check_with_fixes(doc: dict[str, Any], options: Options | None = None) -> Report:
    return api.check_scenario(build(doc), options or Options())


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def finding(report: Report, code: str) -> Any:
    found = [f for f in report.findings if f.code == code]
    assert found, f"no {code} in {[f.code for f in report.findings]}"
    return found[0]


def delete(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``doc`` without the field at ``path`` ("keys.0.state")."""
    out = _copy.deepcopy(doc)
    cur: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if part.isdigit() else cur[part]
    last = parts[-1]
    del cur[int(last) if last.isdigit() else last]
    return out


def put(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``value`` at ``path``."""
    out = _copy.deepcopy(doc)
    cur: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        cur = cur[int(part)] if part.isdigit() else cur[part]
    last = parts[-1]
    if last.isdigit():
        cur[int(last)] = value
    else:
        cur[last] = value
    return out
