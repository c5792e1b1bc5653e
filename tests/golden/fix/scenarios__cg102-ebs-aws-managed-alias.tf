# [display-only] The source key is an AWS managed key, which can never be shared with another account
# - Create a customer managed key in the source account and give the destination account the seed article's two statements (copyguard fix prints them).
# - Re-encrypt the EBS resource with that key (copy the snapshot with the new key and restore or swap the resource), then back up the re-encrypted resource.
# - Alternative without touching the resource: in the source account, copy each recovery point into a vault encrypted with a customer managed key, then copy that vault's recovery point across accounts (the AWS Storage Blog's RDS pattern).
# $ aws kms create-key --description 'cross-account backup key' --region us-east-1
# $ aws ec2 copy-snapshot --source-region us-east-1 --source-snapshot-id SNAPSHOT_ID --encrypted --kms-key-id NEW_CMK_ARN --region us-east-1
# $ aws ec2 create-volume --snapshot-id NEW_SNAPSHOT_ID --availability-zone AZ --encrypted --kms-key-id NEW_CMK_ARN --region us-east-1
