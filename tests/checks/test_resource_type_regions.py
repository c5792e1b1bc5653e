"""CG401-CG404 against the December 2026 facts: Region limits as data (opt-in, China,
GovCloud, partitions), RDS Multi-AZ DB clusters and FSx for NetApp ONTAP told apart by the
resource ARN, Redshift without cross-account copy, composite EKS, cold-tier copies, and what
CG402 says still blocks a combined copy."""

from __future__ import annotations

from typing import Any

import pytest
from cg_factory import DST, SRC, base, check, finding

from copyguard.checks import Report


def _family(report: Report) -> set[str]:
    """The CG4xx codes (and the CG902s raised for them) of a report."""
    out = {f.code for f in report.findings if f.code.startswith("CG4")}
    out |= {
        "CG902"
        for f in report.findings
        if f.code == "CG902" and str(f.evidence.get("needed_for", "")).startswith("CG4")
    }
    return out


def _copy(
    rtype: str,
    src_region: str = "us-east-1",
    dst_region: str = "us-east-1",
    *,
    dst_account: str = DST,
    resource_arn: str | None = None,
    partition: str = "aws",
    dst_partition: str | None = None,
    **copy_fields: Any,
) -> dict[str, Any]:
    doc = base()
    src_vault = f"arn:{partition}:backup:{src_region}:{SRC}:backup-vault:local"
    dst_vault = (
        f"arn:{dst_partition or partition}:backup:{dst_region}:{dst_account}:backup-vault:central"
    )
    doc["vaults"][0]["arn"] = dst_vault
    cp = doc["copies"][0]
    cp.update({"resource_type": rtype, "source_vault": src_vault, "destination_vault": dst_vault})
    if resource_arn is not None:
        cp["resource_arn"] = resource_arn
    else:
        cp.pop("resource_arn", None)
    cp.update(copy_fields)
    return doc


REGION_TABLE: list[tuple[str, dict[str, Any], set[str]]] = [
    ("docdb-opt-in-cross-account", _copy("DocumentDB", "af-south-1", "af-south-1"), {"CG403"}),
    ("neptune-opt-in-destination", _copy("Neptune", "us-east-1", "eu-south-1"), {"CG403"}),
    ("timestream-opt-in", _copy("Timestream", "me-central-1", "me-central-1"), {"CG403"}),
    ("cloudformation-opt-in", _copy("CloudFormation", "ap-east-1", "ap-east-1"), {"CG403"}),
    ("ebs-opt-in-is-fine", _copy("EBS", "af-south-1", "af-south-1"), set()),
    ("docdb-default-region-is-fine", _copy("DocumentDB", "eu-west-1", "eu-west-1"), set()),
    (
        "docdb-same-account-opt-in-is-fine",
        _copy("DocumentDB", "af-south-1", "af-south-1", dst_account=SRC),
        set(),
    ),
    (
        "fsx-opt-in-cross-region",
        _copy("FSx", "il-central-1", "eu-west-1", dst_account=SRC),
        {"CG403"},
    ),
    (
        "china-cross-account",
        _copy("EBS", "cn-north-1", "cn-north-1", partition="aws-cn"),
        {"CG403"},
    ),
    (
        "china-pair-same-account",
        _copy("EBS", "cn-north-1", "cn-northwest-1", dst_account=SRC, partition="aws-cn"),
        set(),
    ),
    (
        "govcloud-pair-same-account",
        _copy("EBS", "us-gov-west-1", "us-gov-east-1", dst_account=SRC, partition="aws-us-gov"),
        set(),
    ),
    (
        "govcloud-cross-account-in-region",
        _copy("EBS", "us-gov-west-1", "us-gov-west-1", partition="aws-us-gov"),
        set(),
    ),
    (
        "govcloud-to-commercial",
        _copy("EBS", "us-gov-west-1", "us-east-1", partition="aws-us-gov", dst_partition="aws"),
        {"CG403"},
    ),
    ("unknown-region-cross-region", _copy("EBS", "us-east-1", "zz-north-9"), {"CG902"}),
    ("unknown-region-same-region-ebs", _copy("EBS", "zz-north-9", "zz-north-9"), set()),
    (
        "unknown-region-docdb-cross-account",
        _copy("DocumentDB", "zz-north-9", "zz-north-9"),
        {"CG902"},
    ),
]


@pytest.mark.parametrize(
    ("doc", "want"), [t[1:] for t in REGION_TABLE], ids=[t[0] for t in REGION_TABLE]
)
def test_region_limits(doc: dict[str, Any], want: set[str]) -> None:
    report = check(doc)
    assert _family(report) == want, [(f.code, f.message.en) for f in report.findings]
    if "CG403" in want:
        f = finding(report, "CG403")
        assert f.severity == "error" and report.verdict == "fail"
        assert f.evidence["sources"] and f.evidence["limit"]


def test_opt_in_finding_names_the_region_and_type() -> None:
    f = finding(check(_copy("DocumentDB", "us-east-1", "af-south-1")), "CG403")
    assert f.evidence["limit"] == "type-cross-account"
    assert f.evidence["region"] == "af-south-1"
    assert "af-south-1" in f.message.en and "DocumentDB" in f.message.en
    assert "af-south-1" in f.message.zh


