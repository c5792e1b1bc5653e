"""Every data file records its sources, and every UNCONFIRMED fact stays visible."""

from __future__ import annotations

import re

import pytest

from copyguard import records
from copyguard.knowledge import (
    DATA_FILES,
    KnowledgeDataError,
    condition_key,
    copy_contexts,
    copy_requirements,
    error_catalogue,
    kms_action,
    kms_actions,
    provenance,
    resource_types,
    row_sources,
    rows,
)


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_file_has_provenance(name: str) -> None:
    prov = provenance()[name]
    assert prov.file == name
    assert re.fullmatch(r"2026-1[12]", prov.compiled)
    assert prov.notes
    assert prov.sources
    assert len({s.id for s in prov.sources}) == len(prov.sources)
    for source in prov.sources:
        assert source.url.startswith("https://"), source
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", source.read), source


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_knowledge_row_has_a_source_url_and_a_date_read(name: str) -> None:
    """Every row (or whole section) of every data file is backed by at least one source with
    an https URL and the date it was read: its own sources, its section's, or the file's."""
    facts = list(rows(name))
    assert facts
    for section, where, value in facts:
        refs = row_sources(name, section, value)
        assert refs, f"{name}: {where} has no source"
        for ref in refs:
            assert ref is not None, f"{name}: {where} names a source the file does not list"
            assert ref.url.startswith("https://") and ref.read, (name, where, ref)


def test_a_row_without_a_source_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above really looks at the rows: strip the file defaults and kms.yaml's
    action rows without their own sources are reported."""
    from copyguard.knowledge import _loader as prov_mod

    real = prov_mod.provenance()
    stripped = {
        name: records.replace(p, default_sources=(), section_sources={}) for name, p in real.items()
    }
    monkeypatch.setattr(prov_mod, "provenance", lambda: stripped)
    missing = [
        where
        for section, where, value in rows("kms.yaml")
        if not row_sources("kms.yaml", section, value)
    ]
    assert "actions[0]" in missing


def test_a_source_without_a_date_read_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    from copyguard.knowledge import _loader

    data = dict(_loader.load_data("regions.yaml"))
    block = dict(data["provenance"])
    block["sources"] = [{k: v for k, v in s.items() if k != "read"} for s in block["sources"]]
    data["provenance"] = block
    monkeypatch.setattr(_loader, "load_data", lambda name: data)
    _loader._provenance.cache_clear()
    try:
        with pytest.raises(KnowledgeDataError, match="read"):
            _loader._provenance("regions.yaml")
    finally:
        _loader._provenance.cache_clear()


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
    ("FSx", "cross_region_and_account_single_copy"),
    ("Storage Gateway", "cross_region_and_account_single_copy"),
    ("Timestream", "cross_region_and_account_single_copy"),
    ("VirtualMachine", "cross_region_and_account_single_copy"),
    ("CloudFormation", "cross_region_and_account_single_copy"),
    ("SAP HANA on Amazon EC2", "cross_region_and_account_single_copy"),
    ("Aurora DSQL", "cross_region_and_account_single_copy"),
    ("EKS", "cross_region_and_account_single_copy"),
    ("EKS", "recovery_point_arn"),
    ("Redshift Serverless", "name"),
    ("Aurora DSQL", "name"),
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


# Facts sheet section 9 (December 2026): what the current feature table settles.
DECEMBER_2026_FACTS = [
    ("RDS", "cross_region_and_account_single_copy", True),
    ("Aurora", "cross_region_and_account_single_copy", True),
    ("DocumentDB", "cross_region_and_account_single_copy", True),
    ("Neptune", "cross_region_and_account_single_copy", True),
    ("RDS:MultiAZCluster", "cross_account_copy", False),
    ("RDS:MultiAZCluster", "cross_region_copy", False),
    ("Redshift", "cross_account_copy", False),
    ("Redshift", "cross_region_copy", False),
    ("Redshift Serverless", "cross_account_copy", False),
    ("Redshift Serverless", "cross_region_copy", False),
    ("CloudFormation", "fully_managed", False),
    ("CloudFormation", "composite", True),
    ("EKS", "composite", True),
    ("EKS", "fully_managed", True),
    ("Aurora DSQL", "fully_managed", True),
    ("Aurora DSQL", "cross_account_copy", True),
    ("Aurora DSQL", "cross_region_copy", True),
    ("SAP HANA on Amazon EC2", "cross_account_copy", True),
    ("SAP HANA on Amazon EC2", "cross_region_copy", True),
]


@pytest.mark.parametrize(("name", "field", "value"), DECEMBER_2026_FACTS)
def test_december_2026_facts(name: str, field: str, value: object) -> None:
    info = resource_types()[name]
    assert getattr(info, field) is value
    assert not info.is_unconfirmed(field)
    assert "FEATURE-TABLE-2026" in info.sources


def test_composites_say_what_their_members_keep() -> None:
    eks = resource_types()["EKS"].note
    assert "EFS volumes of an EKS backup are not copied to another account" in eks
    assert "keep their own features and keys" in resource_types()["CloudFormation"].note


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
    alts = copy_contexts("S3", "kms:Decrypt", "us-east-1", "444455556666", None, slr)
    assert len(alts) == 2
    assert all("UNCONFIRMED" in a.assumption for a in alts)
    # CreateGrant: AWS documents it through backup.*.amazonaws.com (S-ENC), an inference
    (grant,) = copy_contexts("S3", "kms:CreateGrant", "us-east-1", "444455556666", None, slr)
    assert "INFERENCE" in grant.assumption


def test_feature_not_supported_says_what_still_blocks_a_combined_copy() -> None:
    entry = next(e for e in error_catalogue() if e.id == "feature-not-supported")
    text = " ".join(c.en for c in entry.causes)
    for words in ("opt-in Regions", "China Regions", "GovCloud", "Multi-AZ DB cluster",
                  "cold tier", "Redshift"):  # fmt: skip
        assert words in text, words
    assert entry.codes[0] == "CG403"
    assert "since October 2025" in entry.causes[-1].en
