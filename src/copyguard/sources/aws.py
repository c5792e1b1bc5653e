"""Live AWS: read accounts through boto3 and build the scenario model (spec section 3).

This is the only module that talks to AWS. It takes injected boto3 sessions (one per role:
source, destination, management), reads each resource once (a cache keyed by account, API and
arguments), in parallel within a small pool, with botocore's standard retries. A read that is
denied or fails leaves the field unknown and records which permission it needed; the checks
then report CG902 and the verdict becomes ``unknown``, never ``pass``.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from copyguard.checks.facts import slr_arn, type_facts
from copyguard.evaluate.request import account_of_arn as arn_account
from copyguard.evaluate.request import region_of_arn as arn_region
from copyguard.policy import PolicyError, parse_policy
from copyguard.records import field, record
from copyguard.scenario import (
    AWS_OWNED_KEY,
    UNKNOWN,
    Copy,
    Key,
    Lifecycle,
    Organization,
    Scenario,
    Vault,
    VaultLock,
)

ROLES = ("source", "destination", "management")
MAX_WORKERS = 8


class LiveError(Exception):
    """A live operation could not even start (no credentials, unknown job...)."""


@record(slots=True)
class Failure:
    """A read that did not succeed."""

    permission: str
    code: str
    message: str

    @property
    def denied(self) -> bool:
        return self.code in (
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "AuthorizationError",
            "UnrecognizedClientException",
        )


_MISS = object()


class Reader:
    """Cached, counted, thread-safe reads: each (role, service, region, op, args) once."""

    def __init__(
        self,
        sessions: dict[str, Any],
        region: str | None = None,
        endpoint_url: str | None = None,
        max_attempts: int = 5,
        retry_mode: str = "standard",
        max_workers: int = MAX_WORKERS,
    ) -> None:
        from botocore.config import Config

        self.sessions = sessions
        self.region = region
        self.endpoint_url = endpoint_url
        #: how many reads run side by side (thread pools and the HTTP connection pool)
        self.max_workers = max(1, max_workers)
        self.config = Config(
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            max_pool_connections=max(10, self.max_workers),
            user_agent_extra="copyguard/0.1.0",
            connect_timeout=5,
            read_timeout=30,
        )
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._guard = threading.Lock()
        self._shared: set[int] = set()  # the botocore sessions given the shared loader
        #: API calls made, per (role, service, operation); a cached read is not counted
        self.calls: Counter[tuple[str, str, str]] = Counter()
        #: every API call made, in order: (role, service, region, operation, arguments as JSON)
        self.log: list[tuple[str, str, str | None, str, str]] = []
        #: HTTP requests sent, per (role, API operation): botocore's retries included
        self.requests: Counter[tuple[str, str]] = Counter()
        self._requests_lock = threading.Lock()
        self.on_call: Callable[[str, str, str], None] | None = None
        #: set (Ctrl-C): every read not yet started answers a Failure("Interrupted") at once
        self.cancelled = threading.Event()

    def has(self, role: str) -> bool:
        return self.sessions.get(role) is not None

    def add_session(self, role: str, session: Any) -> None:
        """Another role's session (an organization scan's assumed member roles)."""
        with self._guard:
            self.sessions[role] = session

    def _share_loader(self, session: Any) -> None:
        """Make ``session`` read botocore's service data through :func:`shared_loader`, so
        each service model is read and parsed once for all clients, not once per session.
        """
        core = getattr(session, "_session", session)  # a boto3 Session wraps a botocore one
        if id(core) in self._shared:
            return
        self._shared.add(id(core))
        try:
            path = core.get_config_variable("data_path")
            core.register_component("data_loader", shared_loader(path))
        except Exception:  # not a botocore session we know: it keeps its own loader
            return

    def client(self, role: str, service: str, region: str | None = None) -> Any:
        key = (role, service, region or self.region)
        with self._guard:
            if key not in self._clients:
                session = self.sessions[role]
                self._share_loader(session)
                kwargs: dict[str, Any] = {"config": self.config}
                if region or self.region:
                    kwargs["region_name"] = region or self.region
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                client = session.client(service, **kwargs)
                client.meta.events.register(
                    "before-send", lambda event_name="", r=role, **_: self._sent(r, event_name)
                )
                self._clients[key] = client
            return self._clients[key]

    def _sent(self, role: str, event_name: str) -> None:
        with self._requests_lock:
            self.requests[(role, event_name.rsplit(".", 1)[-1])] += 1

    def call(
        self, role: str, service: str, op: str, region: str | None = None, **kwargs: Any
    ) -> Any:
        """The API's response, or a Failure. Never raises for AWS errors."""
        from botocore.exceptions import BotoCoreError, ClientError

        cache_key = (
            role,
            service,
            region or self.region,
            op,
            json.dumps(kwargs, sort_keys=True, default=str),
        )
        with self._guard:
            lock = self._locks.setdefault(cache_key, threading.Lock())
        with lock:
            hit = self._cache.get(cache_key, _MISS)
            if hit is not _MISS:
                return hit
            permission = iam_action(service, op)
            if self.cancelled.is_set():
                return Failure(permission, "Interrupted", "the scan was interrupted (Ctrl-C)")
            with self._guard:
                self.calls[(role, service, op)] += 1
                self.log.append(cache_key)
            if self.on_call:
                self.on_call(role, service, op)
            try:
                client = self.client(role, service, region)
                result: Any = getattr(client, op)(**kwargs)
            except ClientError as exc:
                err = exc.response.get("Error", {})
                result = Failure(
                    permission, str(err.get("Code", "ClientError")), str(err.get("Message", exc))
                )
            except BotoCoreError as exc:
                result = Failure(permission, type(exc).__name__, str(exc))
            self._cache[cache_key] = result
            return result

    def permissions_used(self) -> set[tuple[str, str]]:
        """(role, IAM action) of every call made so far."""
        return {(role, iam_action(service, op)) for role, service, _, op, _ in self.log}

    def paginate(
        self,
        role: str,
        service: str,
        op: str,
        key: str,
        region: str | None = None,
        **kwargs: Any,
    ) -> list[Any] | Failure:
        """All pages of a list API (each page is one counted call)."""
        items: list[Any] = []
        token_in = "NextToken"
        token: str | None = None
        while True:
            args = dict(kwargs)
            if token:
                args[token_in] = token
            page = self.call(role, service, op, region=region, **args)
            if isinstance(page, Failure):
                return page
            items += page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return items


