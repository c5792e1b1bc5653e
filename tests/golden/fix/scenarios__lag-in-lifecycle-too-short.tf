# [display-only] The copy's retention is outside the destination vault lock's range
# - Set the copy action's DeleteAfterDays within 7..∞ days (the vault is locked; the lock cannot be loosened once in compliance mode).
