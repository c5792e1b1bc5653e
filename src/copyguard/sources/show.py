"""What copyguard understood from its inputs (``check``/``fix`` ``--show-inputs``), each fact
with where it came from, and what stayed unknown and why. Pure: a document (``describe``) and
its text form (``render_text``); the JSON shape is documented in docs/formats.md.
"""

from __future__ import annotations

import re
from typing import Any

from copyguard.policy.paths import locate
from copyguard.sources.merge import Loaded, Origin, where

#: the facts listed per section, in this order
FIELDS: dict[str, tuple[str, ...]] = {
    "organization": ("id", "accounts", "cross_account_backup_enabled", "management_account"),
    "keys": ("manager", "state", "aliases", "multi_region", "policy"),
    "vaults": ("vault_type", "key", "access_policy", "lock"),
    "copies": (
        "source_vault",
        "destination_vault",
        "lifecycle",
        "iam_role_arn",
        "resource_type",
        "resource_arn",
        "resource_key",
    ),
}
#: the protected resource's facts (listed apart, from the copy that backs it up)
PROTECTED = ("resource_type", "resource_arn", "resource_key")
_FILE_FIELDS = {"policy": "policy_file", "access_policy": "access_policy_file"}
_TF = {
    "keys.manager": "(resource type)",
    "vaults.vault_type": "(resource type)",
    "keys.state": "is_enabled",
    "keys.aliases": "aws_kms_alias.name",
    "vaults.key": "kms_key_arn",
    "vaults.access_policy": "aws_backup_vault_policy.policy",
    "vaults.lock": "aws_backup_vault_lock_configuration",
    "copies.source_vault": "rule.target_vault_name",
    "copies.destination_vault": "rule.copy_action.destination_vault_arn",
    "copies.lifecycle": "rule.copy_action.lifecycle",
    "copies.iam_role_arn": "aws_backup_selection.iam_role_arn",
    "copies.resource_key": "kms_key_id",
    "copies.resource_arn": "arn",
    "copies.resource_type": "type",
    "organization.accounts": "accounts",
    "organization.cross_account_backup_enabled": "aws_backup_global_settings.global_settings",
}
_CFN = {
    "keys.policy": "KeyPolicy",
    "keys.state": "Enabled",
    "keys.multi_region": "MultiRegion",
    "keys.aliases": "AWS::KMS::Alias.AliasName",
    "keys.manager": "Type",
    "vaults.key": "EncryptionKeyArn",
    "vaults.access_policy": "AccessPolicy",
    "vaults.lock": "LockConfiguration",
    "vaults.vault_type": "Type",
    "copies.source_vault": "BackupPlanRule.TargetBackupVault",
    "copies.destination_vault": "CopyActions.DestinationBackupVaultArn",
    "copies.lifecycle": "CopyActions.Lifecycle",
    "copies.iam_role_arn": "BackupSelection.IamRoleArn",
    "copies.resource_key": "KmsKeyId",
    "copies.resource_type": "Type",
    "copies.resource_arn": "BackupSelection.Resources",
}


def _attribute(kind: str, section: str, name: str) -> str:
    """The attribute or property of the input that says the fact (scenario: the field)."""
    key = f"{section}.{name}"
    if kind == "terraform":
        return _TF.get(key, name)
    if kind in ("cloudformation", "cdk"):
        return _CFN.get(key, name)
    return name


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _source(origin: Origin | None, own: str, sub: str, attribute: str | None) -> dict[str, Any]:
    """Where one fact came from: input file, line, address/logical ID, construct path."""
    if origin is None:
        return {"input": None, "line": None}
    head = own.partition(".")[0] if own else ""
    pos = None
    if attribute and own:
        for probe in (own, f"{head}.{_snake(attribute.rpartition('.')[2])}"):
            pos = origin.positions.get(probe)
            if pos:
                break
    if pos is None:
        pos = locate(origin.positions, own) if own else None
    out: dict[str, Any] = {"input": origin.file, "line": pos[0] if pos else None}
    address = origin.addresses.get(sub) if sub in origin.addresses else origin.address
    if address:
        out["address"] = address
    construct = (
        origin.construct_paths.get(sub) if sub in origin.addresses else origin.construct_path
    )
    if construct:
        out["construct_path"] = construct
    if attribute:
        out["attribute"] = attribute
    return out


def _value(raw: dict[str, Any], name: str) -> tuple[bool, Any]:
    if name in raw:
        return True, raw[name]
    alt = _FILE_FIELDS.get(name)
    if alt and alt in raw:
        return True, {"file": raw[alt]}
    return False, None


