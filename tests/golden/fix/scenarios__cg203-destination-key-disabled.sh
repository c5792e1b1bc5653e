# [display-only] The destination vault key is not usable for the copy
# - Enable the destination vault key, or let the destination's AWSServiceRoleForBackup use it (remove the Deny or add the account root / the role to its key policy).
aws kms enable-key --key-id arn:aws:kms:us-east-1:444455556666:key/5678ef01-56ef-78ab-90cd-567890abcdef --region us-east-1
