"""Every data file records its sources, and every UNCONFIRMED fact stays visible."""

from __future__ import annotations

import pytest

from copyguard.knowledge import (
    DATA_FILES,
    condition_key,
    copy_contexts,
    copy_requirements,
    error_catalogue,
    kms_action,
    kms_actions,
    provenance,
    resource_types,
)


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_file_has_provenance(name: str) -> None:
    prov = provenance()[name]
    assert prov.file == name
    assert prov.compiled == "2026-11"
    assert prov.notes
    assert prov.sources
    assert len({s.id for s in prov.sources}) == len(prov.sources)
    for source in prov.sources:
        assert source.url.startswith("https://"), source


def test_provenance_covers_exactly_the_data_files() -> None:
    assert set(provenance()) == set(DATA_FILES)


def test_kms_action_sources_resolve() -> None:
    prov = provenance()["kms.yaml"]
    for action in kms_actions().values():
        for source in action.sources:
            assert prov.source(source) is not None, (action.name, source)


def test_copy_requirement_sources_resolve() -> None:
    prov = provenance()["copy_requirements.yaml"]
    req = copy_requirements()
    ids = [s for a in req.actions for s in a.sources]
    ids += [s for r in req.context_keys for s in r.sources]
    ids += [s for c in req.caveats for s in c.sources]
    for source in ids:
        assert prov.source(source) is not None, source


def test_uncertain_urls_are_marked() -> None:
    dash = provenance()["errors.yaml"].source("S-DASH")
    assert dash is not None and "UNCONFIRMED" in dash.note
    news = provenance()["resource_types.yaml"].source("WHATSNEW-2025-10")
    assert news is not None and "UNCONFIRMED" in news.note


# (resource type, field) for every UNCONFIRMED fact of the facts sheet encoded in
# resource_types.yaml.
UNCONFIRMED_RESOURCE_FACTS = [
    ("RDS", "cross_region_and_account_single_copy"),
    ("Aurora", "cross_region_and_account_single_copy"),
    ("DocumentDB", "cross_region_and_account_single_copy"),
    ("Neptune", "cross_region_and_account_single_copy"),
    ("FSx", "cross_region_and_account_single_copy"),
    ("Storage Gateway", "cross_region_and_account_single_copy"),
    ("Timestream", "cross_region_and_account_single_copy"),
    ("VirtualMachine", "cross_region_and_account_single_copy"),
    ("CloudFormation", "cross_region_and_account_single_copy"),
    ("Redshift", "cross_region_copy"),
    ("Redshift", "cross_account_copy"),
    ("Redshift", "cross_region_and_account_single_copy"),
    ("Redshift Serverless", "cross_region_copy"),
    ("Redshift Serverless", "cross_account_copy"),
    ("SAP HANA on Amazon EC2", "cross_region_copy"),
    ("SAP HANA on Amazon EC2", "cross_account_copy"),
    ("Aurora DSQL", "fully_managed"),
    ("Aurora DSQL", "cross_account_copy"),
    ("EKS", "fully_managed"),
    ("EKS", "cross_account_copy"),
    ("EKS", "recovery_point_arn"),
    # kms:ViaService of a copy of a fully managed type
    ("S3", "via_service"),
    ("EFS", "via_service"),
    ("DynamoDB", "via_service"),
    ("VirtualMachine", "via_service"),
    ("Storage Gateway", "via_service"),
]


@pytest.mark.parametrize(("name", "field"), UNCONFIRMED_RESOURCE_FACTS)
def test_unconfirmed_resource_facts_are_flagged(name: str, field: str) -> None:
    info = resource_types()[name]
    assert info.is_unconfirmed(field)
    assert info.confidence == "unconfirmed"
    assert "unconfirmed" in info.note.lower()
    value = getattr(info, field)
    if field in ("fully_managed", "cross_account_copy", "cross_region_copy",
                 "cross_region_and_account_single_copy"):  # fmt: skip
        assert value == "unconfirmed"


def test_oct_2025_change_is_noted() -> None:
    for name in ("RDS", "Aurora", "DocumentDB", "Neptune"):
        info = resource_types()[name]
        assert "October 2025" in info.note
        assert "WHATSNEW-2025-10" in info.sources


def test_confirmed_rows_have_no_unconfirmed_values() -> None:
    for info in resource_types().values():
        if info.confidence == "confirmed":
            assert not info.unconfirmed_fields
            for field in ("fully_managed", "cross_account_copy", "cross_region_copy",
                          "cross_region_and_account_single_copy"):  # fmt: skip
                assert getattr(info, field) != "unconfirmed"


@pytest.mark.parametrize("name", ["kms:Decapsulate", "kms:Encapsulate", "kms:GetKeyLastUsage"])
def test_unconfirmed_kms_actions(name: str) -> None:
    action = kms_action(name)
    assert action is not None
    assert action.confidence == "unconfirmed"
    assert action.note


def test_unconfirmed_global_key() -> None:
    info = condition_key("aws:IsMcpServiceAction")
    assert info is not None
    assert info.confidence == "unconfirmed"
    assert info.note


@pytest.mark.parametrize(
    "action",
    ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptTo", "kms:GenerateDataKey",
     "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:RevokeGrant"],
)  # fmt: skip
def test_probably_unused_actions_are_unconfirmed(action: str) -> None:
    item = copy_requirements().action(action)
    assert item is not None
    assert item.minimum == "probably_unused"
    assert item.confidence == "unconfirmed"
    assert "UNCONFIRMED" in item.note


@pytest.mark.parametrize(
    "caveat",
    ["fully-managed-caller", "minimal-actions", "copy-api-caller", "cross-region-resource-aliases",
     "slr-recreated", "scp-slr", "rcp-slr", "recovery-point-key", "lag-vault",
     "ebs-associated-keys", "not-principal"],
)  # fmt: skip
def test_unconfirmed_caveats_are_present(caveat: str) -> None:
    found = {c.id: c for c in copy_requirements().caveats}
    assert found[caveat].confidence == "unconfirmed"
    assert found[caveat].text


def test_fully_managed_via_service_is_unconfirmed_in_contexts() -> None:
    slr = "arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
    alts = copy_contexts("S3", "kms:CreateGrant", "us-east-1", "444455556666", None, slr)
    assert len(alts) == 2
    assert all("UNCONFIRMED" in a.assumption for a in alts)


def test_feature_not_supported_keeps_oct_2025_uncertainty() -> None:
    entry = next(e for e in error_catalogue() if e.id == "feature-not-supported")
    assert "UNCONFIRMED" in entry.causes[0].en
