"""The fix engine on small scenarios: minimal, proven, idempotent, never "safe" on a Deny."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from cg_factory import (
    ADMIN,
    DST,
    DST2,
    GRANT,
    GRANT_TRUE,
    SHARED_ROOT,
    SLR,
    SLR2,
    SRC,
    SRC_KEY,
    UNSHARED,
    USE,
    base,
    build,
    check_with_fixes,
    codes,
    grant_stmt,
    key_policy,
    put,
    root,
    use_stmt,
)

from copyguard.checks import Options
from copyguard.checks.analysis import analyse_source_key
from copyguard.checks.facts import type_facts
from copyguard.fixes import render_fixes
from copyguard.fixes.key_policy import FixVerificationError, probe_actions, render_diff
from copyguard.fixes.vault_policy import fix_vault_policy
from copyguard.policy import parse_policy


def _key_fix(
    doc: dict[str, Any], options: Options | None = None, applicability: str = "safe"
) -> Any:
    report = check_with_fixes(doc, options)
    found = [f for f in report.fixes if f.kind == "key-policy" and f.applicability == applicability]
    return found[0] if found else None


def _allowed_all(policy: dict[str, Any], destination: str = DST) -> bool:
    sc = build(put(base(), "keys.0.policy", policy))
    view = analyse_source_key(
        sc,
        sc.copies[0],
        SRC_KEY,
        None,
        parse_policy(policy, name="k", kind="key"),
        type_facts("EBS"),
        destination,
        {},
    )
    return all(r.decision == "allowed" for r in view.results.values())


def test_seed_fix_extends_the_two_statements_and_keeps_everything_else() -> None:
    fx = _key_fix(base(UNSHARED))
    assert fx is not None and fx.principal == root(DST)
    before, after = UNSHARED["Statement"], fx.policy["Statement"]
    assert [s.get("Sid") for s in after] == [s.get("Sid") for s in before]
    assert after[0] == before[0]
    assert after[1]["Principal"] == {"AWS": [root(SRC), root(DST)]}
    assert after[2]["Principal"] == {"AWS": [root(SRC), root(DST)]}
    assert after[2]["Condition"] == GRANT_TRUE
    assert fx.policy["Id"] == "cab-kms-key"
    assert _allowed_all(fx.policy)
    assert fx.verification["idempotent"] is True
    assert fx.verification["required_requests_allowed"] == 12


@pytest.mark.parametrize(("principal", "named"), [("root", root(DST)), ("slr", SLR), (SLR, SLR)])
def test_principal_option(principal: str, named: str) -> None:
    fx = _key_fix(base(UNSHARED), Options(principal=principal))
    assert fx.principal == named
    assert named in json.dumps(fx.policy)
    if principal != "root":
        assert root(DST) not in json.dumps(fx.policy)


def test_no_matching_statement_adds_the_seed_statements() -> None:
    fx = _key_fix(base(key_policy()))
    sids = [s.get("Sid") for s in fx.policy["Statement"]]
    assert sids == [
        "Enable IAM User Permissions",
        "Allow use of the key",
        "Allow attachment of persistent resources",
    ]
    use, grant = fx.policy["Statement"][1:]
    assert use["Action"] == USE and "Condition" not in use
    assert grant["Action"] == GRANT and grant["Condition"] == GRANT_TRUE


def test_only_the_missing_group_is_added() -> None:
    fx = _key_fix(base(key_policy(use_stmt([root(SRC), root(DST)]))))
    added = fx.policy["Statement"][2:]
    assert len(added) == 1 and added[0]["Action"] == GRANT


def test_sid_collisions_get_a_unique_sid() -> None:
    taken = key_policy(
        {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": root(SRC)},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    fx = _key_fix(base(taken))
    sids = [s.get("Sid") for s in fx.policy["Statement"]]
    assert len(sids) == len(set(sids))


def test_a_conditioned_statement_is_never_extended() -> None:
    via = key_policy(
        use_stmt(
            [root(SRC)],
            Condition={"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
        ),
        grant_stmt([root(SRC)]),
    )
    fx = _key_fix(base(via))
    conditioned = fx.policy["Statement"][1]
    assert conditioned["Principal"] == {"AWS": [root(SRC)]}, (
        "a statement whose condition the copy may not meet is left alone"
    )
    assert _allowed_all(fx.policy)


def test_the_fix_of_an_already_fixed_policy_is_a_no_op() -> None:
    assert _key_fix(base(SHARED_ROOT)) is None
    fx = _key_fix(base(UNSHARED))
    assert _key_fix(base(fx.policy)) is None
    report = check_with_fixes(base(fx.policy))
    assert not {"CG101", "CG104", "CG105"} & codes(report)


def test_one_merged_fix_for_a_key_shared_by_several_destinations() -> None:
    doc = base(UNSHARED)
    doc["organization"]["accounts"].append(DST2)
    vault2 = "arn:aws:backup:us-east-1:555566667777:backup-vault:dr"
    doc["vaults"].append(dict(copy.deepcopy(doc["vaults"][0]), arn=vault2))
    doc["copies"].append(
        dict(copy.deepcopy(doc["copies"][0]), name="ebs-to-dr", destination_vault=vault2)
    )
    report = check_with_fixes(doc, Options(principal="slr"))
    key_fixes = [f for f in report.fixes if f.kind == "key-policy"]
    assert len(key_fixes) == 1
    (fx,) = key_fixes
    assert SLR in fx.principal and SLR2 in fx.principal
    assert DST in fx.description.en and DST2 in fx.description.en
    assert DST in fx.description.zh and DST2 in fx.description.zh
    assert _allowed_all(fx.policy, DST) and _allowed_all(fx.policy, DST2)
    assert fx.verification["copies_verified"] == 2
    text = json.dumps(fx.policy)
    assert text.count(SLR) == 2 and text.count(SLR2) == 2  # in both statements, once each


def test_an_explicit_deny_gives_only_an_unsafe_fix() -> None:
    denied = key_policy(
        use_stmt([root(SRC), SLR]),
        grant_stmt([root(SRC), SLR]),
        {
            "Sid": "Guard",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [root(SRC)]},
            "Action": "kms:*",
            "Resource": "*",
        },
    )
    report = check_with_fixes(base(denied))
    assert not [f for f in report.fixes if f.kind == "key-policy" and f.applicability == "safe"]
    (unsafe,) = [f for f in report.fixes if f.kind == "key-policy"]
    assert unsafe.applicability == "unsafe"
    guard = unsafe.policy["Statement"][3]
    assert guard["NotPrincipal"] == {"AWS": [root(SRC)]}, (
        "the NotPrincipal list itself is not edited"
    )
    assert guard["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": SLR}}
    assert _allowed_all(unsafe.policy)
    assert "CG902" not in codes(report)


def test_deny_and_missing_allow_give_a_safe_allow_and_a_separate_unsafe_fix() -> None:
    denied = key_policy(
        use_stmt([root(SRC)]),
        grant_stmt([root(SRC)]),
        {
            "Sid": "Guard",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"kms:CallerAccount": SRC}},
        },
    )
    report = check_with_fixes(base(denied))
    kinds = sorted(f.applicability for f in report.fixes if f.kind == "key-policy")
    assert kinds == ["safe", "unsafe"]
    safe = next(f for f in report.fixes if f.applicability == "safe")
    assert safe.policy["Statement"][3] == denied["Statement"][3], (
        "the safe fix never touches the Deny"
    )
    unsafe = next(f for f in report.fixes if f.applicability == "unsafe")
    assert _allowed_all(unsafe.policy)


def test_verification_rejects_a_fix_that_changes_access_outside_the_destination() -> None:
    from copyguard.fixes.key_policy import verify

    sc = build(base(UNSHARED))
    before = parse_policy(UNSHARED, name="k", kind="key")
    loose = copy.deepcopy(UNSHARED)
    loose["Statement"][1]["Principal"] = {"AWS": [root(SRC), root(DST), root("999999999999")]}
    after = parse_policy(loose, name="k", kind="key")
    view = analyse_source_key(sc, sc.copies[0], SRC_KEY, None, after, type_facts("EBS"), DST, {})
    with pytest.raises(FixVerificationError, match="outside the destination"):
        verify(before, after, SRC_KEY, DST, view)


def test_probe_actions_cover_every_action_a_changed_statement_names() -> None:
    before = parse_policy(UNSHARED, name="k", kind="key")
    fixed = copy.deepcopy(UNSHARED)
    fixed["Statement"][2]["Principal"] = {"AWS": [root(SRC), root(DST)]}
    assert probe_actions(before, parse_policy(fixed, name="k", kind="key")) == sorted(GRANT)
    star = copy.deepcopy(UNSHARED)
    star["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": root(DST)},
            "NotAction": "kms:Sign",
            "Resource": "*",
        }
    )
    assert len(probe_actions(before, parse_policy(star, name="k", kind="key"))) > 40
    assert probe_actions(before, before) == []


def test_render_diff_of_a_new_document() -> None:
    diff = render_diff(None, {"Version": "2012-10-17", "Statement": []}, "vault access policy")
    assert diff.startswith(
        "--- vault access policy (none yet)\n+++ vault access policy (fixed)\n@@ -0,0 +1,"
    )
    assert all(line.startswith(("---", "+++", "@@", "+")) for line in diff.splitlines())
    assert diff.endswith("}\n")


def test_vault_policy_fix_forms() -> None:
    vault = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"
    fx = fix_vault_policy(vault, None, SRC)
    assert fx is not None and fx.applicability == "safe" and fx.original is None
    assert fx.policy["Statement"][0]["Principal"] == {"AWS": root(SRC)}
    org = fix_vault_policy(vault, None, SRC, "org", "o-exampleorg1")
    assert org is not None and org.policy["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-exampleorg1"}
    }
    with pytest.raises(FixVerificationError, match="organization ID is unknown"):
        fix_vault_policy(vault, None, SRC, "org", None)
    deny = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ],
        },
        name="v",
        kind="resource",
    )
    with pytest.raises(FixVerificationError, match="explicit Deny"):
        fix_vault_policy(vault, deny, SRC)
    unsafe = fix_vault_policy(vault, deny, SRC, unsafe=True)
    assert unsafe is not None and unsafe.applicability == "unsafe"
    assert unsafe.policy["Statement"][0]["Condition"] == {
        "StringNotEquals": {"aws:PrincipalAccount": SRC}
    }
    assert unsafe.policy["Statement"][1]["Principal"] == {"AWS": root(SRC)}


@pytest.mark.parametrize("as_", ["json", "diff", "cli", "terraform", "cloudformation"])
def test_render_every_form_in_both_languages(as_: str) -> None:
    report = check_with_fixes(
        put(base(UNSHARED), "organization.cross_account_backup_enabled", False)
    )
    for lang in ("en", "zh"):
        text = render_fixes(report.fixes, as_, lang)
        assert text.strip()
        if as_ != "diff":
            assert ("跨账户" in text) == (lang == "zh") or as_ == "json"


def test_render_rejects_an_unknown_form() -> None:
    with pytest.raises(ValueError, match="unknown fix format"):
        render_fixes([], "pulumi")


def test_admin_statement_survives_every_fix() -> None:
    fx = _key_fix(base(UNSHARED))
    assert fx.policy["Statement"][0] == ADMIN


def test_a_principal_that_is_not_the_caller_cannot_be_proven() -> None:
    """AWS Backup's copy calls the key as the destination's AWSServiceRoleForBackup: naming some
    other role of the destination cannot make the copy work, so no fix is proposed (CG902)."""
    report = check_with_fixes(
        base(UNSHARED), Options(principal=f"arn:aws:iam::{DST}:role/BackupCopier")
    )
    assert not [f for f in report.fixes if f.kind == "key-policy"]
    unproven = [
        f for f in report.findings if f.code == "CG902" and f.evidence.get("needed_for") == "fix"
    ]
    assert unproven and "does not allow" in unproven[0].message.en
