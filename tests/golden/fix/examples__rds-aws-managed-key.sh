# [display-only] The source key is an AWS managed key, which can never be shared with another account
# - Create a customer managed key in the source account and give the destination account the seed article's two statements (copyguard fix prints them).
# - Re-encrypt the RDS resource with that key (copy the snapshot with the new key and restore or swap the resource), then back up the re-encrypted resource.
# - Alternative without touching the resource: in the source account, copy each recovery point into a vault encrypted with a customer managed key, then copy that vault's recovery point across accounts (the AWS Storage Blog's RDS pattern).
aws kms create-key --description 'cross-account backup key' --region us-east-1
aws rds copy-db-snapshot --source-db-snapshot-identifier SNAPSHOT_ARN --target-db-snapshot-identifier NAME-cmk --kms-key-id NEW_CMK_ARN --region us-east-1
aws rds restore-db-instance-from-db-snapshot --db-instance-identifier NEW_DB --db-snapshot-identifier NAME-cmk --region us-east-1
