"""CG211, the way back: the copy copied back from the destination vault into the source vault
by the SOURCE account's AWSServiceRoleForBackup, judged by the forward checks (--round-trip)."""

from __future__ import annotations

import copy as _copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cg_factory import (
    DST,
    DST_KEY,
    DST_VAULT,
    GRANT,
    GRANT_TRUE,
    REGION,
    SRC,
    SRC_VAULT,
    USE,
    base,
    check,
    check_with_fixes,
    codes,
    put,
    root,
)

from copyguard.checks import Options
from copyguard.checks.analysis import allow_all_identity
from copyguard.evaluate import Request, evaluate_kms, evaluate_resource_policy
from copyguard.policy import parse_policy

SRC_VAULT_KEY = f"arn:aws:kms:{REGION}:{SRC}:key/9999aaaa-11bb-22cc-33dd-444455556666"
SRC_SLR = f"arn:aws:iam::{SRC}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
DST_SLR = f"arn:aws:iam::{DST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
RT = Options(round_trip=True)


def dst_key_policy(*who: str) -> dict[str, Any]:
    stmts: list[dict[str, Any]] = [
        {
            "Sid": "Admin",
            "Effect": "Allow",
            "Principal": {"AWS": root(DST)},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if who:
        stmts += [
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": list(who)},
                "Action": USE,
                "Resource": "*",
            },
            {
                "Sid": "Grants",
                "Effect": "Allow",
                "Principal": {"AWS": list(who)},
                "Action": GRANT,
                "Resource": "*",
                "Condition": GRANT_TRUE,
            },
        ]
    return {"Version": "2012-10-17", "Statement": stmts}


def src_vault_policy(account: str = DST) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Copies back",
                "Effect": "Allow",
                "Principal": {"AWS": root(account)},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }


def ready() -> dict[str, Any]:
    """The base copy, with a way back that works: the destination vault key allows the source
    account, and a source vault (with its own CMK) accepts copies from the destination."""
    doc = put(base(), "keys.1.policy", dst_key_policy(root(SRC)))
    doc["keys"].append(
        {
            "arn": SRC_VAULT_KEY,
            "manager": "CUSTOMER",
            "state": "Enabled",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": root(SRC)},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            },
        }
    )
    doc["vaults"].append(
        {"arn": SRC_VAULT, "key": SRC_VAULT_KEY, "access_policy": src_vault_policy(), "lock": None}
    )
    return doc


def cg211(report: Any) -> list[Any]:
    return [f for f in report.findings if f.code == "CG211"]


def legs(report: Any) -> dict[str, Any]:
    return {f.evidence["leg"]: f for f in cg211(report)}


def test_a_working_way_back_is_silent() -> None:
    report = check(ready(), RT)
    assert cg211(report) == [] and report.verdict == "pass"


def test_the_way_back_runs_only_on_request() -> None:
    blocked = put(ready(), "keys.1.policy", dst_key_policy())
    assert "CG211" not in codes(check(blocked))
    assert "CG211" in codes(check(blocked, Options(round_trip=True)))


def test_destination_key_without_the_source_account_blocks_the_way_back() -> None:
    report = check(put(ready(), "keys.1.policy", dst_key_policy()), RT)
    found = legs(report)
    assert set(found) == {"destination-vault-key-policy"}
    f = found["destination-vault-key-policy"]
    assert f.severity == "warning" and report.verdict == "pass"  # the forward copy works
    assert f.resource == DST_KEY and f.path == "keys[1].policy"
    assert f.fix is not None and (f.fix.kind, f.fix.resource) == ("key-policy", DST_KEY)
    assert f.fix.applicability == "safe"
    assert f.evidence["way_back"] == {"from": DST_VAULT, "to": SRC_VAULT, "caller": SRC_SLR}
    assert [b["as"] for b in f.evidence["blocked_by"]] == ["CG101"]
    assert f.evidence["blocked_by"][0]["evidence"]["caller"] == SRC_SLR
    assert "Given key ID is not accessible" in f.message.en


@pytest.mark.parametrize(
    ("principal", "blocked"),
    [(SRC_SLR, False), (root(SRC), False), (DST_SLR, True), (root(DST), True)],
    ids=["source-slr", "source-root", "destination-slr", "destination-root"],
)
def test_the_caller_of_the_way_back_is_the_source_accounts_slr(
    principal: str, blocked: bool
) -> None:
    report = check(put(ready(), "keys.1.policy", dst_key_policy(principal)), RT)
    assert ("destination-vault-key-policy" in legs(report)) is blocked


def test_a_deny_on_the_destination_key_is_an_unsafe_fix() -> None:
    policy = dst_key_policy(root(SRC))
    policy["Statement"].append(
        {
            "Sid": "NoOutsiders",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": DST}},
        }
    )
    f = legs(check(put(ready(), "keys.1.policy", policy), RT))["destination-vault-key-policy"]
    assert [b["as"] for b in f.evidence["blocked_by"]] == ["CG104"]
    assert f.fix is not None and f.fix.applicability == "unsafe"


