# [safe] Allow the destination's AWSServiceRoleForBackup arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup to use the logically air-gapped vault's key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab for copies (AWS's statements for logically air-gapped vaults).
resource "aws_kms_key_policy" "copyguard_1234abcd_12ab_34cd_56ef_1234567890ab" {
  key_id = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  policy = <<-POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:root"
      },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key for copy",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"
      },
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*",
      "Condition": {
        "StringLike": {
          "kms:ViaService": "backup.*.amazonaws.com"
        }
      }
    },
    {
      "Sid": "Allow AWS Backup to create grant on the key for copy",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"
      },
      "Action": [
        "kms:CreateGrant"
      ],
      "Resource": "*",
      "Condition": {
        "Bool": {
          "kms:GrantIsForAWSResource": "true"
        },
        "StringLike": {
          "kms:ViaService": "backup.*.amazonaws.com"
        }
      }
    },
    {
      "Sid": "Allow the destination's AWS Backup role to use the key for copy out (copyguard)",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
        ]
      },
      "Action": [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow the destination's AWS Backup role grants for copy out (copyguard)",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
        ]
      },
      "Action": [
        "kms:CreateGrant"
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
