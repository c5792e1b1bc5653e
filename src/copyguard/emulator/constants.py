"""Fixed names, identities and AWS's exact status messages used by the emulator.

Pure data: importing this module never imports moto or boto3.
"""

from __future__ import annotations

DEFAULT_REGION = "us-east-1"

#: The three emulated accounts. Source and destination match the examples of the spec.
DEFAULT_ACCOUNTS: dict[str, str] = {
    "management": "999988887777",
    "source": "111122223333",
    "destination": "444455556666",
}
ACCOUNT_NAMES = ("management", "source", "destination")

#: The IAM user behind each profile's static credentials (AdministratorAccess-like).
ADMIN_USER = "copyguard-admin"
ADMIN_POLICY_NAME = "AdministratorAccess"
ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

SLR_NAME = "AWSServiceRoleForBackup"
SLR_PATH = "/aws-service-role/backup.amazonaws.com/"
SLR_SERVICE = "backup.amazonaws.com"
SLR_MANAGED_POLICY = "AWSBackupServiceLinkedRolePolicyForBackup"
DEFAULT_BACKUP_ROLE = "AWSBackupDefaultServiceRole"
DEFAULT_BACKUP_ROLE_PATH = "/service-role/"
BACKUP_ROLE_MANAGED_POLICY = "AWSBackupServiceRolePolicyForBackup"


def slr_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/aws-service-role/backup.amazonaws.com/{SLR_NAME}"


def default_backup_role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/service-role/{DEFAULT_BACKUP_ROLE}"


def access_key_for(account: str) -> str:
    """Deterministic static access key ID of an emulated account (20 characters)."""
    return f"AKIACG{account}EM"


def new_secret_key() -> str:
    """A fresh random secret access key (40 characters, like AWS's): each emulator run issues
    its own, so knowing an account ID is not knowing its credentials."""
    import secrets

    return secrets.token_urlsafe(30)


# --- AWS's copy-job status messages (facts sheet, sections 4 and 5) -------------------------

MSG_NOT_SAME_ORG = (
    "Copy job failed. Both source and destination account must be a member of the same organization"
)
MSG_XACCT_DISABLED = (
    "Copy job failed. Cross-account copy feature is not enabled for the current organization."
)
MSG_ACCESS_DENIED = "Access Denied trying to call AWS Backup service"
MSG_DEFAULT_VAULT_KEY = (
    "Copy job failed because the destination Backup vault is encrypted with the default Backup "
    "service managed key. The contents of this vault cannot be copied. Only the contents of a "
    "Backup vault encrypted by an AWS KMS key may be copied."
)
MSG_AWS_MANAGED_SNAPSHOT = (
    "Snapshots encrypted with the AWS managed key can't be shared. Specify another snapshot."
)
MSG_EBS_DEFAULT_KEY = "Encrypted snapshots with Amazon EBS default key cannot be shared"
MSG_KEY_NOT_ACCESSIBLE = "Given key ID is not accessible"
MSG_RDS_KEY = (
    "The source snapshot KMS key [{key}] does not exist, is not enabled or you do not have "
    "permissions to access it."
)
MSG_KMS_GENERIC = "KMS key is either disabled or pending deletion or access to KMS key is denied"
MSG_RETENTION = (
    "Copy job failed. The retention specified in the job is not within the range specified "
    "for the target Backup Vault."
)
MSG_FEATURE_NOT_SUPPORTED_REGIONS = (
    "Copy job from {source} to {destination} cannot be initiated for {label} resources. "
    "Feature is not supported for provided resource type."
)
#: Not an AWS-confirmed string: AWS's wording for a type that cannot be copied across
#: accounts at all is unknown; this keeps the documented tail.
MSG_FEATURE_NOT_SUPPORTED_ACCOUNTS = (
    "Cross-account copy cannot be initiated for {label} resources. "
    "Feature is not supported for provided resource type."
)

# --- KMS API errors --------------------------------------------------------------------------

MSG_INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
MSG_LOCKOUT = "The new key policy will not allow you to update the key policy in the future."
