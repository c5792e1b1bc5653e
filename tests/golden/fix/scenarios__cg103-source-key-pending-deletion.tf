# [display-only] The source key is not usable (its state is not Enabled)
# - Make arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab usable again (it is PendingDeletion); run these in the key's account.
# $ aws kms cancel-key-deletion --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab --region us-east-1
# $ aws kms enable-key --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab --region us-east-1
