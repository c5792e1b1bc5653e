"""Read a scenario file (YAML or JSON) into the model, with field paths and line numbers.

Bad files raise ``ScenarioError`` naming the file, the field path and what was expected.
Key and vault policies that do not parse are kept as issues on the model (they become CG901
findings) so the rest of the scenario is still checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from copyguard.policy import Issue, Policy, PolicyError, parse_policy
from copyguard.policy.locate import json_positions
from copyguard.scenario.model import (
    UNKNOWN,
    Copy,
    Key,
    Lifecycle,
    Organization,
    Scenario,
    Vault,
    VaultLock,
)

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
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_KEY_ARN_RE = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$")
_VAULT_ARN_RE = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:.+$")
_ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_ORG_ID_RE = re.compile(r"^o-[a-z0-9]+$")
VAULT_TYPES = ("BACKUP_VAULT", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT", "RESTORE_ACCESS_BACKUP_VAULT")


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
        self, source: str | None, positions: dict[str, tuple[int, int]], base: Path | None
    ):
        self.source = source
        self.positions = positions
        self.base = base

    def error(self, path: str, message: str) -> ScenarioError:
        pos = self.positions.get(path)
        probe = path
        while pos is None and probe:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
            pos = self.positions.get(probe)
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


def _str(c: _Ctx, v: Any, path: str, what: str = "a string") -> str:
    if not isinstance(v, str) or not v:
        raise c.error(
            path, f"expected {what}, got {_tname(v)}" + (f" {v!r}" if v not in (None, "") else "")
        )
    return v


def _account(c: _Ctx, v: Any, path: str) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**12:
        v = f"{v:012d}"
    if not isinstance(v, str) or not _ACCOUNT_RE.match(v):
        raise c.error(path, f"expected a 12-digit AWS account ID, got {v!r}")
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


def _arn(c: _Ctx, v: Any, path: str, rx: re.Pattern[str], what: str) -> str:
    if not isinstance(v, str) or not rx.match(v):
        raise c.error(path, f"expected {what}, got {v!r}")
    return v


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
        p = Path(rel)
        if not p.is_absolute() and c.base is not None:
            p = c.base / p
        try:
            text = p.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise c.error(
                fpath, f"cannot read policy file {rel!r}: {exc.strerror or exc}"
            ) from None
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
            if file_field not in obj or line is None:  # inline: the position in the scenario
                sub = f"{fpath}.{issue.path}" if issue.path else fpath
                pos = c.positions.get(sub) or c.positions.get(fpath)
                line, col = pos if pos else (None, None)
            issues.append(
                Issue(
                    issue.severity,
                    f"{fpath}.{issue.path}" if issue.path else fpath,
                    issue.message,
                    line,
                    col,
                    c.source if file_field not in obj else label,
                )
            )
        return UNKNOWN, tuple(issues), fpath
    return policy, (), fpath


def build_scenario(
    doc: Any,
    source: str | None = None,
    positions: dict[str, tuple[int, int]] | None = None,
    base: Path | None = None,
) -> Scenario:
    c = _Ctx(source, positions or {}, base)
    top = _obj(c, doc, "", ("version", "organization", "keys", "vaults", "copies"))
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
                ("id", "accounts", "cross_account_backup_enabled", "management_account", "paths"),
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
                        _ORG_ID_RE,
                        "an organization ID like o-exampleorg1",
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
                _KEY_ARN_RE,
                "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)",
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
                    if not a.startswith("alias/"):
                        raise c.error(
                            f"{path}.aliases[{j}]",
                            f"expected an alias name starting with 'alias/', got {a!r}",
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
                _VAULT_ARN_RE,
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
                else _arn(c, v["key"], f"{path}.key", _KEY_ARN_RE, "a KMS key or alias ARN")
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
                c, cp["resource_arn"], f"{path}.resource_arn", _ARN_RE, "a resource ARN"
            )
        if "resource_key" in cp:
            copy.resource_key = (
                None
                if cp["resource_key"] is None
                else _arn(
                    c,
                    cp["resource_key"],
                    f"{path}.resource_key",
                    _KEY_ARN_RE,
                    "a KMS key or alias ARN, or null for an unencrypted resource",
                )
            )
        if "source_vault" in cp:
            copy.source_vault = _arn(
                c, cp["source_vault"], f"{path}.source_vault", _VAULT_ARN_RE, "a backup vault ARN"
            )
        if "destination_vault" in cp:
            copy.destination_vault = _arn(
                c,
                cp["destination_vault"],
                f"{path}.destination_vault",
                _VAULT_ARN_RE,
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
                    ("delete_after_days", "move_to_cold_storage_after_days"),
                )
                copy.lifecycle = Lifecycle(
                    _int(c, lo["delete_after_days"], f"{path}.lifecycle.delete_after_days")
                    if lo.get("delete_after_days") is not None
                    else None,
                    _int(
                        c,
                        lo["move_to_cold_storage_after_days"],
                        f"{path}.lifecycle.move_to_cold_storage_after_days",
                    )
                    if lo.get("move_to_cold_storage_after_days") is not None
                    else None,
                )
        if "iam_role_arn" in cp:
            copy.iam_role_arn = _arn(
                c,
                cp["iam_role_arn"],
                f"{path}.iam_role_arn",
                _ROLE_ARN_RE,
                "an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            )
        if "status_message" in cp:
            copy.status_message = _str(c, cp["status_message"], f"{path}.status_message")
        sc.copies.append(copy)
    return sc


def _yaml_positions(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    node = yaml.compose(text, Loader=loader_cls)
    data = yaml.load(text, Loader=loader_cls)
    positions: dict[str, tuple[int, int]] = {}

    def walk(n: Any, path: str) -> None:
        positions.setdefault(path, (n.start_mark.line + 1, n.start_mark.column + 1))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = str(k.value)
                sub = f"{path}.{key}" if path else key
                positions.setdefault(sub, (k.start_mark.line + 1, k.start_mark.column + 1))
                walk(v, sub)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, f"{path}[{i}]")

    if node is not None:
        walk(node, "")
    return data, positions


def parse_scenario_text(text: str, source: str | None = None, base: Path | None = None) -> Scenario:
    stripped = text.lstrip()
    if not stripped:
        raise ScenarioError(
            source, "", "the file is empty; expected a scenario (version: 1, keys, vaults, copies)"
        )
    if stripped.startswith(("{", "[")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                source, "", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno
            ) from None
        positions = json_positions(text)
    else:
        import yaml

        try:
            doc, positions = _yaml_positions(text)
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
    if not isinstance(doc, dict):
        raise ScenarioError(
            source, "", f"expected a scenario object at the top level, got {_tname(doc)}"
        )
    return build_scenario(doc, source, positions, base)


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "expected a scenario file, got a directory") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ScenarioError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    return parse_scenario_text(text, str(path), p.parent)
