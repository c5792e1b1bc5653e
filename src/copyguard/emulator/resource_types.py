"""What the emulator needs to know about AWS Backup resource types.

The answer comes from ``copyguard.knowledge`` when it has resource-type data, and from the
fallback table below otherwise (facts sheet sections 2.1-2.3, 2023 baseline).
"""

from __future__ import annotations

from copyguard.records import record


@record(frozen=True)
class TypeInfo:
    name: str
    fully_managed: bool
    cross_account: bool
    cross_region_and_account: bool
    #: the service whose grants do the copy's cryptography (kms:ViaService prefix)
    via_service: str
    #: which status message a source-key failure produces: "ebs", "rds" or "generic"
    key_family: str
    #: the label AWS uses in "cannot be initiated for <label> resources"
    label: str


_FALLBACK: dict[str, TypeInfo] = {
    t.name: t
    for t in (
        TypeInfo("EBS", False, True, True, "ec2", "ebs", "EBS"),
        TypeInfo("EC2", False, True, True, "ec2", "ebs", "EC2"),
        TypeInfo("Storage Gateway", False, True, True, "ec2", "ebs", "Storage Gateway"),
        TypeInfo("RDS", False, True, False, "rds", "rds", "RDS"),
        TypeInfo("Aurora", False, True, False, "rds", "rds", "Aurora"),
        TypeInfo("DocumentDB", False, True, False, "rds", "rds", "DocumentDB"),
        TypeInfo("Neptune", False, True, False, "rds", "rds", "Neptune"),
        TypeInfo("FSx", False, True, True, "fsx", "generic", "FSx"),
        TypeInfo("Redshift", False, False, False, "redshift", "generic", "Redshift"),
        TypeInfo("EFS", True, True, True, "backup", "generic", "EFS"),
        TypeInfo("S3", True, True, True, "backup", "generic", "S3"),
        TypeInfo("DynamoDB", True, True, True, "backup", "generic", "DynamoDB"),
        TypeInfo("VirtualMachine", True, True, True, "backup", "generic", "VirtualMachine"),
        TypeInfo("Timestream", True, True, True, "backup", "generic", "Timestream"),
        TypeInfo("CloudFormation", True, True, True, "backup", "generic", "CloudFormation"),
        TypeInfo("SAP HANA on Amazon EC2", True, True, True, "backup", "generic", "SAP HANA"),
    )
}


def _from_knowledge(name: str) -> TypeInfo | None:
    """copyguard.knowledge's answer; a fact it leaves "depends"/"unconfirmed" is taken from the
    fallback table (the 2023 documentation), so the emulator always behaves definitely."""
    try:
        from copyguard.knowledge import resource_type
    except ImportError:  # pragma: no cover - knowledge is part of the core package
        return None
    try:
        info = resource_type(name)
    except Exception:  # data not loadable: fall back
        return None
    if info is None:
        return None
    canonical = info.variant_of or info.name
    base = _FALLBACK.get(info.name) or _FALLBACK.get(canonical)

    def pick(value: object, fallback: bool) -> bool:
        return value if isinstance(value, bool) else fallback

    fully = pick(info.fully_managed, base.fully_managed if base else True)
    return TypeInfo(
        name=name,
        fully_managed=fully,
        cross_account=pick(info.cross_account_copy, base.cross_account if base else True),
        cross_region_and_account=pick(
            info.cross_region_and_account_single_copy,
            base.cross_region_and_account if base else True,
        ),
        via_service=info.via_service or (base.via_service if base else "backup"),
        key_family=base.key_family if base else "generic",
        label=base.label if base else name,
    )


def type_info(name: str) -> TypeInfo:
    info = _from_knowledge(name)
    if info is not None:
        return info
    if name in _FALLBACK:
        return _FALLBACK[name]
    # Unknown types: treat as fully managed (recovery points under the vault key).
    return TypeInfo(name, True, True, True, "backup", "generic", name)


def resource_type_of_arn(arn: str) -> str | None:
    """The AWS Backup resource type of a resource ARN, or None if unrecognised."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "ec2":
        if resource.startswith("volume/"):
            return "EBS"
        if resource.startswith("instance/"):
            return "EC2"
        return None
    if service == "rds":
        if resource.startswith("db:"):
            return "RDS"
        if resource.startswith("cluster:"):
            return "Aurora"
        return None
    return {
        "elasticfilesystem": "EFS",
        "dynamodb": "DynamoDB",
        "s3": "S3",
        "fsx": "FSx",
        "storagegateway": "Storage Gateway",
        "redshift": "Redshift",
        "timestream": "Timestream",
        "cloudformation": "CloudFormation",
    }.get(service)
