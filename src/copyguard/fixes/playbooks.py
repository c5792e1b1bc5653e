"""Playbooks for what no policy edit fixes: exact steps and AWS CLI commands."""

from __future__ import annotations

from copyguard.checks.model import Finding, Fix, Text, tr
from copyguard.escape import shell_join


def _cmd(*argv: str) -> str:
    """One command line; every word shell-quoted (input values run nothing)."""
    return shell_join(argv)


def _rt(f: Finding) -> str:
    return str(f.evidence.get("resource_type") or "")


def _region(arn: str | None, default: str = "us-east-1") -> str:
    if arn and arn.count(":") >= 5 and arn.split(":")[3]:
        return arn.split(":")[3]
    return default


#: argv of each command; ``_R`` stands for the Region (every word is shell-quoted when printed)
_R = object()
_REENCRYPT: dict[str, list[list[str | object]]] = {
    "EBS": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "ec2",
            "copy-snapshot",
            "--source-region",
            _R,
            "--source-snapshot-id",
            "SNAPSHOT_ID",
            "--encrypted",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
        [
            "aws",
            "ec2",
            "create-volume",
            "--snapshot-id",
            "NEW_SNAPSHOT_ID",
            "--availability-zone",
            "AZ",
            "--encrypted",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
    "EC2": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "ec2",
            "copy-image",
            "--source-region",
            _R,
            "--source-image-id",
            "AMI_ID",
            "--name",
            "NAME",
            "--encrypted",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
    "RDS": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "rds",
            "copy-db-snapshot",
            "--source-db-snapshot-identifier",
            "SNAPSHOT_ARN",
            "--target-db-snapshot-identifier",
            "NAME-cmk",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
        [
            "aws",
            "rds",
            "restore-db-instance-from-db-snapshot",
            "--db-instance-identifier",
            "NEW_DB",
            "--db-snapshot-identifier",
            "NAME-cmk",
            "--region",
            _R,
        ],
    ],
    "Aurora": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "rds",
            "copy-db-cluster-snapshot",
            "--source-db-cluster-snapshot-identifier",
            "SNAPSHOT_ARN",
            "--target-db-cluster-snapshot-identifier",
            "NAME-cmk",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
        [
            "aws",
            "rds",
            "restore-db-cluster-from-snapshot",
            "--db-cluster-identifier",
            "NEW_CLUSTER",
            "--snapshot-identifier",
            "NAME-cmk",
            "--engine",
            "ENGINE",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
    "DocumentDB": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "docdb",
            "copy-db-cluster-snapshot",
            "--source-db-cluster-snapshot-identifier",
            "SNAPSHOT_ARN",
            "--target-db-cluster-snapshot-identifier",
            "NAME-cmk",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
    "Neptune": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "neptune",
            "copy-db-cluster-snapshot",
            "--source-db-cluster-snapshot-identifier",
            "SNAPSHOT_ARN",
            "--target-db-cluster-snapshot-identifier",
            "NAME-cmk",
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
    "FSx": [
        ["aws", "kms", "create-key", "--description", "cross-account backup key", "--region", _R],
        [
            "aws",
            "fsx",
            "copy-backup",
            "--source-backup-id",
            "BACKUP_ID",
            "--source-region",
            _R,
            "--kms-key-id",
            "NEW_CMK_ARN",
            "--region",
            _R,
        ],
    ],
}


def playbook(
    f: Finding, *, source_vault: str | None = None, destination_vault: str | None = None
) -> Fix | None:
    code = f.code
    r = _region(f.resource or destination_vault or source_vault)
    steps: list[Text] = []
    commands: list[str] = []
    if code == "CG102":
        rt = _rt(f)
        steps = [
            tr(
                "Create a customer managed key in the source account and give the destination account the "
                "seed article's two statements (copyguard fix prints them).",
                "在源账户中创建客户托管密钥,并为目标账户添加参考文章中的两条语句(copyguard fix 会打印它们)。",
            ),
            tr(
                f"Re-encrypt the {rt} resource with that key (copy the snapshot with the new key and restore "
                "or swap the resource), then back up the re-encrypted resource.",
                f"使用该密钥重新加密 {rt} 资源(用新密钥复制快照并恢复或替换资源),然后备份重新加密后的资源。",
            ),
            tr(
                "Alternative without touching the resource: in the source account, copy each recovery point "
                "into a vault encrypted with a customer managed key, then copy that vault's recovery point "
                "across accounts (the AWS Storage Blog's RDS pattern).",
                "不修改资源的替代方案:在源账户中先将每个恢复点复制到使用客户托管密钥加密的保管库,"
                "再从该保管库跨账户复制(AWS 存储博客中的 RDS 模式)。",
            ),
        ]
        templates = _REENCRYPT.get(rt, [["aws", "kms", "create-key", "--region", _R]])
        commands = [_cmd(*(r if w is _R else str(w) for w in t)) for t in templates]
    elif code == "CG103":
        state = f.evidence.get("state")
        key = f.resource or "KEY_ARN"
        if state == "PendingDeletion":
            commands = [
                _cmd("aws", "kms", "cancel-key-deletion", "--key-id", key, "--region", r),
                _cmd("aws", "kms", "enable-key", "--key-id", key, "--region", r),
            ]
        elif state == "Disabled":
            commands = [_cmd("aws", "kms", "enable-key", "--key-id", key, "--region", r)]
        steps = [
            tr(
                f"Make {key} usable again (it is {state}); run these in the key's account.",
                f"使 {key} 重新可用(当前为 {state});请在密钥所属账户中运行。",
            )
        ]
    elif code == "CG202":
        vault = f.resource or "VAULT"
        name = vault.rsplit(":", 1)[-1]
        steps = [
            tr(
                "Create a destination vault encrypted with a customer managed key (or the resource "
                "service's own AWS managed key) and point the copy action at it.",
                "创建一个使用客户托管密钥(或该资源服务自身的 AWS 托管密钥)加密的目标保管库,并将复制操作指向它。",
            )
        ]
        commands = [
            _cmd("aws", "kms", "create-key", "--description", "backup vault key", "--region", r),
            _cmd(
                "aws",
                "backup",
                "create-backup-vault",
                "--backup-vault-name",
                f"{name}-cmk",
                "--encryption-key-arn",
                "NEW_CMK_ARN",
                "--region",
                r,
            ),
        ]
    elif code == "CG203":
        steps = [
            tr(
                "Enable the destination vault key, or let the destination's AWSServiceRoleForBackup use it "
                "(remove the Deny or add the account root / the role to its key policy).",
                "启用目标保管库密钥,或允许目标账户的 AWSServiceRoleForBackup 使用它(移除 Deny,或在其密钥策略中加入账户根用户/该角色)。",
            )
        ]
        if f.evidence.get("state") == "Disabled":
            commands = [
                _cmd("aws", "kms", "enable-key", "--key-id", f.resource or "KEY_ARN", "--region", r)
            ]
    elif code == "CG204":
        lo, hi = f.evidence.get("min_retention_days"), f.evidence.get("max_retention_days")
        steps = [
            tr(
                f"Set the copy action's DeleteAfterDays within {lo or 0}..{hi or '∞'} days (the vault is "
                "locked; the lock cannot be loosened once in compliance mode).",
                f"将复制操作的 DeleteAfterDays 设置在 {lo or 0}..{hi or '∞'} 天之内(保管库已锁定;合规模式下锁定无法放宽)。",
            )
        ]
    elif code == "CG205":
        account = f.evidence.get("account", "DESTINATION_ACCOUNT")
        steps = [
            tr(
                f"Create AWS Backup's service-linked role in account {account} before the key policy names it.",
                f"在密钥策略引用之前,先在账户 {account} 中创建 AWS Backup 的服务相关角色。",
            )
        ]
        commands = ["aws iam create-service-linked-role --aws-service-name backup.amazonaws.com"]
    elif code == "CG301":
        outside = f.evidence.get("outside") or []
        steps = [
            tr(
                "Make both accounts members of the same AWS Organization (run in the management account).",
                "使两个账户成为同一 AWS Organization 的成员(在管理账户中运行)。",
            )
        ]
        commands = [
            _cmd(
                "aws",
                "organizations",
                "invite-account-to-organization",
                "--target",
                f"Id={a},Type=ACCOUNT",
            )
            for a in outside
        ]
    elif code == "CG302":
        steps = [
            tr(
                "Turn on cross-account backup for the organization, from the management account.",
                "在管理账户中为组织开启跨账户备份。",
            )
        ]
        commands = [
            _cmd(
                "aws",
                "backup",
                "update-global-settings",
                "--global-settings",
                "isCrossAccountBackupEnabled=true",
                "--region",
                r,
            ),
            _cmd("aws", "backup", "describe-global-settings", "--region", r),
        ]
    elif code in ("CG401", "CG402"):
        steps = [
            tr(
                "Copy in two steps: first across Regions inside the source account, then across accounts "
                "in the same Region (or choose a resource type that supports the copy).",
                "分两步复制:先在源账户内跨区域复制,再在同一区域内跨账户复制(或选择支持该复制的资源类型)。",
            )
        ]
        if code == "CG402":
            dst = f.evidence.get("destination_region", "DEST_REGION")
            commands = [
                _cmd(
                    "aws",
                    "backup",
                    "start-copy-job",
                    "--recovery-point-arn",
                    "RECOVERY_POINT_ARN",
                    "--source-backup-vault-name",
                    "SOURCE_VAULT",
                    "--destination-backup-vault-arn",
                    f"arn:aws:backup:{dst}:SOURCE_ACCOUNT:backup-vault:INTERMEDIATE",
                    "--iam-role-arn",
                    "COPY_ROLE_ARN",
                    "--region",
                    str(f.evidence.get("source_region", r)),
                )
            ]
    else:
        return None
    return Fix(
        kind="playbook",
        resource=f.resource,
        applicability="display-only",
        description=f.title,
        codes=[code],
        steps=steps,
        commands=commands,
        region=r,
    )
