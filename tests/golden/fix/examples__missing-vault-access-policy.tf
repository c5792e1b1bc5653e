# [safe] Allow backup:CopyIntoBackupVault from account 111122223333: added statement 'Allow copies from the source account'.
resource "aws_backup_vault_policy" "copyguard_central" {
  backup_vault_name = "central"
  policy            = <<-POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Allow copies from the source account",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::111122223333:root"
      },
      "Action": "backup:CopyIntoBackupVault",
      "Resource": "*"
    }
  ]
}
  POLICY
}
