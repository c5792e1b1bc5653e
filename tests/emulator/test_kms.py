"""KMS in front of moto: policy validation, lockout safety, cross-account key use."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import World

pytestmark = pytest.mark.emulator

INVALID = "Policy contains a statement with one or more invalid principals."
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def _policy(kms: object, key_id: str) -> dict:
    return json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])  # type: ignore[attr-defined]


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def test_put_key_policy_rejects_missing_principals(world: World) -> None:
    key = world.cmk()
    kms = world.client("source", "kms")
    policy = _policy(kms, key["KeyId"])
    policy["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{world.destination}:role/does-not-exist"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        }
    )
    with pytest.raises(ClientError) as info:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    assert _error(info) == ("MalformedPolicyDocumentException", INVALID)
    # the destination SLR exists, so naming it is accepted
    policy["Statement"][-1]["Principal"] = {"AWS": world.slr()}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
    # ... until it is deleted
    world.client("destination", "iam").delete_service_linked_role(
        RoleName="AWSServiceRoleForBackup"
    )
    try:
        with pytest.raises(ClientError) as info:
            kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
        assert _error(info) == ("MalformedPolicyDocumentException", INVALID)
    finally:
        world.client("destination", "iam").create_service_linked_role(
            AWSServiceName="backup.amazonaws.com"
        )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))


def test_lockout_safety_check(world: World) -> None:
    key = world.cmk()
    kms = world.client("source", "kms")
    locked = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{world.destination}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    with pytest.raises(ClientError) as info:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(locked))
    assert _error(info) == ("MalformedPolicyDocumentException", LOCKOUT)
    with pytest.raises(ClientError) as info:
        kms.create_key(Policy=json.dumps(locked))
    assert _error(info) == ("MalformedPolicyDocumentException", LOCKOUT)
    # the caller named directly keeps access
    admin = f"arn:aws:iam::{world.source}:user/copyguard-admin"
    locked["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(locked))
    # with the bypass flag, a lockout policy is accepted, and then PutKeyPolicy is denied
    other = world.cmk()
    locked["Statement"].pop()
    kms.put_key_policy(
        KeyId=other["KeyId"],
        PolicyName="default",
        Policy=json.dumps(locked),
        BypassPolicyLockoutSafetyCheck=True,
    )
    with pytest.raises(ClientError) as info:
        kms.get_key_policy(KeyId=other["KeyId"], PolicyName="default")
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"


def test_malformed_policy(world: World) -> None:
    key = world.cmk()
    kms = world.client("source", "kms")
    with pytest.raises(ClientError) as info:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy="{not json")
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"


def test_cross_account_key_use(world: World) -> None:
    key = world.cmk()
    dest_kms = world.client("destination", "kms")
    with pytest.raises(ClientError) as info:
        dest_kms.describe_key(KeyId=key["Arn"])
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    world.share_key(key)
    meta = dest_kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert (meta["AWSAccountId"], meta["KeyId"]) == (world.source, key["KeyId"])
    # a direct CreateGrant is not "for an AWS resource": the grant statement does not apply
    with pytest.raises(ClientError) as info:
        dest_kms.create_grant(
            KeyId=key["Arn"], GranteePrincipal=world.slr(), Operations=["Decrypt"]
        )
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    # cryptographic use cross-account works with the key ARN
    blob = dest_kms.encrypt(KeyId=key["Arn"], Plaintext=b"hello")["CiphertextBlob"]
    assert dest_kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"hello"
    # the key policy and aliases are for the owner only
    with pytest.raises(ClientError) as info:
        dest_kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"


def test_aws_managed_keys(world: World) -> None:
    kms = world.client("source", "kms")
    meta = kms.describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    with pytest.raises(ClientError) as info:
        kms.put_key_policy(
            KeyId=meta["KeyId"],
            PolicyName="default",
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:aws:iam::{world.source}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
            ),
        )
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"


def test_disabled_key(world: World) -> None:
    key = world.cmk()
    kms = world.client("source", "kms")
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as info:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert _error(info) == ("DisabledException", f"{key['Arn']} is disabled.")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


@pytest.mark.parametrize("by", ["KeyId", "Arn"])
def test_key_state_operations_accept_the_key_arn(world: World, by: str) -> None:
    """KMS takes a key ID or a key ARN for DisableKey, EnableKey, ScheduleKeyDeletion and
    CancelKeyDeletion (moto alone takes only the ID)."""
    key = world.cmk()
    ref = key[by]
    kms = world.client("source", "kms")

    def state() -> str:
        return str(kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["KeyState"])

    kms.disable_key(KeyId=ref)
    assert state() == "Disabled"
    kms.enable_key(KeyId=ref)
    assert state() == "Enabled"
    kms.schedule_key_deletion(KeyId=ref, PendingWindowInDays=7)
    assert state() == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=ref)
    kms.enable_key(KeyId=ref)
    assert state() == "Enabled"
    with pytest.raises(ClientError) as info:
        world.client("destination", "kms").disable_key(KeyId=key["Arn"])
    assert _error(info)[0] == "AccessDeniedException"
