# [safe] Allow the copy role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole to use the logically air-gapped vault's key arn:aws:kms:us-east-1:444455556666:key/5678ef01-56ef-78ab-90cd-567890abcdef for copies (AWS's statements for logically air-gapped vaults).
resource "aws_kms_key_policy" "copyguard_5678ef01_56ef_78ab_90cd_567890abcdef" {
  key_id = "arn:aws:kms:us-east-1:444455556666:key/5678ef01-56ef-78ab-90cd-567890abcdef"
  policy = <<-POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::444455556666:root"
      },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key for copy (copyguard)",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"
        ]
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
      "Sid": "Allow AWS Backup to create grant on the key for copy (copyguard)",
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole"
        ]
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
    }
  ]
}
  POLICY
}
