"""EC2 instances (their block devices' keys) and FSx file systems as protected resources, in
Terraform plans and CloudFormation templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from tfplan import REGION, SRC, Plan, const, ref, source_plan

from copyguard import api
from copyguard.sources.cloudformation import parse_template, read_cloudformation
from copyguard.sources.merge import load_inputs
from copyguard.sources.terraform import read_terraform

PENDING = f"arn:aws:kms:{REGION}:{SRC}:key/pending:aws_kms_key.k"
EBS_MANAGED = f"arn:aws:kms:{REGION}:{SRC}:alias/aws/ebs"
FSX_MANAGED = f"arn:aws:kms:{REGION}:{SRC}:alias/aws/fsx"


def _select(p: Plan, address: str) -> Plan:
    """Point the source plan's selection at ``address`` instead of the EBS volume."""
    sel = next(r for r in p.root["resources"] if r["type"] == "aws_backup_selection")
    sel["expressions"]["resources"] = ref(f"{address}.arn", address)
    return p


def _instance(root: dict | None, ebs: list[dict], unknown: dict, exprs: dict) -> Plan:
    p = source_plan()
    after: dict = {"instance_type": "t3.micro", "ebs_block_device": ebs}
    if root is not None:
        after["root_block_device"] = [root]
    p.resource("aws_instance", "app", after, {"arn": True, **unknown}, exprs)
    return _select(p, "aws_instance.app")


def test_instance_volumes_each_key_decides_a_copy() -> None:
    p = _instance(
        {"encrypted": True},
        [{"device_name": "/dev/sdf", "encrypted": True}],
        {"root_block_device": [{"kms_key_id": True}], "ebs_block_device": [{"kms_key_id": True}]},
        {
            "root_block_device": [
                {"encrypted": const(True), "kms_key_id": ref("aws_kms_key.k.arn", "aws_kms_key.k")}
            ],
            "ebs_block_device": [{"device_name": const("/dev/sdf"), "encrypted": const(True)}],
        },
    )
    tf = read_terraform(p.doc(), "plan.json")
    copies = tf.doc["copies"]
    assert [c["resource_type"] for c in copies] == ["EC2", "EC2"]
    assert {c["name"].rsplit("/", 1)[-1]: c["resource_key"] for c in copies} == {
        "root": PENDING,  # the key the plan creates, by reference
        "sdf": EBS_MANAGED,  # encrypted without a key: aws/ebs (the knowledge row of EC2)
    }
    assert tf.addresses["copies[1].resource_key"] == "aws_instance.app"


def test_instance_with_one_key_is_one_copy_named_by_its_address() -> None:
    p = _instance(
        {
            "encrypted": True,
            "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/"
            + "a" * 8
            + "-aaaa-aaaa-aaaa-"
            + "a" * 12,
        },
        [],
        {},
        {"root_block_device": [{"encrypted": const(True), "kms_key_id": const("x")}]},
    )
    copies = read_terraform(p.doc(), "plan.json").doc["copies"]
    assert len(copies) == 1 and copies[0]["name"].endswith("/aws_instance.app")
    assert copies[0]["resource_key"].endswith(":key/" + "a" * 8 + "-aaaa-aaaa-aaaa-" + "a" * 12)


def test_instance_root_volume_left_to_the_ami_is_unknown_named() -> None:
    p = _instance(None, [], {"root_block_device": True}, {"instance_type": const("t3.micro")})
    tf = read_terraform(p.doc(), "plan.json")
    copy = tf.doc["copies"][0]
    assert copy["resource_type"] == "EC2" and "resource_key" not in copy
    what, why = tf.unknown_reasons["copies[0].resource_key"]
    assert what == "plan.json: aws_instance.app attribute root_block_device[0].encrypted"
    assert "AMI" in why and "account" in why


def test_instance_unencrypted_data_volume_is_known_unencrypted() -> None:
    p = _instance(
        {"encrypted": True},
        [{"device_name": "/dev/sdg", "encrypted": False}],
        {"root_block_device": [{"kms_key_id": True}]},
        {
            "root_block_device": [{"encrypted": const(True)}],
            "ebs_block_device": [{"device_name": const("/dev/sdg"), "encrypted": const(False)}],
        },
    )
    keys = {
        c["name"].rsplit("/", 1)[-1]: c["resource_key"]
        for c in read_terraform(p.doc(), "plan.json").doc["copies"]
    }
    assert keys == {"root": EBS_MANAGED, "sdg": None}


def test_instance_with_the_aws_managed_key_fails_cg102_before_deploy(tmp_path: Path) -> None:
    from test_terraform_reader import ALLOW_SRC, central_plan

    p = _instance(
        {"encrypted": True},
        [],
        {"root_block_device": [{"kms_key_id": True}]},
        {"root_block_device": [{"encrypted": const(True)}]},
    )
    loaded = load_inputs(
        (str(p.write(tmp_path / "a.json")), str(central_plan(ALLOW_SRC).write(tmp_path / "b.json")))
    )
    report = api.check_scenario(loaded.scenario)
    assert report.verdict == "fail" and any(f.code == "CG102" for f in report.findings)


