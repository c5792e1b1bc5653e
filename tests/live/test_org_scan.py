"""``copyguard scan --organization``: every account and Region of the emulator's organization,
read through OrganizationAccountAccessRole assumed from the management account, over
loopback HTTP.

The organization built here (besides the emulator's management, source and destination
accounts, three more members made with Organizations CreateAccount):

- destination (the central backup account): vault ``central`` in us-east-1 and eu-west-1,
  whose access policy lets the organization copy in, and ``from-<member>`` for the policy;
- source: an EBS recovery point under a key shared with the destination, and a plan that
  copies it into ``central`` (passes);
- member A: the same, but its key does not name the destination (CG101);
- member B, in OU ``prod``: a plan in eu-west-1 only, and the organization backup policy
  attached to ``prod`` copies its us-east-1 vault into ``from-$account`` (with its ID);
- member C: its OrganizationAccountAccessRole was deleted (CG902 naming it).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator_fixtures import NO_RETRY, REGION, CliResult, Lab, assert_clean, run_cli, run_main

pytestmark = pytest.mark.emulator

OTHER = "eu-west-1"
ROLE = "OrganizationAccountAccessRole"
ORG_FLAGS = ("scan", "--organization", "--management-profile", "management")


class Member:
    """A member account seen through OrganizationAccountAccessRole (the test's own way in)."""

    def __init__(self, emu: Any, lab: Lab, account: str) -> None:
        self.emu, self.account = emu, account
        creds = lab.client("management", "sts").assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="test-setup"
        )["Credentials"]
        self.session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=REGION,
        )

    def client(self, service: str, region: str = REGION) -> Any:
        return self.session.client(
            service, region_name=region, endpoint_url=self.emu.endpoint_url, config=NO_RETRY
        )

    def backup_role(self) -> str:
        """AWS Backup's default service role in this account (made once)."""
        iam = self.client("iam")
        name = "AWSBackupDefaultServiceRole"
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "backup.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        try:
            iam.create_role(
                RoleName=name, Path="/service-role/", AssumeRolePolicyDocument=json.dumps(trust)
            )
            iam.put_role_policy(
                RoleName=name,
                PolicyName="backup",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                    }
                ),
            )
        except iam.exceptions.EntityAlreadyExistsException:
            pass
        return f"arn:aws:iam::{self.account}:role/service-role/{name}"

    def key(self, share_with: str | None, region: str = REGION) -> str:
        kms = self.client("kms", region)
        statements: list[dict[str, Any]] = [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
        if share_with:
            statements += Lab.destination_statements(f"arn:aws:iam::{share_with}:root")
        policy = {"Version": "2012-10-17", "Statement": statements}
        return str(kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"])

    def ebs_backup(self, key: str, vault: str, region: str = REGION) -> str:
        """An EBS volume under ``key`` backed up into this account's ``vault``."""
        self.client("backup", region).create_backup_vault(BackupVaultName=vault)
        volume = self.client("ec2", region).create_volume(
            Size=8, AvailabilityZone=f"{region}a", Encrypted=True, KmsKeyId=key
        )["VolumeId"]
        job = self.client("backup", region).start_backup_job(
            BackupVaultName=vault,
            ResourceArn=f"arn:aws:ec2:{region}:{self.account}:volume/{volume}",
            IamRoleArn=self.backup_role(),
        )
        return str(job["RecoveryPointArn"])

    def plan(self, name: str, source_vault: str, dest: str, region: str = REGION) -> str:
        rule = {
            "RuleName": "daily",
            "TargetBackupVaultName": source_vault,
            "ScheduleExpression": "cron(0 5 ? * * *)",
            "CopyActions": [
                {"DestinationBackupVaultArn": dest, "Lifecycle": {"DeleteAfterDays": 35}}
            ],
        }
        out = self.client("backup", region).create_backup_plan(
            BackupPlan={"BackupPlanName": name, "Rules": [rule]}
        )
        return str(out["BackupPlanId"])


class OrgLab:
    def __init__(self, emu: Any, lab: Lab) -> None:
        self.emu, self.lab = emu, lab
        self.env = lab.env
        org = lab.client("management", "organizations")
        self.org_id = org.describe_organization()["Organization"]["Id"]
        self.management, self.source, self.destination = (
            lab.management,
            lab.source,
            lab.destination,
        )
        made = [
            org.create_account(AccountName=f"member-{n}", Email=f"{n}@org.example")[
                "CreateAccountStatus"
            ]["AccountId"]
            for n in ("a", "b", "c")
        ]
        self.a, self.b, self.c = (str(x) for x in made)
        root = org.list_roots()["Roots"][0]["Id"]
        self.ou = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"][
            "Id"
        ]
        org.move_account(AccountId=self.b, SourceParentId=root, DestinationParentId=self.ou)

        # the central backup account: one vault per Region the organization may copy into
        dst = Member(emu, lab, self.destination)
        self.central = {r: self._org_vault(dst, "central", r) for r in (REGION, OTHER)}
        self.from_b = self._org_vault(dst, f"from-{self.b}", REGION)

        src = Member(emu, lab, self.source)
        src.ebs_backup(src.key(share_with=self.destination), "s-local")
        src.plan("s-plan", "s-local", self.central[REGION])

        a = Member(emu, lab, self.a)
        self.a_key = a.key(share_with=None)  # does not name the destination: CG101
        a.ebs_backup(self.a_key, "a-local")
        a.plan("a-plan", "a-local", self.central[REGION])

        b = Member(emu, lab, self.b)
        b.ebs_backup(b.key(share_with=self.destination, region=OTHER), "b-local", OTHER)
        b.plan("b-plan", "b-local", self.central[OTHER], OTHER)
        b.ebs_backup(b.key(share_with=self.destination), "org-local")
        policy = {
            "plans": {
                "org-plan": {
                    "regions": {"@@assign": [REGION]},
                    "rules": {
                        "nightly": {
                            "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
                            "target_backup_vault_name": {"@@assign": "org-local"},
                            "copy_actions": {
                                f"arn:aws:backup:{REGION}:{self.destination}:backup-vault:from-$account": {
                                    "target_backup_vault_arn": {
                                        "@@assign": f"arn:aws:backup:{REGION}:{self.destination}:backup-vault:from-$account"
                                    },
                                    "lifecycle": {"delete_after_days": {"@@assign": "35"}},
                                }
                            },
                        }
                    },
                    "selections": {
                        "tags": {
                            "all": {
                                "iam_role_arn": {
                                    "@@assign": "arn:aws:iam::$account:role/service-role/AWSBackupDefaultServiceRole"
                                },
                                "tag_key": {"@@assign": "backup"},
                                "tag_value": {"@@assign": ["yes"]},
                            }
                        }
                    },
                }
            }
        }
        created = org.create_policy(
            Content=json.dumps(policy),
            Description="copies of prod",
            Name="prod-copies",
            Type="BACKUP_POLICY",
        )
        self.policy_id = created["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=self.policy_id, TargetId=self.ou)
        # a policy attached to the destination account whose copy action names $region,
        # which AWS Backup does not replace in a copy action's target
        placeholder = {
            "plans": {
                "regional": {
                    "regions": {"@@assign": [REGION]},
                    "rules": {
                        "weekly": {
                            "target_backup_vault_name": {"@@assign": "central"},
                            "copy_actions": {
                                "arn:aws:backup:$region:$account:backup-vault:spare": {
                                    "target_backup_vault_arn": {
                                        "@@assign": "arn:aws:backup:$region:$account:backup-vault:spare"
                                    }
                                }
                            },
                        }
                    },
                }
            }
        }
        self.placeholder_id = org.create_policy(
            Content=json.dumps(placeholder),
            Description="a placeholder AWS Backup leaves as written",
            Name="regional-copies",
            Type="BACKUP_POLICY",
        )["Policy"]["PolicySummary"]["Id"]
        org.attach_policy(PolicyId=self.placeholder_id, TargetId=self.destination)

        # member C: its role is gone, so the management account cannot get in
        iam = Member(emu, lab, self.c).client("iam")
        for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=ROLE, PolicyArn=p["PolicyArn"])
        for n in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
            iam.delete_role_policy(RoleName=ROLE, PolicyName=n)
        iam.delete_role(RoleName=ROLE)

    def _org_vault(self, dst: Member, name: str, region: str) -> str:
        kms = dst.client("kms", region)
        key = kms.create_key(Description=f"central {uuid.uuid4()}")["KeyMetadata"]["Arn"]
        backup = dst.client("backup", region)
        arn = str(
            backup.create_backup_vault(BackupVaultName=name, EncryptionKeyArn=key)["BackupVaultArn"]
        )
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Copies from the organization",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": self.org_id}},
                }
            ],
        }
        backup.put_backup_vault_access_policy(BackupVaultName=name, Policy=json.dumps(policy))
        return arn

    def scan(self, *args: str, fmt: str = "json") -> CliResult:
        result = run_cli(self.env, *ORG_FLAGS, *args, "--format", fmt)
        assert_clean(result)
        return result

    def api_scan(self, **kwargs: Any) -> tuple[Any, Any]:
        from copyguard import api

        kwargs.setdefault("all_plans", True)
        kwargs.setdefault("region", REGION)
        return api.scan_organization(self.lab.session("management"), **kwargs)


