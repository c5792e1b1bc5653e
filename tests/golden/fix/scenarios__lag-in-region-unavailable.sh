# [display-only] This copy to or from a logically air-gapped vault is not available
# - Copy within the account and Region first, or choose a logically air-gapped vault in a Region where this copy is available.
