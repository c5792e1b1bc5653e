from __future__ import annotations

import pytest

from copyguard.knowledge import CONDITION_TYPES, condition_key, condition_keys

KMS_KEY_TYPES = [
    ("kms:BypassPolicyLockoutSafetyCheck", "Bool", False),
    ("kms:CallerAccount", "String", False),
    ("kms:CustomerMasterKeySpec", "String", False),
    ("kms:CustomerMasterKeyUsage", "String", False),
    ("kms:DataKeyPairSpec", "String", False),
    ("kms:EncryptionAlgorithm", "String", False),
    ("kms:EncryptionContext:${EncryptionContextKey}", "String", False),
    ("kms:EncryptionContextKeys", "ArrayOfString", True),
    ("kms:ExpirationModel", "String", False),
    ("kms:GrantConstraintType", "String", False),
    ("kms:GrantIsForAWSResource", "Bool", False),
    ("kms:GrantOperations", "ArrayOfString", True),
    ("kms:GranteePrincipal", "String", False),
    ("kms:KeyAgreementAlgorithm", "String", False),
    ("kms:KeyOrigin", "String", False),
    ("kms:KeySpec", "String", False),
    ("kms:KeyUsage", "String", False),
    ("kms:MacAlgorithm", "String", False),
    ("kms:MessageType", "String", False),
    ("kms:MultiRegion", "Bool", False),
    ("kms:MultiRegionKeyType", "String", False),
    ("kms:PrimaryRegion", "String", False),
    ("kms:ReEncryptOnSameKey", "Bool", False),
    ("kms:RecipientAttestation:ImageSha384", "String", False),
    ("kms:RecipientAttestation:PCR0", "String", False),
    ("kms:RecipientAttestation:PCR31", "String", False),
    ("kms:RecipientAttestation:NitroTPMPCR0", "String", False),
    ("kms:RecipientAttestation:NitroTPMPCR23", "String", False),
    ("kms:ReplicaRegion", "String", False),
    ("kms:RequestAlias", "String", False),
    ("kms:ResourceAliases", "ArrayOfString", True),
    ("kms:RetiringPrincipal", "String", False),
    ("kms:RotationPeriodInDays", "Numeric", False),
    ("kms:ScheduleKeyDeletionPendingWindowInDays", "Numeric", False),
    ("kms:SigningAlgorithm", "String", False),
    ("kms:ValidTo", "Date", False),
    ("kms:ViaService", "String", False),
    ("kms:WrappingAlgorithm", "String", False),
    ("kms:WrappingKeySpec", "String", False),
]

GLOBAL_KEY_TYPES = [
    ("aws:PrincipalArn", "ARN", False),
    ("aws:PrincipalAccount", "String", False),
    ("aws:PrincipalOrgID", "String", False),
    ("aws:PrincipalOrgPaths", "ArrayOfString", True),
    ("aws:PrincipalTag/${TagKey}", "String", False),
    ("aws:PrincipalIsAWSService", "Bool", False),
    ("aws:PrincipalServiceName", "String", False),
    ("aws:PrincipalServiceNamesList", "ArrayOfString", True),
    ("aws:PrincipalType", "String", False),
    ("aws:userid", "String", False),
    ("aws:username", "String", False),
    ("aws:SourceAccount", "String", False),
    ("aws:SourceArn", "ARN", False),
    ("aws:SourceOrgID", "String", False),
    ("aws:SourceOrgPaths", "ArrayOfString", True),
    ("aws:SourceIp", "IPAddress", False),
    ("aws:SourceVpc", "String", False),
    ("aws:SourceVpce", "String", False),
    ("aws:VpcSourceIp", "IPAddress", False),
    ("aws:CalledVia", "ArrayOfString", True),
    ("aws:CalledViaFirst", "String", False),
    ("aws:CalledViaLast", "String", False),
    ("aws:ViaAWSService", "Bool", False),
    ("aws:CurrentTime", "Date", False),
    ("aws:EpochTime", "Date", False),
    ("aws:SecureTransport", "Bool", False),
    ("aws:MultiFactorAuthPresent", "Bool", False),
    ("aws:MultiFactorAuthAge", "Numeric", False),
    ("aws:TokenIssueTime", "Date", False),
    ("aws:RequestedRegion", "String", False),
    ("aws:RequestTag/${TagKey}", "String", False),
    ("aws:TagKeys", "ArrayOfString", True),
    ("aws:ResourceTag/${TagKey}", "String", False),
    ("aws:ResourceAccount", "String", False),
    ("aws:ResourceOrgID", "String", False),
    ("aws:ResourceOrgPaths", "ArrayOfString", True),
    ("aws:FederatedProvider", "String", False),
    ("aws:SourceIdentity", "String", False),
    ("aws:Ec2InstanceSourceVpc", "String", False),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress", False),
    ("aws:UserAgent", "String", False),
    ("aws:referer", "String", False),
    ("aws:IsMcpServiceAction", "Bool", False),
]


