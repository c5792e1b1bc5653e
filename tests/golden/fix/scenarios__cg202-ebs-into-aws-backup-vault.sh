# [display-only] The destination vault key cannot hold copies of this resource type
# - Create a destination vault encrypted with a customer managed key (or the resource service's own AWS managed key) and point the copy action at it.
aws kms create-key --description 'backup vault key' --region us-east-1
aws backup create-backup-vault --backup-vault-name central-cmk --encryption-key-arn NEW_CMK_ARN --region us-east-1
