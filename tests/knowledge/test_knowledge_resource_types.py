from __future__ import annotations

import pytest

from copyguard.knowledge import (
    classify_recovery_point_arn,
    provenance,
    resource_type,
    resource_type_variant,
    resource_types,
)

BRIEF_TYPES = [
    "EBS", "EC2", "RDS", "Aurora", "DocumentDB", "Neptune", "DynamoDB", "EFS", "S3", "FSx",
    "FSx:ONTAP", "Storage Gateway", "VirtualMachine", "Timestream", "CloudFormation",
    "SAP HANA on Amazon EC2", "Redshift", "Redshift Serverless", "Aurora DSQL", "EKS",
    "RDS:MultiAZCluster",
]  # fmt: skip


def test_every_type_is_present() -> None:
    assert set(BRIEF_TYPES) <= set(resource_types())


@pytest.mark.parametrize("name", BRIEF_TYPES)
def test_every_row_has_resolvable_sources(name: str) -> None:
    info = resource_types()[name]
    assert info.sources
    prov = provenance()["resource_types.yaml"]
    for source in info.sources:
        assert prov.source(source) is not None, source
    assert info.note or info.confidence == "confirmed"


@pytest.mark.parametrize(
    ("asked", "name"),
    [
        ("EBS", "EBS"),
        ("ebs", "EBS"),
        ("VMware", "VirtualMachine"),
        ("virtual machine", "VirtualMachine"),
        ("DocDB", "DocumentDB"),
        ("docdb", "DocumentDB"),
        ("SAP HANA", "SAP HANA on Amazon EC2"),
        ("sap hana on amazon ec2", "SAP HANA on Amazon EC2"),
        ("StorageGateway", "Storage Gateway"),
        ("storage-gateway", "Storage Gateway"),
        ("Redshift_Serverless", "Redshift Serverless"),
        ("ONTAP", "FSx:ONTAP"),
        ("FSx for NetApp ONTAP", "FSx:ONTAP"),
        ("fsx", "FSx"),
        ("AMI", "EC2"),
        ("dsql", "Aurora DSQL"),
        ("Amazon S3", "S3"),
    ],
)
def test_lookup_is_case_insensitive_with_aliases(asked: str, name: str) -> None:
    info = resource_type(asked)
    assert info is not None
    assert info.name == name


@pytest.mark.parametrize("asked", ["", "Lambda", "EBS2", "S3 Glacier"])
def test_unknown_types(asked: str) -> None:
    assert resource_type(asked) is None


FULLY_MANAGED = {"EFS", "S3", "VirtualMachine", "Timestream", "SAP HANA on Amazon EC2",
                 "Aurora DSQL"}  # fmt: skip
NOT_FULLY_MANAGED = {"EBS", "EC2", "RDS", "Aurora", "DocumentDB", "Neptune", "FSx", "FSx:ONTAP",
                     "Storage Gateway", "Redshift", "Redshift Serverless",
                     "RDS:MultiAZCluster"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FULLY_MANAGED))
def test_fully_managed_types(name: str) -> None:
    info = resource_types()[name]
    assert info.fully_managed is True
    assert info.source_key == "vault"
    assert info.destination_vault_key_rules.aws_backup_key is True
    assert info.aws_managed_key_alias == "alias/aws/backup"


@pytest.mark.parametrize("name", sorted(NOT_FULLY_MANAGED))
def test_not_fully_managed_types(name: str) -> None:
    info = resource_types()[name]
    assert info.fully_managed is False
    assert info.source_key == "resource"
    assert info.destination_vault_key_rules.aws_backup_key is False


def test_dynamodb_depends_on_advanced_features() -> None:
    info = resource_types()["DynamoDB"]
    assert info.fully_managed == "depends"
    assert info.management_setting == "ResourceTypeManagementPreference"
    assert info.cross_account_copy == "depends"
    assert "advanced features" in info.note
    assert info.destination_vault_key_rules.aws_backup_key == "depends"


@pytest.mark.parametrize(
    ("name", "arn", "expected"),
    [
        ("RDS", "arn:aws:rds:us-east-1:111122223333:cluster:orders-maz", "RDS:MultiAZCluster"),
        ("RDS", "arn:aws:rds:us-east-1:111122223333:db:orders-db", "RDS"),
        ("RDS", None, "RDS"),
        ("FSx", "arn:aws:fsx:us-east-1:111122223333:volume/fs-0123456789abcdef0/fsvol-0123456789abcdef0",
         "FSx:ONTAP"),
        ("FSx", "arn:aws:fsx:us-east-1:111122223333:file-system/fs-0123456789abcdef0", "FSx"),
        ("Aurora", "arn:aws:rds:us-east-1:111122223333:cluster:orders-cluster", "Aurora"),
    ],
)  # fmt: skip
def test_variants_are_recognised_by_the_resource_arn(
    name: str, arn: str | None, expected: str
) -> None:
    info = resource_type_variant(name, arn)
    assert info is not None and info.name == expected