@pytest.mark.parametrize(("name", "ctype", "multi"), KMS_KEY_TYPES)
def test_kms_condition_key_types(name: str, ctype: str, multi: bool) -> None:
    info = condition_key(name)
    assert info is not None
    assert (info.name, info.type, info.multivalued, info.global_key) == (name, ctype, multi, False)


@pytest.mark.parametrize(("name", "ctype", "multi"), GLOBAL_KEY_TYPES)
def test_global_condition_key_types(name: str, ctype: str, multi: bool) -> None:
    info = condition_key(name)
    assert info is not None
    assert (info.name, info.type, info.multivalued, info.global_key) == (name, ctype, multi, True)


@pytest.mark.parametrize(
    ("asked", "name", "pattern"),
    [
        ("aws:PrincipalTag/Team", "aws:PrincipalTag/Team", "aws:PrincipalTag/${TagKey}"),
        ("AWS:principaltag/Team", "aws:PrincipalTag/Team", "aws:PrincipalTag/${TagKey}"),
        ("aws:ResourceTag/CostCenter", "aws:ResourceTag/CostCenter", "aws:ResourceTag/${TagKey}"),
        ("aws:requesttag/Owner", "aws:RequestTag/Owner", "aws:RequestTag/${TagKey}"),
        (
            "kms:EncryptionContext:aws:backup:backup-vault",
            "kms:EncryptionContext:aws:backup:backup-vault",
            "kms:EncryptionContext:${EncryptionContextKey}",
        ),
        (
            "KMS:ENCRYPTIONCONTEXT:aws:ebs:id",
            "kms:EncryptionContext:aws:ebs:id",
            "kms:EncryptionContext:${EncryptionContextKey}",
        ),
    ],
)
def test_pattern_keys_resolve(asked: str, name: str, pattern: str) -> None:
    info = condition_key(asked)
    assert info is not None
    assert (info.name, info.pattern, info.type) == (name, pattern, "String")


@pytest.mark.parametrize(
    ("asked", "name"),
    [
        ("aws:principalorgid", "aws:PrincipalOrgID"),
        ("AWS:PRINCIPALORGPATHS", "aws:PrincipalOrgPaths"),
        ("kms:viaservice", "kms:ViaService"),
        ("kms:EncryptionContextKeys", "kms:EncryptionContextKeys"),
        ("kms:encryptioncontextkeys", "kms:EncryptionContextKeys"),
        (" kms:CallerAccount ", "kms:CallerAccount"),
    ],
)
def test_lookups_are_case_insensitive(asked: str, name: str) -> None:
    info = condition_key(asked)
    assert info is not None
    assert info.name == name


@pytest.mark.parametrize(
    "asked",
    ["aws:PrincipalTag", "aws:PrincipalTag/", "kms:EncryptionContext:", "kms:NoSuchKey",
     "s3:prefix", "aws:NoSuchKey", "", "PrincipalOrgID"],
)  # fmt: skip
def test_unknown_keys(asked: str) -> None:
    assert condition_key(asked) is None


def test_catalogue_is_well_formed() -> None:
    keys = condition_keys()
    assert len({k.name.lower() for k in keys}) == len(keys)
    for info in keys:
        assert info.type in CONDITION_TYPES
        assert info.description
        assert info.name.startswith("aws:" if info.global_key else "kms:")
        if info.type == "ArrayOfString":
            assert info.multivalued
