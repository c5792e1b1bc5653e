"""Hostile organization backup policies (written by other people): a policy that cannot be
read is a read failure (CG902) for that policy, never a crash of the whole scan, and a value
of the wrong type is reported with its field path instead of being used as text."""

from __future__ import annotations

import json
from typing import Any

import pytest

from copyguard.sources.organization import OrganizationScan, policy_rules

DEST = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"


class FakeReader:
    """The two reads read_backup_policies makes, answered from a dict of policy texts."""

    max_workers = 2

    def __init__(self, contents: dict[str, str]) -> None:
        self.contents = contents

    def paginate(self, role: str, service: str, op: str, key: str, **kw: Any) -> Any:
        if op == "list_policies":
            return [{"Id": pid} for pid in self.contents]
        assert op == "list_targets_for_policy"
        return [{"Type": "ROOT", "TargetId": "r-abcd"}]

    def call(self, role: str, service: str, op: str, **kw: Any) -> Any:
        assert op == "describe_policy"
        pid = kw["PolicyId"]
        return {
            "Policy": {
                "PolicySummary": {"Id": pid, "Name": f"name-{pid}"},
                "Content": self.contents[pid],
            }
        }


def good_policy() -> str:
    return json.dumps(
        {
            "plans": {
                "p": {
                    "rules": {
                        "r": {
                            "target_backup_vault_name": {"@@assign": "local"},
                            "copy_actions": {DEST: {"target_backup_vault_arn": DEST}},
                        }
                    }
                }
            }
        }
    )


@pytest.mark.parametrize(
    "content",
    [
        '{"plans":' + "[" * 200_000 + "]" * 200_000 + "}",  # nested too deeply for json
        '{"plans": {',  # cut short
        "not json \x1b[31m",
    ],
)
def test_an_unreadable_policy_is_a_read_failure_and_the_others_are_read(content: str) -> None:
    scan = OrganizationScan(FakeReader({"p-bad": content, "p-good": good_policy()}), mode="plans")
    scan.read_backup_policies()
    failures = scan.b.sc.read_failures
    assert "organization.backup_policies[p-bad]" in failures
    assert "UnreadablePolicy" in failures["organization.backup_policies[p-bad]"][0]
    assert [r.policy_id for r, accounts in scan._policy_rules] == ["p-good"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_backup_vault_arn", {"@@assign": ["a", "b"]}),
        ("target_backup_vault_arn", {"@@assign": {"x": DEST}}),
        ("target_backup_vault_arn", 12),
        ("target_backup_vault_arn", True),
    ],
)
def test_a_destination_that_is_not_a_string_is_reported(field: str, value: Any) -> None:
    doc = {"plans": {"p": {"rules": {"r": {"copy_actions": {DEST: {field: value}}}}}}}
    with pytest.raises(ValueError, match=rf"plans\.p\.rules\.r\.copy_actions\..*\.{field}"):
        policy_rules("p-1", "n", doc)


@pytest.mark.parametrize("value", [{"@@assign": ["v"]}, {"@@assign": {"a": 1}}, 7, ["v"]])
def test_a_source_vault_name_that_is_not_a_string_is_reported(value: Any) -> None:
    doc = {
        "plans": {
            "p": {
                "rules": {
                    "r": {
                        "target_backup_vault_name": value,
                        "copy_actions": {DEST: {"target_backup_vault_arn": DEST}},
                    }
                }
            }
        }
    }
    with pytest.raises(ValueError, match=r"plans\.p\.rules\.r\.target_backup_vault_name"):
        policy_rules("p-1", "n", doc)
