"""Vault Lock limits (minimum 1 day, 7 for a logically air-gapped vault, maximum 36,500,
changeable-for at least 3), the copy lifecycle rules (cold storage plus 90 days, 'always'), and
the assumption every CG204 states about what the lock compares."""

from __future__ import annotations

from typing import Any

import pytest
from cg_factory import base, check, codes, finding, put

from copyguard.scenario import Lifecycle, ScenarioError, VaultLock, build_scenario

LOCK = "vaults.0.lock"
LIFECYCLE = "copies.0.lifecycle"


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (LOCK, {"min_retention_days": 0}, "vaults[0].lock.min_retention_days", "at least 1"),
        (
            LOCK,
            {"min_retention_days": 7, "max_retention_days": 36501},
            "vaults[0].lock.max_retention_days",
            "at most 36500",
        ),
        (LOCK, {"min_retention_days": 40000}, "vaults[0].lock.min_retention_days", "at most 36500"),
        (
            LOCK,
            {"min_retention_days": 7, "changeable_for_days": 2},
            "vaults[0].lock.changeable_for_days",
            "at least 3",
        ),
        (
            LIFECYCLE,
            {"delete_after_days": 100, "move_to_cold_storage_after_days": 30},
            "copies[0].lifecycle.delete_after_days",
            "at least move_to_cold_storage_after_days + 90 = 120",
        ),
        (LIFECYCLE, {"delete_after_days": 0}, "copies[0].lifecycle.delete_after_days", "1 or more"),
        (
            LIFECYCLE,
            {"delete_after_days": "sometimes"},
            "copies[0].lifecycle.delete_after_days",
            "'always'",
        ),
    ],
    ids=[
        "min-0",
        "max-over-100-years",
        "min-over-100-years",
        "grace-2-days",
        "cold-plus-89",
        "delete-0",
        "delete-word",
    ],
)
def test_values_aws_refuses_are_input_errors(
    path: str, value: Any, field: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        build_scenario(put(base(), path, value))
    assert err.value.path == field
    assert expected in str(err.value)


def test_air_gapped_vault_minimum_is_seven_days() -> None:
    doc = put(base(), "vaults.0.vault_type", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT")
    with pytest.raises(ScenarioError) as err:
        build_scenario(put(doc, LOCK, {"min_retention_days": 3, "max_retention_days": 30}))
    assert err.value.path == "vaults[0].lock.min_retention_days"
    # the same minimum on a standard vault is fine
    build_scenario(put(base(), LOCK, {"min_retention_days": 3, "max_retention_days": 30}))


@pytest.mark.parametrize(
    ("lock", "lifecycle"),
    [
        ({"min_retention_days": 1, "max_retention_days": 36500, "changeable_for_days": 3}, None),
        (None, {"delete_after_days": 120, "move_to_cold_storage_after_days": 30}),
        (None, {"move_to_cold_storage_after_days": 30}),  # never deleted: no 90-day rule
    ],
    ids=["lock-at-the-limits", "cold-plus-90", "cold-never-deleted"],
)
def test_values_at_the_limits_are_accepted(lock: Any, lifecycle: Any) -> None:
    doc = put(base(), LOCK, lock) if lock else base()
    if lifecycle:
        doc = put(doc, LIFECYCLE, lifecycle)
    sc = build_scenario(doc)
    if lock:
        assert sc.vaults[doc["vaults"][0]["arn"]].lock == VaultLock(1, 36500, 3)
    assert "CG901" not in codes(check(doc))


def test_always_is_kept_forever_and_archive_opt_in_is_read() -> None:
    doc = put(
        base(),
        LIFECYCLE,
        {"delete_after_days": "always", "opt_in_to_archive_for_supported_resources": True},
    )
    assert build_scenario(doc).copies[0].lifecycle == Lifecycle(None, None, True)
    report = check(doc)  # the base lock has a maximum of 3650 days
    f = finding(report, "CG204")
    assert f.evidence["delete_after_days"] is None
    assert any("kept for ever" in n.en for n in f.notes)


def test_every_cg204_states_the_retention_assumption() -> None:
    doc = put(base(), LIFECYCLE, {"delete_after_days": 3})
    f = finding(check(doc), "CG204")
    assert any("UNCONFIRMED" in n.en and "creation date" in n.en for n in f.notes)
    assert all(n.zh for n in f.notes)


def test_a_scenario_from_another_reader_gets_cg901_not_silence() -> None:
    """Readers other than the scenario file (live, infrastructure code) build the model
    directly: the same limits reach the report as CG901 with the field path."""
    sc = build_scenario(base())
    vault = next(iter(sc.vaults.values()))
    vault.lock = VaultLock(min_retention_days=0, max_retention_days=40000, changeable_for_days=1)
    sc.copies[0].lifecycle = Lifecycle(delete_after_days=60, move_to_cold_storage_after_days=10)
    from copyguard.checks import run_checks

    report = run_checks(sc)
    paths = {f.path for f in report.findings if f.code == "CG901"}
    assert paths == {
        "vaults[0].lock.min_retention_days",
        "vaults[0].lock.max_retention_days",
        "vaults[0].lock.changeable_for_days",
        "copies[0].lifecycle.delete_after_days",
    }
    assert report.verdict == "fail"
