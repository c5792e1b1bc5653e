# [safe] Allow the destination the actions a cross-account copy needs: added statement 'Allow use of the key' for arn:aws:iam::444455556666:root; added statement 'Allow attachment of persistent resources' for arn:aws:iam::444455556666:root.
# the policy of aws_kms_key.ebs: set it as that resource's policy argument (or in the aws_kms_key_policy that owns it), or add this resource beside it
resource "aws_kms_key_policy" "copyguard_aws_kms_key_ebs" {
  key_id = aws_kms_key.ebs.id
  policy = <<-POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AccountAdmin",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:root"
      },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::444455556666:root"
      },
      "Action": [
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow attachment of persistent resources",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::444455556666:root"
      },
      "Action": [
        "kms:CreateGrant",
        "kms:ListGrants",
        "kms:RevokeGrant"
      ],
      "Resource": "*",
      "Condition": {
        "Bool": {
          "kms:GrantIsForAWSResource": "true"
        }
      }
    }
  ]
}
  POLICY
}

# [display-only] The source key is an AWS managed key, which can never be shared with another account
# - Create a customer managed key in the source account and give the destination account the seed article's two statements (copyguard fix prints them).
# - Re-encrypt the RDS resource with that key (copy the snapshot with the new key and restore or swap the resource), then back up the re-encrypted resource.
# - Alternative without touching the resource: in the source account, copy each recovery point into a vault encrypted with a customer managed key, then copy that vault's recovery point across accounts (the AWS Storage Blog's RDS pattern).
# $ aws kms create-key --description 'cross-account backup key' --region us-east-1
# $ aws rds copy-db-snapshot --source-db-snapshot-identifier SNAPSHOT_ARN --target-db-snapshot-identifier NAME-cmk --kms-key-id NEW_CMK_ARN --region us-east-1
# $ aws rds restore-db-instance-from-db-snapshot --db-instance-identifier NEW_DB --db-snapshot-identifier NAME-cmk --region us-east-1