_PREFIX = {"efs": "elasticfilesystem"}
_OPERATIONS: dict[str, dict[str, str]] = {}
_OPERATIONS_LOCK = threading.Lock()
_LOADERS: dict[str | None, Any] = {}
_LOADERS_LOCK = threading.Lock()


def shared_loader(data_path: str | None = None) -> Any:
    """The process's one botocore data loader for ``data_path`` (botocore's ``data_path``
    setting, ``AWS_DATA_PATH``; None for botocore's own data only).

    A botocore session builds its own loader, which reads and parses every service model
    again; a scan makes clients for three accounts and several services, so one loader
    shared by all of them saves most of the client creation time. The loader only caches
    files it read, which never change while the process runs.
    """
    with _LOADERS_LOCK:
        loader = _LOADERS.get(data_path)
        if loader is None:
            from botocore.loaders import create_loader

            loader = _LOADERS[data_path] = create_loader(data_path)
        return loader


def iam_action(service: str, op: str) -> str:
    """The IAM action of a boto3 client method: ("kms", "get_key_policy") -> kms:GetKeyPolicy."""
    with _OPERATIONS_LOCK:
        names = _OPERATIONS.get(service)
        if names is None:
            import botocore.session
            from botocore import xform_name

            try:
                core = botocore.session.get_session()
                path = core.get_config_variable("data_path")
                core.register_component("data_loader", shared_loader(path))
                model = core.get_service_model(service)
                names = {xform_name(name): name for name in model.operation_names}
            except Exception:  # an unknown service: keep the method name
                names = {}
            _OPERATIONS[service] = names
    return f"{_PREFIX.get(service, service)}:{names.get(op, op)}"


def vault_name(arn: str) -> str:
    return arn.split(":backup-vault:", 1)[-1]


@record(slots=True)
class LiveScan:
    """What a live diagnosis read, as a scenario plus the raw facts behind it."""

    scenario: Scenario
    jobs: list[dict[str, Any]] = field(default_factory=list)
    key_policy_text: dict[str, str] = field(default_factory=dict)  # key ARN -> exact text read
    reader: Reader | None = None
    #: vault ARN -> the exact access policy text read
    vault_policy_text: dict[str, str] = field(default_factory=dict)
    #: each role's account (from STS), and what the scan looked for: {"mode": "job" |
    #: "failed_since" | "plans", "region": ..., plus "since" (ISO time) or "plan_ids" and
    #: "plans_read"}, so a scan that found nothing can say what it looked at
    accounts: dict[str, str | None] = field(default_factory=dict)
    target: dict[str, Any] = field(default_factory=dict)