@pytest.fixture(scope="module")
def world(local: tuple[Any, Lab]) -> OrgLab:
    emu, lab = local
    return OrgLab(emu, lab)


def findings(result: CliResult, code: str) -> list[dict[str, Any]]:
    return [f for f in result.json()["findings"] if f["code"] == code]


def test_whole_organization_in_one_report(world: OrgLab) -> None:
    result = world.scan("--all-plans")
    assert result.code == 1, result
    report = result.json()
    assert report["verdict"] == "fail"
    # member A's key does not let the central account in; the source's copy is fine
    cg101 = findings(result, "CG101")
    assert {f["resource"] for f in cg101} == {world.a_key}, cg101
    assert all(world.a in f["copy"] for f in cg101)
    assert not any(
        world.source in (f.get("copy") or "")
        for f in report["findings"]
        if f["severity"] == "error"
    )
    # member C cannot be read: CG902 names it, the role and the permission
    c902 = [f for f in findings(result, "CG902") if f.get("evidence", {}).get("account") == world.c]
    assert c902, report["findings"]
    text = c902[0]["message"]
    assert f"arn:aws:iam::{world.c}:role/{ROLE}" in text and "sts:AssumeRole" in text
    # and the rest was read: every other account's copy is checked
    names = " ".join(f.get("copy") or "" for f in report["findings"])
    assert world.a in names


