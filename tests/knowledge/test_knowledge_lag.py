"""knowledge/data/lag.yaml: every row cites sources with a URL and the date they were read, and
the loader gives the checks the facts of the facts sheet's section 9."""

from __future__ import annotations

import re

from copyguard.knowledge.lag import lag_facts


def test_every_row_cites_dated_sources() -> None:
    facts = lag_facts()
    assert facts.sources
    for src in facts.sources:
        assert src.url.startswith("https://"), src
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", src.read), src
    for row, cited in facts.row_sources.items():
        assert cited, row
        for sid in cited:
            assert facts.source(sid) is not None, (row, sid)
        assert facts.urls(row), row


def test_copy_role_statements_expand_like_aws_writes_them() -> None:
    facts = lag_facts()
    use, grant = facts.copy_role_statements
    assert use.patterns == (
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    )
    assert {"kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyPair"} <= set(use.actions)
    assert use.via_service == "backup.*.amazonaws.com" and not use.grant_is_for_aws_resource
    assert grant.actions == ("kms:CreateGrant",) and grant.grant_is_for_aws_resource
    # copying out: the destination's SLR statements carry no kms:ViaService in AWS's example
    assert all(st.via_service is None for st in facts.destination_slr_statements)


def test_lock_regions_and_messages() -> None:
    facts = lag_facts()
    assert facts.min_retention_days == 7
    assert facts.region_without_lag("ca-west-1") is not None
    assert facts.region_without_lag("us-east-1") is None
    assert facts.region_without_cross_copies("mx-central-1") is not None
    assert set(facts.unencrypted_not_supported) == {"Aurora", "DocumentDB", "Neptune"}
    assert facts.messages["lifecycle_out_of_range"] == (
        "Backup job failed because the lifecycle is outside the valid range for backup vault."
    )
    assert "  " not in facts.messages["aws_managed_key"]
    assert facts.key_type_aws_owned == "AWS_OWNED_KMS_KEY"
    assert facts.vault_type_lag == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