class LiveBuilder:
    """Builds the scenario from live reads."""

    def __init__(self, reader: Reader, accounts: dict[str, str | None]) -> None:
        self.reader = reader
        self.accounts = accounts  # role -> account ID (from STS, when known)
        self.sc = Scenario(source="live")
        self.key_policy_text: dict[str, str] = {}
        self.vault_policy_text: dict[str, str] = {}
        self._lock = threading.Lock()
        self._pending: list[tuple[Copy, str | None]] = []
        #: an organization scan's way to a session for an account not read yet (it assumes
        #: the member role once and returns the Reader role name, or None)
        self.account_role: Callable[[str], str | None] | None = None
        #: what to say when no session reaches a destination account
        self.no_session_hint = "give --destination-profile or --destination-role-arn"

    # -- helpers -------------------------------------------------------------------------------

    def role_for_account(self, account: str | None) -> str | None:
        if not account:
            return None
        known = dict(self.accounts)  # a copy: an organization scan adds roles meanwhile
        named = [r for r in ROLES if r in known]
        others = sorted(r for r in known if r not in ROLES)
        for role in (*named, *others):
            if known.get(role) == account and self.reader.has(role):
                return role
        if self.account_role is not None:
            return self.account_role(account)
        return None

    def source_role(self, copy: Copy) -> str | None:
        """The session that reads a copy's source side: its source vault's account's (an
        organization scan), else the source profile's."""
        if isinstance(copy.source_vault, str):
            role = self.role_for_account(arn_account(copy.source_vault))
            if role is not None:
                return role
        return "source" if self.reader.has("source") else None

    def fail(self, path: str, what: str, failure: Failure) -> None:
        with self._lock:
            detail = f"{what} ({failure.code}: {failure.message})"
            self.sc.read_failures.setdefault(path, (detail, failure.permission))

    # -- reads ---------------------------------------------------------------------------------

    def read_key(self, arn: str, path: str) -> None:
        with self._lock:
            if arn in self.sc.keys:
                return
            key = Key(arn=arn, path=path)
            self.sc.keys[arn] = key
        role = self.role_for_account(arn_account(arn))
        region = arn_region(arn)
        if role is None:
            self.fail(
                f"{path}.policy",
                f"the key policy of {arn} (no session for account {arn_account(arn)})",
                Failure("kms:GetKeyPolicy", "NoSession", "give a profile or role for that account"),
            )
            return
        meta = self.reader.call(role, "kms", "describe_key", region=region, KeyId=arn)
        if isinstance(meta, Failure):
            self.fail(f"{path}.state", f"the state of {arn}", meta)
        else:
            md = meta.get("KeyMetadata", {})
            key.manager = md.get("KeyManager", UNKNOWN)
            key.state = md.get("KeyState", UNKNOWN)
            if md.get("Arn") and md["Arn"] != arn:
                with self._lock:
                    self.sc.keys[md["Arn"]] = key
        aliases = self.reader.call(role, "kms", "list_aliases", region=region, KeyId=arn)
        if isinstance(aliases, Failure):
            self.fail(f"{path}.aliases", f"the aliases of {arn}", aliases)
        else:
            key.aliases = tuple(a["AliasName"] for a in aliases.get("Aliases", []))
        if key.manager == "AWS":
            return  # AWS's own policy: never the user's to change, and not needed
        pol = self.reader.call(
            role, "kms", "get_key_policy", region=region, KeyId=arn, PolicyName="default"
        )
        key.policy_path = f"{path}.policy"
        if isinstance(pol, Failure):
            self.fail(f"{path}.policy", f"the key policy of {arn}", pol)
            return
        text = pol.get("Policy", "")
        self.key_policy_text[arn] = text
        try:
            key.policy = parse_policy(text, name=f"key policy of {arn}", kind="key")
        except PolicyError as exc:
            key.policy_issues = exc.issues

    def read_vault(self, arn: str, role: str, path: str, with_policy: bool) -> Vault:
        with self._lock:
            if arn in self.sc.vaults:
                return self.sc.vaults[arn]
            vault = Vault(arn=arn, path=path)
            self.sc.vaults[arn] = vault
        region = arn_region(arn)
        desc = self.reader.call(
            role, "backup", "describe_backup_vault", region=region, BackupVaultName=vault_name(arn)
        )
        if isinstance(desc, Failure):
            self.fail(f"{path}.key", f"the backup vault {arn}", desc)
        else:
            vault.key = desc.get("EncryptionKeyArn") or None
            vault.vault_type = desc.get("VaultType", "BACKUP_VAULT")
            if desc.get("EncryptionKeyType") == "AWS_OWNED_KMS_KEY":
                vault.key = AWS_OWNED_KEY  # a logically air-gapped vault's AWS owned key
            if (
                desc.get("Locked")
                or desc.get("MinRetentionDays") is not None
                or desc.get("MaxRetentionDays") is not None
            ):
                vault.lock = VaultLock(desc.get("MinRetentionDays"), desc.get("MaxRetentionDays"))
            else:
                vault.lock = None
        if with_policy:
            pol = self.reader.call(
                role,
                "backup",
                "get_backup_vault_access_policy",
                region=region,
                BackupVaultName=vault_name(arn),
            )
            if isinstance(pol, Failure):
                if pol.code == "ResourceNotFoundException" and not isinstance(desc, Failure):
                    vault.access_policy = None  # the vault exists and has no policy
                else:
                    self.fail(f"{path}.access_policy", f"the access policy of {arn}", pol)
            else:
                text = pol.get("Policy") or ""
                with self._lock:
                    self.vault_policy_text[arn] = text
                if not text.strip() or text.strip() == "{}":
                    vault.access_policy = None
                else:
                    try:
                        vault.access_policy = parse_policy(
                            text, name=f"access policy of {arn}", kind="resource"
                        )
                    except PolicyError as exc:
                        vault.access_policy_issues = exc.issues
        return vault

    def resource_key(
        self, copy: Copy, recovery_point: str | None, source_vault: str | None, role: str = "source"
    ) -> None:
        """The resource's own key (types not fully managed): native reads first."""
        rtype = copy.resource_type if isinstance(copy.resource_type, str) else ""
        region = arn_region(recovery_point or "") or arn_region(source_vault or "")
        path = f"{copy.path}.resource_key"
        if (
            recovery_point
            and ":snapshot/snap-" in recovery_point
            and rtype in ("EBS", "EC2", "Storage Gateway")
        ):
            snap = recovery_point.rsplit("/", 1)[-1]
            out = self.reader.call(
                role, "ec2", "describe_snapshots", region=region, SnapshotIds=[snap]
            )
            if isinstance(out, Failure):
                self.fail(path, f"the snapshot {snap}", out)
                return
            snaps = out.get("Snapshots", [])
            if snaps:
                s = snaps[0]
                copy.resource_key = s.get("KmsKeyId") if s.get("Encrypted") else None
                return
        if (
            recovery_point
            and ":snapshot:" in recovery_point
            and recovery_point.startswith("arn:aws:rds:")
        ):
            out = self.reader.call(
                role,
                "rds",
                "describe_db_snapshots",
                region=region,
                DBSnapshotIdentifier=recovery_point,
            )
            if not isinstance(out, Failure) and out.get("DBSnapshots"):
                s = out["DBSnapshots"][0]
                copy.resource_key = s.get("KmsKeyId") if s.get("Encrypted") else None
                return
            if isinstance(out, Failure) and out.denied:
                self.fail(path, f"the DB snapshot {recovery_point}", out)
                return
        if recovery_point and ":cluster-snapshot:" in recovery_point:
            out = self.reader.call(
                role,
                "rds",
                "describe_db_cluster_snapshots",
                region=region,
                DBClusterSnapshotIdentifier=recovery_point,
            )
            if not isinstance(out, Failure) and out.get("DBClusterSnapshots"):
                s = out["DBClusterSnapshots"][0]
                copy.resource_key = s.get("KmsKeyId") if s.get("StorageEncrypted") else None
                return
        if recovery_point and source_vault:
            rp = self.reader.call(
                role,
                "backup",
                "describe_recovery_point",
                region=region,
                BackupVaultName=vault_name(source_vault),
                RecoveryPointArn=recovery_point,
            )
            if isinstance(rp, Failure):
                self.fail(path, f"the recovery point {recovery_point}", rp)
                return
            if rp.get("IsEncrypted") is False:
                copy.resource_key = None
            elif rp.get("EncryptionKeyArn"):
                copy.resource_key = rp["EncryptionKeyArn"]

    def organization(self) -> None:
        ids: dict[str, Any] = {}
        mgmt_account: Any = UNKNOWN
        for role in ("source", "destination"):
            if not self.reader.has(role):
                continue
            out = self.reader.call(role, "organizations", "describe_organization")
            if isinstance(out, Failure):
                if out.code == "AWSOrganizationsNotInUseException":
                    ids[role] = None
                else:
                    self.fail(
                        f"organization.membership.{role}",
                        f"the organization of the {role} account",
                        out,
                    )
            else:
                org = out.get("Organization", {})
                ids[role] = org.get("Id")
                mgmt_account = org.get("MasterAccountId", mgmt_account)
        model = Organization()
        src, dst = self.accounts.get("source"), self.accounts.get("destination")
        if "source" in ids and "destination" in ids:
            a, b = ids["source"], ids["destination"]
            if a is None and b is None:
                model.id = None
                model.accounts = ()
            elif a == b:
                model.id = a
                model.accounts = tuple(x for x in (src, dst) if x)
            else:
                model.id = a or b
                model.accounts = tuple(
                    x for x, oid in ((src, a), (dst, b)) if x and oid == model.id
                )
        model.management_account = mgmt_account
        role = "management" if self.reader.has("management") else "source"
        settings = self.reader.call(role, "backup", "describe_global_settings")
        if isinstance(settings, Failure):
            self.fail(
                "organization.cross_account_backup_enabled",
                f"the organization's AWS Backup global settings (from the {role} account)",
                settings,
            )
        else:
            value = settings.get("GlobalSettings", {}).get("isCrossAccountBackupEnabled")
            if value is not None:
                model.cross_account_backup_enabled = str(value).lower() == "true"
        self.sc.organization = model

    def slr_exists(self) -> None:
        dst = self.accounts.get("destination")
        if not dst or not self.reader.has("destination"):
            return
        self.slr_exists_for(dst, "destination")

    def slr_exists_for(self, dst: str, role: str) -> None:
        """Whether account ``dst``'s AWSServiceRoleForBackup exists, read through ``role``."""
        out = self.reader.call(role, "iam", "get_role", RoleName="AWSServiceRoleForBackup")
        if isinstance(out, Failure):
            if out.code == "NoSuchEntity":
                self.sc.principals[slr_arn(dst)] = False
            else:
                self.fail(
                    f"principals[{slr_arn(dst)}]",
                    f"whether the destination's AWSServiceRoleForBackup exists ({slr_arn(dst)})",
                    out,
                )
            return
        self.sc.principals[slr_arn(dst)] = True

    # -- copies --------------------------------------------------------------------------------

    def add_copy(
        self,
        name: str,
        resource_type: str | None,
        resource_arn: str | None,
        source_vault: str | None,
        destination_vault: str | None,
        recovery_point: str | None,
        lifecycle: dict[str, Any] | None,
        role_arn: str | None,
        status: str | None,
        lifecycle_known: bool = True,
    ) -> Copy:
        path = f"copies[{len(self.sc.copies)}]"
        copy = Copy(name=name, path=path)
        self.sc.copies.append(copy)
        if resource_type:
            copy.resource_type = resource_type
        if resource_arn:
            copy.resource_arn = resource_arn
        if source_vault:
            copy.source_vault = source_vault
        if destination_vault:
            copy.destination_vault = destination_vault
        if role_arn:
            copy.iam_role_arn = role_arn
        copy.status_message = status
        if lifecycle_known:
            days = (lifecycle or {}).get("DeleteAfterDays")
            cold = (lifecycle or {}).get("MoveToColdStorageAfterDays")
            copy.lifecycle = Lifecycle(days, cold) if lifecycle else None
        self._pending.append((copy, recovery_point))
        return copy

    def resolve(
        self, progress: Callable[[int, int], None] | None = None, org_reads: bool = True
    ) -> Scenario:
        """Read everything the copies need, in parallel, each resource once.

        ``org_reads``: read the organization and the destination's AWSServiceRoleForBackup
        through the source/destination/management roles (an organization scan reads those
        itself, and the service-linked role of every destination account after this)."""
        pending = self._pending
        tasks: list[Callable[[], None]] = []
        for copy, rp in pending:
            tasks.append(partial(self._copy_reads, copy, rp))
        if org_reads:
            tasks.append(self.organization)
            tasks.append(self.slr_exists)
        self._run(tasks, progress)
        # keys found by the first wave
        key_tasks: list[Callable[[], None]] = []
        seen: set[str] = set()
        for copy, _ in pending:
            for arn in self._keys_of(copy):
                if arn not in seen:
                    seen.add(arn)
                    key_tasks.append(partial(self.read_key, arn, f"keys[{arn}]"))
        self._run(key_tasks, progress)
        return self.sc

    @staticmethod
    def _vault_key_matters(copy: Copy) -> bool:
        """The source vault's key is the source key of fully managed types only; for the
        others (EBS, RDS...) the resource's own key is, and the vault is not read at all."""
        facts = type_facts(copy.resource_type) if isinstance(copy.resource_type, str) else None
        return facts is None or facts.fully_managed is not False

    def _keys_of(self, copy: Copy) -> Iterable[str]:
        if isinstance(copy.resource_key, str):
            yield copy.resource_key
        vaults = [copy.destination_vault]
        source = self.sc.vault(copy.source_vault)
        if self._vault_key_matters(copy) or (source is not None and source.logically_air_gapped):
            vaults.append(copy.source_vault)
        for vault_arn in vaults:
            vault = self.sc.vault(vault_arn)
            if vault is not None and isinstance(vault.key, str) and vault.key != AWS_OWNED_KEY:
                yield vault.key

    def _copy_reads(self, copy: Copy, recovery_point: str | None) -> None:
        facts = type_facts(copy.resource_type) if isinstance(copy.resource_type, str) else None
        # a recovery point stored by AWS Backup whatever its type may sit in a logically
        # air-gapped vault: read the vault to know (classify by the vault, not the ARN)
        in_backup = bool(
            recovery_point and ":backup:" in recovery_point and ":recovery-point:" in recovery_point
        )
        src_role = self.source_role(copy)
        if (
            isinstance(copy.source_vault, str)
            and src_role is not None
            and (self._vault_key_matters(copy) or in_backup)
        ):
            self.read_vault(
                copy.source_vault, src_role, f"vaults[{copy.source_vault}]", with_policy=False
            )
        if isinstance(copy.destination_vault, str):
            role = self.role_for_account(arn_account(copy.destination_vault))
            if role:
                self.read_vault(
                    copy.destination_vault,
                    role,
                    f"vaults[{copy.destination_vault}]",
                    with_policy=True,
                )
            else:
                self.fail(
                    f"{copy.path}.destination_vault",
                    f"the destination vault {copy.destination_vault}",
                    Failure("backup:DescribeBackupVault", "NoSession", self.no_session_hint),
                )
        if (facts is None or facts.fully_managed is not True) and src_role is not None:
            self.resource_key(
                copy,
                recovery_point,
                copy.source_vault if isinstance(copy.source_vault, str) else None,
                src_role,
            )

    def _run(
        self, tasks: list[Callable[[], None]], progress: Callable[[int, int], None] | None
    ) -> None:
        if not tasks:
            return
        done = 0
        with ThreadPoolExecutor(max_workers=min(self.reader.max_workers, len(tasks))) as pool:
            futures = [pool.submit(t) for t in tasks]
            try:
                for fut in futures:
                    fut.result()
                    done += 1
                    if progress:
                        progress(done, len(tasks))
            except KeyboardInterrupt:  # Ctrl-C: the reads not started yet answer at once
                self.reader.cancelled.set()
                for fut in futures:
                    fut.cancel()
                raise


