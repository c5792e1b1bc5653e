from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from copyguard.knowledge import (
    FINDING_CODES,
    error_catalogue,
    fuzzy_match_error,
    match_error,
    normalize_message,
    provenance,
)
from copyguard.knowledge.errors import FUZZY_THRESHOLD

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:ap-southeast-2:999988887777:key/mrk-0123456789abcdef0123456789abcdef"
CJK = re.compile(r"[\u4e00-\u9fff]")

# Every string of facts-sheet sections 4 and 5 and the seed article's console texts,
# transcribed independently of errors.yaml ("…" replaced by real-shaped values).
FACTS_SHEET = [
    ("Given key ID is not accessible", "given-key-not-accessible"),
    ("无法访问给定的密钥 ID", "given-key-not-accessible"),
    ("AMI snapshot copy failed with error: Given key ID is not accessible. You must have "
     "DescribeKey permissions on the default key", "ami-snapshot-key-not-accessible"),
    ("AMI snapshot copy failed with error: Given key ID is not accessible. You must have "
     "DescribeKey permissions on the default CMK", "ami-snapshot-key-not-accessible"),
    ("Given key ID does not exist", "given-key-does-not-exist"),
    (f"The source snapshot KMS key [{KEY}] does not exist, is not enabled or you do not have "
     "permissions to access it.", "source-snapshot-key-not-accessible"),
    ("源快照 KMS 密钥不存在、未启用或您无权访问它", "source-snapshot-key-not-accessible"),
    ("Specified KMS key [None] does not exist, is not enabled or you do not have permissions "
     "to access it.", "specified-key-not-accessible"),
    ("The target KMS key [None] does not exist, is not enabled or you do not have permissions "
     "to access it.", "target-key-not-accessible"),
    ("Must specify new KMS key for cross region encrypted snapshot copy.",
     "cross-region-copy-needs-key"),
    ("KMS key is either disabled or pending deletion or access to KMS key is denied",
     "kms-key-disabled-or-denied"),
    ("Snapshots encrypted with the AWS managed key can't be shared. Specify another snapshot.",
     "aws-managed-snapshot-not-shareable"),
    ("Encrypted snapshots with Amazon EBS default key cannot be shared",
     "ebs-default-key-not-shareable"),
    ("Copy job failed because the destination Backup vault is encrypted with the default Backup "
     "service managed key. The contents of this vault cannot be copied. Only the contents of a "
     "Backup vault encrypted by an AWS KMS key may be copied.", "destination-vault-default-key"),
    ("Copy job failed because the destination Backup vault is encrypted with the default Backup "
     "service managed key. …", "destination-vault-default-key"),
    ("Copy job failed. Both source and destination account must be a member of the same "
     "organization", "not-same-organization"),
    ("Access denied: Copy job failed. Both source and destination account must be a member of "
     "the same organization", "not-same-organization"),
    ("Copy job failed. Cross-account copy feature is not enabled for the current organization.",
     "cross-account-copy-not-enabled"),
    ("Access Denied trying to call AWS Backup service", "access-denied-backup-service"),
    ("Copy job failed. The retention specified in the job is not within the range specified for "
     "the target Backup Vault.", "retention-outside-vault-lock"),
    ("Copy job from us-west-2 to us-east-1 cannot be initiated for RDS resources. Feature is not "
     "supported for provided resource type.", "feature-not-supported"),
    ("Copy job from eu-north-1 to eu-central-1 cannot be initiated for Aurora resources. Feature "
     "is not supported for provided resource type.", "feature-not-supported"),
    ("Feature is not supported for provided resource type.", "feature-not-supported"),
    ("There are too many copy jobs running for resource.", "too-many-copy-jobs"),
    ("Copy job encountered a fatal error.", "copy-fatal-error"),
    ("Copy job encountered a fatal error. Please contact AWS Support for further assistance.",
     "copy-fatal-error"),
    ("IAM Role arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole does not "
     "have sufficient permissions to execute the backup.", "backup-role-insufficient-permissions"),
    ("MalformedPolicyDocumentException - Policy contains a statement with one or more invalid "
     "principals.", "key-policy-invalid-principals"),
    ("MalformedPolicyDocumentException: The new key policy will not allow you to update the key "
     "policy in the future.", "key-policy-lockout"),
    (f"DisabledException: {KEY} is disabled.", "kms-key-disabled"),
    (f"KMSInvalidStateException: {KEY} is pending deletion.", "kms-key-invalid-state"),
    (f"KMSInvalidStateException: {KEY} is pending replica deletion.", "kms-key-invalid-state"),
    (f"KMSInvalidStateException: {KEY} is pending import.", "kms-key-invalid-state"),
    (f"KMSInvalidStateException: {KEY} is unavailable.", "kms-key-invalid-state"),
    (f"KMSInvalidStateException: {KEY} is creating.", "kms-key-invalid-state"),
    (f"KMSInvalidStateException: {KEY} is updating.", "kms-key-invalid-state"),
    (f"NotFoundException: Key '{KEY}' does not exist", "kms-key-not-found"),
    ("UnsupportedOperation : Storage Gateway backup copies require a user-created backup vault "
     "and key at destination.", "storage-gateway-needs-user-vault"),
    ("Images from AWS Marketplace cannot be copied to another AWS account.",
     "marketplace-ami-not-copyable"),
    ("The resultant tag set must not have more than 50 user tags.", "too-many-tags"),
    ("The snapshot requires a target option group with the following options: ....",
     "rds-option-group"),
    ("An error occurred accessing an Amazon Web Services KMS key.", "rds-kms-key-not-accessible"),
]  # fmt: skip


