"""Start/stop, the written profiles, identities and account isolation."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator_fixtures import REGION, World

pytestmark = pytest.mark.emulator


def test_health_and_profiles(world: World) -> None:
    request = urllib.request.Request(
        f"{world.emu.endpoint_url}/copyguard/health", headers=world.emu.control_headers()
    )
    with urllib.request.urlopen(request) as response:
        info = json.load(response)
    assert info["accounts"] == world.accounts
    assert info["region"] == REGION
    config = world.config_file.read_text()
    for name in ("management", "source", "destination"):
        assert f"[profile {name}]" in config
        assert f"[{name}]" in world.credentials_file.read_text()
    assert f"endpoint_url = {world.emu.endpoint_url}" in config
    assert world.emu.endpoint_url.startswith("http://127.0.0.1:")


def test_each_profile_is_its_account(world: World) -> None:
    for name, account in world.accounts.items():
        ident = world.client(name, "sts").get_caller_identity()
        assert ident["Account"] == account
        assert ident["Arn"] == f"arn:aws:iam::{account}:user/copyguard-admin"


def test_emulator_session_api(world: World) -> None:
    session = world.emu.session("destination")
    assert session.client("sts").get_caller_identity()["Account"] == world.destination
    assert session.region_name == REGION


def test_organization(world: World) -> None:
    org = world.client("management", "organizations").describe_organization()["Organization"]
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == world.management
    for name in ("source", "destination"):
        member = world.client(name, "organizations").describe_organization()["Organization"]
        assert member["Id"] == org["Id"]
    accounts = world.client("management", "organizations").list_accounts()["Accounts"]
    assert {a["Id"] for a in accounts} == set(world.accounts.values())


def test_service_linked_role_exists(world: World) -> None:
    for name in ("source", "destination"):
        role = world.client(name, "iam").get_role(RoleName="AWSServiceRoleForBackup")["Role"]
        assert role["Path"] == "/aws-service-role/backup.amazonaws.com/"
        assert role["Arn"] == world.slr(world.accounts[name])


def test_unknown_credentials_are_refused(world: World) -> None:
    for service in ("kms", "sts", "backup", "ec2"):
        client = boto3.client(
            service,
            region_name=REGION,
            endpoint_url=world.emu.endpoint_url,
            aws_access_key_id="AKIAUNKNOWNUNKNOWN00",
            aws_secret_access_key="x",
        )
        call = {
            "kms": lambda c: c.list_keys(),
            "sts": lambda c: c.get_caller_identity(),
            "backup": lambda c: c.list_backup_vaults(),
            "ec2": lambda c: c.describe_volumes(),
        }[service]
        with pytest.raises(ClientError) as info:
            call(client)
        assert info.value.response["Error"]["Code"] in (
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "AuthFailure",
        )


def test_accounts_are_isolated(world: World) -> None:
    key = world.cmk("source")
    dest_kms = world.client("destination", "kms")
    assert key["KeyId"] not in {k["KeyId"] for k in dest_kms.list_keys()["Keys"]}
    with pytest.raises(ClientError):
        dest_kms.describe_key(KeyId=key["KeyId"])  # a bare ID resolves in the caller's account
    vault = world.vault("source", None).rsplit(":", 1)[-1]
    names = {
        v["BackupVaultName"]
        for v in world.client("destination", "backup").list_backup_vaults()["BackupVaultList"]
    }
    assert vault not in names
    volume = world.client("source", "ec2").create_volume(Size=1, AvailabilityZone=f"{REGION}a")
    dest_volumes = world.client("destination", "ec2").describe_volumes()["Volumes"]
    assert volume["VolumeId"] not in {v["VolumeId"] for v in dest_volumes}


def test_only_one_emulator_per_process(world: World) -> None:
    from copyguard.emulator import Emulator, EmulatorError

    with pytest.raises(EmulatorError, match="already running"):
        Emulator(port=0).start()
    assert world.client("source", "sts").get_caller_identity()["Account"] == world.source


def test_bad_account_configuration() -> None:
    from copyguard.emulator import Emulator, EmulatorError

    with pytest.raises(EmulatorError):
        Emulator(accounts={"source": "123"})
    with pytest.raises(EmulatorError):
        Emulator(accounts={"source": "111122223333", "destination": "111122223333"})


def test_fault_injection(world: World) -> None:
    kms = world.client("source", "kms")
    key = world.cmk()
    world.emu.faults.add("kms", "GetKeyPolicy", "AccessDeniedException", "injected", times=1)
    with pytest.raises(ClientError) as info:
        kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert info.value.response["Error"] == {"Code": "AccessDeniedException", "Message": "injected"}
    kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")  # fired once only

    # over HTTP, for an emulator in another process; throttling is retried by botocore
    request = urllib.request.Request(
        f"{world.emu.endpoint_url}/copyguard/faults",
        data=json.dumps(
            {
                "service": "backup",
                "operation": "ListBackupVaults",
                "code": "ThrottlingException",
                "times": 1,
                "account": world.destination,
            }
        ).encode(),
        method="POST",
        headers=world.emu.control_headers(),
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["code"] == "ThrottlingException"
    backup = world.session("destination").client("backup")  # default retries
    assert "BackupVaultList" in backup.list_backup_vaults()
    for service, operation, call in (
        ("iam", "GetRole", lambda: world.client("source", "iam").get_role(RoleName="x")),
        ("ec2", "DescribeVolumes", lambda: world.client("source", "ec2").describe_volumes()),
        (
            "backup",
            "DescribeCopyJob",
            lambda: world.client("source", "backup").describe_copy_job(CopyJobId="x"),
        ),
    ):
        world.emu.faults.add(service, operation, "AccessDenied", "nope", status=403, times=1)
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "AccessDenied"
    world.emu.faults.clear()
    assert world.emu.faults.list() == []