@pytest.mark.parametrize(
    ("rtype", "expected_type"),
    [
        ("aws_fsx_windows_file_system", "FSx"),
        ("aws_fsx_lustre_file_system", "FSx"),
        ("aws_fsx_openzfs_file_system", "FSx"),
        ("aws_fsx_ontap_file_system", "FSx:ONTAP"),
    ],
)
def test_fsx_without_key_uses_aws_fsx(rtype: str, expected_type: str) -> None:
    p = source_plan()
    p.resource(
        rtype,
        "fs",
        {"storage_capacity": 1200},
        {"arn": True, "kms_key_id": True},
        {"storage_capacity": const(1200)},
    )
    copy = read_terraform(_select(p, f"{rtype}.fs").doc(), "plan.json").doc["copies"][0]
    assert copy["resource_type"] == expected_type
    assert copy["resource_key"] == FSX_MANAGED


def test_fsx_with_a_key_of_the_plan_and_ontap_is_not_copied(tmp_path: Path) -> None:
    from test_terraform_reader import ALLOW_SRC, central_plan

    p = source_plan()
    p.resource(
        "aws_fsx_ontap_file_system",
        "fs",
        {"storage_capacity": 1024},
        {"arn": True, "kms_key_id": True},
        {"kms_key_id": ref("aws_kms_key.k.arn", "aws_kms_key.k")},
    )
    _select(p, "aws_fsx_ontap_file_system.fs")
    copy = read_terraform(p.doc(), "plan.json").doc["copies"][0]
    assert copy["resource_key"] == PENDING
    loaded = load_inputs(
        (str(p.write(tmp_path / "a.json")), str(central_plan(ALLOW_SRC).write(tmp_path / "b.json")))
    )
    codes = {f.code for f in api.check_scenario(loaded.scenario).findings}
    assert "CG401" in codes  # AWS Backup does not copy ONTAP volumes to another account


def _cfn(body: str, **kw: str) -> dict:
    tpl, pos = parse_template(body, "t.yaml")
    return read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION, **kw).doc


PLAN_YAML = """
  Plan:
    Type: AWS::Backup::BackupPlan
    Properties:
      BackupPlan:
        BackupPlanName: p
        BackupPlanRule:
          - RuleName: r
            TargetBackupVault: local
            CopyActions:
              - DestinationBackupVaultArn: arn:aws:backup:us-east-1:444455556666:backup-vault:central
  Sel:
    Type: AWS::Backup::BackupSelection
    Properties:
      BackupPlanId: !Ref Plan
      BackupSelection:
        SelectionName: s
        IamRoleArn: arn:aws:iam::111122223333:role/backup
        Resources:
          - !Sub arn:aws:ec2:us-east-1:111122223333:instance/${Target}
"""


def test_cloudformation_instance_block_devices() -> None:
    doc = _cfn(
        """
Resources:
  Key:
    Type: AWS::KMS::Key
  Target:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12345678
      BlockDeviceMappings:
        - DeviceName: /dev/xvda
          Ebs: {Encrypted: true, KmsKeyId: !GetAtt Key.Arn}
        - DeviceName: /dev/sdf
          Ebs: {Encrypted: true}
        - DeviceName: /dev/sdg
          VirtualName: ephemeral0
"""
        + PLAN_YAML
    )
    keys = {c["name"].rsplit("/", 1)[-1]: c["resource_key"] for c in doc["copies"]}
    assert keys == {
        "xvda": f"arn:aws:kms:{REGION}:{SRC}:key/pending:Key",
        "sdf": EBS_MANAGED,
    }
    assert {c["resource_type"] for c in doc["copies"]} == {"EC2"}


def test_cloudformation_instance_without_mappings_is_unknown() -> None:
    tpl, pos = parse_template(
        "Resources:\n  Target:\n    Type: AWS::EC2::Instance\n    Properties: {ImageId: ami-1}\n"
        + PLAN_YAML,
        "t.yaml",
    )
    cfn = read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION)
    assert "resource_key" not in cfn.doc["copies"][0]
    what, why = cfn.unknown_reasons["copies[0].resource_key"]
    assert "Target" in what and "AMI" in why


def test_cloudformation_fsx_file_system() -> None:
    body = PLAN_YAML.replace("instance/${Target}", "file-system/${Target}").replace(
        ":ec2:", ":fsx:"
    )
    doc = _cfn(
        "Resources:\n  Target:\n    Type: AWS::FSx::FileSystem\n"
        "    Properties: {FileSystemType: WINDOWS, StorageCapacity: 32}\n" + body
    )
    assert doc["copies"][0]["resource_type"] == "FSx"
    assert doc["copies"][0]["resource_key"] == FSX_MANAGED
    doc = _cfn(
        "Resources:\n  Target:\n    Type: AWS::FSx::FileSystem\n"
        "    Properties: {FileSystemType: ONTAP, KmsKeyId: alias/fsx-data}\n" + body
    )
    assert doc["copies"][0]["resource_type"] == "FSx:ONTAP"
    assert doc["copies"][0]["resource_key"] == f"arn:aws:kms:{REGION}:{SRC}:alias/fsx-data"