@pytest.mark.parametrize(("message", "entry_id"), FACTS_SHEET)
def test_every_facts_sheet_string_is_catalogued(message: str, entry_id: str) -> None:
    matches = match_error(message)
    assert matches, message
    assert matches[0].pattern.id == entry_id


EXAMPLES = [(entry.id, example) for entry in error_catalogue() for example in entry.examples]


def _variants(example: str) -> Iterator[tuple[str, str]]:
    yield "verbatim", example
    yield "access-denied-prefix", f"Access denied: {example}"
    yield (
        "sdk-prefix",
        f"An error occurred (AccessDeniedException) when calling the StartCopyJob operation: {example}",
    )
    yield "boto-prefix", f"botocore.exceptions.ClientError: {example}"
    yield "status-prefix", f"StatusMessage: {example}"
    yield "upper", example.upper()
    yield "lower", example.lower()
    yield "whitespace", "  \n" + example.replace(" ", " \n\t  ") + " \r\n"
    yield "no-trailing-punctuation", example.rstrip(".")
    yield "extra-trailing-punctuation", example.rstrip(".") + "..."
    yield "quoted", f'"{example}"'
    yield "curly-quoted", f"“{example}”"


VARIANTS = [
    pytest.param(entry_id, text, id=f"{entry_id}-{n}-{label}")
    for n, (entry_id, example) in enumerate(EXAMPLES)
    for label, text in _variants(example)
]


@pytest.mark.parametrize(("entry_id", "message"), VARIANTS)
def test_every_entry_matches_its_examples_and_variants(entry_id: str, message: str) -> None:
    matches = match_error(message)
    assert matches, message
    assert matches[0].pattern.id == entry_id


@pytest.mark.parametrize(
    ("entry_id", "example"), [(i, e) for i, e in EXAMPLES if KEY in e or "[None]" in e]
)
def test_extracts_a_different_key_arn(entry_id: str, example: str) -> None:
    message = example.replace(KEY, OTHER_KEY).replace("[None]", f"[{OTHER_KEY}]")
    best = match_error(message)[0]
    assert best.pattern.id == entry_id
    assert best.values["key_arn"] == OTHER_KEY
    assert best.values["key_region"] == "ap-southeast-2"
    assert best.values["key_account"] == "999988887777"


@pytest.mark.parametrize(
    "entry_id",
    ["source-snapshot-key-not-accessible", "specified-key-not-accessible",
     "target-key-not-accessible"],
)  # fmt: skip
def test_none_key_variant(entry_id: str) -> None:
    entry = next(e for e in error_catalogue() if e.id == entry_id)
    example = next(e for e in entry.examples if "KMS key [" in e)
    message = re.sub(r"\[[^\]]*\]", "[None]", example)
    best = match_error(message)[0]
    assert best.pattern.id == entry_id
    assert best.values["key_missing"] == "true"
    assert "key_arn" not in best.values


