# [display-only] The source and destination accounts are not in the same AWS Organization
# - Make both accounts members of the same AWS Organization (run in the management account).
# $ aws organizations invite-account-to-organization --target Id=444455556666,Type=ACCOUNT