def test_shared_vault_read_once_and_policy_copy(world: OrgLab) -> None:
    report, live = world.api_scan()
    log = live.reader.log
    central = [
        entry
        for entry in log
        if entry[3] == "describe_backup_vault" and '"central"' in entry[4] and entry[2] == REGION
    ]
    assert len(central) == 1, central  # two source accounts copy into it: one read
    assumes = [e for e in log if e[3] == "assume_role"]
    assert len(assumes) == len({e[4] for e in assumes})  # each role assumed once
    copies = live.scenario.copies
    into_central = {
        c.source_vault.split(":")[4] for c in copies if c.destination_vault == world.central[REGION]
    }
    assert into_central == {world.source, world.a}
    # the organization backup policy's copy: $account replaced, its location names the
    # policy and the plan
    policy_copies = [c for c in copies if world.policy_id in c.name]
    assert len(policy_copies) == 1, [c.name for c in copies]
    pc = policy_copies[0]
    assert pc.destination_vault == world.from_b
    assert "org-plan/nightly" in pc.name and world.b in pc.name
    assert pc.source_vault == f"arn:aws:backup:{REGION}:{world.b}:backup-vault:org-local"
    assert pc.lifecycle.delete_after_days == 35
    # the OU tree gives aws:PrincipalOrgPaths
    org = live.scenario.organization
    assert org.paths[world.b] == [
        f"{world.org_id}/{org.paths[world.a][0].split('/')[1]}/{world.ou}/"
    ]
    assert org.cross_account_backup_enabled is True
    assert world.c in org.accounts
    # the policy copy passes: nothing but the missing role and A's key is wrong
    errors = {f.code for f in report.findings if f.severity == "error"}
    assert errors == {"CG101"}, report.findings


