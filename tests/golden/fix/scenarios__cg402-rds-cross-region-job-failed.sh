# [display-only] The resource type does not support one copy that is both cross-Region and cross-account
# - Copy in two steps: first across Regions inside the source account, then across accounts in the same Region (or choose a resource type that supports the copy).
aws backup start-copy-job --recovery-point-arn RECOVERY_POINT_ARN --source-backup-vault-name SOURCE_VAULT --destination-backup-vault-arn arn:aws:backup:us-west-2:SOURCE_ACCOUNT:backup-vault:INTERMEDIATE --iam-role-arn COPY_ROLE_ARN --region us-east-1
