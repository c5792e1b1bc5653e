"""Read a scenario file (YAML or JSON) into the model, with field paths and line numbers.

Bad files raise ``ScenarioError`` naming the file, the field path and what was expected.
Key and vault policies that do not parse are kept as issues on the model (they become CG901
findings) so the rest of the scenario is still checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from copyguard.lazyre import lazy_compile
from copyguard.policy import Issue, Policy, PolicyError, ids, parse_policy
from copyguard.policy.files import (
    KEY_POLICY_LIMIT,
    POLICY_LIMIT,
    InputFileError,
    decode_utf8,
    read_bounded,
    read_stdin_bounded,
    scenario_limit,
)
from copyguard.policy.paths import locate
from copyguard.records import record
from copyguard.scenario.limits import lifecycle_problems, lock_problems
from copyguard.scenario.model import (
    AWS_OWNED_KEY,
    UNKNOWN,
    VAULT_TYPE_LAG,
    Copy,
    Key,
    Lifecycle,
    Organization,
    Scenario,
    Vault,
    VaultLock,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

KEY_STATES = (
    "Creating",
    "Enabled",
    "Disabled",
    "PendingDeletion",
    "PendingImport",
    "PendingReplicaDeletion",
    "Unavailable",
    "Updating",
)
#: how deeply a scenario document may nest (a real one needs about 12 levels)
MAX_DEPTH = 64
#: the most nodes a YAML document may expand to through aliases, beyond its own nodes
MAX_ALIAS_EXPANSION = 100_000
#: the longest number a scenario may hold (YAML and JSON)
MAX_NUMBER_DIGITS = 64
LAG_MIN_RETENTION_DAYS = 7  # facts 9: a logically air-gapped vault keeps copies 7 days or more
VAULT_TYPES = ("BACKUP_VAULT", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", "RESTORE_ACCESS_BACKUP_VAULT")


def _check_lag_vault(c: _Ctx, vault: Vault) -> None:
    """What a logically air-gapped vault cannot be (facts 9): only it has an AWS owned key,
    and its compliance-mode lock keeps recovery points at least 7 days."""
    if vault.key == AWS_OWNED_KEY and vault.vault_type not in (UNKNOWN, VAULT_TYPE_LAG):
        raise c.error(
            f"{vault.path}.key",
            f"{AWS_OWNED_KEY!r} is the key of a logically air-gapped vault only, but vault_type "
            f"is {vault.vault_type}; expected a KMS key or alias ARN, or vault_type {VAULT_TYPE_LAG}",
        )
    lock = vault.lock
    if vault.logically_air_gapped and isinstance(lock, VaultLock):
        low = lock.min_retention_days
        if low is not None and low < LAG_MIN_RETENTION_DAYS:
            raise c.error(
                f"{vault.path}.lock.min_retention_days",
                f"expected at least {LAG_MIN_RETENTION_DAYS} for a logically air-gapped vault "
                f"(AWS refuses a smaller minimum retention), got {low}",
            )


class ScenarioError(ValueError):
    def __init__(
        self,
        source: str | None,
        path: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source, self.path, self.line, self.column = source, path, line, column
        where = source or "<scenario>"
        if line is not None:
            where += f":{line}:{column}"
        super().__init__(f"{where}: {path or '(document)'}: {message}")


class _Ctx:
    def __init__(
        self,
        source: str | None,
        positions: dict[str, tuple[int, int]],
        base: Path | None,
        written: dict[str, str] | None = None,
    ):
        self.source = source
        self.positions = positions
        self.base = base
        self.written = written or {}  # field path -> a YAML number's text as written
        self.pending_keys = False  # accept pending key ARNs (IaC readers only)
        # (check, value) already found valid: a scenario names each key and vault again in
        # every copy that uses it (10,000 copies: 42,500 ARNs, 12,000 distinct)
        self.valid: set[tuple[Callable[[str], str | None], str]] = set()
        # (alias?, pending keys?) -> its check
        self.key_checks: dict[tuple[bool, bool], Callable[[str], str | None]] = {}

    def error(self, path: str, message: str) -> ScenarioError:
        pos = locate(self.positions, path)
        return ScenarioError(self.source, path, message, *(pos or (None, None)))


def _tname(v: Any) -> str:
    return {
        type(None): "null",
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "list",
        dict: "object",
    }.get(type(v), type(v).__name__)


def _obj(c: _Ctx, v: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise c.error(path, f"expected an object, got {_tname(v)}")
    for k in v:
        if not isinstance(k, str):
            raise c.error(path, f"field names must be strings, got {k!r}")
        if k not in allowed and not k.startswith("x-") and k not in ("description", "notes"):
            raise c.error(
                f"{path}.{k}" if path else k,
                f"unknown field {k!r}; expected one of: {', '.join(allowed)}",
            )
    return v


#: an organization root or OU ID (ASCII only)
_OU_ID = lazy_compile(r"(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})", re.ASCII)


def _str(c: _Ctx, v: Any, path: str, what: str = "a string") -> str:
    if not isinstance(v, str) or not v:
        raise c.error(
            path, f"expected {what}, got {_tname(v)}" + (f" {v!r}" if v not in (None, "") else "")
        )
    return v


def _account(c: _Ctx, v: Any, path: str) -> str:
    """12 ASCII digits. A number is read as the digits written (spec section 3): YAML 1.1
    reads an unquoted ``012345670123`` as octal, so its text, not its value, is used; a
    number whose text is not 12 digits is an error, never padded or converted."""
    if isinstance(v, int) and not isinstance(v, bool):
        written = c.written.get(path, str(v))
        if ids.ACCOUNT.fullmatch(written):
            return written
        raise c.error(
            path,
            f"expected a 12-digit AWS account ID as a string, got the number {written}"
            + (f" (which YAML reads as {v})" if written != str(v) else "")
            + "; write the account ID in quotes, e.g. '012345678901'",
        )
    if not isinstance(v, str):
        raise c.error(path, f"expected a 12-digit AWS account ID, got {_tname(v)} {v!r}")
    bad = ids.account_problem(v)
    if bad:
        raise c.error(path, f"expected a 12-digit AWS account ID: {bad}")
    return v


def _bool(c: _Ctx, v: Any, path: str) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise c.error(path, f"expected true or false, got {v!r}")


def _int(c: _Ctx, v: Any, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise c.error(path, f"expected a whole number of days (0 or more), got {v!r}")
    return v


def _days_or_always(c: _Ctx, v: Any, path: str) -> int | None:
    """A retention in days, or ``always`` (the console's "Always"): kept for ever (None)."""
    if isinstance(v, str) and v.lower() == "always":
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise c.error(path, f"expected a whole number of days (1 or more) or 'always', got {v!r}")
    return v


def _arn(c: _Ctx, v: Any, path: str, check: Callable[[str], str | None], what: str) -> str:
    if not isinstance(v, str):
        raise c.error(path, f"expected {what}, got {_tname(v)} {v!r}")
    if (check, v) in c.valid:
        return v
    bad = check(v)
    if bad:
        raise c.error(path, f"expected {what}, got {v!r}: {bad}")
    c.valid.add((check, v))
    return v


def _key_or_alias(v: str) -> str | None:
    return ids.key_arn_problem(v, alias=True)


#: a key a reader saw defined but whose ID AWS assigns only when it is created (a Terraform
#: ``aws_kms_key`` in a plan): ``arn:aws:kms:REGION:ACCOUNT:key/pending:ADDRESS``. Accepted
#: only when the caller of ``build_scenario`` says ``pending_keys=True`` (the IaC readers), never
#: from a scenario file; the key is named by its reference (the resource address), never by an
#: invented ID.
PENDING_KEY_MARK = ":key/pending:"


def is_pending_key(arn: object) -> bool:
    return isinstance(arn, str) and PENDING_KEY_MARK in arn


def pending_key_arn(partition: str, region: str, account: str, address: str) -> str:
    return f"arn:{partition}:kms:{region}:{account}{PENDING_KEY_MARK}{address}"


def pending_key_problem(v: str) -> str | None:
    head, mark, address = v.partition(PENDING_KEY_MARK)
    if not mark:
        return "not a pending key (arn:aws:kms:REGION:ACCOUNT:key/pending:ADDRESS)"
    bad = ids.key_arn_problem(f"{head}:key/{ids.KEY_ID_EXAMPLE}", alias=False)
    if bad:
        return bad
    if not address or len(address) > 1024 or not address.isprintable():
        return f"the resource address {address!r} is not a printable address"
    return None


def _key_check(c: _Ctx, alias: bool) -> Callable[[str], str | None]:
    """The key ARN check of this scenario (one function per ``alias`` and ``pending_keys``:
    ``_arn`` remembers which values it passed). The function holds the two flags, not the
    context: the context holds it (``key_checks``, and every ``valid`` entry), and a reference
    cycle would keep the context, with everything it remembered, until the cyclic collector
    ran, which a command-line check switches off (``_gcpolicy.hold_for_process``)."""
    pending = c.pending_keys
    found = c.key_checks.get((alias, pending))
    if found is None:

        def check(v: str) -> str | None:
            if pending and PENDING_KEY_MARK in v:
                return pending_key_problem(v)
            return ids.key_arn_problem(v, alias=alias)

        found = c.key_checks[(alias, pending)] = check
    return found


def _policy(
    c: _Ctx, obj: dict[str, Any], field: str, path: str, kind: str
) -> tuple[Any, tuple[Issue, ...], str]:
    """The policy under ``field`` (or ``field_file``): Policy, None, or UNKNOWN, plus issues."""
    file_field = f"{field}_file"
    fpath = f"{path}.{field}"
    if field in obj and file_field in obj:
        raise c.error(fpath, f"give either {field} or {file_field}, not both")
    if file_field in obj:
        fpath = f"{path}.{file_field}"
        rel = _str(c, obj[file_field], fpath, "a file path")
        from pathlib import Path

        p = Path(rel)
        if not p.is_absolute() and c.base is not None:
            p = c.base / p
        what = "key policy" if kind == "key" else "policy"
        try:
            text = decode_utf8(
                read_bounded(p, KEY_POLICY_LIMIT if kind == "key" else POLICY_LIMIT, what),
                str(p),
                what,
            )
        except InputFileError as exc:
            raise c.error(fpath, f"cannot read policy file {rel!r}: {exc}") from None
        source: Any = text
        label = str(p)
    elif field in obj:
        source = obj[field]
        label = f"{c.source or 'scenario'}: {fpath}"
        if source is None:
            return None, (), fpath
        if not isinstance(source, (dict, str)):
            raise c.error(
                fpath, f"expected a policy object, a JSON string or null, got {_tname(source)}"
            )
        if isinstance(source, str) and not source.strip():
            return None, (), fpath
    else:
        return UNKNOWN, (), fpath
    try:
        policy: Policy = parse_policy(source, name=label, kind=kind)  # type: ignore[arg-type]
    except PolicyError as exc:
        issues = []
        for issue in exc.issues:
            line, col = issue.line, issue.column
            in_scenario = file_field not in obj or line is None
            if in_scenario:  # inline, or no position in the file: the scenario's field
                sub = f"{fpath}.{issue.path}" if issue.path else fpath
                pos = c.positions.get(sub) or c.positions.get(fpath)
                line, col = pos if pos else (None, None)
            issues.append(
                Issue(
                    issue.severity,
                    f"{fpath}.{issue.path}" if issue.path else fpath,
                    f"{label}: {issue.message}"
                    if in_scenario and file_field in obj
                    else issue.message,
                    line,
                    col,
                    c.source if in_scenario else label,
                )
            )
        return UNKNOWN, tuple(issues), fpath
    return policy, (), fpath


def build_scenario(
    doc: Any,
    source: str | None = None,
    positions: dict[str, tuple[int, int]] | None = None,
    base: Path | None = None,
    written: dict[str, str] | None = None,
    *,
    pending_keys: bool = False,
) -> Scenario:
    """``pending_keys``: accept ``key/pending:ADDRESS`` key ARNs (``PENDING_KEY_MARK``); only
    the IaC readers pass it, for keys a plan creates whose ID is not known before apply."""
    c = _Ctx(source, positions or {}, base, written)
    c.pending_keys = pending_keys
    if isinstance(doc, dict) and "Statement" in doc and not {"keys", "vaults", "copies"} & set(doc):
        import shlex

        shown = shlex.quote(source) if source and source != "-" else "-"
        raise c.error(
            "Statement",
            "this is a policy document (Version, Statement), not a scenario; to check a key "
            f"policy on its own, run the quick form: copyguard check --key-policy {shown} "
            "--source-account SOURCE_ACCOUNT_ID --destination-account DESTINATION_ACCOUNT_ID",
        )
    top = _obj(c, doc, "", ("$schema", "version", "organization", "keys", "vaults", "copies"))
    # "$schema" (top level only) names a JSON Schema for editors (`copyguard schema scenario`);
    # copyguard itself ignores it
    if "$schema" in top and not isinstance(top["$schema"], str):
        got = _tname(top["$schema"])
        raise c.error("$schema", f"expected a string (the JSON Schema's URL or path), got {got}")
    version = top.get("version", 1)
    if version != 1:
        raise c.error("version", f"unsupported scenario version {version!r}; expected 1")
    sc = Scenario(version=1, source=source, positions=c.positions, raw=doc)
    if "organization" in top:
        org = top["organization"]
        if org is None:
            sc.organization = Organization(
                id=None, accounts=(), cross_account_backup_enabled=False, management_account=None
            )
        else:
            o = _obj(
                c,
                org,
                "organization",
                (
                    "id",
                    "accounts",
                    "cross_account_backup_enabled",
                    "management_account",
                    "paths",
                    "ou_names",
                ),
            )
            model = Organization()
            if "id" in o:
                model.id = (
                    None
                    if o["id"] is None
                    else _arn(
                        c,
                        o["id"],
                        "organization.id",
                        ids.org_id_problem,
                        "an organization ID like o-a1b2c3d4e5",
                    )
                )
            if "accounts" in o:
                if not isinstance(o["accounts"], list):
                    raise c.error(
                        "organization.accounts",
                        f"expected a list of account IDs, got {_tname(o['accounts'])}",
                    )
                model.accounts = tuple(
                    _account(c, a, f"organization.accounts[{i}]")
                    for i, a in enumerate(o["accounts"])
                )
            if "cross_account_backup_enabled" in o:
                model.cross_account_backup_enabled = _bool(
                    c,
                    o["cross_account_backup_enabled"],
                    "organization.cross_account_backup_enabled",
                )
            if "management_account" in o:
                model.management_account = (
                    None
                    if o["management_account"] is None
                    else _account(c, o["management_account"], "organization.management_account")
                )
            if "paths" in o:
                paths = _obj(
                    c, o["paths"], "organization.paths", tuple(str(k) for k in (o["paths"] or {}))
                )
                for acct, value in paths.items():
                    vals = value if isinstance(value, list) else [value]
                    model.paths[_account(c, acct, f"organization.paths.{acct}")] = [
                        _str(c, v, f"organization.paths.{acct}") for v in vals
                    ]
            if o.get("ou_names") is not None:
                ou_names = _obj(
                    c,
                    o["ou_names"],
                    "organization.ou_names",
                    tuple(str(k) for k in (o["ou_names"] or {})),
                )
                for ou, name in ou_names.items():
                    where = f"organization.ou_names.{ou}"
                    if not _OU_ID.fullmatch(str(ou)):
                        raise c.error(where, "expected a root ID (r-...) or an OU ID (ou-...-...)")
                    if len(_str(c, name, where, "the OU's name")) > 128:
                        raise c.error(where, "expected a name of at most 128 characters")
                    model.ou_names[str(ou)] = name
            sc.organization = model
    for section in ("keys", "vaults", "copies"):
        if section in top and top[section] is not None and not isinstance(top[section], list):
            raise c.error(section, f"expected a list, got {_tname(top[section])}")
    for i, raw in enumerate(top.get("keys") or []):
        path = f"keys[{i}]"
        k = _obj(
            c,
            raw,
            path,
            ("arn", "manager", "state", "aliases", "policy", "policy_file", "multi_region"),
        )
        if "arn" not in k:
            raise c.error(path, "missing required field 'arn' (the key ARN)")
        key = Key(
            arn=_arn(
                c,
                k["arn"],
                f"{path}.arn",
                _key_check(c, alias=False),
                "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY_ID)",
            ),
            path=path,
        )
        if key.arn in sc.keys:
            raise c.error(
                f"{path}.arn", f"duplicate key {key.arn} (also at {sc.keys[key.arn].path})"
            )
        if "manager" in k:
            m = _str(c, k["manager"], f"{path}.manager", "CUSTOMER or AWS").upper()
            if m not in ("CUSTOMER", "AWS"):
                raise c.error(f"{path}.manager", f"expected CUSTOMER or AWS, got {k['manager']!r}")
            key.manager = m
        if "state" in k:
            s = _str(c, k["state"], f"{path}.state", "a KMS KeyState")
            match = {x.lower(): x for x in KEY_STATES}.get(s.lower())
            if match is None:
                raise c.error(
                    f"{path}.state", f"expected one of {', '.join(KEY_STATES)}, got {s!r}"
                )
            key.state = match
        if "aliases" in k:
            al = k["aliases"]
            if al is None:
                key.aliases = ()
            elif not isinstance(al, list):
                raise c.error(
                    f"{path}.aliases", f"expected a list of alias names, got {_tname(al)}"
                )
            else:
                alias_names = []
                for j, a in enumerate(al):
                    a = _str(c, a, f"{path}.aliases[{j}]", "an alias name like alias/my-key")
                    if a.startswith("arn:"):
                        a = a.split(":", 5)[5]
                    bad = ids.alias_name_problem(a)
                    if bad:
                        raise c.error(
                            f"{path}.aliases[{j}]",
                            f"expected an alias name like alias/my-key: {bad}",
                        )
                    alias_names.append(a)
                key.aliases = tuple(alias_names)
        key.policy, key.policy_issues, key.policy_path = _policy(c, k, "policy", path, "key")
        sc.keys[key.arn] = key
    for i, raw in enumerate(top.get("vaults") or []):
        path = f"vaults[{i}]"
        v = _obj(
            c,
            raw,
            path,
            ("arn", "key", "access_policy", "access_policy_file", "lock", "vault_type"),
        )
        if "arn" not in v:
            raise c.error(path, "missing required field 'arn' (the backup vault ARN)")
        vault = Vault(
            arn=_arn(
                c,
                v["arn"],
                f"{path}.arn",
                ids.vault_arn_problem,
                "a backup vault ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME)",
            ),
            path=path,
        )
        if vault.arn in sc.vaults:
            raise c.error(f"{path}.arn", f"duplicate vault {vault.arn}")
        if "key" in v:
            vault.key = (
                None
                if v["key"] is None
                else AWS_OWNED_KEY
                if v["key"] == AWS_OWNED_KEY
                else _arn(
                    c,
                    v["key"],
                    f"{path}.key",
                    _key_check(c, alias=True),
                    f"a KMS key or alias ARN (or {AWS_OWNED_KEY!r} for a logically air-gapped vault)",
                )
            )
        vault.access_policy, vault.access_policy_issues, _ = _policy(
            c, v, "access_policy", path, "resource"
        )
        if "lock" in v:
            lock = v["lock"]
            if lock is None:
                vault.lock = None
            else:
                lk = _obj(
                    c,
                    lock,
                    f"{path}.lock",
                    ("min_retention_days", "max_retention_days", "changeable_for_days"),
                )
                vl = VaultLock()
                if lk.get("min_retention_days") is not None:
                    vl.min_retention_days = _int(
                        c, lk["min_retention_days"], f"{path}.lock.min_retention_days"
                    )
                if lk.get("max_retention_days") is not None:
                    vl.max_retention_days = _int(
                        c, lk["max_retention_days"], f"{path}.lock.max_retention_days"
                    )
                if lk.get("changeable_for_days") is not None:
                    vl.changeable_for_days = _int(
                        c, lk["changeable_for_days"], f"{path}.lock.changeable_for_days"
                    )
                if (
                    vl.min_retention_days is not None
                    and vl.max_retention_days is not None
                    and vl.min_retention_days > vl.max_retention_days
                ):
                    raise c.error(
                        f"{path}.lock", "min_retention_days is larger than max_retention_days"
                    )
                vault.lock = vl
        if "vault_type" in v:
            vt = _str(
                c,
                v["vault_type"],
                f"{path}.vault_type",
                "BACKUP_VAULT or LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
            )
            if vt.upper() not in VAULT_TYPES:
                raise c.error(
                    f"{path}.vault_type", f"expected one of {', '.join(VAULT_TYPES)}, got {vt!r}"
                )
            vault.vault_type = vt.upper()
        _check_lag_vault(c, vault)
        if isinstance(vault.lock, VaultLock):  # AWS's Vault Lock limits (scenario/limits.py)
            for field_path, expected in lock_problems(
                vault.lock, f"{path}.lock", air_gapped=vault.logically_air_gapped
            ):
                raise c.error(field_path, expected)
        sc.vaults[vault.arn] = vault
    names: set[str] = set()
    for i, raw in enumerate(top.get("copies") or []):
        path = f"copies[{i}]"
        cp = _obj(
            c,
            raw,
            path,
            (
                "name",
                "resource_type",
                "resource_arn",
                "resource_key",
                "source_vault",
                "destination_vault",
                "lifecycle",
                "iam_role_arn",
                "status_message",
            ),
        )
        name = (
            _str(c, cp["name"], f"{path}.name", "a copy name") if "name" in cp else f"copy-{i + 1}"
        )
        if name in names:
            raise c.error(f"{path}.name", f"duplicate copy name {name!r}")
        names.add(name)
        copy = Copy(name=name, path=path)
        if "resource_type" in cp:
            copy.resource_type = _str(
                c,
                cp["resource_type"],
                f"{path}.resource_type",
                "an AWS Backup resource type such as EBS or RDS",
            )
        if "resource_arn" in cp:
            copy.resource_arn = _arn(
                c,
                cp["resource_arn"],
                f"{path}.resource_arn",
                ids.resource_arn_problem,
                "a resource ARN",
            )
        if "resource_key" in cp:
            copy.resource_key = (
                None
                if cp["resource_key"] is None
                else _arn(
                    c,
                    cp["resource_key"],
                    f"{path}.resource_key",
                    _key_check(c, alias=True),
                    "a KMS key or alias ARN, or null for an unencrypted resource",
                )
            )
        if "source_vault" in cp:
            copy.source_vault = _arn(
                c,
                cp["source_vault"],
                f"{path}.source_vault",
                ids.vault_arn_problem,
                "a backup vault ARN",
            )
        if "destination_vault" in cp:
            copy.destination_vault = _arn(
                c,
                cp["destination_vault"],
                f"{path}.destination_vault",
                ids.vault_arn_problem,
                "a backup vault ARN",
            )
        if "lifecycle" in cp:
            lc = cp["lifecycle"]
            if lc is None:
                copy.lifecycle = None
            else:
                lo = _obj(
                    c,
                    lc,
                    f"{path}.lifecycle",
                    (
                        "delete_after_days",
                        "move_to_cold_storage_after_days",
                        "opt_in_to_archive_for_supported_resources",
                    ),
                )
                copy.lifecycle = Lifecycle(
                    _days_or_always(
                        c, lo["delete_after_days"], f"{path}.lifecycle.delete_after_days"
                    )
                    if lo.get("delete_after_days") is not None
                    else None,
                    _int(
                        c,
                        lo["move_to_cold_storage_after_days"],
                        f"{path}.lifecycle.move_to_cold_storage_after_days",
                    )
                    if lo.get("move_to_cold_storage_after_days") is not None
                    else None,
                    _bool(
                        c,
                        lo["opt_in_to_archive_for_supported_resources"],
                        f"{path}.lifecycle.opt_in_to_archive_for_supported_resources",
                    )
                    if lo.get("opt_in_to_archive_for_supported_resources") is not None
                    else None,
                )
                for field_path, expected in lifecycle_problems(copy.lifecycle, f"{path}.lifecycle"):
                    raise c.error(field_path, expected)
        if "iam_role_arn" in cp:
            copy.iam_role_arn = _arn(
                c,
                cp["iam_role_arn"],
                f"{path}.iam_role_arn",
                ids.role_arn_problem,
                "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            )
        if "status_message" in cp:
            copy.status_message = _str(c, cp["status_message"], f"{path}.status_message")
        sc.copies.append(copy)
    return sc


def _number_error(source: str | None, written: str) -> str:
    return (
        f"a number with {len(written)} characters ({written[:20]}...); expected at most "
        f"{MAX_NUMBER_DIGITS} (account IDs are written in quotes)"
    )


def _yaml_document(
    text: str, source: str | None
) -> tuple[Any, dict[str, tuple[int, int]], dict[str, str]]:
    """The YAML document, every field path's position, and the text of every integer.

    The node graph is walked once, without recursion, before anything is constructed: it
    may be at most ``MAX_DEPTH`` deep and expand through aliases to at most its text's
    length plus ``MAX_ALIAS_EXPANSION`` nodes (a "billion laughs" document is refused in
    milliseconds); numbers longer than ``MAX_NUMBER_DIGITS`` and duplicate keys are refused.
    A usual document is read from the parser's events instead (:func:`_plain_yaml_document`,
    the same result without the node graph in memory).
    """
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    plain = _plain_yaml_document(text, loader_cls)
    if plain is not None:
        return plain
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        positions: dict[str, tuple[int, int]] = {}
        written: dict[str, str] = {}
        if node is None:
            return None, positions, written
        budget = len(text) + MAX_ALIAS_EXPANSION

        def fail(n: Any, path: str, message: str) -> ScenarioError:
            return ScenarioError(
                source, path, message, n.start_mark.line + 1, n.start_mark.column + 1
            )

        stack: list[tuple[Any, str, int]] = [(node, "", 0)]
        while stack:
            n, path, depth = stack.pop()
            budget -= 1
            if budget < 0:
                raise fail(
                    n,
                    path,
                    "the YAML aliases (*name) expand to too many values (an alias bomb?); "
                    f"expected at most {MAX_ALIAS_EXPANSION:,} values beyond the file's own",
                )
            if depth > MAX_DEPTH:
                raise fail(n, path, f"nested too deeply; expected at most {MAX_DEPTH} levels")
            positions.setdefault(path, (n.start_mark.line + 1, n.start_mark.column + 1))
            if isinstance(n, yaml.ScalarNode):
                if n.tag.endswith((":int", ":float")) and len(n.value) > MAX_NUMBER_DIGITS:
                    raise fail(n, path, _number_error(source, n.value))
                if n.tag.endswith(":int"):
                    written[path] = n.value
            elif isinstance(n, yaml.MappingNode):
                seen: set[str] = set()
                for k, v in reversed(n.value):
                    key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
                    sub = f"{path}.{key}" if path else key
                    if isinstance(k, yaml.ScalarNode) and key != "<<":
                        if key in seen:
                            raise fail(k, sub, f"duplicate field {key!r}")
                        seen.add(key)
                    if (
                        isinstance(k, yaml.ScalarNode)
                        and len(k.value) > MAX_NUMBER_DIGITS
                        and (k.tag.endswith((":int", ":float")))
                    ):
                        raise fail(k, sub, _number_error(source, k.value))
                    positions.setdefault(sub, (k.start_mark.line + 1, k.start_mark.column + 1))
                    stack.append((v, sub, depth + 1))
            elif isinstance(n, yaml.SequenceNode):
                for i in range(len(n.value) - 1, -1, -1):
                    stack.append((n.value[i], f"{path}[{i}]", depth + 1))
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, positions, written


#: the scalar tags :func:`_plain_yaml_document` constructs (with the safe constructor's own
#: functions); any other tag goes the node graph's way
_PLAIN_SCALAR_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")
)
_PLAIN_MAP, _PLAIN_SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_PLAIN_STR = "tag:yaml.org,2002:str"


class _NotPlain(Exception):
    """The document needs :func:`_yaml_document`'s node graph (or is invalid)."""


def _plain_yaml_document(
    text: str, loader_cls: Any
) -> tuple[Any, dict[str, tuple[int, int]], dict[str, str]] | None:
    """What :func:`_yaml_document` returns, for the usual scenario file, built straight from
    the parser's events: no node graph (about 365 bytes a node with its marks, 2.5 GB for a
    100,000-copy file) held whole before the document is constructed, and the positions kept
    as one packed mark and one subtree size per value, mapped to paths when asked
    (``scenario/positions.py``, :class:`YamlPositions`: the node graph's map, 16 bytes a
    value instead of 192). Tags are resolved and scalars constructed by the loader's own
    ``resolve`` and constructors; an alias is the anchored value itself, as the constructor
    makes it, and its fields get the positions and integer texts of the anchored ones, as
    the node graph's walk gives them. None, and nothing kept, for anything else: a merge key
    (``<<``), a key that is not a plain scalar, another tag, an anchor defined twice or used
    inside itself, a duplicate key (or two keys constructed equal), a long number, a
    document too deep, too large through its aliases or not single, two integers with one
    path, a parse error: the node graph's path then decides, with its messages."""
    from array import array

    import yaml
    from yaml import events

    from copyguard.scenario.positions import YamlPositions

    loader = loader_cls(text)
    marks = array("Q")  # each value's position, in the node graph's walk order
    spans = array("Q")  # how many marks each value and what is inside it take
    names: dict[int, str] = {}  # a key's mark -> the key as written, if not the key itself
    written: dict[str, str] = {}
    # what the fields of a value with an anchor need when an alias repeats it elsewhere
    anchors: dict[str, _Anchor] = {}
    opened: set[str] = set()
    written_log: list[tuple[str, str]] = []  # integers met while an anchor is open
    names_log: list[tuple[int, str]] = []  # and keys written otherwise
    state = {"budget": len(text) + MAX_ALIAS_EXPANSION, "nodes": 0, "deepest": 0, "kept": 0}

    def pack(ev: Any) -> int:  # an event's position, as marks keeps it
        mark = ev.start_mark
        packed: int = mark.line << 32 | mark.column
        return packed

    def place(mark: int) -> int:
        marks.append(mark)
        spans.append(1)
        return len(marks) - 1

    def write(path: str, digits: str) -> None:
        # two integers with one path (a key written with "." or "["): which text stays is
        # the node graph's walk order
        if path in written:
            raise _NotPlain
        written[path] = digits
        if opened:
            written_log.append((path, digits))

    def count(nodes: int, depth: int) -> None:
        state["budget"] -= nodes
        state["nodes"] += nodes
        if state["budget"] < 0 or depth > MAX_DEPTH:
            raise _NotPlain
        state["deepest"] = max(state["deepest"], depth)

    # the loader as PyYAML makes it (no path resolvers, its own constructor of strings): a
    # plain scalar's tag depends on its text alone, a quoted one's is the default, and a
    # string is its text; otherwise every scalar goes through resolve and the constructor
    usual = not loader.yaml_path_resolvers and loader.yaml_constructors.get(_PLAIN_STR) is getattr(
        yaml.constructor.SafeConstructor, "construct_yaml_str", None
    )
    plain_tags: dict[str, str] = {}  # a plain scalar's text -> its tag (texts repeat)
    keys: dict[str, str] = {}  # one string per key text, as json's reader shares them

    def scalar(ev: Any) -> tuple[Any, str]:
        tag = ev.tag
        if tag is None or tag == "!":
            if not usual:
                tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
            elif ev.implicit[0]:
                tag = plain_tags.get(ev.value)
                if tag is None:
                    tag = plain_tags[ev.value] = loader.resolve(
                        yaml.ScalarNode, ev.value, ev.implicit
                    )
            else:
                tag = loader.DEFAULT_SCALAR_TAG
        if tag == _PLAIN_STR and usual:
            return ev.value, tag
        if tag not in _PLAIN_SCALAR_TAGS:
            raise _NotPlain
        if tag.endswith((":int", ":float")) and len(ev.value) > MAX_NUMBER_DIGITS:
            raise _NotPlain
        node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
        return loader.yaml_constructors[tag](loader, node), tag

    def alias(ev: Any, path: str, depth: int, at: int | None) -> Any:
        found = anchors.get(ev.anchor)
        if found is None:  # not defined, or used inside itself
            raise _NotPlain
        count(found.nodes, depth + found.depth)
        if at is None:
            at = place(found.mark)
        base = len(marks)  # where the copy of its fields' marks starts
        marks.extend(marks[found.start : found.end])
        spans.extend(spans[found.start : found.end])
        spans[at] = len(marks) - at
        for offset, name in found.names:
            names[offset + base] = name
            if opened:
                names_log.append((offset + base, name))
        for suffix, digits in found.written:
            write(path + suffix, digits)
        return found.data

    def value(ev: Any, path: str, depth: int, at: int | None = None) -> Any:
        """The value that starts with ``ev`` (its events read to its end), at ``path``;
        ``at``: the mark of its key (a mapping's value), placed already."""
        if isinstance(ev, events.AliasEvent):
            return alias(ev, path, depth, at)
        count(1, depth)
        if at is None:
            at = place(pack(ev))
        anchor = ev.anchor
        if anchor is None:
            data = content(ev, path, depth)
            spans[at] = len(marks) - at
            return data
        if anchor in anchors or anchor in opened:
            raise _NotPlain
        opened.add(anchor)
        written_start, names_start, nodes = len(written_log), len(names_log), state["nodes"]
        outer_deepest, state["deepest"] = state["deepest"], depth
        data = content(ev, path, depth)
        spans[at] = len(marks) - at
        cut = len(path)
        # what anchors keep is bounded like the aliases' expansion: anchors nested in anchors
        # would each keep the integers and keys of all those inside
        state["kept"] += len(written_log) - written_start + len(names_log) - names_start
        if state["kept"] > len(text) + MAX_ALIAS_EXPANSION:
            raise _NotPlain
        anchors[anchor] = _Anchor(
            data,
            pack(ev),
            at + 1,
            len(marks),
            [(k - at - 1, n) for k, n in names_log[names_start:]],
            [(p[cut:], d) for p, d in written_log[written_start:]],
            state["nodes"] - nodes + 1,
            state["deepest"] - depth,
        )
        state["deepest"] = max(outer_deepest, state["deepest"])
        opened.discard(anchor)
        if not opened:
            written_log.clear()
            names_log.clear()
        return data

    def plain_collection(ev: Any, node_cls: Any, tag: str) -> None:
        # a list or mapping with no tag (or its own) that resolves to the plain one
        if ev.tag not in (None, "!", tag) or (
            ev.tag != tag and loader.resolve(node_cls, None, ev.implicit) != tag
        ):
            raise _NotPlain

    def content(ev: Any, path: str, depth: int) -> Any:
        if isinstance(ev, events.ScalarEvent):
            data, tag = scalar(ev)
            if tag.endswith(":int"):
                write(path, ev.value)
            return data
        if isinstance(ev, events.SequenceStartEvent):
            plain_collection(ev, yaml.SequenceNode, _PLAIN_SEQ)
            items: list[Any] = []
            item = loader.get_event()
            while not isinstance(item, events.SequenceEndEvent):
                items.append(value(item, f"{path}[{len(items)}]", depth + 1))
                item = loader.get_event()
            return items
        if not isinstance(ev, events.MappingStartEvent):
            raise _NotPlain
        plain_collection(ev, yaml.MappingNode, _PLAIN_MAP)
        mapping: dict[Any, Any] = {}
        seen: set[str] = set()
        key_ev = loader.get_event()
        while not isinstance(key_ev, events.MappingEndEvent):
            if not isinstance(key_ev, events.ScalarEvent) or key_ev.anchor is not None:
                raise _NotPlain
            name = str(key_ev.value)
            if name == "<<" or name in seen:
                raise _NotPlain
            seen.add(name)
            sub = f"{path}.{name}" if path else name
            key, _tag = scalar(key_ev)
            if type(key) is str:
                key = keys.setdefault(key, key)
            at = place(pack(key_ev))
            if key != name or type(key) is not str:
                names[at] = name
                if opened:
                    names_log.append((at, name))
            size = len(mapping)
            mapping[key] = value(loader.get_event(), sub, depth + 1, at)
            if len(mapping) == size:  # two keys constructed equal (1 and 0x1)
                raise _NotPlain
            key_ev = loader.get_event()
        return mapping

    try:
        if not isinstance(loader.get_event(), events.StreamStartEvent):
            return None
        first = loader.get_event()
        if isinstance(first, events.StreamEndEvent):
            return None, {}, written
        if not isinstance(first, events.DocumentStartEvent):
            return None
        data = value(loader.get_event(), "", 0)
        if not isinstance(loader.get_event(), events.DocumentEndEvent):
            return None
        if not isinstance(loader.get_event(), events.StreamEndEvent):
            return None  # more than one document
        return data, YamlPositions(data, marks, spans, names), written
    except Exception:  # _NotPlain, or anything the node graph's path reports itself
        return None
    finally:
        loader.dispose()
        # the walk's functions call one another through this frame's cells: emptied, they
        # and the loader go with the frame, not with a later run of the cyclic collector
        # (which a command-line check switches off: _gcpolicy.hold_for_process)
        value = content = alias = None  # type: ignore[assignment]


@record(slots=True)
class _Anchor:
    """A value with an anchor, as :func:`_plain_yaml_document` repeats it for an alias."""

    data: Any
    mark: int  # the value's own position, packed (an alias in a list gets it)
    start: int  # its fields' marks: marks[start:end]
    end: int
    names: list[tuple[int, str]]  # its keys written otherwise: offset from start, name
    written: list[tuple[str, str]]  # its integers' texts: path suffix, digits
    nodes: int  # values in it, each alias counted as what it stands for
    depth: int  # how much deeper than itself it goes


#: an escape of a surrogate (JSON and YAML ``\\uD800``-``\\uDFFF``, YAML ``\\U0000D800``); an
#: escaped backslash before "u" or an escaped surrogate pair only costs the walk that finds none
_SURROGATE_ESCAPE = lazy_compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def _may_hold_surrogates(text: str) -> bool:
    """False when no string read from ``text`` (JSON, or YAML's safe constructors) can hold
    a lone surrogate: the text has neither an escape of one nor one itself (which strict
    UTF-8 cannot encode), so :func:`_check_strings` has nothing to find (a tenth of reading
    a large scenario, spared). A few milliseconds for 10 MB: the escape's search runs on its
    leading backslash, and an ASCII text holds no surrogate (``isascii`` is a flag)."""
    if _SURROGATE_ESCAPE.search(text) is not None:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_strings(doc: Any, source: str | None, positions: dict[str, tuple[int, int]]) -> None:
    """No lone surrogates (``"\\ud800"`` in JSON or YAML): they are not Unicode text."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    seen: set[int] = set()
    while stack:
        v, path = stack.pop()
        if isinstance(v, str):
            bad = ids.text_problem(v) if not v.isascii() else None
            if bad and "surrogate" in bad:
                pos = positions.get(path)
                raise ScenarioError(source, path, f"not valid text: {bad}", *(pos or (None, None)))
        elif isinstance(v, (dict, list)):
            if id(v) in seen:  # a YAML alias: already checked
                continue
            seen.add(id(v))
            if isinstance(v, dict):
                for k, item in v.items():
                    sub = f"{path}.{k}" if path else str(k)
                    stack.append((k, path))
                    stack.append((item, sub))
            else:
                stack.extend((item, f"{path}[{i}]") for i, item in enumerate(v))


def _json_document(text: str, source: str | None) -> Any:
    def constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number; expected a finite number")

    def integer(written: str) -> int:
        if len(written) > MAX_NUMBER_DIGITS:
            raise ValueError(_number_error(source, written))
        return int(written)

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise ValueError(f"duplicate field {k!r}")
            out[k] = v
        return out

    try:
        return json.loads(
            text, parse_constant=constant, parse_int=integer, object_pairs_hook=unique
        )
    except json.JSONDecodeError as exc:
        raise ScenarioError(source, "", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise ScenarioError(
            source, "", f"invalid JSON: nested too deeply; expected at most {MAX_DEPTH} levels"
        ) from None
    except ValueError as exc:
        raise ScenarioError(source, "", f"invalid JSON: {exc}") from None


def _json_depth_ok(doc: Any) -> bool:
    """Whether no value of ``doc`` is more than ``MAX_DEPTH`` levels below it (the document
    is level 0): no list or object with something in it at level ``MAX_DEPTH``. Walked a
    level at a time, over lists and objects only (most values are neither)."""
    level = [doc] if isinstance(doc, (dict, list)) else []
    depth = 0
    while level:
        inner: list[Any] = []
        for v in level:
            if not v:
                continue
            if depth >= MAX_DEPTH:
                return False
            inner.extend(
                [
                    x
                    for x in (v.values() if isinstance(v, dict) else v)
                    if isinstance(x, (dict, list))
                ]
            )
        level = inner
        depth += 1
    return True


def parse_scenario_text(text: str, source: str | None = None, base: Path | None = None) -> Scenario:
    """Parse a scenario document (YAML or JSON text) into the model.

    The cyclic garbage collector is paused while the document is read: reading allocates
    millions of objects that all stay alive (the node graph, the document, the model), and
    each collection would walk them all for nothing (it doubled the time of reading a
    10,000-copy YAML scenario; bench/README.md). Reference counting still frees everything
    at once, and the collector is switched back on (if it was on) however reading ends."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse_scenario_text(text, source, base)
    finally:
        if was_enabled:
            gc.enable()


def _parse_scenario_text(text: str, source: str | None, base: Path | None) -> Scenario:
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.lstrip()
    if not stripped:
        raise ScenarioError(
            source, "", "the file is empty; expected a scenario (version: 1, keys, vaults, copies)"
        )
    written: dict[str, str] = {}
    if stripped.startswith(("{", "[")):
        doc = _json_document(text, source)
        if not _json_depth_ok(doc):
            raise ScenarioError(
                source, "", f"invalid JSON: nested too deeply; expected at most {MAX_DEPTH} levels"
            )
        from copyguard.scenario.positions import JsonPositions

        positions: dict[str, tuple[int, int]] = JsonPositions(text)  # mapped when read
    else:
        import yaml

        try:
            doc, positions, written = _yaml_document(text, source)
        except ScenarioError:
            raise
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            raise ScenarioError(
                source,
                "",
                f"invalid YAML: {exc.problem or exc}",
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
            ) from None
        except yaml.YAMLError as exc:
            raise ScenarioError(source, "", f"invalid YAML: {exc}") from None
        except RecursionError:
            raise ScenarioError(
                source, "", f"invalid YAML: nested too deeply; expected at most {MAX_DEPTH} levels"
            ) from None
        except ValueError as exc:  # a constructor's own error (a timestamp out of range...)
            raise ScenarioError(source, "", f"invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ScenarioError(
            source, "", f"expected a scenario object at the top level, got {_tname(doc)}"
        )
    if _may_hold_surrogates(text):
        _check_strings(doc, source, positions)
    return build_scenario(doc, source, positions, base, written)


def read_input_text(path: str | Path, what: str) -> tuple[str, str]:
    """(label, text) of one input file (``-``: standard input), at most ``scenario_limit()``
    bytes (``SCENARIO_LIMIT`` unless ``--max-input-size`` set another) of strict UTF-8;
    ``what`` names it in errors. A file that cannot be read raises :class:`ScenarioError`."""
    label = "<stdin>" if str(path) == "-" else str(path)
    limit = scenario_limit()
    try:
        if str(path) == "-":
            data = read_stdin_bounded(limit, what)
        else:
            data = read_bounded(path, limit, what)
        return label, decode_utf8(data, label, what)
    except InputFileError as exc:
        message = str(exc)
        prefix = f"{label}: "
        message = message[len(prefix) :] if message.startswith(prefix) else message
        if "larger than the limit" in message:
            message += " (copyguard check and fix: --max-input-size SIZE sets another bound)"
        raise ScenarioError(label, "", message) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (``-``: standard input), at most ``scenario_limit()`` bytes."""
    from pathlib import Path

    label, text = read_input_text(path, "scenario")
    base = Path.cwd() if str(path) == "-" else Path(path).parent
    return parse_scenario_text(text, label, base)