def test_region_placeholder_is_unknown(world: OrgLab) -> None:
    result = world.scan("--all-plans", "--accounts", world.destination)
    assert result.code == 3, result
    said = [f for f in findings(result, "CG902") if "$region" in f["message"]]
    assert len(said) == 1, result.json()["findings"]
    assert world.placeholder_id in said[0]["message"]
    assert "replaces only $account" in said[0]["message"]
    # the copy is in the report, with the account the placeholder resolved
    assert f"arn:aws:backup:$region:{world.destination}:backup-vault:spare" in said[0]["message"]


def test_accounts_filter_reads_destination_once(world: OrgLab) -> None:
    result = world.scan("--all-plans", "--accounts", world.source)
    assert result.code == 0, result
    report = result.json()
    assert report["verdict"] == "pass"
    # nothing from A (not asked for); the destination vault was still read
    assert not findings(result, "CG101")
    assert not findings(result, "CG902")


def test_two_regions(world: OrgLab) -> None:
    _, one = world.api_scan(accounts=[world.b])
    assert not any(c.destination_vault == world.central[OTHER] for c in one.scenario.copies)
    report, both = world.api_scan(accounts=[world.b], regions=[REGION, OTHER])
    dests = {c.destination_vault for c in both.scenario.copies}
    assert world.central[OTHER] in dests and world.from_b in dests, dests
    assert both.target["regions_read"] == {world.b: [REGION, OTHER]}
    assert report.verdict == "pass", report.findings
    # the same through the command line
    result = world.scan("--all-plans", "--accounts", world.b, "--regions", f"{REGION},{OTHER}")
    assert result.code == 0, result


def test_all_enabled_regions(world: OrgLab) -> None:
    report, live = world.api_scan(accounts=[world.b], regions="all")
    read = live.target["regions_read"][world.b]
    assert REGION in read and OTHER in read
    enabled = world.lab.client("management", "ec2").describe_regions(AllRegions=True)["Regions"]
    off = {r["RegionName"] for r in enabled if r["OptInStatus"] == "not-opted-in"}
    assert off and not off & set(read)  # opt-in Regions not enabled are not read
    dests = {c.destination_vault for c in live.scenario.copies}
    assert {world.central[OTHER], world.from_b} <= dests
    assert report.verdict == "pass", report.findings


def test_unreadable_plan_names_its_account(world: OrgLab) -> None:
    world.emu.faults.add(
        "backup", "GetBackupPlan", "AccessDeniedException", "not allowed", account=world.a
    )
    try:
        report, _ = world.api_scan(accounts=[world.a, world.source])
    finally:
        world.emu.faults.clear()
    (f,) = [f for f in report.findings if f.code == "CG902"]
    assert f.evidence["account"] == world.a and f.evidence["region"] == REGION
    assert f.evidence["permission"] == "backup:GetBackupPlan"
    assert f"account {world.a}, Region {REGION}" in f.message.en
    assert report.verdict == "unknown"  # the source's copy passes; A's plan is unknown


