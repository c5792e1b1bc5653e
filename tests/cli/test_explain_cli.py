"""``copyguard explain "MESSAGE"``: every catalogue example maps to its codes, through the real
CLI; the seed article's Chinese console texts; an unknown message says so and exits 3."""

from __future__ import annotations

import re

import pytest
from cg_cli import invoke, run

from copyguard.knowledge import error_catalogue

EXAMPLES = [
    (entry.id, example, entry.codes) for entry in error_catalogue() for example in entry.examples
]


@pytest.mark.parametrize(
    ("entry_id", "message", "codes"),
    EXAMPLES,
    ids=[f"{e}-{i}" for i, (e, _m, _c) in enumerate(EXAMPLES)],
)
def test_every_catalogue_example_is_explained(
    entry_id: str, message: str, codes: tuple[str, ...]
) -> None:
    result = invoke("explain", message, "--format", "json")
    assert result.code == 0, str(result)
    out = result.json()
    assert set(out) >= {"message", "codes", "causes"}
    assert out["message"] == message
    assert set(out["codes"]) == set(codes)
    assert entry_id in [m["id"] for m in out["matched"]]
    if codes:
        assert out["causes"]
    for cause in out["causes"]:
        assert cause["cause"] and isinstance(cause["next_steps"], list)
        assert set(cause["codes"]) <= set(out["codes"])


@pytest.mark.parametrize(
    "message", ["无法访问给定的密钥 ID", "源快照 KMS 密钥不存在、未启用或您无权访问它"]
)
def test_the_seed_articles_chinese_messages(message: str) -> None:
    result = run("explain", message, "--format", "json", "--lang", "zh")
    assert result.code == 0, str(result)
    out = result.json()
    assert out["codes"][0] == "CG101"
    assert {"CG101", "CG102", "CG103", "CG104"} <= set(out["codes"])
    assert re.search(r"[\u4e00-\u9fff]", out["causes"][0]["cause"])
    text = run("explain", message, "--lang", "zh")
    assert text.code == 0 and "CG101" in text.out


@pytest.mark.parametrize(
    "message",
    [
        "Given key ID is not accessible",
        "Access denied: Copy job failed. Both source and destination account must be a member of the same organization",
        "  copy job failed.   cross-account copy feature is not enabled for the current organization  ",
        "The source snapshot KMS key [arn:aws:kms:eu-central-1:123456789012:key/abcd] does not exist, is not enabled "
        "or you do not have permissions to access it.",
    ],
)
def test_matching_tolerates_arns_prefixes_case_and_whitespace(message: str) -> None:
    result = run("explain", message, "--format", "json")
    assert result.code == 0, str(result)
    assert result.json()["codes"]


def test_codes_follow_what_the_message_says() -> None:
    out = invoke(
        "explain",
        "DisabledException: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab "
        "is disabled.",
        "--format",
        "json",
    ).json()
    assert out["codes"][0] == "CG103"
    assert out["causes"][0]["codes"] == ["CG103"]


def test_an_unknown_message_says_so_and_suggests_check() -> None:
    result = run("explain", "The flux capacitor is out of plutonium", "--format", "json")
    assert result.code == 3, str(result)
    out = result.json()
    assert out["codes"] == [] and out["causes"] == []
    assert "copyguard check" in out["note"]
    text = run("explain", "The flux capacitor is out of plutonium")
    assert text.code == 3 and "copyguard check" in text.out
    zh = run("explain", "The flux capacitor is out of plutonium", "--lang", "zh")
    assert zh.code == 3 and re.search(r"[\u4e00-\u9fff]", zh.out)


def test_explain_reads_stdin_and_rejects_an_empty_message() -> None:
    result = run("explain", "-", "--format", "json", stdin="Given key ID is not accessible\n")
    assert result.code == 0 and "CG101" in result.json()["codes"]
    empty = run("explain", "   ")
    assert empty.code == 2 and "Traceback" not in empty.err
    missing = run("explain")
    assert missing.code == 2 and "Traceback" not in missing.err


# --- December 2026: real texts, routing by action, how sure ---------------------------------