_BRACKETED = re.compile(r"^(keys|vaults|plans|principals)\[([^\]]+)\](?:\.(.+))?$")
_COPY_PATH = re.compile(r"^copies\[(\d+)\](?:\.(.+))?$")
_ACCOUNT_PATH = re.compile(r"^accounts\[([0-9]{12})\](?:\.regions\[([a-z0-9-]+)\]|\.(\w+))?")
_WHERE: dict[str, tuple[str, str]] = {
    "keys": ("KMS key {id}", "KMS 密钥 {id}"),
    "vaults": ("backup vault {id}", "备份保管库 {id}"),
    "plans": ("backup plan {id}", "备份计划 {id}"),
    "principals": ("IAM principal {id}", "IAM 主体 {id}"),
}
_FIELD: dict[str, tuple[str, str]] = {
    "policy": ("key policy", "密钥策略"),
    "state": ("key state", "密钥状态"),
    "aliases": ("aliases", "别名"),
    "access_policy": ("access policy", "访问策略"),
    "key": ("encryption key", "加密密钥"),
    "lock": ("Vault Lock", "保管库锁"),
    "recovery_points": ("recovery points", "恢复点"),
    "lifecycle": ("lifecycle (retention)", "生命周期(保留期)"),
    "resource_key": ("key of the recovery point", "恢复点的密钥"),
    "resource_type": ("resource type", "资源类型"),
    "source_vault": ("source vault", "源保管库"),
    "destination_vault": ("destination vault", "目标保管库"),
}
_ORG: dict[str, tuple[str, str]] = {
    "organization.cross_account_backup_enabled": (
        "AWS Backup global settings: isCrossAccountBackupEnabled",
        "AWS Backup 全局设置:isCrossAccountBackupEnabled",
    ),
    "organization.membership.source": (
        "AWS Organizations: the source account's organization",
        "AWS Organizations:源账户所属的组织",
    ),
    "organization.membership.destination": (
        "AWS Organizations: the destination account's organization",
        "AWS Organizations:目标账户所属的组织",
    ),
}