def test_feature_not_supported_values() -> None:
    best = match_error(
        "copy job from AP-SOUTHEAST-2 to eu-west-1 cannot be initiated for docdb resources."
        " Feature is not supported for provided resource type"
    )[0]
    assert best.pattern.id == "feature-not-supported"
    assert best.values["source_region"] == "AP-SOUTHEAST-2"
    assert best.values["destination_region"] == "eu-west-1"
    assert best.values["resource_type"] == "DocumentDB"
    assert best.codes[0] == "CG403"  # a Region limit is the likeliest cause today


def test_more_specific_entry_ranks_first() -> None:
    ids = [m.pattern.id for m in match_error(EXAMPLES[2][1])]
    assert ids[:2] == ["ami-snapshot-key-not-accessible", "given-key-not-accessible"]


def test_sdk_prefix_is_parsed() -> None:
    best = match_error(
        "An error occurred (KMSInvalidStateException) when calling the CreateGrant operation: "
        f"{KEY} is pending deletion."
    )[0]
    assert best.pattern.id == "kms-key-invalid-state"
    assert best.values["error_code"] == "KMSInvalidStateException"
    assert best.values["operation"] == "CreateGrant"
    assert best.values["state"] == "pending deletion"


@pytest.mark.parametrize(
    ("reason", "first"),
    [
        ("because no resource-based policy allows the kms:CreateGrant action", "CG101"),
        ("with an explicit deny in a resource-based policy", "CG104"),
        ("because no identity-based policy allows the kms:CreateGrant action", "CG106"),
        ("", "CG101"),
    ],
)
def test_not_authorized_orders_codes_by_reason(reason: str, first: str) -> None:
    message = (
        "User: arn:aws:sts::444455556666:assumed-role/AWSServiceRoleForBackup/x is not authorized "
        f"to perform: kms:CreateGrant on resource: {KEY} {reason}"
    )
    best = match_error(message)[0]
    assert best.pattern.id == "kms-not-authorized"
    assert best.codes[0] == first
    assert best.values["action"] == "kms:CreateGrant"
    assert best.values["resource"] == KEY


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   \n ",
        "Copy job completed successfully",
        "The bucket does not exist",
        "Access granted",
        "KMS key",
        "Given key ID",
        "is disabled",
        "An error occurred (ThrottlingException) when calling the ListCopyJobs operation: Rate exceeded",
        "无法访问",
        "Feature is supported",
    ],
)
def test_unknown_messages_match_nothing(message: str) -> None:
    assert match_error(message) == ()


def test_normalize_message() -> None:
    text, values = normalize_message(
        "  An error occurred (NotFoundException) when calling the DescribeKey operation:\n"
        "  Key ’x’ does not exist.  "
    )
    assert text == "NotFoundException: Key 'x' does not exist"
    assert values == {"error_code": "NotFoundException", "operation": "DescribeKey"}


@pytest.mark.parametrize("entry", error_catalogue(), ids=lambda e: e.id)
def test_catalogue_entries_are_complete(entry: object) -> None:
    from copyguard.knowledge import ErrorPattern

    assert isinstance(entry, ErrorPattern)
    assert set(entry.codes) <= FINDING_CODES
    assert entry.causes and entry.next_steps and entry.examples and entry.sources
    prov = provenance()["errors.yaml"]
    for source in entry.sources:
        assert prov.source(source) is not None, source
    for cause in entry.causes:
        assert cause.en and CJK.search(cause.zh), cause
        assert cause.code is None or cause.code in entry.codes
    for step in entry.next_steps:
        assert step.en and CJK.search(step.zh), step
    assert [c.code for c in entry.causes if c.code][:1] == list(entry.codes[:1])


