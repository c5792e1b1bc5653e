"""The normalised model of a cross-account copy set-up (spec section 3).

Omitted means unknown (``UNKNOWN``); ``None`` means known to be absent. Every value keeps the
field path it came from, so checks can point at it and the edge can resolve a line number.
"""

from __future__ import annotations

from copyguard.evaluate.request import account_of_arn, region_of_arn
from copyguard.policy import Issue, Policy
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final, TypeAlias, TypeVar, Union


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()
#: ``vaults[].key`` of a logically air-gapped vault encrypted with an AWS owned key (spec 3)
AWS_OWNED_KEY: Final = "aws-owned"
VAULT_TYPE_STANDARD: Final = "BACKUP_VAULT"
VAULT_TYPE_LAG: Final = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
if TYPE_CHECKING:
    T = TypeVar("T")
    Maybe: TypeAlias = Union[T, _Unknown]  # noqa: UP007 - a generic alias over a TypeVar


def known(value: object) -> bool:
    return value is not UNKNOWN


@record(slots=True)
class Organization:
    id: Maybe[str | None] = UNKNOWN
    accounts: Maybe[tuple[str, ...]] = UNKNOWN
    cross_account_backup_enabled: Maybe[bool] = UNKNOWN
    management_account: Maybe[str | None] = UNKNOWN
    paths: dict[str, list[str]] = field(default_factory=dict)  # account -> aws:PrincipalOrgPaths
    #: root or OU ID -> its name: display only (reports label accounts by OU name)
    ou_names: dict[str, str] = field(default_factory=dict)


@record(slots=True)
class Key:
    arn: str
    path: str  # "keys[0]"
    manager: Maybe[str] = UNKNOWN  # CUSTOMER | AWS
    state: Maybe[str] = UNKNOWN
    aliases: Maybe[tuple[str, ...]] = UNKNOWN
    policy: Maybe[Policy | None] = UNKNOWN
    policy_issues: tuple[Issue, ...] = ()  # errors when the policy could not be parsed
    policy_path: str = ""

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


@record(slots=True)
class VaultLock:
    min_retention_days: int | None = None
    max_retention_days: int | None = None
    changeable_for_days: int | None = None  # the grace time before compliance mode


@record(slots=True)
class Vault:
    arn: str
    path: str
    key: Maybe[str | None] = UNKNOWN
    access_policy: Maybe[Policy | None] = UNKNOWN
    access_policy_issues: tuple[Issue, ...] = ()
    lock: Maybe[VaultLock | None] = UNKNOWN
    vault_type: Maybe[str] = UNKNOWN  # BACKUP_VAULT | LOGICALLY_AIR_GAPPED_BACKUP_VAULT | ...

    @property
    def logically_air_gapped(self) -> bool:
        """A logically air-gapped vault: said so, or implied by an AWS owned key (only those
        vaults have one). An omitted vault_type otherwise reads as a standard vault."""
        if isinstance(self.vault_type, str):
            return self.vault_type == VAULT_TYPE_LAG
        return self.key == AWS_OWNED_KEY

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def name(self) -> str:
        return self.arn.split(":", 6)[-1]


@record(slots=True)
class Lifecycle:
    delete_after_days: int | None = None  # None: kept for ever (AWS's "always")
    move_to_cold_storage_after_days: int | None = None
    opt_in_to_archive_for_supported_resources: bool | None = None


@record(slots=True)
class Copy:
    name: str
    path: str
    resource_type: Maybe[str] = UNKNOWN
    resource_arn: Maybe[str] = UNKNOWN
    resource_key: Maybe[str | None] = UNKNOWN
    source_vault: Maybe[str] = UNKNOWN
    destination_vault: Maybe[str] = UNKNOWN
    lifecycle: Maybe[Lifecycle | None] = UNKNOWN
    iam_role_arn: Maybe[str] = UNKNOWN
    status_message: str | None = None  # a failed job's message, when diagnosing one

    def _account(self, arn: object) -> str | None:
        return account_of_arn(arn) if isinstance(arn, str) else None

    def _region(self, arn: object) -> str | None:
        return region_of_arn(arn) if isinstance(arn, str) else None

    @property
    def source_account(self) -> str | None:
        # the resource's own key lives in the source account too (types not fully managed)
        return (
            self._account(self.source_vault)
            or self._account(self.resource_arn)
            or self._account(self.resource_key)
        )

    @property
    def destination_account(self) -> str | None:
        return self._account(self.destination_vault)

    @property
    def source_region(self) -> str | None:
        return self._region(self.source_vault) or self._region(self.resource_arn)

    @property
    def destination_region(self) -> str | None:
        return self._region(self.destination_vault)


@record(slots=True)
class Scenario:
    version: int = 1
    organization: Maybe[Organization] = UNKNOWN
    keys: dict[str, Key] = field(default_factory=dict)
    vaults: dict[str, Vault] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    source: str | None = None  # file name
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # field path -> (line, col)
    raw: Any = None
    # quick-form facts: what the caller told us, and what it could not
    quick: bool = False
    # live reads that failed: field path -> (what could not be read, the permission it needs)
    read_failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    # values an IaC reader could not know before apply: field path -> (what, why), e.g.
    # ("plan.json: aws_kms_key.k attribute policy", "known only after apply: ...")
    unknown_reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
    # IAM principals known to exist (True) or not (False), from live reads
    principals: dict[str, bool] = field(default_factory=dict)

    def key(self, arn: Maybe[str | None]) -> Key | None:
        if not isinstance(arn, str):
            return None
        found = self.keys.get(arn)
        if found is not None:
            return found
        # an alias ARN or a bare key id may name a key we know. Aliases and key policies belong
        # to one Region: a multi-Region key's replica shares its primary's key ID but has its
        # own policy, so an alias ARN matches only in its own account and Region, and a name
        # that fits several keys (a bare mrk- ID, a bare alias) names none of them for sure.
        matches: list[Key] = []
        parts = arn.split(":")
        for key in self.keys.values():
            if isinstance(key.aliases, tuple) and arn.rsplit(":", 1)[-1] in key.aliases:
                if arn.startswith("alias/") or (
                    len(parts) >= 6 and parts[4] == key.account and parts[3] == key.region
                ):
                    matches.append(key)
            elif key.arn.rsplit("/", 1)[-1] == arn:
                matches.append(key)
        return matches[0] if len(matches) == 1 else None

    def vault(self, arn: Maybe[str]) -> Vault | None:
        if not isinstance(arn, str):
            return None
        return self.vaults.get(arn)
