# [display-only] Source and destination are not in the same organization
# - Make both accounts members of the same AWS Organization (run in the management account).
# $ aws organizations invite-account-to-organization --target Id=444455556666,Type=ACCOUNT
