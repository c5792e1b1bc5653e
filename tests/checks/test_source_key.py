"""CG101-CG107: the source key policy as the destination's AWSServiceRoleForBackup sees it.

One table row per key-policy shape seen in the wild (the seed article, tecRacer, AWS managed key
policies, organization guards): the codes it must give and the verdict.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cg_factory import (
    ADMIN,
    DST,
    GRANT,
    GRANT_TRUE,
    ORG,
    REQUIRED,
    SHARED_ROOT,
    SLR,
    SRC,
    SRC_KEY,
    UNSHARED,
    USE,
    base,
    check,
    codes,
    finding,
    grant_stmt,
    key_policy,
    put,
    root,
    use_stmt,
)

from copyguard.checks import Options

ALL = USE + GRANT
CJK = re.compile(r"[\u4e00-\u9fff]")


def _allow(
    principal: Any, actions: list[str], condition: dict[str, Any] | None = None, sid: str = "Dest"
) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": actions,
        "Resource": "*",
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


def _deny(condition: dict[str, Any] | None = None, **principal: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {
        "Sid": "Guard",
        "Effect": "Deny",
        "Action": "kms:*",
        "Resource": "*",
        **principal,
    }
    if condition:
        stmt["Condition"] = condition
    return stmt


# (id, key policy, expected codes, expected verdict)
TABLE: list[tuple[str, dict[str, Any] | None, set[str], str]] = [
    ("seed-unshared", UNSHARED, {"CG101"}, "fail"),
    ("seed-shared-root", SHARED_ROOT, {"CG106"}, "pass"),
    (
        "slr-arn",
        key_policy(use_stmt([root(SRC), SLR]), grant_stmt([root(SRC), SLR])),
        set(),
        "pass",
    ),
    (
        "bare-account-id",
        key_policy(use_stmt([root(SRC), DST]), grant_stmt([root(SRC), DST])),
        {"CG106"},
        "pass",
    ),
    ("default-policy-only", key_policy(), {"CG101"}, "fail"),
    (
        "grants-missing",
        key_policy(use_stmt([root(SRC), root(DST)]), grant_stmt([root(SRC)])),
        {"CG101"},
        "fail",
    ),
    (
        "use-missing",
        key_policy(use_stmt([root(SRC)]), grant_stmt([root(SRC), SLR])),
        {"CG101"},
        "fail",
    ),
    (
        "star-caller-account",
        key_policy(
            _allow("*", USE, {"StringEquals": {"kms:CallerAccount": DST}}),
            _allow("*", GRANT, {"StringEquals": {"kms:CallerAccount": DST}, **GRANT_TRUE}, sid="G"),
        ),
        set(),
        "pass",
    ),
    (
        "star-caller-account-wrong-account",
        key_policy(_allow("*", ALL, {"StringEquals": {"kms:CallerAccount": "999988887777"}})),
        {"CG101"},
        "fail",
    ),
    (
        "star-principal-org-id",
        key_policy(
            _allow("*", USE, {"StringEquals": {"aws:PrincipalOrgID": ORG}}),
            _allow(
                "*", GRANT, {"StringEquals": {"aws:PrincipalOrgID": ORG}, **GRANT_TRUE}, sid="G"
            ),
        ),
        set(),
        "pass",
    ),
    (
        "star-principal-account",
        key_policy(
            _allow(
                "*",
                [*USE, "kms:ListGrants", "kms:RevokeGrant"],
                {"StringEquals": {"aws:PrincipalAccount": DST}},
            ),
            _allow(
                "*",
                ["kms:CreateGrant"],
                {"StringEquals": {"aws:PrincipalAccount": DST}, **GRANT_TRUE},
                sid="G",
            ),
        ),
        set(),
        "pass",
    ),
    (
        "deny-notprincipal",
        key_policy(
            use_stmt([root(SRC), root(DST)]),
            grant_stmt([root(SRC), root(DST)]),
            _deny(NotPrincipal={"AWS": [root(SRC), f"arn:aws:iam::{SRC}:role/KeyAdministrators"]}),
        ),
        {"CG104"},
        "fail",
    ),
    (
        "deny-stale-org-id",
        key_policy(
            use_stmt([root(SRC), root(DST)]),
            grant_stmt([root(SRC), root(DST)]),
            _deny({"StringNotEquals": {"aws:PrincipalOrgID": "o-oldorg12345"}}, Principal="*"),
        ),
        {"CG104"},
        "fail",
    ),
    (
        "deny-org-guard-same-org",
        key_policy(
            use_stmt([root(SRC), SLR]),
            grant_stmt([root(SRC), SLR]),
            _deny({"StringNotEquals": {"aws:PrincipalOrgID": ORG}}, Principal="*"),
        ),
        set(),
        "pass",
    ),
    (
        "deny-guard-not-for-destination",
        key_policy(
            use_stmt([root(SRC), SLR]),
            grant_stmt([root(SRC), SLR]),
            {
                "Sid": "Protect",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey"],
                "Resource": "*",
                "Condition": {
                    "ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{SRC}:role/KeyAdministrators"}
                },
            },
        ),
        set(),
        "pass",
    ),
    (
        "deny-notaction-outside-source",
        key_policy(
            use_stmt([root(SRC), SLR]),
            grant_stmt([root(SRC), SLR]),
            {
                "Sid": "Only decrypt outside",
                "Effect": "Deny",
                "Principal": "*",
                "NotAction": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"kms:CallerAccount": SRC}},
            },
        ),
        {"CG104"},
        "fail",
    ),
    (
        "viaservice-without-region",
        key_policy(
            _allow(
                {"AWS": root(DST)}, ALL, {"StringEquals": {"kms:ViaService": "ec2.amazonaws.com"}}
            )
        ),
        {"CG101", "CG105"},
        "fail",
    ),
    (
        "viaservice-right-region",
        key_policy(
            _allow(
                {"AWS": SLR},
                USE,
                {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
            ),
            _allow(
                {"AWS": SLR},
                GRANT,
                {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}, **GRANT_TRUE},
                sid="G",
            ),
        ),
        # every call but DescribeKey comes through EC2; the knowledge layer's copy_contexts
        # keeps AWS Backup calling DescribeKey directly as an alternative (CG902)
        {"CG902"},
        "unknown",
    ),
    (
        "viaservice-right-region-describekey-direct",
        key_policy(
            _allow({"AWS": SLR}, ["kms:DescribeKey"], sid="D"),
            _allow(
                {"AWS": SLR},
                USE,
                {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
            ),
            _allow(
                {"AWS": SLR},
                GRANT,
                {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}, **GRANT_TRUE},
                sid="G",
            ),
        ),
        set(),
        "pass",
    ),
    (
        "viaservice-wrong-service",
        key_policy(
            _allow(
                {"AWS": SLR},
                ALL,
                {"StringEquals": {"kms:ViaService": "rds.us-east-1.amazonaws.com"}},
            )
        ),
        {"CG101", "CG105"},
        "fail",
    ),
    (
        "grant-is-for-aws-resource-false",
        key_policy(
            use_stmt([root(SRC), root(DST)]),
            grant_stmt(
                [root(SRC), root(DST)], Condition={"Bool": {"kms:GrantIsForAWSResource": "false"}}
            ),
        ),
        {"CG101", "CG105", "CG107"},
        "fail",
    ),
    (
        "grant-condition-on-use-actions",
        key_policy(_allow({"AWS": SLR}, ALL, GRANT_TRUE)),
        {"CG101", "CG105"},
        "fail",
    ),
    (
        "kms-star-for-destination",
        key_policy(_allow({"AWS": root(DST)}, ["kms:*"])),
        {"CG106", "CG107"},
        "pass",
    ),
    (
        "principal-star-unconditioned",
        key_policy(_allow("*", USE), _allow("*", GRANT, GRANT_TRUE, sid="G")),
        {"CG107"},
        "pass",
    ),
    ("no-key-policy", None, {"CG101"}, "fail"),
]


@pytest.mark.parametrize(
    ("policy", "want", "verdict"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE]
)
def test_key_policy_table(policy: dict[str, Any] | None, want: set[str], verdict: str) -> None:
    doc = put(base(), "keys.0.policy", policy)
    report = check(doc)
    assert codes(report) == want, [(f.code, f.message.en) for f in report.findings]
    assert report.verdict == verdict


def test_cg101_reports_every_action_and_its_decision() -> None:
    f = finding(check(base(UNSHARED)), "CG101")
    assert f.severity == "error"
    assert f.resource == SRC_KEY
    assert f.evidence["actions"] == dict.fromkeys(REQUIRED, "implicit_deny")
    assert f.evidence["caller"] == SLR
    assert f.fix is not None and f.fix.kind == "key-policy" and f.fix.applicability == "safe"
    assert "Given key ID is not accessible" in f.message.en
    assert "无法访问给定的密钥 ID" in f.message.zh


def test_cg101_partial_share_names_only_the_missing_actions() -> None:
    doc = base(key_policy(use_stmt([root(SRC), root(DST)]), grant_stmt([root(SRC)])))
    f = finding(check(doc), "CG101")
    failing = {a for a, d in f.evidence["actions"].items() if d != "allowed"}
    assert failing == set(GRANT)
    assert "3 of the 12" in f.message.en


def test_evidence_statements_are_compact() -> None:
    f = finding(check(base(UNSHARED)), "CG101")
    statements = f.evidence["statements"]
    assert [s["statement"] for s in statements] == ["Statement[0]", "Statement[1]", "Statement[2]"]
    for s in statements:
        assert set(s) <= {"statement", "sid", "effect", "applies", "applies_to", "reasons"}
        assert isinstance(s["applies"], bool)
        assert all(isinstance(r, str) for r in s["reasons"])
        assert len(s["reasons"]) == len(set(s["reasons"]))
    # one line per distinct reason, not one per action: small enough to read
    assert len(json.dumps(statements)) < 1500


def test_evidence_names_the_actions_a_reason_holds_for_when_it_is_not_all() -> None:
    doc = base(key_policy(_allow({"AWS": SLR}, ALL, GRANT_TRUE)))
    f = finding(check(doc), "CG101")
    (stmt,) = [s for s in f.evidence["statements"] if s["statement"] == "Statement[1]"]
    assert (
        stmt["applies"] is False
    )  # only the use actions are failing, and it never applies to them
    assert any("kms:GrantIsForAWSResource" in r for r in stmt["reasons"])


def test_cg104_names_the_deny_statement_and_is_never_a_safe_fix() -> None:
    doc = base(
        key_policy(
            use_stmt([root(SRC), SLR]),
            grant_stmt([root(SRC), SLR]),
            _deny(NotPrincipal={"AWS": [root(SRC)]}),
        )
    )
    f = finding(check(doc), "CG104")
    assert f.fix is not None and f.fix.applicability == "unsafe"
    assert any("Statement[3]" in d for d in f.evidence["deny_statements"])
    assert set(f.evidence["actions"].values()) == {"explicit_deny"}
    assert f.notes


def test_cg105_points_at_the_statement_and_its_condition() -> None:
    doc = base(
        key_policy(
            _allow(
                {"AWS": root(DST)}, ALL, {"StringEquals": {"kms:ViaService": "ec2.amazonaws.com"}}
            )
        )
    )
    f = finding(check(doc), "CG105")
    assert f.path == "keys[0].policy.Statement[1]"
    assert f.evidence["statement"] == "Statement[1]"
    assert any("ec2.amazonaws.com" in c for c in f.evidence["conditions"])
    assert sorted(f.evidence["actions"]) == sorted(REQUIRED)


def test_cg106_is_a_note_and_names_the_statements() -> None:
    f = finding(check(base(SHARED_ROOT)), "CG106")
    assert f.severity == "note"
    assert f.evidence["statements"] == [
        "Statement[1] (Allow use of the key)",
        "Statement[2] (Allow attachment of persistent resources)",
    ]


def test_cg107_is_a_warning_listing_the_extra_actions() -> None:
    doc = base(key_policy(_allow({"AWS": root(DST)}, ["kms:*"])))
    f = finding(check(doc), "CG107")
    assert f.severity == "warning"
    assert "kms:Sign" in f.evidence["extra_actions"]
    assert "kms:CreateGrant without kms:GrantIsForAWSResource" in f.evidence["extra_actions"]
    assert f.evidence["outside_principals_allowed"] is False
    assert f.fix is not None and f.fix.applicability == "display-only"


# ---------------------------------------------------------------- CG102 / CG103

MANAGED = [
    ("ebs-manager-aws", {"manager": "AWS"}, "EBS", {"CG102"}),
    ("rds-manager-aws", {"manager": "AWS"}, "RDS", {"CG102"}),
    ("ebs-alias-aws-ebs", {"manager": "UNSET", "aliases": ["alias/aws/ebs"]}, "EBS", {"CG102"}),
    ("ebs-customer", {"manager": "CUSTOMER"}, "EBS", set()),
]


@pytest.mark.parametrize(
    ("key", "rtype", "want"), [m[1:] for m in MANAGED], ids=[m[0] for m in MANAGED]
)
def test_cg102_aws_managed_source_key(key: dict[str, Any], rtype: str, want: set[str]) -> None:
    doc = put(base(), "copies.0.resource_type", rtype)
    for field, value in key.items():
        if value == "UNSET":
            del doc["keys"][0][field]
        else:
            doc["keys"][0][field] = value
    report = check(doc)
    assert codes(report) == want
    if want:
        f = finding(report, "CG102")
        assert f.fix is not None and f.fix.kind == "playbook"
        assert f.evidence["resource_type"] == rtype


def test_cg102_from_an_alias_arn_without_a_key_entry() -> None:
    doc = put(base(), "copies.0.resource_key", f"arn:aws:kms:us-east-1:{SRC}:alias/aws/ebs")
    assert codes(check(doc)) == {"CG102"}


def test_an_aws_managed_vault_key_of_a_fully_managed_type_is_fine() -> None:
    doc = base()
    doc["keys"][0].update({"manager": "AWS", "aliases": ["alias/aws/backup"]})
    doc["keys"][0].pop("policy")
    doc["vaults"].append(
        {
            "arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:local",
            "key": SRC_KEY,
            "lock": None,
        }
    )
    doc["copies"][0].update({"resource_type": "S3", "resource_arn": "arn:aws:s3:::orders"})
    doc["copies"][0].pop("resource_key")
    assert check(doc).verdict == "pass"


@pytest.mark.parametrize(
    "state",
    [
        "Disabled",
        "PendingDeletion",
        "PendingImport",
        "PendingReplicaDeletion",
        "Unavailable",
        "Creating",
        "Updating",
    ],
)
def test_cg103_every_state_but_enabled(state: str) -> None:
    report = check(put(base(), "keys.0.state", state))
    f = finding(report, "CG103")
    assert f.evidence == {"state": state}
    assert report.verdict == "fail"


def test_same_account_copy_is_not_judged() -> None:
    doc = put(
        base(UNSHARED),
        "copies.0.destination_vault",
        "arn:aws:backup:us-east-1:111122223333:backup-vault:xx",
    )
    doc["vaults"].append(
        {
            "arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:xx",
            "key": SRC_KEY,
            "access_policy": None,
            "lock": None,
        }
    )
    assert "CG101" not in codes(check(doc))


# ---------------------------------------------------------------- "depends"

ORG_ONLY = key_policy(
    _allow("*", USE, {"StringEquals": {"aws:PrincipalOrgID": ORG}}),
    _allow("*", GRANT, {"StringEquals": {"aws:PrincipalOrgID": ORG}, **GRANT_TRUE}, sid="G"),
)
VIA_EC2_ANY_REGION = key_policy(
    _allow({"AWS": SLR}, USE, {"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}),
    _allow(
        {"AWS": SLR},
        GRANT,
        {"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}, **GRANT_TRUE},
        sid="G",
    ),
)


def test_principal_org_id_not_pinned_depends_with_the_assumption_in_words() -> None:
    doc = put(
        base(ORG_ONLY),
        "organization",
        {"accounts": ["111111111111", SRC, DST], "cross_account_backup_enabled": True},
    )
    report = check(doc)
    assert report.verdict == "unknown"
    (f,) = [f for f in report.findings if f.code == "CG902"]
    assert "organization o-exampleorg1" in f.message.en
    assert "o-exampleorg1" in f.message.zh
    assert "--context" in f.message.en
    assert set(f.evidence["actions"].values()) == {"depends"}
    (group,) = f.evidence["depends"]
    assert sorted(group["actions"]) == sorted(REQUIRED)
    assert "allowed_if" in group and "denied_if" in group


@pytest.mark.parametrize(
    ("org_id", "verdict", "want"), [(ORG, "pass", set()), ("o-otherorg123", "fail", {"CG101"})]
)
def test_pinning_the_org_id_with_context_decides(org_id: str, verdict: str, want: set[str]) -> None:
    doc = put(
        base(ORG_ONLY),
        "organization",
        {"accounts": ["111111111111", SRC, DST], "cross_account_backup_enabled": True},
    )
    report = check(doc, Options(context={"aws:PrincipalOrgID": org_id}))
    assert report.verdict == verdict
    assert codes(report) == want


def test_via_service_of_a_known_type_is_pinned() -> None:
    """EBS pins kms:ViaService to ec2.REGION for every call but DescribeKey, which AWS Backup
    may make directly (copy_contexts): only DescribeKey depends."""
    f = finding(check(base(VIA_EC2_ANY_REGION)), "CG902")
    assert f.evidence["actions"] == {
        a: "depends" if a == "kms:DescribeKey" else "allowed" for a in REQUIRED
    }
    assert "DescribeKey directly" in f.message.en


def test_via_service_of_an_unknown_type_depends() -> None:
    doc = base(VIA_EC2_ANY_REGION)
    del doc["copies"][0]["resource_type"]
    report = check(doc)
    depends = [f for f in report.findings if f.code == "CG902" and "depends" in f.evidence]
    assert depends and "ec2" in depends[0].message.en


def test_via_service_of_an_unknown_type_pinned_by_context() -> None:
    doc = base(VIA_EC2_ANY_REGION)
    del doc["copies"][0]["resource_type"]
    report = check(doc, Options(context={"kms:ViaService": "ec2.us-east-1.amazonaws.com"}))
    assert not [f for f in report.findings if "depends" in f.evidence]


def test_quick_form_without_key_arn_does_not_guess_the_region() -> None:
    from copyguard import api

    policy = key_policy(
        _allow(
            {"AWS": SLR}, ALL, {"StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}}
        )
    )
    report = api.check_key_policy(
        policy, SRC, DST, resource_type="EBS", key_manager="CUSTOMER", key_state="Enabled"
    )
    assert report.verdict == "unknown"
    (f,) = [f for f in report.findings if f.code == "CG902"]
    assert "eu-west-1" in f.message.en and "--key-arn" in f.message.en
    pinned = api.check_key_policy(
        policy,
        SRC,
        DST,
        key_arn=f"arn:aws:kms:eu-west-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        resource_type="EBS",
        key_manager="CUSTOMER",
        key_state="Enabled",
    )
    # the Region is known now; only whether AWS Backup calls DescribeKey directly is not
    (g,) = [f for f in pinned.findings if f.code == "CG902"]
    assert "--key-arn" not in g.message.en
    assert {a for a, d in g.evidence["actions"].items() if d != "allowed"} == {"kms:DescribeKey"}


def test_grant_is_for_aws_resource_is_absent_on_non_grant_actions() -> None:
    """kms:GrantIsForAWSResource exists only on CreateGrant/ListGrants/RevokeGrant requests, so a
    use statement conditioned on it never applies: decided (CG101 + CG105), not "depends"."""
    report = check(base(key_policy(_allow({"AWS": SLR}, ALL, GRANT_TRUE))))
    f = finding(report, "CG101")
    assert {a for a, d in f.evidence["actions"].items() if d == "implicit_deny"} == {
        a for a in REQUIRED if a not in GRANT
    }
    assert report.verdict == "fail"


# ---------------------------------------------------------------- both languages


@pytest.mark.parametrize(
    ("policy", "want", "verdict"), [t[1:] for t in TABLE], ids=[t[0] for t in TABLE]
)
def test_every_finding_speaks_both_languages(
    policy: dict[str, Any] | None, want: set[str], verdict: str
) -> None:
    report = check(put(base(), "keys.0.policy", policy))
    for f in report.findings:
        for text in (f.title, f.message):
            assert text.en and text.zh
            assert CJK.search(text.zh), text.zh
        for note in f.notes:
            assert note.en and note.zh


def test_admin_statement_constant_is_the_seed_shape() -> None:
    assert ADMIN["Action"] == "kms:*" and ADMIN["Principal"] == {"AWS": root(SRC)}