def describe_path(
    path: str | None, scenario: Scenario | None = None, lang: str = "en"
) -> str | None:
    """Where a live finding's field is in AWS, in words (``keys[ARN].policy`` -> "KMS key ARN:
    key policy"); None for a path this module did not make. Locations are resolved here, at
    the edge that read them, so the checks stay the same for every input."""
    if not path:
        return None
    zh = 1 if lang == "zh" else 0
    sep = ":" if zh else ": "
    if path in _ORG:
        return _ORG[path][zh]
    m = _ACCOUNT_PATH.match(path)
    if m:  # an organization scan's account, or one Region of it
        account, region, rest = m.groups()
        where = ("account {a}", "账户 {a}")[zh].format(a=account)
        if region:
            where += (", Region {r}", ",区域 {r}")[zh].format(r=region)
        elif rest:
            where += sep + rest
        return where
    if path.startswith("organization.backup_policies"):
        ident = path.split("[", 1)[1].split("]", 1)[0] if "[" in path else ""
        what = ("AWS Organizations: backup policies", "AWS Organizations:备份策略")[zh]
        return what + (f" ({ident})" if ident else "")
    if path.startswith("organization"):
        return ("AWS Organizations: ", "AWS Organizations:")[zh] + path.split(".", 1)[-1]
    m = _BRACKETED.match(path)
    if m:
        kind, ident, rest = m.groups()
        where = _WHERE[kind][zh].format(id=ident)
        if not rest:
            return where
        head, _, tail = rest.partition(".")
        what = _FIELD.get(head, (head, head))[zh]
        return f"{where}{sep}{what}" + (f", {tail}" if tail else "")
    m = _COPY_PATH.match(path)
    if m:
        index, rest = int(m.group(1)), m.group(2)
        copies = scenario.copies if scenario is not None else []
        name = copies[index].name if index < len(copies) else f"#{index}"
        where = ("copy {name}", "复制 {name}")[zh].format(name=name)
        if not rest:
            return where
        head, _, tail = rest.partition(".")
        what = _FIELD.get(head, (head, head))[zh]
        return f"{where}{sep}{what}" + (f", {tail}" if tail else "")
    return None


