"""An organization of N member accounts, set up at start (``Emulator(members=N)``).

Every member account gets, in its home Region (and a third of them in a second Region):
a customer managed KMS key whose policy lets the central backup account's AWS Backup
service-linked role use it, a backup vault encrypted with it holding one EFS recovery
point, and a backup plan whose rule copies into the central backup account's vault of
the same Region. The central backup account is the emulator's ``destination`` account;
the first member is the ``source`` account. OUs: ``Central`` (the backup account),
``Production`` (with a nested ``Payments``), ``Development`` and ``Legacy``. Two
organization backup policies: one attached to ``Production`` that copies into the central
vault, one attached to ``Legacy`` that copies into a vault whose key is disabled.

Some members are broken on purpose, each in one way (``OrgWorld.broken`` lists them, with
the finding code a scan should report):

- ``source-key``: the member's key policy does not name the central account (CG101);
- ``vault-policy``: the member's plan copies into ``central-restricted``, whose access
  policy denies ``backup:CopyIntoBackupVault`` to other accounts (CG201);
- ``org-policy``: the member sits in ``Legacy``, whose backup policy copies into
  ``central-legacy``, encrypted with a disabled key (CG203);
- ``missing-role``: the member's ``OrganizationAccountAccessRole`` was deleted, so the
  management account cannot get in (CG902).

Everything is created directly in moto's backends and the Backup layer's state (no API
calls), so 200 members start in seconds; the same ``seed`` gives the same organization.
"""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

from copyguard.emulator import constants as c
from copyguard.emulator.backup_models import Plan, RecoveryPoint, Selection, Vault, now
from copyguard.records import field, record

MEMBER_VAULT = "member-vault"
MEMBER_PLAN = "member-plan"
CENTRAL_VAULT = "central-vault"
RESTRICTED_VAULT = "central-restricted"
LEGACY_VAULT = "central-legacy"
GOOD_POLICY = "org-central-copy"
LEGACY_POLICY = "org-legacy-copy"
OU_NAMES = ("Central", "Production", "Development", "Legacy")
NESTED_OU = ("Production", "Payments")
#: the code a scan reports for each kind of breakage
EXPECTED_CODES = {
    "source-key": "CG101",
    "vault-policy": "CG201",
    "org-policy": "CG203",
    "missing-role": "CG902",
}
MAX_MEMBERS = 5000


@record
class Member:
    account: str
    name: str
    ou: str
    regions: list[str]
    keys: dict[str, str] = field(default_factory=dict)  # region -> key ARN
    plans: dict[str, str] = field(default_factory=dict)  # region -> plan ID
    recovery_points: dict[str, str] = field(default_factory=dict)  # region -> RP ARN
    destination: dict[str, str] = field(default_factory=dict)  # region -> vault ARN

    def vault_arn(self, region: str) -> str:
        return f"arn:aws:backup:{region}:{self.account}:backup-vault:{MEMBER_VAULT}"


