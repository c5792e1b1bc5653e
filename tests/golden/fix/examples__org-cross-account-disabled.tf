# [display-only] Cross-account backup is not enabled for the organization
# - Turn on cross-account backup for the organization, from the management account.
# $ aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true --region us-east-1
# $ aws backup describe-global-settings --region us-east-1
