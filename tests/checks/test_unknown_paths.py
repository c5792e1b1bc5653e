"""Unknown is a result (STYLE habit 11): every field a check needs, when omitted, gives CG902
and verdict ``unknown``, never ``pass``; ``null`` (known absent) is decided."""

from __future__ import annotations

import pytest
from cg_factory import DST_VAULT, base, check, codes, delete, put

from copyguard.checks import Options


def test_the_base_scenario_passes_with_nothing_to_say() -> None:
    report = check(base())
    assert report.verdict == "pass"
    assert codes(report) == set()


# (field path to omit, the code the CG902 is needed for)
OMITTED = [
    ("organization", "CG301"),
    ("organization.accounts", "CG301"),
    ("organization.cross_account_backup_enabled", "CG302"),
    ("keys.0", "CG101"),
    ("keys.0.manager", "CG102"),
    ("keys.0.state", "CG103"),
    ("keys.0.policy", "CG101"),
    ("keys.1", "CG203"),
    ("keys.1.manager", "CG202"),
    ("keys.1.state", "CG203"),
    ("keys.1.policy", "CG203"),
    ("vaults.0", "CG201"),
    ("vaults.0.key", "CG202"),
    ("vaults.0.access_policy", "CG201"),
    ("vaults.0.lock", "CG204"),
    ("copies.0.lifecycle", "CG204"),
    ("copies.0.resource_type", "CG401"),
    ("copies.0.resource_key", "CG101"),
    ("copies.0.destination_vault", "CG101"),
]


@pytest.mark.parametrize(("path", "needed_for"), OMITTED, ids=[p for p, _ in OMITTED])
def test_an_omitted_field_is_unknown_never_pass(path: str, needed_for: str) -> None:
    report = check(delete(base(), path))
    assert report.verdict == "unknown", [f.message.en for f in report.findings]
    assert codes(report) == {"CG902"}
    needed = {f.evidence.get("needed_for") for f in report.findings}
    assert needed_for in needed, needed
    for f in report.findings:
        assert f.severity == "warning"
        assert f.message.en and f.message.zh and f.message.en != f.message.zh
        assert f.path, "a CG902 points at the field that is missing"


def test_unknown_source_account_is_not_a_same_account_pass() -> None:
    doc = base()
    for field in ("source_vault", "resource_arn", "resource_key"):
        doc = delete(doc, f"copies.0.{field}")
    report = check(doc)
    assert report.verdict == "unknown"
    assert any(f.path == "copies[0].source_vault" for f in report.findings)


def test_the_source_account_is_read_from_the_resource_key_when_the_vault_is_missing() -> None:
    doc = delete(delete(base(), "copies.0.source_vault"), "copies.0.resource_arn")
    assert check(doc).verdict == "pass"


def test_fully_managed_type_without_source_vault_key_is_unknown() -> None:
    doc = put(base(), "copies.0.resource_type", "EFS")
    report = check(doc)
    assert report.verdict == "unknown"
    assert "CG101" in {f.evidence.get("needed_for") for f in report.findings}


# null means "known to be absent": decided, not unknown
NULLS = [
    ("vaults.0.lock", None, "pass", set()),
    ("copies.0.resource_key", None, "pass", set()),  # an unencrypted resource: nothing to share
    ("vaults.0.access_policy", None, "fail", {"CG201"}),
    ("organization", None, "fail", {"CG301"}),
    ("copies.0.lifecycle", None, "fail", {"CG204"}),  # kept forever, but the lock has a maximum
]


@pytest.mark.parametrize(("path", "value", "verdict", "want"), NULLS, ids=[n[0] for n in NULLS])
def test_null_is_known_absent(path: str, value: object, verdict: str, want: set[str]) -> None:
    report = check(put(base(), path, value))
    assert report.verdict == verdict
    assert codes(report) == want


def test_a_destination_vault_not_described_is_unknown() -> None:
    doc = put(base(), "copies.0.destination_vault", DST_VAULT.replace("central", "other"))
    report = check(doc)
    assert report.verdict == "unknown"
    assert "CG201" in {f.evidence.get("needed_for") for f in report.findings}


def test_quick_form_lists_checks_not_run_instead_of_unknown() -> None:
    from cg_factory import DST, SRC, UNSHARED

    from copyguard import api

    report = api.check_key_policy(UNSHARED, SRC, DST)
    assert report.verdict == "fail"
    assert codes(report) == {"CG101"}
    not_run = [n.code for n in report.not_run]
    assert not_run == sorted(not_run)
    for code in ("CG102", "CG103", "CG201", "CG202", "CG203", "CG204", "CG301", "CG302", "CG401"):
        assert code in not_run
    assert all(n.reason.en and n.reason.zh for n in report.not_run)


def test_quick_form_with_type_manager_and_state_runs_those_checks() -> None:
    from cg_factory import DST, SHARED_ROOT, SRC

    from copyguard import api

    report = api.check_key_policy(
        SHARED_ROOT, SRC, DST, resource_type="EBS", key_manager="CUSTOMER", key_state="Enabled"
    )
    assert report.verdict == "pass"
    assert {"CG102", "CG103"}.isdisjoint(n.code for n in report.not_run)
    disabled = api.check_key_policy(
        SHARED_ROOT, SRC, DST, resource_type="EBS", key_manager="CUSTOMER", key_state="Disabled"
    )
    assert "CG103" in codes(disabled)
    managed = api.check_key_policy(SHARED_ROOT, SRC, DST, resource_type="RDS", key_manager="AWS")
    assert codes(managed) == {"CG102"}


def test_quick_form_fully_managed_type_uses_the_given_key() -> None:
    from cg_factory import DST, SRC, UNSHARED

    from copyguard import api

    report = api.check_key_policy(UNSHARED, SRC, DST, resource_type="S3", key_manager="CUSTOMER")
    assert codes(report) == {"CG101"}


def test_options_default_is_not_quick() -> None:
    assert Options().quick is False