def test_source_vault_access_policy_must_accept_the_destination() -> None:
    for policy in (None, src_vault_policy("999988887777")):
        report = check(put(ready(), "vaults.1.access_policy", policy), RT)
        f = legs(report)["source-vault-access-policy"]
        assert f.severity == "warning" and f.resource == SRC_VAULT
        assert f.path == "vaults[1].access_policy"
        assert f.fix is not None and f.fix.kind == "vault-access-policy"
        assert f"account {DST}" in f.message.en
        assert [b["as"] for b in f.evidence["blocked_by"]] == ["CG201"]


def test_source_vault_on_aws_backup_cannot_take_back_an_ebs_copy() -> None:
    f = legs(check(put(ready(), "vaults.1.key", None), RT))["source-vault-key"]
    assert [b["as"] for b in f.evidence["blocked_by"]] == ["CG202"]
    assert f.path == "vaults[1].key"


def test_destination_vault_on_an_aws_managed_key_blocks_a_type_not_fully_managed() -> None:
    doc = ready()
    doc["keys"][1].update(manager="AWS", aliases=["alias/aws/ebs"])
    report = check(doc, RT)
    assert report.verdict == "pass"  # aws/ebs may hold EBS copies: the forward copy works
    f = legs(report)["destination-vault-key-type"]
    assert [b["as"] for b in f.evidence["blocked_by"]] == ["CG102"]
    assert f.path == "vaults[0].key"  # the copy's key is the destination vault's key


def test_fully_managed_type_on_aws_backup_comes_back() -> None:
    doc = put(put(ready(), "copies.0.resource_type", "EFS"), "vaults.0.key", None)
    doc = put(doc, "vaults.1.key", None)
    assert cg211(check(doc, RT)) == []


def test_missing_return_data_is_a_note_never_unknown() -> None:
    doc = ready()
    del doc["vaults"][1]  # the source vault is not described
    report = check(doc, RT)
    found = legs(report)
    assert set(found) == {"source-vault-access-policy"}
    f = found["source-vault-access-policy"]
    assert f.severity == "note" and f.fix is None
    assert "CG902" not in codes(report) and report.verdict == "pass"
    assert f.evidence["undecided"] and not f.evidence["blocked_by"]
    assert f.path == "copies[0].source_vault"


def test_same_account_copy_has_no_way_back_to_judge() -> None:
    doc = put(ready(), "copies.0.destination_vault", SRC_VAULT)
    assert cg211(check(doc, RT)) == []


def test_cold_storage_closes_the_way_back() -> None:
    doc = put(
        ready(),
        "copies.0.lifecycle",
        {"delete_after_days": 365, "move_to_cold_storage_after_days": 30},
    )
    f = legs(check(doc, RT))["copy-lifecycle"]
    assert f.severity == "warning" and f.evidence["move_to_cold_storage_after_days"] == 30
    assert f.path == "copies[0].lifecycle.move_to_cold_storage_after_days"


def test_quick_form_never_runs_the_way_back() -> None:
    from copyguard import api

    report = api.check_key_policy(dst_key_policy(), SRC, DST, Options(round_trip=True))
    assert "CG211" not in codes(report)
    assert "CG211" not in {n.code for n in report.not_run}


# ------------------------------------------------------------------------------- the fixes


def _apply(doc: dict[str, Any], fixes: list[Any]) -> dict[str, Any]:
    out = _copy.deepcopy(doc)
    for fx in fixes:
        if fx.kind == "key-policy":
            for k in out["keys"]:
                if k["arn"] == fx.resource:
                    k["policy"] = fx.policy
        elif fx.kind == "vault-access-policy":
            for v in out["vaults"]:
                if v["arn"] == fx.resource:
                    v["access_policy"] = fx.policy
    return out


def test_fix_round_trip_is_proven_and_closes_the_way_back() -> None:
    doc = put(put(ready(), "keys.1.policy", dst_key_policy()), "vaults.1.access_policy", None)
    assert check_with_fixes(doc).fixes == []  # the forward copy needs nothing
    report = check_with_fixes(doc, RT)
    fixes = {(f.kind, f.resource): f for f in report.fixes}
    key_fix = fixes[("key-policy", DST_KEY)]
    vault_fix = fixes[("vault-access-policy", SRC_VAULT)]
    assert key_fix.codes == ["CG211"] and key_fix.applicability == "safe"
    assert key_fix.verification["way_back"]["required_requests_allowed"] == 12
    assert key_fix.original == dst_key_policy() and key_fix.diff.startswith("--- key policy")
    assert vault_fix.codes == ["CG211"] and vault_fix.original is None
    # the fixed documents allow the way back's requests, as the evaluator sees them ...
    policy = parse_policy(key_fix.policy, kind="key")
    ctx = {"kms:CallerAccount": SRC, "kms:GrantIsForAWSResource": "true"}
    identity = [allow_all_identity()]  # the role's own IAM side, not the key policy's
    assert evaluate_kms(Request(SRC_SLR, "kms:CreateGrant", DST_KEY, ctx), policy, identity).allowed
    vpol = parse_policy(vault_fix.policy, kind="resource")
    role = f"arn:aws:iam::{DST}:role/copy-back"
    d = evaluate_resource_policy(
        Request(role, "backup:CopyIntoBackupVault", SRC_VAULT, {"aws:PrincipalAccount": DST}),
        vpol,
        identity_known=False,
    )
    assert d.allowed
    # ... and once applied, the way back is clear and a second run proposes nothing
    fixed = _apply(doc, report.fixes)
    again = check_with_fixes(fixed, RT)
    assert cg211(again) == [] and again.fixes == []


