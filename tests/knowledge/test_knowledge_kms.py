from __future__ import annotations

import pytest

from copyguard.knowledge import (
    action_supports_condition_key,
    condition_key,
    expand_action_pattern,
    kms_action,
    kms_actions,
    kms_condition_keys_for_action,
)

BRIEF_ACTIONS = [
    "CancelKeyDeletion",
    "ConnectCustomKeyStore",
    "CreateAlias",
    "CreateCustomKeyStore",
    "CreateGrant",
    "CreateKey",
    "Decrypt",
    "DeleteAlias",
    "DeleteCustomKeyStore",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "DescribeCustomKeyStores",
    "DescribeKey",
    "DisableKey",
    "DisableKeyRotation",
    "DisconnectCustomKeyStore",
    "EnableKey",
    "EnableKeyRotation",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetParametersForImport",
    "GetPublicKey",
    "ImportKeyMaterial",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "PutKeyPolicy",
    "ReEncryptFrom",
    "ReEncryptTo",
    "ReplicateKey",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "Sign",
    "SynchronizeMultiRegionKey",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateCustomKeyStore",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "Verify",
    "VerifyMac",
]

# Facts sheet section 6: cryptographic operations, CreateGrant, DescribeKey,
# GetKeyRotationStatus, GetPublicKey, ListGrants, RetireGrant and RevokeGrant.
CROSS_ACCOUNT = {
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:Sign",
    "kms:Verify",
    "kms:DeriveSharedSecret",
    "kms:Encapsulate",
    "kms:Decapsulate",
    "kms:CreateGrant",
    "kms:DescribeKey",
    "kms:GetKeyRotationStatus",
    "kms:GetPublicKey",
    "kms:ListGrants",
    "kms:RetireGrant",
    "kms:RevokeGrant",
}


@pytest.mark.parametrize("short", BRIEF_ACTIONS)
def test_every_sar_action_is_present(short: str) -> None:
    action = kms_action(f"kms:{short}")
    assert action is not None
    assert action.name == f"kms:{short}"
    assert kms_actions()[f"kms:{short}".lower()] is action


def test_mapping_is_keyed_by_lowercase_full_name() -> None:
    actions = kms_actions()
    assert all(key == value.name.lower() for key, value in actions.items())
    assert all(key.startswith("kms:") for key in actions)
    assert len(actions) >= len(BRIEF_ACTIONS)


def test_cross_account_flags_follow_the_key_policy_rules() -> None:
    flagged = {a.name for a in kms_actions().values() if a.cross_account}
    assert flagged == CROSS_ACCOUNT


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kms:CreateGrant", "kms:CreateGrant"),
        ("KMS:CREATEGRANT", "kms:CreateGrant"),
        ("kms:describekey", "kms:DescribeKey"),
        ("  kms:DescribeKey ", "kms:DescribeKey"),
        ("ReEncryptFrom", "kms:ReEncryptFrom"),
        ("kms:NoSuchAction", None),
        ("s3:GetObject", None),
        ("", None),
    ],
)
def test_kms_action_is_case_insensitive(name: str, expected: str | None) -> None:
    found = kms_action(name)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("name", "access", "key_resource"),
    [
        ("kms:CreateGrant", "Permissions management", True),
        ("kms:PutKeyPolicy", "Permissions management", True),
        ("kms:DescribeKey", "Read", True),
        ("kms:ListGrants", "List", True),
        ("kms:ListAliases", "List", False),
        ("kms:TagResource", "Tagging", True),
        ("kms:Decrypt", "Write", True),
        ("kms:CreateKey", "Write", False),
        ("kms:GenerateRandom", "Write", False),
    ],
)
def test_access_level_and_resource(name: str, access: str, key_resource: bool) -> None:
    action = kms_action(name)
    assert action is not None
    assert (action.access_level, action.key_resource) == (access, key_resource)


ALL = tuple(sorted(a.name for a in kms_actions().values()))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("kms:ReEncrypt*", ("kms:ReEncryptFrom", "kms:ReEncryptTo")),
        (
            "kms:GenerateDataKey*",
            (
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
                "kms:GenerateDataKeyWithoutPlaintext",
            ),
        ),
        (
            "KMS:generatedatakey*",
            (
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
                "kms:GenerateDataKeyWithoutPlaintext",
            ),
        ),
        ("kms:Generate?ataKey", ("kms:GenerateDataKey",)),
        ("kms:Describe*", ("kms:DescribeCustomKeyStores", "kms:DescribeKey")),
        ("k?s:Decrypt", ("kms:Decrypt",)),
        (
            "kms:*Grant*",
            (
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:ListRetirableGrants",
                "kms:RetireGrant",
                "kms:RevokeGrant",
            ),
        ),
        ("kms:*", ALL),
        ("*", ALL),
        ("s3:*", ()),
        ("ec2:CopySnapshot", ()),
        ("kms:NoSuch*", ()),
        ("kms:Decrypt?", ()),
        ("", ()),
    ],
)
def test_expand_action_pattern(pattern: str, expected: tuple[str, ...]) -> None:
    assert expand_action_pattern(pattern) == expected


