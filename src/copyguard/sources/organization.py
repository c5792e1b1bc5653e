"""Live AWS, a whole organization: every account and Region in one scan (spec section 7).

From the management account's session this module reads the organization (its ID, accounts,
OU tree, backup policies and AWS Backup's cross-account setting), then reads every member
account through a role assumed from the management account, in each Region asked for, with
the same :class:`~copyguard.sources.aws.Reader` and :class:`~copyguard.sources.aws.LiveBuilder`
as a one-account scan. Every read goes through the one Reader, so a destination vault, key or
recovery point that thirty source accounts copy into is read once.

Reader role names: ``"management"`` for the management session, ``"acct:ID"`` for an assumed
member role. An account, Region or organization read that fails is a read failure (CG902
naming the account, the Region and the permission) and the rest is still scanned.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from copyguard.evaluate.request import account_of_arn as arn_account
from copyguard.records import field, record
from copyguard.scenario import Organization
from copyguard.sources.aws import (
    Failure,
    LiveBuilder,
    LiveError,
    LiveScan,
    Reader,
    Rule,
    add_job_copies,
    add_rule_copies,
    plan_rules,
)

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
SESSION_NAME = "copyguard-org-scan"
MODES = ("plans", "failed_since", "job")
#: what a call in a Region the account has not enabled (an opt-in Region) answers
REGION_OFF_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "OptInRequired",
        "InvalidIdentityToken",
    }
)
#: Regions a DescribeRegions answer counts as enabled
ENABLED = frozenset({"opt-in-not-required", "opted-in"})

Progress = Callable[[dict[str, Any]], None]


def role_key(account: str) -> str:
    """The Reader role name of an assumed member role."""
    return f"acct:{account}"


def _value(node: Any) -> Any:
    """A backup policy value without its inheritance operator (``{"@@assign": X}`` -> X).
    Effective policies carry plain values; attached policies carry operators."""
    if isinstance(node, dict):
        for op in ("@@assign", "@@append", "@@prepend"):
            if op in node:
                return node[op]
    return node


def _days(node: Any) -> int | None:
    value = _value(node)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


@record(slots=True)
class PolicyRule:
    """One rule with copy actions of an organization backup policy."""

    policy_id: str
    policy_name: str
    plan: str
    rule: str
    regions: tuple[str, ...] | None  # None: the plan names no Regions
    target_vault: str | None
    copy_actions: list[tuple[str, dict[str, int] | None]]  # (destination ARN, lifecycle)

    def as_rule(self, account: str, region: str) -> Rule:
        """The rule as AWS Backup's API shows it in ``account``/``region`` (``$account``
        replaced by the account ID), with the source vault it backs up into."""
        actions = []
        for dest, lifecycle in self.copy_actions:
            action: dict[str, Any] = {
                "DestinationBackupVaultArn": dest.replace("$account", account)
            }
            if lifecycle:
                action["Lifecycle"] = lifecycle
            actions.append(action)
        target = (self.target_vault or "").replace("$account", account) or None
        rule = {"RuleName": self.rule, "TargetBackupVaultName": target, "CopyActions": actions}
        source = f"arn:aws:backup:{region}:{account}:backup-vault:{target}" if target else None
        label = (
            f"backup policy {self.policy_id} ({self.policy_name}) plan {self.plan}/{self.rule} "
            f"[{account} {region}]"
        )
        return (label, rule, source)


def policy_rules(policy_id: str, name: str, content: Any) -> list[PolicyRule]:
    """The rules with copy actions of a backup policy document (AWS Organizations' backup
    policy syntax: ``plans`` -> name -> ``rules`` -> name -> ``copy_actions`` -> target ARN ->
    ``target_backup_vault_arn`` / ``lifecycle``; values under ``@@assign``). Raises ValueError
    for a document that is not that shape."""
    if not isinstance(content, dict):
        raise ValueError("the policy is not a JSON object")
    plans = content.get("plans", {})
    if not isinstance(plans, dict):
        raise ValueError("'plans' is not an object")
    out: list[PolicyRule] = []
    for plan_name, plan in sorted(plans.items()):
        if plan_name.startswith("@@") or not isinstance(plan, dict):
            continue
        regions = _value(plan.get("regions"))
        region_list = (
            tuple(str(r) for r in regions) if isinstance(regions, list) and regions else None
        )
        rules = plan.get("rules", {})
        if not isinstance(rules, dict):
            raise ValueError(f"plans.{plan_name}.rules is not an object")
        for rule_name, rule in sorted(rules.items()):
            if rule_name.startswith("@@") or not isinstance(rule, dict):
                continue
            actions = rule.get("copy_actions", {})
            if not isinstance(actions, dict):
                raise ValueError(
                    f"plans.{plan_name}.rules.{rule_name}.copy_actions is not an object"
                )
            copies: list[tuple[str, dict[str, int] | None]] = []
            for key, action in sorted(actions.items()):
                if key.startswith("@@") or not isinstance(action, dict):
                    continue
                dest = _value(action.get("target_backup_vault_arn")) or key
                if not isinstance(dest, str):
                    raise ValueError(
                        f"plans.{plan_name}.rules.{rule_name}.copy_actions.{key}"
                        ".target_backup_vault_arn is not a string"
                    )
                life = action.get("lifecycle")
                lifecycle: dict[str, int] | None = None
                if isinstance(life, dict):
                    lifecycle = {}
                    delete = _days(life.get("delete_after_days"))
                    cold = _days(life.get("move_to_cold_storage_after_days"))
                    if delete is not None:
                        lifecycle["DeleteAfterDays"] = delete
                    if cold is not None:
                        lifecycle["MoveToColdStorageAfterDays"] = cold
                copies.append((str(dest), lifecycle or None))
            if not copies:
                continue
            target = _value(rule.get("target_backup_vault_name"))
            if target is not None and not isinstance(target, str):
                raise ValueError(
                    f"plans.{plan_name}.rules.{rule_name}.target_backup_vault_name is not a string"
                )
            out.append(
                PolicyRule(
                    policy_id,
                    name,
                    str(plan_name),
                    str(rule_name),
                    region_list,
                    str(target) if target else None,
                    copies,
                )
            )
    return out


@record
class _State:
    """What an organization scan has done so far (for the progress display)."""

    accounts_total: int = 0
    accounts_done: int = 0
    copies: int = 0
    stage: str = "accounts"
    reads_done: int = 0
    reads_total: int = 0
    pairs_left: dict[str, int] = field(default_factory=dict)


class OrganizationScan:
    """One organization scan. ``reader`` has the management session as role ``management``;
    ``make_session(base, credentials)`` turns an AssumeRole answer into a boto3 session."""

    def __init__(
        self,
        reader: Reader,
        *,
        mode: str,
        since: timedelta | None = None,
        job_id: str | None = None,
        role_name: str = DEFAULT_ROLE_NAME,
        regions: list[str] | str | None = None,
        only_accounts: list[str] | None = None,
        progress: Progress | None = None,
        make_session: Callable[[Any, dict[str, Any]], Any] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.reader = reader
        self.mode = mode
        self.since = since
        self.job_id = job_id
        self.role_name = role_name
        self.regions = regions
        self.only_accounts = only_accounts
        self.progress = progress
        self.make_session = make_session or assumed_session
        self.management = ""
        self.org_id = ""
        self.listed: dict[str, dict[str, Any]] = {}  # every account ListAccounts returned
        self.b = LiveBuilder(reader, {"management": None})
        self.b.account_role = self._role_of
        self.b.no_session_hint = (
            "no session reaches that account: it is outside the organization, or its role "
            "could not be assumed (see the account's own finding)"
        )
        self._assume_lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}
        self._assumed: dict[str, str | None] = {}
        self.feature_set: str | None = None
        self._policy_rules: list[tuple[PolicyRule, set[str] | None]] = []  # (rule, accounts)
        self._found: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self.state = _State()
        self.notes: list[str] = []
        self.interrupted = False
        self._first_interrupt: KeyboardInterrupt | None = None
        self.regions_read: dict[str, list[str]] = {}

    # -- sessions --------------------------------------------------------------------------------

    def role_arn(self, account: str) -> str:
        return f"arn:aws:iam::{account}:role/{self.role_name}"

    def _role_of(self, account: str) -> str | None:
        """The Reader role for ``account``: the management session for the management
        account, the member role assumed once for any other account of the organization,
        None for an account outside it or whose role could not be assumed."""
        if account == self.management:
            return "management"
        if account not in self.listed:
            return None
        with self._assume_lock:
            lock = self._account_locks.setdefault(account, threading.Lock())
        with lock:  # one AssumeRole per account, the accounts side by side
            if account in self._assumed:
                return self._assumed[account]
            arn = self.role_arn(account)
            answer = self.reader.call(
                "management", "sts", "assume_role", RoleArn=arn, RoleSessionName=SESSION_NAME
            )
            if isinstance(answer, Failure):
                if answer.code != "Interrupted":
                    self.b.fail(
                        f"accounts[{account}]",
                        f"account {account}: the role {arn} could not be assumed from the "
                        f"management account {self.management}",
                        Failure(
                            f"sts:AssumeRole on {arn} (the role must exist and trust account "
                            f"{self.management})",
                            answer.code,
                            answer.message,
                        ),
                    )
                self._assumed[account] = None
                return None
            session = self.make_session(self.reader.sessions["management"], answer["Credentials"])
            role = role_key(account)
            self.reader.add_session(role, session)
            self.b.accounts[role] = account
            self._assumed[account] = role
            return role

    # -- the organization ------------------------------------------------------------------------

    def read_organization(self) -> list[str]:
        """The organization's facts; returns the accounts to scan (sorted)."""
        r = self.reader
        ident = r.call("management", "sts", "get_caller_identity")
        if isinstance(ident, Failure):
            raise LiveError(
                f"the management credentials do not work: {ident.code}: {ident.message}"
            )
        self.management = str(ident.get("Account") or "")
        self.b.accounts["management"] = self.management
        org = r.call("management", "organizations", "describe_organization")
        if isinstance(org, Failure):
            if org.code == "AWSOrganizationsNotInUseException":
                raise LiveError(f"account {self.management} is not in an AWS Organization")
            raise LiveError(
                f"cannot read the organization from account {self.management}: {org.code}: "
                f"{org.message} (needs {org.permission})"
            )
        facts = org.get("Organization", {})
        self.org_id = str(facts.get("Id") or "")
        accounts = r.paginate("management", "organizations", "list_accounts", "Accounts")
        if isinstance(accounts, Failure):
            raise LiveError(
                f"cannot list the organization's accounts from account {self.management}: "
                f"{accounts.code}: {accounts.message} (needs {accounts.permission}; run the "
                "scan with the management account or a delegated administrator)"
            )
        self.listed = {str(a["Id"]): a for a in accounts if a.get("Id")}
        active = sorted(a for a, v in self.listed.items() if _status(v) == "ACTIVE")
        if self.only_accounts is not None:
            bad = [a for a in self.only_accounts if a not in self.listed]
            if bad:
                raise LiveError(
                    f"--accounts {', '.join(bad)}: not an account of organization {self.org_id}"
                )
            inactive = [a for a in self.only_accounts if a not in active]
            if inactive:
                states = ", ".join(f"{a} ({_status(self.listed[a])})" for a in inactive)
                raise LiveError(f"--accounts: not ACTIVE in organization {self.org_id}: {states}")
            chosen = sorted(set(self.only_accounts))
        else:
            chosen = active
        model = Organization()
        model.id = self.org_id or None
        model.accounts = tuple(sorted(self.listed))
        model.management_account = facts.get("MasterAccountId") or self.management
        self.b.sc.organization = model
        self.feature_set = facts.get("FeatureSet")
        return chosen

    def read_ou_tree(self) -> None:
        """aws:PrincipalOrgPaths of every account (``o-ID/r-ROOT/ou-A/ou-B/``), breadth first."""
        r = self.reader
        model = self.b.sc.organization
        assert isinstance(model, Organization)
        roots = r.paginate("management", "organizations", "list_roots", "Roots")
        if isinstance(roots, Failure):
            self._paths_unknown(roots)
            return
        paths: dict[str, list[str]] = {}
        names: dict[str, str] = {}
        for root in roots:
            if isinstance(root.get("Name"), str) and root["Name"]:
                names[str(root["Id"])] = root["Name"][:128]
        level = [(str(root["Id"]), f"{self.org_id}/{root['Id']}/") for root in roots]
        while level:
            answers = self._parallel([partial(self._children, parent) for parent, _ in level])
            following = []
            for (_, path), (accounts, ous) in zip(level, answers):
                for answer in (accounts, ous):
                    if isinstance(answer, Failure):
                        self._paths_unknown(answer)
                        return
                for account in accounts:
                    paths[str(account["Id"])] = [path]
                following += [(str(ou["Id"]), f"{path}{ou['Id']}/") for ou in ous]
                for ou in ous:
                    if isinstance(ou.get("Name"), str) and ou["Name"]:
                        names[str(ou["Id"])] = ou["Name"][:128]
            level = following
        model.paths = paths
        model.ou_names = names

    def _paths_unknown(self, failure: Failure) -> None:
        self.notes.append(
            "the OU tree could not be read, so aws:PrincipalOrgPaths conditions stay undecided "
            f"({failure.code}: {failure.message}; needs {failure.permission})"
        )

    def read_global_settings(self) -> None:
        model = self.b.sc.organization
        assert isinstance(model, Organization)
        out = self.reader.call("management", "backup", "describe_global_settings")
        if isinstance(out, Failure):
            self.b.fail(
                "organization.cross_account_backup_enabled",
                f"the organization's AWS Backup global settings (management account "
                f"{self.management})",
                out,
            )
            return
        value = out.get("GlobalSettings", {}).get("isCrossAccountBackupEnabled")
        if value is not None:
            model.cross_account_backup_enabled = str(value).lower() == "true"

    def read_backup_policies(self) -> None:
        """The organization's backup policies with copy actions, and the accounts each is
        attached to (directly, or through the root or an OU above the account)."""
        r = self.reader
        policies = r.paginate(
            "management", "organizations", "list_policies", "Policies", Filter="BACKUP_POLICY"
        )
        if isinstance(policies, Failure):
            self.b.fail(
                "organization.backup_policies",
                "the organization's backup policies (their copy actions are copies to check)",
                policies,
            )
            return
        ids = [str(p["Id"]) for p in policies if p.get("Id")]
        answers = self._parallel([partial(self._backup_policy, pid) for pid in ids])
        model = self.b.sc.organization
        paths = model.paths if isinstance(model, Organization) else {}
        for pid, (doc, targets) in zip(ids, answers):
            where = f"organization.backup_policies[{pid}]"
            if isinstance(doc, Failure):
                self.b.fail(where, f"the backup policy {pid}", doc)
                continue
            summary = doc.get("Policy", {}).get("PolicySummary", {})
            name = str(summary.get("Name") or pid)
            try:
                rules = policy_rules(pid, name, json.loads(doc["Policy"].get("Content") or "{}"))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                self.b.fail(
                    where,
                    f"the backup policy {pid} ({name})",
                    Failure("organizations:DescribePolicy", "UnreadablePolicy", str(exc)),
                )
                continue
            if not rules:
                continue
            if isinstance(targets, Failure):
                self.b.fail(
                    f"{where}.targets", f"where the backup policy {pid} is attached", targets
                )
                continue
            accounts: set[str] | None = set()
            for t in targets:
                kind, tid = t.get("Type"), str(t.get("TargetId", ""))
                if kind == "ACCOUNT":
                    accounts.add(tid)  # type: ignore[union-attr]
                elif kind == "ROOT":
                    accounts = None  # every account
                    break
                else:  # an OU: the accounts below it
                    if not paths:
                        self.b.fail(
                            f"{where}.targets",
                            f"which accounts the backup policy {pid} reaches through OU {tid}",
                            Failure(
                                "organizations:ListOrganizationalUnitsForParent",
                                "OuTreeUnknown",
                                "the OU tree could not be read",
                            ),
                        )
                        continue
                    accounts.update(  # type: ignore[union-attr]
                        a for a, ps in paths.items() if any(f"/{tid}/" in p for p in ps)
                    )
            for rule in rules:
                self._policy_rules.append((rule, accounts))

    # -- accounts and Regions ----------------------------------------------------------------------

    def regions_of(self, account: str, role: str) -> list[str] | None:
        """The Regions to read in ``account``: those asked, or (``all``) those it has enabled."""
        if self.regions == "all":
            out = self.reader.call(role, "ec2", "describe_regions", AllRegions=True)
            if isinstance(out, Failure):
                self.b.fail(
                    f"accounts[{account}].regions",
                    f"account {account}: which Regions are enabled (for --regions all)",
                    out,
                )
                return None
            return sorted(
                str(x["RegionName"])
                for x in out.get("Regions", [])
                if x.get("OptInStatus", "opt-in-not-required") in ENABLED
            )
        if isinstance(self.regions, list):
            return list(self.regions)
        return [str(self.reader.region)]

    def read_pair(self, account: str, role: str, region: str) -> None:
        """One account in one Region: its copies (plans and the organization's policies, or
        failed jobs, or the job asked for), recorded for adding in a stable order."""
        found: list[tuple[Any, ...]] = []

        def add(*args: Any, **kwargs: Any) -> None:
            found.append((args, kwargs))

        r = self.reader
        if self.mode == "plans":
            plans = r.paginate(
                role, "backup", "list_backup_plans", "BackupPlansList", region=region
            )
            if isinstance(plans, Failure):
                self._region_failed(account, region, "the backup plans", plans)
            else:
                ids = list(dict.fromkeys(str(p["BackupPlanId"]) for p in plans))
                rules = plan_rules(
                    self.b,
                    role,
                    region,
                    account,
                    ids,
                    strict=False,
                    workers=1,  # the pairs are the unit of concurrency
                    path_prefix=f"accounts[{account}].regions[{region}].",
                    label_prefix=f"{account} {region} ",
                )
                for rule, accounts in self._policy_rules:
                    if accounts is not None and account not in accounts:
                        continue
                    if rule.regions is not None and region not in rule.regions:
                        continue
                    label, api_rule, source = rule.as_rule(account, region)
                    actions = api_rule["CopyActions"]
                    known = [a for a in actions if "$" not in a["DestinationBackupVaultArn"]]
                    if known:
                        rules.append((label, {**api_rule, "CopyActions": known}, source))
                    for a in actions:
                        raw = a["DestinationBackupVaultArn"]
                        if "$" in raw:  # a placeholder AWS Backup leaves as written
                            args = (f"{label} -> {raw}", None, None, source, None, None)
                            found.append(
                                (
                                    (*args, a.get("Lifecycle"), None, None),
                                    {"_placeholder": (rule.policy_id, raw)},
                                )
                            )
                add_rule_copies(self.b, role, rules, add=add, workers=1)
        elif self.mode == "failed_since":
            assert self.since is not None
            after = datetime.now(UTC) - self.since
            jobs = r.paginate(
                role,
                "backup",
                "list_copy_jobs",
                "CopyJobs",
                region=region,
                ByState="FAILED",
                ByCreatedAfter=after,
            )
            if isinstance(jobs, Failure):
                self._region_failed(account, region, "the failed copy jobs", jobs)
            else:
                fresh = self._new_jobs(jobs)
                add_job_copies(self.b, fresh, add=add)
        else:
            job = r.call(role, "backup", "describe_copy_job", region=region, CopyJobId=self.job_id)
            if isinstance(job, Failure):
                if job.code not in ("ResourceNotFoundException", "InvalidParameterValueException"):
                    self._region_failed(account, region, f"the copy job {self.job_id}", job)
            else:
                add_job_copies(self.b, self._new_jobs([job["CopyJob"]]), add=add)
        self._found[(account, region)] = found

    def _new_jobs(self, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        with self._assume_lock:
            for job in jobs:
                jid = str(job.get("CopyJobId", ""))
                if jid and jid not in self._jobs:
                    self._jobs[jid] = job
                    out.append(job)
        return out

    def _region_failed(self, account: str, region: str, what: str, failure: Failure) -> None:
        if failure.code == "Interrupted":
            return
        hint = ""
        if failure.code in REGION_OFF_CODES:
            hint = " (is the Region enabled for this account? an opt-in Region must be enabled)"
        elif failure.denied and "service control polic" in failure.message.lower():
            hint = " (a service control policy denies it)"
        self.b.fail(
            f"accounts[{account}].regions[{region}]",
            f"account {account}, Region {region}: {what}{hint}",
            failure,
        )

    # -- the scan ----------------------------------------------------------------------------------

    def _emit(self) -> None:
        if self.progress is None:
            return
        s = self.state
        self.progress(
            {
                "stage": s.stage,
                "accounts_done": s.accounts_done,
                "accounts_total": s.accounts_total,
                "copies": s.copies,
                "reads_done": s.reads_done,
                "reads_total": s.reads_total,
                "errors": len(self.b.sc.read_failures),
            }
        )

    def run(self) -> LiveScan:
        chosen = self.read_organization()
        self.state.accounts_total = len(chosen)
        try:
            self._emit()
            self._parallel([self.read_ou_tree, self.read_global_settings])
            self.read_backup_policies()  # after the OU tree: an OU target needs the paths
            self._scan_accounts(chosen)
        except KeyboardInterrupt as exc:
            self._caught(exc)
        self._add_found()
        self.state.copies = len(self.b.sc.copies)
        if not self.interrupted:
            try:
                self.state.stage = "copies"
                self._emit()

                def resolved(done: int, total: int) -> None:
                    self.state.reads_done, self.state.reads_total = done, total
                    self._emit()

                self.b.resolve(resolved if self.progress else None, org_reads=False)
                self._service_roles()
            except KeyboardInterrupt as exc:
                self._caught(exc)
        if self.interrupted:
            self._forget_interrupted()
        elif self.mode == "job" and not self._jobs and not self.b.sc.read_failures:
            raise LiveError(
                f"copy job {self.job_id} not found in any account and Region scanned "
                f"({len(chosen)} account(s); Regions: {_regions_text(self.regions, self.reader.region)})"
            )
        target: dict[str, Any] = {
            "mode": {"plans": "plans", "failed_since": "failed_since", "job": "job"}[self.mode],
            "organization": self.org_id,
            "feature_set": self.feature_set,
            "accounts": chosen,
            "regions": self.regions if self.regions is not None else [self.reader.region],
            "regions_read": self.regions_read,
            "accounts_read": self.state.accounts_done,
            "role_name": self.role_name,
        }
        if self.mode == "failed_since" and self.since is not None:
            after = datetime.now(UTC) - self.since
            target["since"] = after.strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.mode == "job":
            target["job_id"] = self.job_id
        if self.interrupted:
            target["interrupted"] = True
        if self.notes:
            target["notes"] = list(self.notes)
        return LiveScan(
            self.b.sc,
            list(self._jobs.values()),
            self.b.key_policy_text,
            self.reader,
            self.b.vault_policy_text,
            {"management": self.management},
            target,
        )

    def _interrupt(self) -> None:
        self.interrupted = True
        self.reader.cancelled.set()

    def _caught(self, exc: KeyboardInterrupt) -> None:
        """The first Ctrl-C stops the reads (the scan then reports what it read); another
        one, while the running reads end, goes on up (no report)."""
        if self._first_interrupt is None:
            self._first_interrupt = exc
            self._interrupt()
        elif exc is not self._first_interrupt:
            raise exc

    def _forget_interrupted(self) -> None:
        """Reads the interruption stopped are not read failures: the report says once that
        the scan was interrupted."""
        sc = self.b.sc
        for path, (detail, _) in list(sc.read_failures.items()):
            if "(Interrupted:" in detail:
                del sc.read_failures[path]

    def _scan_accounts(self, chosen: list[str]) -> None:
        """Each account's session and Regions, then every (account, Region) pair, in one
        bounded pool; the progress display is updated from this thread."""
        workers = self.reader.max_workers
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            pending: dict[Future[Any], tuple[str, ...]] = {}
            for account in chosen:
                pending[pool.submit(self._open_account, account)] = ("account", account)
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for fut in done:
                    kind, *rest = pending.pop(fut)
                    result = fut.result()
                    if kind == "account":
                        account = rest[0]
                        if result is None:
                            self._account_done(account)
                            continue
                        role, regions = result
                        self.regions_read[account] = regions
                        if not regions:
                            self._account_done(account)
                            continue
                        self.state.pairs_left[account] = len(regions)
                        for region in regions:
                            f = pool.submit(self.read_pair, account, role, region)
                            pending[f] = ("pair", account, region)
                    else:
                        account = rest[0]
                        self.state.pairs_left[account] -= 1
                        self.state.copies += len(self._found.get((account, rest[1]), []))
                        if self.state.pairs_left[account] == 0:
                            self._account_done(account)
                    self._emit()
        except KeyboardInterrupt as exc:
            self._caught(exc)
            raise
        finally:
            # after Ctrl-C the queued reads are dropped and the running ones answer at once
            pool.shutdown(wait=True, cancel_futures=self.interrupted)

    def _account_done(self, account: str) -> None:
        self.state.accounts_done += 1

    def _open_account(self, account: str) -> tuple[str, list[str]] | None:
        role = self._role_of(account)
        if role is None:
            return None
        regions = self.regions_of(account, role)
        if regions is None:
            return None
        return role, regions

    def _add_found(self) -> None:
        """The copies found, added in account and Region order (stable copy paths)."""
        for key in sorted(self._found):
            for args, kwargs in self._found[key]:
                placeholder = kwargs.pop("_placeholder", None)
                copy = self.b.add_copy(*args, **kwargs)
                if placeholder:
                    policy_id, raw = placeholder
                    self.b.sc.unknown_reasons[f"{copy.path}.destination_vault"] = (
                        f"The destination vault of copy {copy.name}",
                        f"backup policy {policy_id} names it {raw}, and AWS Backup replaces "
                        "only $account in a copy action's target vault ARN (not $region or "
                        "another placeholder), so which vault, if any, this copy goes to is "
                        "not known",
                    )

    def _service_roles(self) -> None:
        """Whether each destination account's AWSServiceRoleForBackup exists (CG205)."""
        accounts = sorted(
            {
                str(arn_account(c.destination_vault) or "")
                for c in self.b.sc.copies
                if isinstance(c.destination_vault, str)
            }
            - {""}
        )
        tasks: list[Callable[[], Any]] = []
        for account in accounts:
            role = self.b.role_for_account(account)
            if role is not None:
                tasks.append(partial(self.b.slr_exists_for, account, role))
        self._parallel(tasks)

    def _children(self, parent: str) -> tuple[Any, Any]:
        """The accounts and the organizational units directly under ``parent``."""
        r = self.reader
        return (
            r.paginate(
                "management",
                "organizations",
                "list_accounts_for_parent",
                "Accounts",
                ParentId=parent,
            ),
            r.paginate(
                "management",
                "organizations",
                "list_organizational_units_for_parent",
                "OrganizationalUnits",
                ParentId=parent,
            ),
        )

    def _backup_policy(self, pid: str) -> tuple[Any, Any]:
        """A backup policy and its targets."""
        r = self.reader
        return (
            r.call("management", "organizations", "describe_policy", PolicyId=pid),
            r.paginate(
                "management",
                "organizations",
                "list_targets_for_policy",
                "Targets",
                PolicyId=pid,
            ),
        )

    def _parallel(self, tasks: list[Callable[[], Any]]) -> list[Any]:
        """The tasks' results in order, in a pool of ``max_workers``; Ctrl-C cancels the
        reads not started yet."""
        if len(tasks) <= 1:
            return [t() for t in tasks]
        pool = ThreadPoolExecutor(max_workers=min(self.reader.max_workers, len(tasks)))
        try:
            return list(pool.map(lambda t: t(), tasks))
        except KeyboardInterrupt as exc:
            self._caught(exc)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=self.interrupted)