def test_forward_and_way_back_fixes_of_one_key_are_merged() -> None:
    """Two copies in opposite directions between the same two vaults (EFS, fully managed: the
    source key is the source vault's key): the second copy's forward fix and the first copy's
    way-back fix are the same change to the destination vault key, proposed once."""
    doc = put(put(ready(), "keys.1.policy", dst_key_policy()), "copies.0.resource_type", "EFS")
    doc["vaults"][0]["access_policy"] = None
    back = dict(
        doc["copies"][0], name="efs-back", source_vault=DST_VAULT, destination_vault=SRC_VAULT
    )
    back.pop("resource_key")
    back.pop("resource_arn")
    doc["copies"].append(back)
    report = check_with_fixes(doc, RT)
    key_fixes = [f for f in report.fixes if f.kind == "key-policy" and f.resource == DST_KEY]
    assert len(key_fixes) == 1
    assert key_fixes[0].codes == ["CG101", "CG211"]
    assert key_fixes[0].original == dst_key_policy()
    assert "way_back" in key_fixes[0].verification
    assert cg211(check_with_fixes(_apply(doc, report.fixes), RT)) == []


def test_unknown_way_back_adds_no_fix() -> None:
    doc = ready()
    del doc["vaults"][1]
    assert check_with_fixes(doc, RT).fixes == []


# ----------------------------------------------------------------------- the command line

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "copyguard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COPYGUARD_LANG": "en", "NO_COLOR": "1"},
    )


def test_cli_check_round_trip_warns_and_keeps_the_forward_verdict() -> None:
    path = str(SCENARIOS / "roundtrip-way-back-blocked.yaml")
    plain = _cli("check", path, "--format", "json")
    assert plain.returncode == 0 and "CG211" not in plain.stdout
    both = _cli("check", path, "--round-trip", "--format", "json")
    assert both.returncode == 0, both.stderr  # warnings only: the forward copy passes
    report = json.loads(both.stdout)
    assert report["verdict"] == "pass"
    legs_found = {f["evidence"]["leg"]: f for f in report["findings"] if f["code"] == "CG211"}
    assert set(legs_found) == {"destination-vault-key-policy", "source-vault-access-policy"}
    assert {f["severity"] for f in legs_found.values()} == {"warning"}
    assert legs_found["destination-vault-key-policy"]["location"]["line"] > 1
    open_path = str(SCENARIOS / "roundtrip-way-back-open.yaml")
    opened = json.loads(_cli("check", open_path, "--round-trip", "--format", "json").stdout)
    assert opened["findings"] == [] and opened["verdict"] == "pass"


def test_cli_fix_round_trip_prints_the_way_back_fixes() -> None:
    path = str(SCENARIOS / "roundtrip-way-back-blocked.yaml")
    plain = _cli("fix", path, "--as", "json")
    assert json.loads(plain.stdout or '{"fixes": []}')["fixes"] == []
    out = _cli("fix", path, "--round-trip", "--as", "json")
    assert out.returncode == 0, out.stderr
    fixes = {(f["kind"], f["resource"]): f for f in json.loads(out.stdout)["fixes"]}
    assert set(fixes) == {("key-policy", DST_KEY), ("vault-access-policy", SRC_VAULT)}
    assert all(f["resolves"] == ["CG211"] for f in fixes.values())
    cli = _cli("fix", path, "--round-trip", "--as", "cli")
    assert "aws kms put-key-policy" in cli.stdout
    assert "put-backup-vault-access-policy" in cli.stdout


def test_cli_round_trip_refuses_the_quick_form(tmp_path: Path) -> None:
    policy = tmp_path / "key.json"
    policy.write_text(json.dumps(dst_key_policy()), encoding="utf-8")
    out = _cli(
        "check",
        "--key-policy",
        str(policy),
        "--source-account",
        SRC,
        "--destination-account",
        DST,
        "--round-trip",
    )
    assert out.returncode == 2 and "--round-trip needs a SCENARIO" in out.stderr
    assert "Traceback" not in out.stderr