@record
class OrgWorld:
    seed: int
    management: str
    central: str
    regions: list[str]
    organization_id: str
    root_id: str
    ous: dict[str, str]
    members: list[Member]
    broken: list[dict[str, Any]]
    policies: dict[str, str]  # name -> policy ID
    central_vaults: dict[str, str]  # "name@region" -> ARN
    copy_jobs: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What the start-up line says about the organization (``--format json``)."""
        return {
            "seed": self.seed,
            "members": len(self.members),
            "management_account": self.management,
            "central_backup_account": self.central,
            "regions": self.regions,
            "root_id": self.root_id,
            "organizational_units": dict(self.ous),
            "backup_policies": dict(self.policies),
            "central_vaults": dict(self.central_vaults),
            "member_accounts": [
                {"account": m.account, "name": m.name, "ou": m.ou, "regions": m.regions}
                for m in self.members
            ],
            "broken": self.broken,
            "copy_jobs": self.copy_jobs,
            "created": dict(self.counts),
        }


def member_account_id(index: int) -> str:
    """The account ID of member ``index`` (2 and up; member 1 is the ``source`` account)."""
    return f"21{index:010d}"


def second_region(region: str) -> str:
    return "us-west-2" if region != "us-west-2" else "us-east-1"


@contextlib.contextmanager
def _cheap_symmetric_keys() -> Iterator[None]:
    """moto draws an RSA key pair for every KMS key, symmetric ones too (about 0.1 s
    each); a symmetric key never uses it, so the bulk set-up shares one."""
    from moto.kms import models as kms_models

    original = getattr(kms_models, "generate_private_key")  # noqa: B009
    shared: dict[str, Any] = {}

    def cheap(key_spec: str) -> Any:
        if key_spec not in ("SYMMETRIC_DEFAULT", "", None):
            return original(key_spec)
        if "key" not in shared:
            shared["key"] = original("RSA_2048")
        return shared["key"]

    setattr(kms_models, "generate_private_key", cheap)  # noqa: B010
    try:
        yield
    finally:
        setattr(kms_models, "generate_private_key", original)  # noqa: B010


def _root_statement(account: str) -> dict[str, Any]:
    return {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def member_key_policy(account: str, central: str, share: bool) -> dict[str, Any]:
    """The member key's policy: its own account, and (``share``) the central account's
    AWS Backup service-linked role, with the actions AWS's cross-account pattern gives the
    destination (use of the key, and grants for AWS resources)."""
    statements: list[dict[str, Any]] = [_root_statement(account)]
    if share:
        slr = c.slr_arn(central)
        statements += [
            {
                "Sid": "AllowCentralBackupCopy",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": [
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
            },
            {
                "Sid": "AllowCentralBackupGrants",
                "Effect": "Allow",
                "Principal": {"AWS": slr},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]
    return {"Version": "2012-10-17", "Id": "copyguard-member-key", "Statement": statements}


def central_vault_policy(central: str, org_id: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowOrganizationCopies",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }


def restricted_vault_policy(central: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyCopiesFromOtherAccounts",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": central}},
            }
        ],
    }


def backup_policy(plan: str, region: str, central: str, vault: str) -> dict[str, Any]:
    """An organization backup policy (Organizations backup policy syntax, ``@@assign``)
    whose rule backs up into the member's ``member-vault`` and copies into ``vault`` of
    the central account in ``region``. ``$account`` (in the selection's role) is the
    variable AWS Backup replaces with each member's account ID."""
    dest = f"arn:aws:backup:{region}:{central}:backup-vault:{vault}"
    return {
        "plans": {
            plan: {
                "regions": {"@@assign": [region]},
                "rules": {
                    f"{plan}-rule": {
                        "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
                        "target_backup_vault_name": {"@@assign": MEMBER_VAULT},
                        "lifecycle": {"delete_after_days": {"@@assign": "35"}},
                        "copy_actions": {
                            dest: {
                                "target_backup_vault_arn": {"@@assign": dest},
                                "lifecycle": {"delete_after_days": {"@@assign": "35"}},
                            }
                        },
                    }
                },
                "selections": {
                    "tags": {
                        f"{plan}-selection": {
                            "iam_role_arn": {
                                "@@assign": "arn:aws:iam::$account:role/service-role/"
                                + c.DEFAULT_BACKUP_ROLE
                            },
                            "tag_key": {"@@assign": "backup"},
                            "tag_value": {"@@assign": ["daily"]},
                        }
                    }
                },
            }
        }
    }


class _Builder:
    def __init__(self, emu: Any, n: int, seed: int) -> None:
        self.emu = emu
        self.n = n
        self.seed = seed
        self.rng = random.Random(seed)
        self.region = emu.region
        self.regions = [self.region, second_region(self.region)]
        self.management = emu.accounts["management"]
        self.central = emu.accounts["destination"]
        self.state = emu.backup_state
        self.counts = {
            "accounts": 0,
            "kms_keys": 0,
            "backup_vaults": 0,
            "backup_plans": 0,
            "recovery_points": 0,
            "organizational_units": 0,
            "backup_policies": 0,
            "copy_jobs": 0,
        }

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- moto ------------------------------------------------------------------------------

    def key(self, account: str, region: str, policy: dict[str, Any], enabled: bool = True) -> str:
        from moto.kms.models import kms_backends

        backend = kms_backends[account][region]
        key = backend.create_key(
            json.dumps(policy, indent=2), "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None
        )
        backend.keys.pop(key.id)
        key.id = self._uuid()
        key.arn = f"arn:aws:kms:{region}:{account}:key/{key.id}"
        backend.keys[key.id] = key
        if not enabled:
            key.enabled = False
            key.key_state = "Disabled"
        self.counts["kms_keys"] += 1
        return str(key.arn)

    def vault(self, account: str, region: str, name: str, key_arn: str) -> Vault:
        vault = Vault(name, account, region, key_arn)
        self.state.vaults[(account, region, name)] = vault
        self.counts["backup_vaults"] += 1
        return vault

    # -- the organization ------------------------------------------------------------------

    def org_backend(self) -> Any:
        from moto.organizations.models import organizations_backends

        return organizations_backends[self.management]["aws"]

    def ou(self, backend: Any, name: str, parent: str) -> str:
        created = backend.create_organizational_unit(ParentId=parent, Name=name)
        self.counts["organizational_units"] += 1
        return str(created["OrganizationalUnit"]["Id"])

    def build(self, copy_jobs: bool) -> OrgWorld:
        from unittest import mock

        from moto.organizations import utils as org_utils

        charset = "abcdefghijklmnopqrstuvwxyz0123456789"

        def suffix(size: int) -> str:
            return "".join(self.rng.choice(charset) for _ in range(size))

        with (
            mock.patch.object(
                org_utils, "make_random_ou_id", lambda root: f"ou-{root[2:]}-{suffix(8)}"
            ),
            mock.patch.object(org_utils, "make_random_policy_id", lambda: f"p-{suffix(8)}"),
        ):
            return self._build(copy_jobs)

    def _build(self, copy_jobs: bool) -> OrgWorld:
        from unittest import mock

        from moto.organizations import utils as org_utils

        from copyguard.emulator import bootstrap

        backend = self.org_backend()
        org = backend.org
        root_id = org.root_id
        ous = {name: self.ou(backend, name, root_id) for name in OU_NAMES}
        ous["Payments"] = self.ou(backend, NESTED_OU[1], ous[NESTED_OU[0]])

        # the members: the source account first, then new accounts
        members = [Member(self.emu.accounts["source"], "source", "", [self.region])]
        for i in range(2, self.n + 1):
            account = member_account_id(i)
            name = f"member-{i:04d}"
            with mock.patch.object(org_utils, "make_random_account_id", lambda a=account: a):
                backend.create_account(AccountName=name, Email=f"{name}@copyguard.example")
            bootstrap.complete_member_account(account, self.management)
            members.append(Member(account, name, "", [self.region]))
            self.counts["accounts"] += 1

        # who is broken, and how (never the source account: it stays the demo's good member)
        candidates = [m for m in members[1:]]
        self.rng.shuffle(candidates)
        kinds: list[tuple[str, Member]] = []
        plan = [("missing-role", 1), ("vault-policy", 1), ("org-policy", 1 + (self.n >= 20))]
        plan.insert(1, ("source-key", min(3, max(1, self.n // 10))))
        for kind, count in plan:
            for _ in range(count):
                if candidates:
                    kinds.append((kind, candidates.pop()))
        broken_kind = {m.account: kind for kind, m in kinds}

        # OUs, and a second Region for about a third of the healthy members
        for member in members:
            how = broken_kind.get(member.account)
            if how == "org-policy":
                member.ou = "Legacy"
            else:
                member.ou = self.rng.choice(["Production", "Payments", "Development"])
            if how is None and self.rng.random() < 1 / 3:
                member.regions.append(self.regions[1])
        moves = {m.account: ous[m.ou] for m in members}
        for acct in backend.accounts:
            if acct.id in moves:
                acct.parent_id = moves[acct.id]
            elif acct.id == self.central:
                acct.parent_id = ous["Central"]

        # the central backup account: one vault per Region, the restricted and legacy vaults
        central_vaults: dict[str, str] = {}
        for region in self.regions:
            key = self.key(
                self.central,
                region,
                {"Version": "2012-10-17", "Statement": [_root_statement(self.central)]},
            )
            v = self.vault(self.central, region, CENTRAL_VAULT, key)
            v.access_policy = json.dumps(central_vault_policy(self.central, org.id))
            central_vaults[f"{CENTRAL_VAULT}@{region}"] = v.arn
        key = self.key(
            self.central,
            self.region,
            {"Version": "2012-10-17", "Statement": [_root_statement(self.central)]},
        )
        restricted = self.vault(self.central, self.region, RESTRICTED_VAULT, key)
        restricted.access_policy = json.dumps(restricted_vault_policy(self.central))
        central_vaults[f"{RESTRICTED_VAULT}@{self.region}"] = restricted.arn
        legacy_key = self.key(
            self.central,
            self.region,
            {"Version": "2012-10-17", "Statement": [_root_statement(self.central)]},
            enabled=False,
        )
        self.legacy_key = legacy_key
        legacy = self.vault(self.central, self.region, LEGACY_VAULT, legacy_key)
        legacy.access_policy = json.dumps(central_vault_policy(self.central, org.id))
        central_vaults[f"{LEGACY_VAULT}@{self.region}"] = legacy.arn

        # each member's key, vault, recovery point and plan
        for member in members:
            how = broken_kind.get(member.account)
            for region in member.regions:
                primary = region == self.region
                share = not (how == "source-key" and primary)
                key_arn = self.key(
                    member.account, region, member_key_policy(member.account, self.central, share)
                )
                member.keys[region] = key_arn
                vault = self.vault(member.account, region, MEMBER_VAULT, key_arn)
                member.recovery_points[region] = self.recovery_point(member.account, region, vault)
                dest_name = RESTRICTED_VAULT if how == "vault-policy" and primary else CENTRAL_VAULT
                dest = f"arn:aws:backup:{region}:{self.central}:backup-vault:{dest_name}"
                member.destination[region] = dest
                member.plans[region] = self.plan(member.account, region, dest)

        # organization backup policies
        policies: dict[str, str] = {}
        self.enable_backup_policies(backend)
        for name, target, vault_name in (
            (GOOD_POLICY, ous["Production"], CENTRAL_VAULT),
            (LEGACY_POLICY, ous["Legacy"], LEGACY_VAULT),
        ):
            created = backend.create_policy(
                Content=json.dumps(backup_policy(name, self.region, self.central, vault_name)),
                Description=f"copyguard emulator: {name}",
                Name=name,
                Type="BACKUP_POLICY",
            )
            policy_id = created["Policy"]["PolicySummary"]["Id"]
            backend.attach_policy(PolicyId=policy_id, TargetId=target)
            policies[name] = policy_id
            self.counts["backup_policies"] += 1

        # the missing role last: its account is otherwise complete
        for kind, member in kinds:
            if kind == "missing-role":
                bootstrap.complete_member_account(member.account, self.management, with_role=False)

        broken = [self.describe(kind, m, policies, central_vaults) for kind, m in kinds]
        broken.sort(key=lambda b: (b["kind"], b["account"]))
        world = OrgWorld(
            self.seed,
            self.management,
            self.central,
            self.regions,
            org.id,
            root_id,
            ous,
            members,
            broken,
            policies,
            central_vaults,
            counts=self.counts,
        )
        if copy_jobs:
            world.copy_jobs = self.run_copies(members, broken_kind, central_vaults)
        return world

    def enable_backup_policies(self, backend: Any) -> None:
        root = next(ou for ou in backend.ou if getattr(ou, "type", "") == "ROOT")
        if not any(t.get("Type") == "BACKUP_POLICY" for t in root.policy_types):
            root.add_policy_type("BACKUP_POLICY")

    def recovery_point(self, account: str, region: str, vault: Vault) -> str:
        fs_id = "fs-" + self.rng.getrandbits(32).to_bytes(4, "big").hex()
        resource = f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{fs_id}"
        arn = f"arn:aws:backup:{region}:{account}:recovery-point:{self._uuid()}"
        rp = RecoveryPoint(
            arn,
            account,
            region,
            vault.name,
            resource,
            "EFS",
            c.default_backup_role_arn(account),
            vault.key_arn,
            completion_date=now(),
            size=6144,
            lifecycle={"DeleteAfterDays": 35},
        )
        self.state.recovery_points[(account, region, arn)] = rp
        self.counts["recovery_points"] += 1
        return arn

    def plan(self, account: str, region: str, dest: str) -> str:
        plan_id = self._uuid()
        document = {
            "BackupPlanName": MEMBER_PLAN,
            "Rules": [
                {
                    "RuleName": "daily-with-central-copy",
                    "TargetBackupVaultName": MEMBER_VAULT,
                    "ScheduleExpression": "cron(0 5 ? * * *)",
                    "ScheduleExpressionTimezone": "Etc/UTC",
                    "StartWindowMinutes": 480,
                    "CompletionWindowMinutes": 10080,
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "RuleId": self._uuid(),
                    "CopyActions": [
                        {"DestinationBackupVaultArn": dest, "Lifecycle": {"DeleteAfterDays": 35}}
                    ],
                }
            ],
        }
        plan = Plan(plan_id, account, region, document, self._uuid().replace("-", "")[:48])
        self.state.plans[(account, region, plan_id)] = plan
        selection = Selection(
            self._uuid(),
            plan_id,
            account,
            region,
            {
                "SelectionName": "tagged-daily",
                "IamRoleArn": c.default_backup_role_arn(account),
                "ListOfTags": [
                    {
                        "ConditionType": "STRINGEQUALS",
                        "ConditionKey": "backup",
                        "ConditionValue": "daily",
                    }
                ],
            },
        )
        self.state.selections[(account, region, plan_id, selection.id)] = selection
        self.counts["backup_plans"] += 1
        return plan_id

    def run_copies(
        self, members: list[Member], broken_kind: dict[str, str], central_vaults: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Run each member's plan copy, and the Legacy policy's copy, once (as AWS Backup
        would after the backup window), so failed copy jobs are there to find."""
        service = self.emu.backup_service
        jobs: list[dict[str, Any]] = []
        for member in members:
            targets = [(r, member.destination[r]) for r in member.regions]
            if broken_kind.get(member.account) == "org-policy":
                targets.append((self.region, central_vaults[f"{LEGACY_VAULT}@{self.region}"]))
            for region, dest in targets:
                job = service.copy(
                    member.account,
                    region,
                    MEMBER_VAULT,
                    member.recovery_points[region],
                    dest,
                    c.default_backup_role_arn(member.account),
                    {"DeleteAfterDays": 35},
                )
                self.counts["copy_jobs"] += 1
                jobs.append(
                    {
                        "account": member.account,
                        "region": region,
                        "copy_job_id": job.id,
                        "destination_vault": dest,
                        "state": job.state,
                    }
                )
        return jobs

    def describe(
        self, kind: str, member: Member, policies: dict[str, str], vaults: dict[str, str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": kind,
            "account": member.account,
            "name": member.name,
            "region": self.region,
            "code": EXPECTED_CODES[kind],
        }
        if kind == "source-key":
            out["resource"] = member.keys[self.region]
            out["detail"] = "the key policy does not let the central account's AWS Backup role in"
        elif kind == "vault-policy":
            out["resource"] = vaults[f"{RESTRICTED_VAULT}@{self.region}"]
            out["detail"] = "the plan copies into a vault whose access policy denies other accounts"
        elif kind == "org-policy":
            out["resource"] = self.legacy_key
            out["vault"] = vaults[f"{LEGACY_VAULT}@{self.region}"]
            out["policy_id"] = policies[LEGACY_POLICY]
            out["detail"] = (
                f"the organization backup policy {LEGACY_POLICY} copies into a vault whose key "
                "is disabled"
            )
        else:
            out["resource"] = f"arn:aws:iam::{member.account}:role/{bootstrap_role()}"
            out["detail"] = "the OrganizationAccountAccessRole was deleted"
        return out


def bootstrap_role() -> str:
    from copyguard.emulator.bootstrap import ORG_ACCESS_ROLE

    return ORG_ACCESS_ROLE


def build_organization(emu: Any, members: int, seed: int = 0, copy_jobs: bool = False) -> OrgWorld:
    """Set up ``members`` member accounts in the running emulator (state lock held)."""
    if not 1 <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be from 1 to {MAX_MEMBERS}, not {members}")
    with _cheap_symmetric_keys():
        world = _Builder(emu, members, seed).build(copy_jobs)
    from copyguard.emulator import moto_view

    moto_view.fix_aws_managed_keys()
    return world
