"""The organization scan's pure parts: organization backup policies (AWS Organizations'
backup policy syntax) into copy rules, and the command line's organization options."""

from __future__ import annotations

import json

import pytest

from copyguard.sources.organization import PolicyRule, policy_rules

DEST = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"


def attached(copy_actions: dict[str, object], **rule: object) -> dict[str, object]:
    return {
        "plans": {
            "p": {
                "regions": {"@@assign": ["us-east-1", "eu-west-1"]},
                "rules": {
                    "r": {
                        "target_backup_vault_name": {"@@assign": "local"},
                        **rule,
                        "copy_actions": copy_actions,
                    },
                    "@@operators_allowed_for_child_policies": ["@@none"],
                },
            }
        }
    }


def test_attached_policy_with_operators() -> None:
    doc = attached(
        {
            "arn:aws:backup:us-east-1:$account:backup-vault:second": {
                "target_backup_vault_arn": {
                    "@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:second"
                },
                "lifecycle": {
                    "delete_after_days": {"@@assign": "120"},
                    "move_to_cold_storage_after_days": {"@@assign": "30"},
                },
            },
            DEST: {"target_backup_vault_arn": {"@@assign": DEST}},
        }
    )
    rules = policy_rules("p-1", "name", doc)
    assert len(rules) == 1
    rule = rules[0]
    assert rule.regions == ("us-east-1", "eu-west-1") and rule.target_vault == "local"
    label, api, source = rule.as_rule("111122223333", "eu-west-1")
    assert "p-1" in label and "p/r" in label and "111122223333 eu-west-1" in label
    assert source == "arn:aws:backup:eu-west-1:111122223333:backup-vault:local"
    assert sorted(api["CopyActions"], key=lambda a: a["DestinationBackupVaultArn"]) == [
        {
            "DestinationBackupVaultArn": "arn:aws:backup:us-east-1:111122223333:backup-vault:second",
            "Lifecycle": {"DeleteAfterDays": 120, "MoveToColdStorageAfterDays": 30},
        },
        {"DestinationBackupVaultArn": DEST},
    ]


def test_effective_policy_plain_values() -> None:
    doc = {
        "plans": {
            "p": {
                "regions": ["us-east-1"],
                "rules": {
                    "r": {
                        "target_backup_vault_name": "local",
                        "copy_actions": {
                            DEST: {
                                "target_backup_vault_arn": DEST,
                                "lifecycle": {"delete_after_days": "7"},
                            }
                        },
                    }
                },
            }
        }
    }
    (rule,) = policy_rules("p-2", "n", json.loads(json.dumps(doc)))
    assert rule.copy_actions == [(DEST, {"DeleteAfterDays": 7})]


def test_rules_without_copies_and_keyed_by_arn_only() -> None:
    assert policy_rules("p", "n", attached({})) == []
    # the target ARN given only as the copy action's key
    (rule,) = policy_rules("p", "n", attached({DEST: {}}))
    assert rule.copy_actions == [(DEST, None)]
    assert policy_rules("p", "n", {}) == []


@pytest.mark.parametrize(
    "content",
    [
        [],
        "text",
        {"plans": []},
        {"plans": {"p": {"rules": []}}},
        {"plans": {"p": {"rules": {"r": {"copy_actions": ["x"]}}}}},
    ],
)
def test_not_a_backup_policy(content: object) -> None:
    with pytest.raises(ValueError):
        policy_rules("p", "n", content)


def test_placeholder_kept_as_written() -> None:
    rule = PolicyRule(
        "p",
        "n",
        "plan",
        "rule",
        None,
        "v",
        [("arn:aws:backup:$region:$account:backup-vault:x", None)],
    )
    _, api, _ = rule.as_rule("111122223333", "us-east-1")
    assert api["CopyActions"][0]["DestinationBackupVaultArn"] == (
        "arn:aws:backup:$region:111122223333:backup-vault:x"
    )