KMS_MERGED = (
    "User: arn:aws:sts::111122223333:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-x is "
    "not authorized to perform: kms:GenerateDataKey on this resource because the resource does "
    "not exist in this Region, no resource-based policies allow access, or a resource-based "
    "policy explicitly denies access"
)
KMS_NO_IDENTITY = (
    "User: arn:aws:sts::444455556666:assumed-role/AWSServiceRoleForBackup/AWSBackup-x is not "
    "authorized to perform: kms:CreateGrant on this resource because no identity-based policy "
    "allows the kms:CreateGrant action"
)
KEY_CODES = {"CG101", "CG102", "CG103", "CG104", "CG106"}


def test_kms_access_denied_texts_show_principal_and_action() -> None:
    out = invoke("explain", KMS_MERGED, "--format", "json").json()
    assert out["matched"][0]["id"] == "kms-not-authorized"
    assert out["confidence"] == "exact" and out["score"] == 1.0
    assert out["extracted"]["action"] == "kms:GenerateDataKey"
    assert out["extracted"]["principal"].startswith("arn:aws:sts::111122223333:assumed-role/")
    assert out["codes"][:3] == ["CG101", "CG103", "CG104"]
    text = invoke("explain", KMS_MERGED)
    assert text.code == 0
    assert "Action: kms:GenerateDataKey" in text.out
    assert (
        "Principal: arn:aws:sts::111122223333:assumed-role/AWSBackupDefaultServiceRole" in text.out
    )
    assert "exact match" in text.out
    second = invoke("explain", KMS_NO_IDENTITY, "--format", "json").json()
    assert second["codes"][0] == "CG106"


@pytest.mark.parametrize(
    ("action", "entry_id", "want"),
    [
        ("backup:CopyIntoBackupVault", "copy-into-vault-not-authorized", ["CG201"]),
        ("iam:PassRole", "copy-role-not-authorized", []),
        ("sts:AssumeRole", "copy-role-not-authorized", []),
        ("backup:StartCopyJob", "not-authorized", []),
        ("ec2:CopySnapshot", "not-authorized", []),
    ],
)
def test_an_access_denial_is_routed_by_its_action(
    action: str, entry_id: str, want: list[str]
) -> None:
    message = (
        f"User: arn:aws:iam::111122223333:user/ops is not authorized to perform: {action} on "
        "resource: arn:aws:iam::111122223333:role/backup-copy because no identity-based policy "
        f"allows the {action} action"
    )
    out = invoke("explain", message, "--format", "json").json()
    assert [m["id"] for m in out["matched"]] == [entry_id]
    assert out["codes"] == want
    assert not KEY_CODES & set(out["codes"])  # no invented key cause
    assert out["extracted"]["action"] == action
    assert out["extracted"]["resource"] == "arn:aws:iam::111122223333:role/backup-copy"
    text = invoke("explain", message)
    assert text.code == 0 and f"Action: {action}" in text.out


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        (KMS_MERGED, "kms-not-authorized"),
        (KMS_NO_IDENTITY, "kms-not-authorized"),
        ("Failed to unshare snapshot", "failed-to-unshare-snapshot"),
        ("Source AMI ami-0123456789abcdef0 not found in Region.", "source-ami-not-found"),
        (
            "Backup job failed because the lifecycle is outside the valid range for backup vault.",
            "lag-lifecycle-out-of-range",
        ),
        (
            "Backup job completed successfully to the target backup vault. This resource is "
            "encrypted with an AWS managed key and cannot be copied to a logically air-gapped "
            "backup vault.",
            "lag-aws-managed-key",
        ),
        (
            "Backup job completed successfully to the target backup vault. This resource type "
            "is not supported by logically air-gapped backup vault.",
            "lag-type-not-supported",
        ),
        ("Insufficient privileges to perform this action.", "insufficient-privileges"),
        ("Access Denied", "access-denied"),
        (
            "User: arn:aws:sts::111122223333:assumed-role/ops/jane is not authorized to perform: "
            "backup:StartCopyJob on resource: arn:aws:backup:us-east-1:111122223333:backup-vault:"
            "aws/efs/automatic-backup-vault with an explicit deny in a resource-based policy",
            "efs-automatic-backup-vault-deny",
        ),
    ],
)
def test_other_real_messages_are_explained(message: str, entry_id: str) -> None:
    result = run("explain", message, "--format", "json")
    assert result.code == 0, str(result)
    out = result.json()
    assert out["matched"][0]["id"] == entry_id
    assert out["confidence"] == "exact"
    assert out["causes"]
    zh = invoke("explain", message, "--format", "json", "--lang", "zh").json()
    assert zh["matched"][0]["id"] == entry_id
    assert all(re.search(r"[\u4e00-\u9fff]", c["cause"]) for c in zh["causes"])
    assert "完全匹配" in invoke("explain", message, "--lang", "zh").out