def describe(loaded: Loaded) -> dict[str, Any]:
    """The document of ``--show-inputs`` (docs/formats.md, "What was read")."""
    sc = loaded.scenario
    raw = sc.raw if isinstance(sc.raw, dict) else {}
    single = not loaded.origins
    fallback = Origin(loaded.labels[0], "", sc.positions) if single and loaded.labels else None
    reasons = dict(sc.unknown_reasons)
    used: set[str] = set()

    def origin_of(path: str) -> tuple[Origin | None, str]:
        if single:
            return fallback, path
        found = where(loaded.origins, path)
        return found if found else (None, path)

    def fact(section: str, entry_path: str, entry: dict[str, Any], name: str) -> dict[str, Any]:
        path = f"{entry_path}.{name}"
        origin, own = origin_of(path)
        kind = origin.kind if origin else "scenario"
        sub = path[len(entry_path) :]
        known, value = _value(entry, name)
        out: dict[str, Any] = {"field": name, "path": path}
        if known:
            out["state"] = "known"
            out["value"] = value
        else:
            out["state"] = "unknown"
            _what, why = reasons.get(path, (None, "no input says it"))
            used.add(path)
            out["why"] = why
        out["source"] = _source(origin, own, sub, _attribute(kind, section, name))
        return out

    doc: dict[str, Any] = {
        "inputs": [
            {
                "input": label,
                "kind": loaded.kinds.get(label, "scenario"),
                "files": loaded.files.get(label, [label]),
            }
            for label in loaded.labels
        ]
    }
    org = raw.get("organization")
    if isinstance(org, dict):
        origin, own = origin_of("organization")
        doc["organization"] = {
            "source": _source(origin, own, "", None),
            "facts": [fact("organization", "organization", org, n) for n in FIELDS["organization"]],
        }
    else:
        doc["organization"] = None
        if "organization" not in raw:
            used.add("organization")
    for section, ident in (("keys", "arn"), ("vaults", "arn"), ("copies", "name")):
        items = []
        for i, entry in enumerate(raw.get(section) or []):
            if not isinstance(entry, dict):
                continue
            path = f"{section}[{i}]"
            origin, own = origin_of(path)
            names = [n for n in FIELDS[section] if not (section == "copies" and n in PROTECTED)]
            items.append(
                {
                    ident: entry.get(ident),
                    "source": _source(origin, own, "", None),
                    "facts": [fact(section, path, entry, n) for n in names],
                }
            )
        doc[section] = items
    protected = []
    for i, entry in enumerate(raw.get("copies") or []):
        if not isinstance(entry, dict):
            continue
        path = f"copies[{i}]"
        facts = [fact("copies", path, entry, n) for n in PROTECTED]
        origin, own = origin_of(f"{path}.resource_type")
        protected.append(
            {
                "copy": entry.get("name"),
                "source": _source(origin, own, ".resource_type", None),
                "facts": facts,
            }
        )
    doc["protected_resources"] = protected
    unknown = []
    for path, (what, why) in sorted(reasons.items()):
        origin, own = origin_of(path)
        head = path.partition(".")[0]
        unknown.append(
            {
                "path": path,
                "what": what,
                "why": why,
                "source": _source(origin, own, path[len(head) :], None),
            }
        )
    if doc["organization"] is None and "organization" in used:
        unknown.append(
            {
                "path": "organization",
                "what": "the organization",
                "why": "no input says it (give a scenario file with organization:)",
                "source": {"input": None, "line": None},
            }
        )
    doc["unknown"] = unknown
    return doc


# ----------------------------------------------------------------------------- text


def _short(value: Any) -> str:
    import json

    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:  # a policy as JSON text (Terraform)
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and "Statement" in parsed:
            value = parsed
    if isinstance(value, dict) and isinstance(value.get("Statement"), (list, dict)):
        st = value["Statement"]
        st = st if isinstance(st, list) else [st]
        sids = [str(s["Sid"]) for s in st if isinstance(s, dict) and isinstance(s.get("Sid"), str)]
        named = f" (Sid {', '.join(sids)})" if sids else ""
        return f"a policy of {len(st)} statement(s){named}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _where(src: dict[str, Any], parent: dict[str, Any] | None = None) -> str:
    """``file:line, address, construct path, attribute``; under a ``parent`` that names the
    same input and resource, only the line and the attribute."""
    if not src.get("input"):
        return "no input"
    same = parent is not None and all(
        src.get(k) == parent.get(k) for k in ("input", "address", "construct_path")
    )
    parts = []
    if same:
        if src.get("line"):
            parts.append(f"line {src['line']}")
    else:
        out = str(src["input"])
        if src.get("line"):
            out += f":{src['line']}"
        parts.append(out)
        if src.get("address"):
            parts.append(str(src["address"]))
        if src.get("construct_path"):
            parts.append(str(src["construct_path"]))
    if src.get("attribute"):
        parts.append(f"attribute {src['attribute']}")
    return ", ".join(parts)


def render_text(doc: dict[str, Any]) -> str:
    """The text form: one block per section, one line per fact with its origin."""
    from copyguard.escape import visible

    lines = ["Inputs:"]
    for i in doc["inputs"]:
        lines.append(f"  {i['input']} ({i['kind']})")
        for f in i["files"]:
            if f != i["input"]:
                lines.append(f"    {f}")

    def facts(items: list[dict[str, Any]], parent: dict[str, Any]) -> None:
        for f in items:
            at = _where(f["source"], parent)
            if f["state"] == "known":
                lines.append(f"    {f['field']}: {_short(f['value'])}  [{at}]")
            else:
                lines.append(f"    {f['field']}: UNKNOWN ({f['why']})  [{at}]")

    org = doc.get("organization")
    lines.append("")
    if org is None:
        lines.append("Organization: not described by any input")
    else:
        lines.append(f"Organization  [{_where(org['source'])}]")
        facts(org["facts"], org["source"])
    for section, title, ident in (
        ("keys", "Key", "arn"),
        ("vaults", "Vault", "arn"),
        ("copies", "Copy rule", "name"),
    ):
        for item in doc[section]:
            lines.append("")
            lines.append(f"{title} {item[ident]}  [{_where(item['source'])}]")
            facts(item["facts"], item["source"])
    for item in doc["protected_resources"]:
        lines.append("")
        lines.append(f"Protected resource of copy {item['copy']}  [{_where(item['source'])}]")
        facts(item["facts"], item["source"])
    lines.append("")
    if doc["unknown"]:
        lines.append("Unknown:")
        for u in doc["unknown"]:
            lines.append(f"  {u['path']}: {u['what']}: {u['why']}  [{_where(u['source'])}]")
    else:
        lines.append("Unknown: none reported")
    return "\n".join(visible(line) for line in lines) + "\n"
