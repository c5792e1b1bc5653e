"""Organization backup policies: the effective-policy merge (pure) and the Organizations API
the emulator serves for them (CreatePolicy BACKUP_POLICY, EnablePolicyType, AttachPolicy,
DescribeEffectivePolicy)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from copyguard.emulator.org_policies import PolicyMergeError, merge_levels

pytestmark = pytest.mark.emulator


def _plan(vault: str, days: str = "35", regions: list[str] | None = None) -> dict[str, Any]:
    return {
        "plans": {
            "daily": {
                "regions": {"@@assign": regions or ["us-east-1"]},
                "rules": {
                    "r": {
                        "target_backup_vault_name": {"@@assign": "member-vault"},
                        "copy_actions": {
                            "central": {
                                "target_backup_vault_arn": {"@@assign": vault},
                                "lifecycle": {"delete_after_days": {"@@assign": days}},
                            }
                        },
                    }
                },
            }
        }
    }


# -- the merge ------------------------------------------------------------------------------


def test_assign_at_a_lower_level_overrides_and_operators_are_resolved() -> None:
    root = _plan("arn:aws:backup:$region:111111111111:backup-vault:a")
    ou = {
        "plans": {
            "daily": {
                "rules": {
                    "r": {
                        "copy_actions": {
                            "central": {"lifecycle": {"delete_after_days": {"@@assign": "90"}}}
                        }
                    }
                }
            }
        }
    }
    effective = merge_levels([[root], [ou], []])
    action = effective["plans"]["daily"]["rules"]["r"]["copy_actions"]["central"]
    assert action == {
        "target_backup_vault_arn": "arn:aws:backup:$region:111111111111:backup-vault:a",
        "lifecycle": {"delete_after_days": "90"},
    }
    assert effective["plans"]["daily"]["regions"] == ["us-east-1"]
    assert "@@assign" not in json.dumps(effective)


def test_append_and_remove_work_on_arrays() -> None:
    root = _plan("v", regions=["us-east-1", "eu-west-1"])
    ou = {"plans": {"daily": {"regions": {"@@append": ["us-west-2"]}}}}
    account = {"plans": {"daily": {"regions": {"@@remove": ["eu-west-1"]}}}}
    effective = merge_levels([[root], [ou], [account]])
    assert effective["plans"]["daily"]["regions"] == ["us-east-1", "us-west-2"]


def test_assign_replaces_an_inherited_array_whole() -> None:
    root = _plan("v", regions=["us-east-1", "eu-west-1"])
    account = {"plans": {"daily": {"regions": {"@@assign": ["ap-south-1"]}}}}
    assert merge_levels([[root], [account]])["plans"]["daily"]["regions"] == ["ap-south-1"]


def test_child_control_none_freezes_a_setting() -> None:
    root = _plan("locked-vault")
    copy = root["plans"]["daily"]["rules"]["r"]["copy_actions"]["central"]
    copy["target_backup_vault_arn"]["@@operators_allowed_for_child_policies"] = ["@@none"]
    account = {
        "plans": {
            "daily": {
                "rules": {
                    "r": {
                        "copy_actions": {
                            "central": {"target_backup_vault_arn": {"@@assign": "other-vault"}}
                        }
                    }
                }
            }
        }
    }
    effective = merge_levels([[root], [account]])
    target = effective["plans"]["daily"]["rules"]["r"]["copy_actions"]["central"]
    assert target["target_backup_vault_arn"] == "locked-vault"


def test_two_policies_at_one_level_both_apply_in_order() -> None:
    first = _plan("v1")
    second = {"plans": {"weekly": _plan("v2")["plans"]["daily"]}}
    effective = merge_levels([[first, second]])
    assert sorted(effective["plans"]) == ["daily", "weekly"]


def test_a_policy_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(PolicyMergeError):
        merge_levels([[["not", "an", "object"]]])  # type: ignore[list-item]


# -- the API --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    from copyguard.emulator import Emulator

    with Emulator(port=0) as running:
        yield running


def test_backup_policies_through_the_api(emu: Any) -> None:
    org = emu.client("management", "organizations")
    root_id = org.list_roots()["Roots"][0]["Id"]
    source = emu.accounts["source"]
    destination = emu.accounts["destination"]
    # no policy type enabled yet: no effective policy
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=source)
    assert err.value.response["Error"]["Code"] == "EffectivePolicyNotFoundException"

    org.enable_policy_type(RootId=root_id, PolicyType="BACKUP_POLICY")
    ou = org.create_organizational_unit(ParentId=root_id, Name="Workloads")
    ou_id = ou["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=source, SourceParentId=root_id, DestinationParentId=ou_id)

    base = org.create_policy(
        Content=json.dumps(_plan(f"arn:aws:backup:$region:{destination}:backup-vault:central")),
        Description="root",
        Name="root-backup",
        Type="BACKUP_POLICY",
    )["Policy"]["PolicySummary"]
    assert base["Type"] == "BACKUP_POLICY"
    assert "/backup_policy/" in base["Arn"]
    override = {
        "plans": {
            "daily": {
                "rules": {
                    "r": {
                        "copy_actions": {
                            "central": {"lifecycle": {"delete_after_days": {"@@assign": "120"}}}
                        }
                    }
                }
            }
        }
    }
    child = org.create_policy(
        Content=json.dumps(override), Description="ou", Name="ou-backup", Type="BACKUP_POLICY"
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=base["Id"], TargetId=root_id)
    org.attach_policy(PolicyId=child["Id"], TargetId=ou_id)

    answer = org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=source)
    effective = answer["EffectivePolicy"]
    assert effective["TargetId"] == source
    assert effective["PolicyType"] == "BACKUP_POLICY"
    content = json.loads(effective["PolicyContent"])
    action = content["plans"]["daily"]["rules"]["r"]["copy_actions"]["central"]
    assert action["lifecycle"]["delete_after_days"] == "120"  # the OU's @@assign won
    assert action["target_backup_vault_arn"].startswith("arn:aws:backup:$region:")

    # the destination is not in the OU: it has the root's policy only
    other = org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=destination)
    other_action = json.loads(other["EffectivePolicy"]["PolicyContent"])["plans"]["daily"]["rules"][
        "r"
    ]["copy_actions"]["central"]
    assert other_action["lifecycle"]["delete_after_days"] == "35"

    # a member asks about itself (no TargetId), not about another account
    member_org = emu.client("source", "organizations")
    own = member_org.describe_effective_policy(PolicyType="BACKUP_POLICY")
    assert own["EffectivePolicy"]["TargetId"] == source
    with pytest.raises(ClientError) as err:
        member_org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=destination)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    # roots and OUs are not targets of an effective policy
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=ou_id)
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    # an account the organization does not have
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId="123456789012")
    assert err.value.response["Error"]["Code"] == "TargetNotFoundException"
    # SCPs have no effective policy
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="SERVICE_CONTROL_POLICY", TargetId=source)
    assert err.value.response["Error"]["Code"] == "InvalidInputException"

    # detached from the root: the OU's override alone has no vault any more
    org.detach_policy(PolicyId=base["Id"], TargetId=root_id)
    alone = json.loads(
        org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=source)[
            "EffectivePolicy"
        ]["PolicyContent"]
    )
    assert "target_backup_vault_arn" not in json.dumps(alone)
    with pytest.raises(ClientError) as err:
        org.describe_effective_policy(PolicyType="BACKUP_POLICY", TargetId=destination)
    assert err.value.response["Error"]["Code"] == "EffectivePolicyNotFoundException"