def caller_accounts(reader: Reader) -> dict[str, str | None]:
    """Each role's account, from STS (one call per role, in parallel)."""
    roles = [role for role in ROLES if reader.has(role)]
    answers = _parallel(
        [partial(reader.call, role, "sts", "get_caller_identity") for role in roles]
    )
    out: dict[str, str | None] = dict.fromkeys(ROLES)
    for role, ident in zip(roles, answers):
        if isinstance(ident, Failure):
            raise LiveError(f"the {role} credentials do not work: {ident.code}: {ident.message}")
        out[role] = ident.get("Account")
    return out


def scan_job(
    reader: Reader, job_id: str, progress: Callable[[int, int], None] | None = None
) -> LiveScan:
    accounts, job = _parallel(
        [
            lambda: caller_accounts(reader),
            lambda: reader.call("source", "backup", "describe_copy_job", CopyJobId=job_id),
        ]
    )
    if isinstance(job, Failure):
        if job.code in ("ResourceNotFoundException", "InvalidParameterValueException"):
            raise LiveError(f"copy job {job_id} not found in the source account ({job.message})")
        raise LiveError(
            f"cannot read copy job {job_id}: {job.code}: {job.message} (needs {job.permission})"
        )
    live = _scan_jobs(reader, accounts, [job["CopyJob"]], progress)
    live.target = {"mode": "job", "region": reader.region, "job_id": job_id}
    return live