def _regions_text(regions: list[str] | str | None, default: str | None) -> str:
    if regions == "all":
        return "all enabled"
    if isinstance(regions, list):
        return ", ".join(regions)
    return str(default)


def _status(account: dict[str, Any]) -> str:
    return str(account.get("State") or account.get("Status") or "")


def assumed_session(base: Any, credentials: dict[str, Any]) -> Any:
    """A boto3 session with an AssumeRole answer's credentials that keeps the management
    session's settings: its profile (Region, ``endpoint_url``) and configuration files."""
    import boto3
    import botocore.session

    core = botocore.session.Session()
    base_core = getattr(base, "_session", None)
    profile = None
    if base_core is not None:
        for var in ("config_file", "credentials_file"):
            # a session type we do not know keeps botocore's defaults
            with contextlib.suppress(Exception):
                core.set_config_variable(var, base_core.get_config_variable(var))
        try:
            profile = base_core.get_config_variable("profile")
        except Exception:
            profile = None
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=getattr(base, "region_name", None),
        profile_name=profile,
        botocore_session=core,
    )


def scan_organization(
    reader: Reader,
    *,
    mode: str,
    since: timedelta | None = None,
    job_id: str | None = None,
    role_name: str = DEFAULT_ROLE_NAME,
    regions: list[str] | str | None = None,
    only_accounts: list[str] | None = None,
    progress: Progress | None = None,
    make_session: Callable[[Any, dict[str, Any]], Any] | None = None,
) -> LiveScan:
    """Read the whole organization (see the module's docstring). ``regions``: a list, the
    string ``"all"`` (each account's enabled Regions) or None (the Reader's Region).
    ``progress`` gets ``{"stage", "accounts_done", "accounts_total", "copies", "errors"}``
    from the calling thread. Ctrl-C (KeyboardInterrupt in the calling thread) stops the reads;
    the result holds what was read and ``target["interrupted"]``."""
    return OrganizationScan(
        reader,
        mode=mode,
        since=since,
        job_id=job_id,
        role_name=role_name,
        regions=regions,
        only_accounts=only_accounts,
        progress=progress,
        make_session=make_session,
    ).run()