def test_multi_az_db_clusters_cannot_be_copied() -> None:
    info = resource_types()["RDS:MultiAZCluster"]
    assert info.variant_of == "RDS"
    assert "do not currently support any copy operations" in info.note


def test_ontap_variant_cannot_copy() -> None:
    info = resource_types()["FSx:ONTAP"]
    assert info.variant_of == "FSx"
    assert info.cross_account_copy is False
    assert info.cross_region_copy is False
    assert info.cross_region_and_account_single_copy is False


@pytest.mark.parametrize(
    ("name", "alias", "via"),
    [
        ("EBS", "alias/aws/ebs", "ec2"),
        ("EC2", "alias/aws/ebs", "ec2"),
        ("RDS", "alias/aws/rds", "rds"),
        ("Aurora", "alias/aws/rds", "rds"),
        ("DocumentDB", "alias/aws/rds", "rds"),
        ("Neptune", "alias/aws/rds", "rds"),
        ("FSx", "alias/aws/fsx", "fsx"),
        ("Storage Gateway", None, "ec2"),
        ("S3", "alias/aws/backup", "backup"),
    ],
)
def test_keys_and_via_service(name: str, alias: str | None, via: str) -> None:
    info = resource_types()[name]
    assert (info.aws_managed_key_alias, info.via_service) == (alias, via)
    assert info.via_service_host("eu-west-1") == f"{via}.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0", ("EBS", "Storage Gateway")),
        ("arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0", ("EC2",)),
        ("arn:aws:rds:us-east-1:111122223333:snapshot:awsbackup:job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
         ("RDS",)),
        ("arn:aws:rds:eu-central-1:111122223333:cluster-snapshot:awsbackup:job-1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
         ("Aurora", "DocumentDB", "Neptune", "RDS:MultiAZCluster")),
        ("arn:aws:dynamodb:us-east-1:111122223333:table/Orders/backup/01634567890123-abcdef12",
         ("DynamoDB",)),
        ("arn:aws:fsx:us-east-1:111122223333:backup/backup-0123456789abcdef0", ("FSx", "FSx:ONTAP")),
        ("arn:aws:redshift:us-east-1:111122223333:snapshot:prod-cluster/awsbackup:job-1a2b3c4d",
         ("Redshift",)),
        ("arn:aws:redshift-serverless:us-east-1:111122223333:snapshot:resource/awsbackup:job-1a2b",
         ("Redshift Serverless",)),
        ("arn:aws:backup:us-east-1:111122223333:recovery-point:1EB3B5E7-9EB0-435A-A80B-108B488B0D45",
         ("DynamoDB", "EFS", "S3", "VirtualMachine", "Timestream", "CloudFormation",
          "SAP HANA on Amazon EC2", "Aurora DSQL", "EKS")),
        ("arn:aws:s3:::my-bucket", ()),
        ("not an arn", ()),
    ],
)  # fmt: skip
def test_classify_recovery_point_arn(arn: str, expected: tuple[str, ...]) -> None:
    assert classify_recovery_point_arn(arn) == expected


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("EBS", "arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0"),
        ("EC2", "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0"),
        ("RDS", "arn:aws:rds:us-east-1:111122223333:db:orders-db"),
        ("Aurora", "arn:aws:rds:us-east-1:111122223333:cluster:orders-cluster"),
        ("DynamoDB", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"),
        ("EFS", "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123456789abcdef0"),
        ("S3", "arn:aws:s3:::my-bucket"),
        ("FSx", "arn:aws:fsx:us-east-1:111122223333:file-system/fs-0123456789abcdef0"),
        ("FSx:ONTAP", "arn:aws:fsx:us-east-1:111122223333:volume/fs-0123456789abcdef0/fsvol-0123456789abcdef0"),
        ("Storage Gateway", "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"),
        ("VirtualMachine", "arn:aws:backup-gateway:us-east-1:111122223333:vm/vm-0123456789abcdef0"),
        ("Redshift", "arn:aws:redshift:us-east-1:111122223333:cluster:prod-cluster"),
        ("EKS", "arn:aws:eks:us-east-1:111122223333:cluster/prod"),
    ],
)  # fmt: skip
def test_resource_arn_patterns(name: str, arn: str) -> None:
    assert resource_types()[name].matches_resource_arn(arn)
    assert not resource_types()[name].matches_resource_arn(arn + "/extra x")