def scan_failed_since(
    reader: Reader, since: timedelta, progress: Callable[[int, int], None] | None = None
) -> LiveScan:
    accounts = caller_accounts(reader)
    after = datetime.now(UTC) - since
    jobs = reader.paginate(
        "source", "backup", "list_copy_jobs", "CopyJobs", ByState="FAILED", ByCreatedAfter=after
    )
    if isinstance(jobs, Failure):
        raise LiveError(
            f"cannot list copy jobs: {jobs.code}: {jobs.message} (needs {jobs.permission})"
        )
    live = _scan_jobs(reader, accounts, jobs, progress)
    live.target = {
        "mode": "failed_since",
        "region": reader.region,
        "since": after.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return live


def _scan_jobs(
    reader: Reader,
    accounts: dict[str, str | None],
    jobs: list[dict[str, Any]],
    progress: Callable[[int, int], None] | None,
) -> LiveScan:
    b = LiveBuilder(reader, accounts)
    add_job_copies(b, jobs)
    sc = b.resolve(progress)
    return LiveScan(sc, jobs, b.key_policy_text, reader, b.vault_policy_text, accounts)


def add_job_copies(
    b: LiveBuilder, jobs: list[dict[str, Any]], add: Callable[..., Any] | None = None
) -> None:
    """One copy per copy job (named by the job ID), as the job describes it. ``add``: what
    takes each copy (``b.add_copy``'s arguments; default ``b.add_copy``)."""
    add = add or b.add_copy
    for job in jobs:
        lifecycle = job.get("DestinationRecoveryPointLifecycle")
        add(
            name=job.get("CopyJobId", "copy"),
            resource_type=job.get("ResourceType"),
            resource_arn=job.get("ResourceArn"),
            source_vault=job.get("SourceBackupVaultArn"),
            destination_vault=job.get("DestinationBackupVaultArn"),
            recovery_point=job.get("SourceRecoveryPointArn"),
            lifecycle=lifecycle,
            role_arn=job.get("IamRoleArn"),
            status=job.get("StatusMessage"),
            lifecycle_known="DestinationRecoveryPointLifecycle" in job,
        )


def scan_plans(
    reader: Reader, plan_ids: list[str] | None, progress: Callable[[int, int], None] | None = None
) -> LiveScan:
    """Preflight every copy action of the plans (all plans when plan_ids is None)."""
    accounts = caller_accounts(reader)
    asked = None if plan_ids is None else list(plan_ids)
    if plan_ids is None:
        plans = reader.paginate("source", "backup", "list_backup_plans", "BackupPlansList")
        if isinstance(plans, Failure):
            raise LiveError(
                f"cannot list backup plans: {plans.code}: {plans.message} (needs {plans.permission})"
            )
        plan_ids = [p["BackupPlanId"] for p in plans]
    b = LiveBuilder(reader, accounts)
    region = reader.region
    ids = list(dict.fromkeys(plan_ids))
    rules = plan_rules(b, "source", region, accounts.get("source") or "", ids, strict=True)
    add_rule_copies(b, "source", rules)
    sc = b.resolve(progress)
    target = {"mode": "plans", "region": region, "plan_ids": asked, "plans_read": len(ids)}
    return LiveScan(sc, [], b.key_policy_text, reader, b.vault_policy_text, accounts, target)


#: a backup rule with copy actions: (label, the rule in AWS Backup's API shape, source vault)
Rule = tuple[str, dict[str, Any], str | None]


def plan_rules(
    b: LiveBuilder,
    role: str,
    region: str | None,
    account: str,
    ids: list[str],
    strict: bool,
    label_prefix: str = "",
    workers: int | None = None,
    path_prefix: str = "",
) -> list[Rule]:
    """The rules with copy actions of the backup plans ``ids`` (read in parallel through
    ``role`` in ``region``, ``workers`` at a time: default the Reader's). ``strict``: a plan
    that does not exist is an input error (it was asked for by ID); otherwise a plan deleted
    since it was listed is skipped."""
    reader = b.reader
    documents = dict(
        zip(
            ids,
            _parallel(
                [
                    partial(
                        reader.call,
                        role,
                        "backup",
                        "get_backup_plan",
                        region=region,
                        BackupPlanId=plan_id,
                    )
                    for plan_id in ids
                ],
                workers or reader.max_workers,
            ),
        )
    )
    rules: list[Rule] = []
    for plan_id in ids:
        plan = documents[plan_id]
        if isinstance(plan, Failure):
            if plan.code == "ResourceNotFoundException":
                if strict:
                    raise LiveError(f"backup plan {plan_id} not found in the source account")
                continue
            where = f" (account {account}, Region {region})" if path_prefix else ""
            b.fail(f"{path_prefix}plans[{plan_id}]", f"the backup plan {plan_id}{where}", plan)
            continue
        name = plan.get("BackupPlan", {}).get("BackupPlanName", plan_id)
        for rule in plan.get("BackupPlan", {}).get("Rules", []):
            if not rule.get("CopyActions"):
                continue
            target = rule.get("TargetBackupVaultName")
            source_vault = (
                f"arn:aws:backup:{region}:{account}:backup-vault:{target}" if target else None
            )
            rules.append((f"{label_prefix}{name}/{rule.get('RuleName')}", rule, source_vault))
    return rules


def add_rule_copies(
    b: LiveBuilder,
    role: str,
    rules: list[Rule],
    add: Callable[..., Any] | None = None,
    workers: int | None = None,
) -> None:
    """One copy per copy action and resource its rule's vault holds (one without a resource
    when the vault holds none yet); each vault's recovery points listed once. ``add``: what
    takes each copy (``b.add_copy``'s arguments; default ``b.add_copy``)."""
    add = add or b.add_copy
    vaults = sorted({v for _, _, v in rules if v})
    held = dict(
        zip(
            vaults,
            _parallel(
                [partial(_plan_resources, b, v, role) for v in vaults],
                workers or b.reader.max_workers,
            ),
        )
    )
    for label, rule, source_vault in rules:
        resources = held.get(source_vault or "", [])
        for action in rule.get("CopyActions") or []:
            dest = action.get("DestinationBackupVaultArn")
            lifecycle = action.get("Lifecycle")
            if not resources:
                add(
                    f"{label} -> {dest}",
                    None,
                    None,
                    source_vault,
                    dest,
                    None,
                    lifecycle,
                    None,
                    None,
                )
            for rtype, rarn, rp in resources:
                add(
                    f"{label} -> {dest} [{rarn}]",
                    rtype,
                    rarn,
                    source_vault,
                    dest,
                    rp,
                    lifecycle,
                    None,
                    None,
                )


def _parallel(tasks: list[Callable[[], Any]], workers: int = MAX_WORKERS) -> list[Any]:
    """The tasks' results, in order, run in a small thread pool."""
    if len(tasks) <= 1:
        return [t() for t in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        return list(pool.map(lambda t: t(), tasks))


def _plan_resources(
    b: LiveBuilder, source_vault: str, role: str = "source"
) -> list[tuple[str, str, str]]:
    """(type, resource ARN, latest recovery point) for what the rule's vault holds."""
    rps = b.reader.paginate(
        role,
        "backup",
        "list_recovery_points_by_backup_vault",
        "RecoveryPoints",
        region=arn_region(source_vault) or None,
        BackupVaultName=vault_name(source_vault),
    )
    if isinstance(rps, Failure):
        b.fail(
            f"vaults[{source_vault}].recovery_points",
            f"the recovery points of {source_vault}",
            rps,
        )
        return []
    latest: dict[str, dict[str, Any]] = {}
    for rp in rps:
        arn = rp.get("ResourceArn")
        if not arn:
            continue
        prev = latest.get(arn)
        if prev is None or str(rp.get("CreationDate", "")) > str(prev.get("CreationDate", "")):
            latest[arn] = rp
    return [
        (rp.get("ResourceType", ""), arn, rp.get("RecoveryPointArn", ""))
        for arn, rp in sorted(latest.items())
    ]


def sessions_from(
    profiles: dict[str, str | None],
    role_arns: dict[str, str | None],
    region: str | None,
    default_role: str = "source",
) -> dict[str, Any]:
    """boto3 sessions per role: a profile, an assumed role, or the default chain (source).

    A role ARN is assumed with the credentials of the same account's profile when one is
    given, else with the default chain; the assumed session keeps that profile's settings
    (Region, endpoint)."""
    import boto3

    sessions: dict[str, Any] = {}
    for role in ROLES:
        profile, role_arn = profiles.get(role), role_arns.get(role)
        session: Any = None
        if profile:
            session = boto3.Session(profile_name=profile, region_name=region)
        elif role == default_role or role_arn:
            session = boto3.Session(region_name=region)
        if session is not None and role_arn:
            try:
                creds = session.client("sts").assume_role(
                    RoleArn=role_arn, RoleSessionName=f"copyguard-{role}"
                )["Credentials"]
            except Exception as exc:  # ClientError, NoCredentialsError...
                using = f"profile {profile!r}" if profile else "the default credentials"
                raise LiveError(
                    f"cannot assume {role_arn} for the {role} account with {using}: {exc}"
                ) from None
            session = boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name=region,
                profile_name=profile,
            )
        if session is not None:
            sessions[role] = session
    return sessions