def test_china_says_no_cross_account_copy() -> None:
    report = check(_copy("S3", "cn-north-1", "cn-northwest-1", partition="aws-cn"))
    limits = {f.evidence["limit"] for f in report.findings if f.code == "CG403"}
    assert limits == {"no-cross-account"}


def test_a_region_limit_explains_the_observed_message_instead_of_cg402() -> None:
    msg = (
        "Copy job from us-east-1 to eu-south-1 cannot be initiated for Neptune resources. "
        "Feature is not supported for provided resource type."
    )
    report = check(_copy("Neptune", "us-east-1", "eu-south-1", status_message=msg))
    assert _family(report) == {"CG403"}
    assert finding(report, "CG403").evidence["observed"] == msg


def test_cg402_observed_lists_what_still_blocks_a_combined_copy() -> None:
    msg = (
        "Copy job from us-east-1 to us-west-2 cannot be initiated for Aurora resources. "
        "Feature is not supported for provided resource type."
    )
    f = finding(check(_copy("Aurora", "us-east-1", "us-west-2", status_message=msg)), "CG402")
    for words in ("opt-in Region", "China Regions", "GovCloud", "Multi-AZ DB cluster", "cold tier"):
        assert words in f.message.en, words
    assert "supports one copy that is both cross-Region and cross-account today" in f.message.en


@pytest.mark.parametrize("rtype", ["RDS", "Aurora", "DocumentDB", "Neptune"])
def test_rds_family_combined_copy_passes(rtype: str) -> None:
    assert _family(check(_copy(rtype, "us-east-1", "us-west-2"))) == set()


MAZ = f"arn:aws:rds:us-east-1:{SRC}:cluster:orders-maz"


def test_multi_az_db_cluster_is_recognised_from_the_arn() -> None:
    report = check(_copy("RDS", resource_arn=MAZ))
    f = finding(report, "CG401")
    assert f.severity == "error"
    assert "Multi-AZ DB cluster" in f.message.en and MAZ in f.message.en
    assert f.path.endswith("resource_arn")
    assert f.evidence["resource_type"] == "RDS:MultiAZCluster"


def test_an_rds_instance_is_not_a_multi_az_cluster() -> None:
    report = check(_copy("RDS", resource_arn=f"arn:aws:rds:us-east-1:{SRC}:db:orders"))
    assert "CG401" not in _family(report)


def test_ontap_is_recognised_from_the_arn() -> None:
    arn = f"arn:aws:fsx:us-east-1:{SRC}:volume/fs-0123456789abcdef0/fsvol-0123456789abcdef0"
    f = finding(check(_copy("FSx", resource_arn=arn)), "CG401")
    assert f.evidence["resource_type"] == "FSx:ONTAP"


@pytest.mark.parametrize("rtype", ["Redshift", "Redshift Serverless"])
def test_redshift_says_no_not_unconfirmed(rtype: str) -> None:
    report = check(_copy(rtype))
    f = finding(report, "CG401")
    assert f.severity == "error"
    assert "not unconfirmed" in f.message.en
    assert not [x for x in report.findings if x.code == "CG902"]


def test_eks_warns_that_efs_volumes_are_not_copied() -> None:
    report = check(_copy("EKS"))
    f = finding(report, "CG401")
    assert f.severity == "warning"
    assert "EFS" in f.message.en and "EFS" in f.message.zh


@pytest.mark.parametrize(
    ("lifecycle", "cross_account", "want"),
    [
        ({"delete_after_days": 365, "move_to_cold_storage_after_days": 30}, True, {"CG404"}),
        ({"delete_after_days": 365}, True, set()),
        ({"delete_after_days": 365, "move_to_cold_storage_after_days": 30}, False, set()),
        (None, True, set()),
    ],
)
def test_cold_tier_copies(lifecycle: Any, cross_account: bool, want: set[str]) -> None:
    doc = _copy("EBS", dst_account=DST if cross_account else SRC, lifecycle=lifecycle)
    report = check(doc)
    assert _family(report) == want
    if want:
        f = finding(report, "CG404")
        assert f.severity == "warning"
        assert f.path.endswith("lifecycle.move_to_cold_storage_after_days")
        assert "30 days" in f.message.en


def test_cloudformation_is_checked_on_the_source_vault_key() -> None:
    """Not fully managed (no tick in AWS's table), but the stack's own recovery point is under
    the vault key: that is the source key copyguard judges, not a resource key."""
    from cg_factory import SRC_KEY, SRC_VAULT, UNSHARED

    doc = _copy("CloudFormation")
    doc["keys"][0]["policy"] = UNSHARED
    doc["vaults"].append({"arn": SRC_VAULT, "key": SRC_KEY})
    doc["copies"][0]["source_vault"] = SRC_VAULT
    doc["copies"][0].pop("resource_key", None)
    report = check(doc)
    f = finding(report, "CG101")
    assert f.resource == SRC_KEY
