"""Hand-built reports for the renderer tests: Finding, Fix and Report values, no checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copyguard.checks.model import Finding, Fix, FixRef, NotRun, Report, tr

SRC = "111122223333"
DST = "444455556666"
KEY = f"arn:aws:kms:us-east-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VAULT = f"arn:aws:backup:us-east-1:{DST}:backup-vault:central"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"

ORIGINAL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
FIXED = {
    "Version": "2012-10-17",
    "Statement": [
        *ORIGINAL["Statement"],
        {
            "Sid": "Allow attachment of persistent resources",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ],
}
DIFF = """--- key policy (current)
+++ key policy (fixed)
@@ -7,5 +7,13 @@
       "Action": "kms:*",
       "Resource": "*"
-    }
+    },
+    {
+      "Sid": "Allow attachment of persistent resources",
+      "Effect": "Allow",
+      "Principal": {"AWS": "arn:aws:iam::444455556666:root"}
+    }
   ]
 }
"""


def cg101(**over: Any) -> Finding:
    values: dict[str, Any] = {
        "code": "CG101",
        "severity": "error",
        "title": tr(
            "The source key policy does not allow the destination account",
            "源密钥的密钥策略未允许目标账户",
        ),
        "message": tr(
            f"The key policy of {KEY} does not allow account {DST} kms:CreateGrant, "
            "kms:ListGrants and kms:RevokeGrant.",
            f"{KEY} 的密钥策略未允许账户 {DST} 执行 kms:CreateGrant、kms:ListGrants 和 kms:RevokeGrant。",
        ),
        "copy": "ebs-to-central",
        "resource": KEY,
        "path": "keys[0].policy",
        "file": "examples/seed/scenario.yaml",
        "line": 12,
        "column": 7,
        "evidence": {
            "actions": {
                "kms:DescribeKey": "allowed",
                "kms:CreateGrant": "implicit_deny",
                "kms:ListGrants": "implicit_deny",
                "kms:RevokeGrant": "explicit_deny",
            },
            "statements": [
                {
                    "policy": "key policy",
                    "statement": "Statement[0]",
                    "sid": "Enable IAM User Permissions",
                    "effect": "Allow",
                    "applies": False,
                    "reasons": [f"principal arn:aws:iam::{SRC}:root is not the caller"],
                }
            ],
        },
        "fix": FixRef("key-policy", KEY, "safe"),
        "steps": [
            tr(
                "Add the destination account to the key policy (copyguard fix).",
                "将目标账户加入密钥策略（copyguard fix）。",
            )
        ],
        "notes": [
            tr(
                "Assumed kms:ViaService = ec2.us-east-1.amazonaws.com for the grant calls.",
                "假设授权调用的 kms:ViaService 为 ec2.us-east-1.amazonaws.com。",
            )
        ],
    }
    values.update(over)
    return Finding(**values)


def cg902(**over: Any) -> Finding:
    values: dict[str, Any] = {
        "code": "CG902",
        "severity": "warning",
        "title": tr(
            "Something the verdict needs is unknown or could not be read",
            "判定所需的信息未知或无法读取",
        ),
        "message": tr(
            "The access policy of the destination vault is not given.",
            "未提供目标保管库的访问策略。",
        ),
        "copy": "rds-to-dr",
        "resource": VAULT,
        "path": "vaults[0].access_policy",
    }
    values.update(over)
    return Finding(**values)


def cg106(**over: Any) -> Finding:
    values: dict[str, Any] = {
        "code": "CG106",
        "severity": "note",
        "title": tr(
            "The key policy delegates to the destination account, whose own IAM policies "
            "must also allow",
            "密钥策略委托给了目标账户，目标账户自身的 IAM 策略也必须允许",
        ),
        "message": tr(
            f"Account {DST} is named as a whole; its AWS Backup role's managed policy allows.",
            f"密钥策略指定的是整个账户 {DST}；其 AWS Backup 角色的托管策略允许这些操作。",
        ),
        "copy": "ebs-to-central",
        "resource": KEY,
    }
    values.update(over)
    return Finding(**values)


def key_fix() -> Fix:
    return Fix(
        kind="key-policy",
        resource=KEY,
        applicability="safe",
        description=tr(
            "Allow the destination account the grant operations, as AWS documents.",
            "按 AWS 文档允许目标账户执行授权操作。",
        ),
        policy=FIXED,
        original=ORIGINAL,
        diff=DIFF,
        principal=f"arn:aws:iam::{DST}:root",
        codes=["CG101"],
        region="us-east-1",
        account=SRC,
    )


def playbook_fix() -> Fix:
    return Fix(
        kind="playbook",
        resource=None,
        applicability="display-only",
        description=tr(
            "Enable cross-account backup for the organization.",
            "为组织启用跨账户备份。",
        ),
        codes=["CG302"],
        steps=[tr("Sign in to the management account.", "登录管理账户。")],
        commands=[
            "aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true"
        ],
    )


def full_report() -> Report:
    """A failing report with one of everything the renderers show."""
    return Report(
        findings=[cg902(), cg106(), cg101()],
        fixes=[playbook_fix(), key_fix()],
        not_run=[NotRun("CG201", tr("no destination vault was given", "未提供目标保管库"))],
        source="examples/seed/scenario.yaml",
        copies=["ebs-to-central", "rds-to-dr", "efs-to-central"],
        assumptions=[
            tr(
                "The caller is the destination's AWSServiceRoleForBackup.",
                "调用方是目标账户的 AWSServiceRoleForBackup。",
            )
        ],
    )


def unknown_report() -> Report:
    return Report(findings=[cg902(), cg106()], copies=["rds-to-dr"])


def pass_report() -> Report:
    return Report(copies=["ebs-to-central"])


REPORTS = {
    "full": full_report,
    "unknown": unknown_report,
    "pass": pass_report,
    "no-location": lambda: Report(findings=[cg101(file=None, line=None, column=None)]),
    "bare": lambda: Report(findings=[cg902(copy=None, resource=None, path=None)]),
}
