# [display-only] The destination vault key is not usable for the copy
# - Enable the destination vault key, or let the destination's AWSServiceRoleForBackup use it (remove the Deny or add the account root / the role to its key policy).
