# [safe] Allow backup:CopyIntoBackupVault from account 111122223333: added statement 'Allow copies from the source account'.
# run in account 444455556666 (the vault's account)
aws backup put-backup-vault-access-policy --backup-vault-name central --region us-east-1 --policy '{"Version":"2012-10-17","Statement":[{"Sid":"Allow copies from the source account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"backup:CopyIntoBackupVault","Resource":"*"}]}'
