# [display-only] Only the owner of a logically air-gapped vault can copy from it
# - Start the copy from the account that owns the logically air-gapped vault, with a role of that account; the accounts it is shared with can restore instead.