def test_region_not_enabled(world: OrgLab) -> None:
    world.emu.faults.add(
        "backup",
        "ListBackupPlans",
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        account=world.b,
    )
    try:
        report, live = world.api_scan(accounts=[world.b, world.source], regions=["ap-east-1"])
    finally:
        world.emu.faults.clear()
    (f,) = [f for f in report.findings if f.evidence.get("account") == world.b]
    assert f.code == "CG902" and f.evidence["region"] == "ap-east-1"
    assert "is the Region enabled for this account?" in f.message.en
    assert live.target["regions_read"][world.source] == ["ap-east-1"]  # still read


def test_nothing_found_is_unknown(world: OrgLab) -> None:
    result = world.scan("--all-plans", "--accounts", world.management)
    assert result.code == 3, result
    nothing = findings(result, "CG902")
    assert len(nothing) == 1, nothing
    looked = nothing[0]["evidence"]["looked_at"]
    assert looked["accounts"] == [world.management]
    assert looked["regions"] == [REGION] and looked["mode"] == "plans"
    assert looked["organization"] == world.org_id
    assert world.management in nothing[0]["message"] and REGION in nothing[0]["message"]
    assert "nothing to check" in result.err


def test_sarif_and_text(world: OrgLab) -> None:
    sarif = world.scan("--all-plans", fmt="sarif")
    assert sarif.code == 1, sarif
    doc = json.loads(sarif.out)
    rules = {r["ruleId"] for r in doc["runs"][0]["results"]}
    assert {"CG101", "CG902"} <= rules
    text = world.scan("--all-plans", fmt="text")
    assert text.code == 1
    assert f"account {world.c}" in text.out  # the unreadable account, in words
    assert "copyguard fix --live" not in text.out  # fix --live does not take --organization


def test_scp_denied_region_and_others_still_read(world: OrgLab) -> None:
    world.emu.faults.add(
        "backup",
        "ListBackupPlans",
        "AccessDeniedException",
        "User is not authorized to perform: backup:ListBackupPlans with an explicit deny in "
        "a service control policy",
        account=world.a,
    )
    try:
        result = world.scan("--all-plans", "--accounts", f"{world.a},{world.source}")
    finally:
        world.emu.faults.clear()
    assert result.code == 3, result
    denied = findings(result, "CG902")
    assert len(denied) == 1, denied
    f = denied[0]
    assert f["evidence"]["account"] == world.a and f["evidence"]["region"] == REGION
    assert f["evidence"]["permission"] == "backup:ListBackupPlans"
    assert "service control policy" in f["message"]
    assert not findings(result, "CG101")  # A's plans were not read: its CG101 is unknown


def test_failed_since_and_job_id(world: OrgLab) -> None:
    seed = world.lab.seed()  # the article's failed copy, in the source account
    result = world.scan("--failed-since", "1h", "--accounts", world.source)
    assert result.code == 1, result
    assert seed.job_id in {f["copy"] for f in findings(result, "CG101")}
    by_id = world.scan("--job-id", seed.job_id)
    assert by_id.code == 1, by_id
    assert seed.job_id in {f["copy"] for f in findings(by_id, "CG101")}
    missing = run_cli(world.env, *ORG_FLAGS, "--job-id", "no-such-job", "--accounts", world.source)
    assert_clean(missing)
    assert missing.code == 2 and "not found" in missing.err, missing


def test_save_scenario_round_trip(world: OrgLab, tmp_path: Path) -> None:
    out = tmp_path / "org.yaml"
    result = world.scan(
        "--all-plans", "--accounts", f"{world.a},{world.b}", "--save-scenario", str(out)
    )
    assert result.code == 1, result
    import yaml

    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert doc["organization"]["id"] == world.org_id
    assert world.ou in doc["organization"]["paths"][world.b][0]
    assert doc["organization"]["ou_names"][world.ou] == "prod"  # the names, for the reports
    offline = run_cli(world.env, "check", str(out), "--format", "json")
    assert_clean(offline)
    assert offline.code == 1
    assert {f["resource"] for f in findings(offline, "CG101")} == {world.a_key}


