"""KMS service rules added after the differential review: IAM-only actions, partitions,
case-sensitive service principals."""

from __future__ import annotations

import pytest

from copyguard.evaluate import Request, evaluate_kms
from copyguard.evaluate.services.kms import IAM_POLICY_ONLY_ACTIONS
from copyguard.knowledge import kms_actions
from copyguard.policy import parse_policy

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _policy(principal: dict[str, object], action: str = "kms:Decrypt") -> object:
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
            ],
        },
        kind="key",
    )


def test_iam_only_constant_matches_the_catalogue() -> None:
    from_data = {a.name.lower() for a in kms_actions().values() if not a.key_resource}
    assert from_data == set(IAM_POLICY_ONLY_ACTIONS)


@pytest.mark.parametrize("action", ["kms:CreateKey", "KMS:listkeys", "kms:GenerateRandom"])
def test_iam_only_actions_are_not_decided_by_a_key_policy(action: str) -> None:
    policy = _policy({"AWS": "arn:aws:iam::111122223333:role/R"}, "kms:*")
    with pytest.raises(ValueError, match="only by IAM policies"):
        evaluate_kms(Request("arn:aws:iam::111122223333:role/R", action, KEY, {}), policy)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("named", "caller", "expected"),
    [
        (
            "arn:aws:iam::111122223333:role/R",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "allowed",
        ),
        (
            "arn:aws-cn:iam::111122223333:role/R",
            "arn:aws:sts::111122223333:assumed-role/R/s",
            "implicit_deny",
        ),
        ("arn:aws-cn:iam::111122223333:root", "arn:aws:iam::111122223333:root", "implicit_deny"),
        ("111122223333", "arn:aws:iam::111122223333:root", "allowed"),
    ],
)
def test_partition_must_match(named: str, caller: str, expected: str) -> None:
    policy = _policy({"AWS": named})
    d = evaluate_kms(Request(caller, "kms:Decrypt", KEY, {}), policy)  # type: ignore[arg-type]
    assert d.decision == expected


@pytest.mark.parametrize(
    ("named", "expected"),
    [("backup.amazonaws.com", "allowed"), ("Backup.amazonaws.com", "implicit_deny")],
)
def test_service_principals_are_case_sensitive(named: str, expected: str) -> None:
    policy = _policy({"Service": named})
    d = evaluate_kms(Request("backup.amazonaws.com", "kms:Decrypt", KEY, {}), policy)  # type: ignore[arg-type]
    assert d.decision == expected
