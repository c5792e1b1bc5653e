# [display-only] The resource type does not support cross-account copy
# - Copy in two steps: first across Regions inside the source account, then across accounts in the same Region (or choose a resource type that supports the copy).