@pytest.mark.parametrize(
    ("message", "english"),
    [
        ("无法访问给定的密钥 ID", "Given key ID is not accessible"),
        ("源快照 KMS 密钥不存在、未启用或您无权访问它", "The source snapshot KMS key"),
    ],
)
def test_chinese_texts_are_labelled_as_the_articles_translations(
    message: str, english: str
) -> None:
    out = invoke("explain", message, "--format", "json", "--lang", "zh").json()
    assert out["matched"][0]["label"] == "translation"
    assert "译文" in out["translation_note"] and english in out["translation_note"]
    en = invoke("explain", message)
    assert en.code == 0 and "not console output" in en.out
    plain = invoke("explain", "Given key ID is not accessible", "--format", "json").json()
    assert "translation_note" not in plain


def test_a_message_pasted_with_its_log_line() -> None:
    line = (
        "2026-12-05T10:00:01.123Z ERROR [backup-monitor] copy job 7f3c2a failed: "
        'StatusMessage="Copy job failed. Cross-account copy feature is not enabled for the '
        'current organization." account=444455556666'
    )
    out = invoke("explain", line, "--format", "json").json()
    assert out["codes"] == ["CG302"]
    assert out["confidence"] == "pattern" and 0 < out["score"] < 1
    text = invoke("explain", line)
    assert "pattern match" in text.out


def test_a_message_in_the_users_own_words() -> None:
    out = invoke("explain", "unable to access the given key id", "--format", "json").json()
    assert out["matched"][0]["id"] == "given-key-not-accessible"
    assert out["confidence"] == "fuzzy" and out["score"] >= 0.6
    assert out["codes"][0] == "CG101"
    text = invoke("explain", "unable to access the given key id")
    assert text.code == 0 and "fuzzy match" in text.out and "check the exact message" in text.out
    zh = invoke("explain", "unable to access the given key id", "--lang", "zh")
    assert "模糊匹配" in zh.out


def test_hostile_input_is_bounded_and_escaped() -> None:
    import time

    hostile = (
        "\x1b[31mGiven key ID is not accessible\x1b[0m "
        + "is not authorized to perform: kms:a " * 5000
    )
    start = time.thread_time()  # CPU time: a loaded machine does not move it
    text = invoke("explain", hostile)
    assert time.thread_time() - start < 5
    assert text.code == 0
    assert "\x1b[31m" not in text.out
    out = invoke("explain", hostile, "--format", "json").json()
    assert out["truncated"] is True


def test_feature_not_supported_checks_the_regions_it_names() -> None:
    opt_in = (
        "Copy job from us-east-1 to af-south-1 cannot be initiated for Neptune resources. "
        "Feature is not supported for provided resource type."
    )
    out = invoke("explain", opt_in, "--format", "json").json()
    assert [(x["kind"], x["region"], x["code"]) for x in out["region_limits"]] == [
        ("type-cross-account", "af-south-1", "CG403")
    ]
    assert "Region data:" in invoke("explain", opt_in).out
    plain = (
        "Copy job from us-east-1 to us-west-2 cannot be initiated for RDS resources. "
        "Feature is not supported for provided resource type."
    )
    assert "region_limits" not in invoke("explain", plain, "--format", "json").json()
    china = plain.replace("us-east-1", "cn-north-1").replace("us-west-2", "cn-northwest-1")
    kinds = {
        x["kind"] for x in invoke("explain", china, "--format", "json").json()["region_limits"]
    }
    assert kinds == {"no-cross-account"}