def test_codes_of_the_brief() -> None:
    by_id = {e.id: set(e.codes) for e in error_catalogue()}
    assert {"CG101", "CG102", "CG103", "CG104"} <= by_id["given-key-not-accessible"]
    assert by_id["access-denied-backup-service"] == {"CG201"}
    assert by_id["destination-vault-default-key"] == {"CG202"}
    assert by_id["retention-outside-vault-lock"] == {"CG204"}
    assert by_id["not-same-organization"] == {"CG301"}
    assert by_id["cross-account-copy-not-enabled"] == {"CG302"}
    assert by_id["feature-not-supported"] == {"CG401", "CG402", "CG403", "CG404"}
    assert by_id["key-policy-invalid-principals"] == {"CG205"}


# --- December 2026: real messages AWS documents (facts sheet section 9) ---------------------

MERGED = (
    "User: arn:aws:sts::111122223333:assumed-role/AWSBackupDefaultServiceRole/AWSBackup-x is "
    "not authorized to perform: kms:Decrypt on this resource because the resource does not "
    "exist in this Region, no resource-based policies allow access, or a resource-based policy "
    "explicitly denies access"
)
NO_IDENTITY = (
    "User: arn:aws:sts::444455556666:assumed-role/AWSServiceRoleForBackup/AWSBackup-x is not "
    "authorized to perform: kms:CreateGrant on this resource because no identity-based policy "
    "allows the kms:CreateGrant action"
)


def test_kms_merged_access_denied_text_is_matched_and_routed_to_the_key() -> None:
    best = match_error(MERGED)[0]
    assert best.pattern.id == "kms-not-authorized"
    assert best.confidence == "exact"
    assert best.values["principal"].endswith("AWSBackup-x")
    assert best.values["action"] == "kms:Decrypt"
    assert "resource" not in best.values  # "on this resource": KMS does not name the key
    # KMS merges a missing key, a missing allow and an explicit deny into this one text
    assert best.codes[:3] == ("CG101", "CG103", "CG104")


def test_kms_no_identity_policy_text_points_at_delegation() -> None:
    best = match_error(NO_IDENTITY)[0]
    assert best.pattern.id == "kms-not-authorized"
    assert best.codes[0] == "CG106"
    assert best.values["action"] == "kms:CreateGrant"


@pytest.mark.parametrize(
    ("action", "entry_id", "codes"),
    [
        ("kms:GenerateDataKeyWithoutPlaintext", "kms-not-authorized", {"CG101", "CG103", "CG104", "CG106", "CG207", "CG208"}),
        ("backup:CopyIntoBackupVault", "copy-into-vault-not-authorized", {"CG201"}),
        ("iam:PassRole", "copy-role-not-authorized", set()),
        ("sts:AssumeRole", "copy-role-not-authorized", set()),
        ("backup:StartCopyJob", "not-authorized", set()),
        ("s3:GetObject", "not-authorized", set()),
        ("backup:CopyIntoBackupVaultX", "not-authorized", set()),
    ],
)  # fmt: skip
def test_access_denial_is_routed_by_its_action(action: str, entry_id: str, codes: set[str]) -> None:
    message = (
        f"User: arn:aws:iam::111122223333:user/ops is not authorized to perform: {action} on "
        "resource: arn:aws:backup:us-east-1:444455556666:backup-vault:central because no "
        f"identity-based policy allows the {action} action"
    )
    found = match_error(message)
    assert [m.pattern.id for m in found] == [entry_id]
    assert set(found[0].codes) == codes
    assert found[0].values["action"] == action
    assert found[0].values["principal"] == "arn:aws:iam::111122223333:user/ops"
    if not action.startswith("kms:"):
        assert not {"CG101", "CG102", "CG103", "CG104", "CG106"} & set(found[0].codes)