@pytest.mark.parametrize(
    ("action", "present", "absent"),
    [
        (
            "kms:CreateGrant",
            [
                "kms:grantisforawsresource",
                "kms:calleraccount",
                "kms:viaservice",
                "kms:grantoperations",
                "kms:granteeprincipal",
                "kms:retiringprincipal",
                "kms:grantconstrainttype",
                "kms:encryptioncontext:${encryptioncontextkey}",
                "kms:encryptioncontextkeys",
                "kms:resourcealiases",
                "aws:resourcetag/${tagkey}",
            ],
            ["kms:requestalias", "kms:encryptionalgorithm"],
        ),
        (
            "kms:Decrypt",
            [
                "kms:encryptionalgorithm",
                "kms:requestalias",
                "kms:recipientattestation:imagesha384",
                "kms:recipientattestation:pcr0",
                "kms:recipientattestation:pcr31",
                "kms:recipientattestation:nitrotpmpcr23",
                "kms:keyspec",
            ],
            ["kms:grantisforawsresource", "kms:recipientattestation:pcr32"],
        ),
        (
            "KMS:DESCRIBEKEY",
            ["kms:calleraccount", "kms:requestalias", "kms:viaservice"],
            ["kms:grantisforawsresource"],
        ),
        ("kms:ListGrants", ["kms:grantisforawsresource"], ["kms:grantoperations"]),
        ("kms:RevokeGrant", ["kms:grantisforawsresource"], ["kms:encryptioncontextkeys"]),
        ("kms:ReEncryptFrom", ["kms:reencryptonsamekey"], []),
        ("kms:PutKeyPolicy", ["kms:bypasspolicylockoutsafetycheck"], []),
        ("kms:CreateKey", ["kms:bypasspolicylockoutsafetycheck", "kms:multiregion"], []),
        ("kms:ScheduleKeyDeletion", ["kms:schedulekeydeletionpendingwindowindays"], []),
        ("kms:EnableKeyRotation", ["kms:rotationperiodindays"], []),
        ("kms:ImportKeyMaterial", ["kms:validto", "kms:expirationmodel"], []),
        ("kms:ListAliases", [], ["kms:calleraccount"]),
    ],
)
def test_condition_keys_for_action(action: str, present: list[str], absent: list[str]) -> None:
    keys = kms_condition_keys_for_action(action)
    assert keys is not None
    assert all(k == k.lower() for k in keys)
    for key in present:
        assert key in keys
    for key in absent:
        assert key not in keys


def test_condition_keys_for_unknown_action() -> None:
    assert kms_condition_keys_for_action("kms:NoSuch") is None
    assert kms_condition_keys_for_action("s3:GetObject") is None


def test_every_listed_condition_key_is_catalogued() -> None:
    for action in kms_actions().values():
        for key in action.condition_keys:
            info = condition_key(key)
            assert info is not None, (action.name, key)


@pytest.mark.parametrize(
    ("action", "key", "expected"),
    [
        ("kms:CreateGrant", "kms:GrantIsForAWSResource", True),
        ("kms:CreateGrant", "kms:EncryptionContext:aws:backup:backup-vault", True),
        ("kms:creategrant", "KMS:ViaService", True),
        ("kms:DescribeKey", "kms:GrantIsForAWSResource", False),
        ("kms:DescribeKey", "kms:EncryptionContext:aws:ebs:id", False),
        ("kms:DescribeKey", "aws:PrincipalOrgID", True),
        ("kms:DescribeKey", "aws:PrincipalTag/team", True),
        ("kms:DescribeKey", "aws:RequestTag/team", False),
        ("kms:TagResource", "aws:RequestTag/team", True),
        ("kms:Decrypt", "aws:ResourceTag/team", True),
        ("kms:NoSuch", "kms:ViaService", None),
        ("kms:Decrypt", "kms:NoSuchKey", None),
    ],
)
def test_action_supports_condition_key(action: str, key: str, expected: bool | None) -> None:
    assert action_supports_condition_key(action, key) is expected
