# [display-only] The resource cannot be copied into a logically air-gapped vault
# - Re-encrypt the resource with a customer managed key (copy its snapshot with a new KMS key and restore from it), or keep its backups in the standard vault only.