def test_interrupted_scan_reports_what_was_read(world: OrgLab) -> None:
    seen: list[dict[str, Any]] = []

    def stop_after_first_account(state: dict[str, Any]) -> None:
        seen.append(state)
        if state["accounts_done"] >= 1:
            raise KeyboardInterrupt

    report, live = world.api_scan(max_workers=1, progress=stop_after_first_account)
    assert live.target["interrupted"] is True
    assert live.target["accounts_read"] < len(live.target["accounts"])
    stop = [f for f in report.findings if f.evidence.get("interrupted")]
    assert len(stop) == 1 and "interrupted" in stop[0].message.en
    assert report.verdict in ("unknown", "fail")
    assert not any("Interrupted" in str(f.message.en) for f in report.findings if f not in stop)


def test_ctrl_c_on_the_command_line(
    world: OrgLab, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copyguard.sources import organization

    for name, value in world.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    shown = organization.OrganizationScan._emit

    def ctrl_c(self: Any) -> None:
        shown(self)
        if self.state.accounts_done >= 2 and not self.interrupted:
            raise KeyboardInterrupt

    monkeypatch.setattr(organization.OrganizationScan, "_emit", ctrl_c)
    result = run_main([*ORG_FLAGS, "--all-plans", "--max-workers", "1", "--format", "json"], capsys)
    assert result.code in (1, 3), result
    assert "Traceback" not in result.err
    assert "interrupted: the report below holds what was read so far" in result.err
    report = result.json()
    stop = [f for f in report["findings"] if f["evidence"].get("interrupted")]
    assert len(stop) == 1 and "after reading 2 of 6 account(s)" in stop[0]["message"]


def test_progress_counts(world: OrgLab) -> None:
    seen: list[dict[str, Any]] = []
    world.api_scan(progress=seen.append)
    last = seen[-1]
    assert last["accounts_done"] == last["accounts_total"] == 6
    assert last["copies"] >= 3 and last["errors"] >= 1  # member C


def test_input_errors(world: OrgLab, capsys: Any) -> None:
    cases = [
        (["--all-plans", "--source-profile", "source"], "--source-profile"),
        (["--all-plans", "--regions", "mars-1"], "--regions"),
        (["--all-plans", "--accounts", "12345"], "--accounts"),
        (["--all-plans", "--accounts", "000000000000"], "not an account of organization"),
        (["--all-plans", "--failed-since", "1d"], "exactly one"),
        (["--plan-id", "x"], "--plan-id"),
    ]
    for args, said in cases:
        result = run_cli(world.env, *ORG_FLAGS, *args)
        assert_clean(result)
        assert result.code == 2 and said in result.err, (args, result)
    lone = run_cli(
        world.env, "scan", "--source-profile", "source", "--all-plans", "--regions", "all"
    )
    assert lone.code == 2 and "--organization" in lone.err


def test_permissions_organization(world: OrgLab) -> None:
    result = run_cli(world.env, "permissions", "--organization")
    assert result.code == 0, result
    doc = json.loads(result.out)
    assert set(doc) == {"management", "member", "member_role_trust_policy"}

    def actions(policy: dict[str, Any]) -> set[str]:
        out: set[str] = set()
        for st in policy["Statement"]:
            acts = st["Action"]
            out |= {acts} if isinstance(acts, str) else set(acts)
        return out

    management, member = actions(doc["management"]), actions(doc["member"])
    assume = [s for s in doc["management"]["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert assume and assume[0]["Resource"] == f"arn:aws:iam::*:role/{ROLE}"
    # every call a whole scan makes is in the policy of the account that makes it
    _, live = world.api_scan(regions=[REGION, OTHER])
    for role, action in live.reader.permissions_used():
        allowed = management if role == "management" else member
        assert action in allowed, (role, action)
    named = run_cli(world.env, "permissions", "--organization", "--role-name", "Auditor")
    assert "arn:aws:iam::*:role/Auditor" in named.out