def test_efs_automatic_backup_vault_deny_wins_over_the_generic_entry() -> None:
    message = (
        "User: arn:aws:sts::111122223333:assumed-role/ops/jane is not authorized to perform: "
        "backup:StartCopyJob on resource: "
        "arn:aws:backup:eu-west-1:111122223333:backup-vault:aws/efs/automatic-backup-vault "
        "with an explicit deny in a resource-based policy"
    )
    assert [m.pattern.id for m in match_error(message)] == ["efs-automatic-backup-vault-deny"]


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("Failed to unshare snapshot", "failed-to-unshare-snapshot"),
        ("Source AMI ami-0abc1234def567890 not found in Region.", "source-ami-not-found"),
        ("Backup job failed because the lifecycle is outside the valid range for backup vault.",
         "lag-lifecycle-out-of-range"),
        ("Backup job completed successfully to the target backup vault. This resource is "
         "encrypted with an AWS managed key and cannot be copied to a logically air-gapped "
         "backup vault.", "lag-aws-managed-key"),
        ("Backup job completed successfully to the target backup vault. This resource type is "
         "not supported by logically air-gapped backup vault.", "lag-type-not-supported"),
        ("Insufficient privileges to perform this action.", "insufficient-privileges"),
        ("Access Denied", "access-denied"),
    ],
)  # fmt: skip
def test_other_real_messages(message: str, entry_id: str) -> None:
    found = match_error(message)
    assert found and found[0].pattern.id == entry_id
    assert found[0].confidence == "exact"


def test_the_generic_access_denied_entry_gives_way_to_a_specific_one() -> None:
    ids = [m.pattern.id for m in match_error("Access Denied trying to call AWS Backup service")]
    assert ids == ["access-denied-backup-service"]
    assert match_error("Access Denied")[0].codes == ()


@pytest.mark.parametrize(
    "message", ["无法访问给定的密钥 ID", "源快照 KMS 密钥不存在、未启用或您无权访问它"]
)
def test_chinese_texts_are_labelled_translations(message: str) -> None:
    best = match_error(message)[0]
    assert best.label == "translation"
    assert match_error("Given key ID is not accessible")[0].label is None
    assert "translations" in (provenance()["errors.yaml"].source("SEED-ZH") or _NONE).note


class _NONE:
    note = ""


def test_a_message_inside_a_log_line_is_a_pattern_match() -> None:
    line = (
        "2026-12-05T10:00:01Z ERROR backup-monitor copy_job=7f3c state=FAILED "
        'StatusMessage="Given key ID is not accessible" account=444455556666'
    )
    best = match_error(line)[0]
    assert best.pattern.id == "given-key-not-accessible"
    assert best.confidence == "pattern"
    assert 0 < best.similarity < 1


def test_prefixes_do_not_lower_confidence() -> None:
    best = match_error(
        "An error occurred (AccessDeniedException) when calling the StartCopyJob operation: "
        "Access Denied trying to call AWS Backup service"
    )[0]
    assert best.confidence == "exact" and best.similarity == 1.0


@pytest.mark.parametrize(
    ("message", "entry_id"),
    [
        ("unable to access the given key id", "given-key-not-accessible"),
        ("the source snapshot kms key doesnt exist or is not enabled",
         "source-snapshot-key-not-accessible"),
        ("cross account copy not enabled for organization", "cross-account-copy-not-enabled"),
    ],
)  # fmt: skip
def test_fuzzy_matching_in_the_users_own_words(message: str, entry_id: str) -> None:
    assert match_error(message) == ()
    found = fuzzy_match_error(message)
    assert found and found[0].pattern.id == entry_id
    assert found[0].confidence == "fuzzy"
    assert FUZZY_THRESHOLD <= found[0].similarity <= 1.0


@pytest.mark.parametrize("message", ["hello world", "the weather is nice today", "key", "x" * 50])
def test_fuzzy_matching_does_not_invent_matches(message: str) -> None:
    assert fuzzy_match_error(message) == ()


@pytest.mark.parametrize(
    "hostile",
    [
        "is not authorized to perform: kms:a " * 20000,
        "NotFoundException " * 30000 + "Key 'x",
        "User: arn:" + "a" * 200000,
        "Copy job from us-east-1 to " * 20000,
        "a b c d e f " * 50000,
    ],
)
def test_matching_is_bounded_on_hostile_input(hostile: str) -> None:
    import time

    start = time.thread_time()  # CPU time: a loaded machine does not move it
    match_error(hostile)
    fuzzy_match_error(hostile)
    assert time.thread_time() - start < 2.0


def test_a_long_paste_is_cut_and_says_so() -> None:
    found = match_error("Given key ID is not accessible " + "x" * 5000)
    assert found and found[0].values.get("truncated") == "true"
