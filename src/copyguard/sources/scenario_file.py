"""What a live scan read, as a scenario file (spec section 3): ``copyguard scan --save-scenario``.

The document holds only what was read, as it was read: a field whose read failed stays
omitted (unknown), a value known to be absent is ``null``. Policies are written as the exact
text AWS returned (a string), so an invalid policy is still invalid when the file is checked.
Nothing about the credentials is in it: the model holds none (no keys, tokens or profiles).
"""

from __future__ import annotations

import os
from typing import Any

from copyguard.scenario import UNKNOWN, Copy, Key, Organization, Scenario, Vault, known


def scenario_document(
    sc: Scenario,
    key_policy_text: dict[str, str] | None = None,
    vault_policy_text: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The scenario as a spec-section-3 document (plain dicts, lists and scalars)."""
    doc: dict[str, Any] = {"version": 1}
    if isinstance(sc.organization, Organization):
        org = _organization(sc.organization)
        if org:
            doc["organization"] = org
    keys: list[dict[str, Any]] = []
    seen: set[int] = set()
    for key in sc.keys.values():  # a key is also filed under the ARN DescribeKey returned
        if id(key) not in seen:
            seen.add(id(key))
            keys.append(_key(key, (key_policy_text or {}).get(key.arn)))
    doc["keys"] = keys
    doc["vaults"] = [_vault(v, (vault_policy_text or {}).get(v.arn)) for v in sc.vaults.values()]
    doc["copies"] = [_copy(c) for c in sc.copies]
    return doc


def _organization(org: Organization) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if known(org.id):
        out["id"] = org.id
    if isinstance(org.accounts, tuple):
        out["accounts"] = list(org.accounts)
    if known(org.cross_account_backup_enabled):
        out["cross_account_backup_enabled"] = org.cross_account_backup_enabled
    if known(org.management_account):
        out["management_account"] = org.management_account
    if org.paths:
        out["paths"] = {k: list(v) for k, v in org.paths.items()}
    if org.ou_names:
        out["ou_names"] = dict(org.ou_names)
    return out


def _policy(policy: Any, text: str | None) -> Any:
    """The exact text read when there is one, else the parsed document."""
    if text is not None:
        return text
    if policy is None:
        return None
    return policy.text if getattr(policy, "text", None) else policy.document


def _key(key: Key, text: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"arn": key.arn}
    if known(key.manager):
        out["manager"] = key.manager
    if known(key.state):
        out["state"] = key.state
    if isinstance(key.aliases, tuple):
        out["aliases"] = list(key.aliases)
    if text is not None or key.policy is not UNKNOWN:
        out["policy"] = _policy(key.policy, text)
    return out


def _vault(vault: Vault, text: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"arn": vault.arn}
    if known(vault.key):
        out["key"] = vault.key
    if text is not None or vault.access_policy is not UNKNOWN:
        out["access_policy"] = _policy(vault.access_policy, text)
    if vault.lock is None:
        out["lock"] = None
    elif known(vault.lock):
        lock = vault.lock
        out["lock"] = {
            name: getattr(lock, name)
            for name in ("min_retention_days", "max_retention_days", "changeable_for_days")
            if getattr(lock, name) is not None
        }
    if known(vault.vault_type):
        out["vault_type"] = vault.vault_type
    return out


def _copy(copy: Copy) -> dict[str, Any]:
    out: dict[str, Any] = {"name": copy.name}
    for name in (
        "resource_type",
        "resource_arn",
        "resource_key",
        "source_vault",
        "destination_vault",
        "iam_role_arn",
    ):
        value = getattr(copy, name)
        if known(value):
            out[name] = value
    if copy.lifecycle is None:
        out["lifecycle"] = None
    elif known(copy.lifecycle):
        lc = copy.lifecycle
        out["lifecycle"] = {
            name: getattr(lc, name)
            for name in (
                "delete_after_days",
                "move_to_cold_storage_after_days",
                "opt_in_to_archive_for_supported_resources",
            )
            if getattr(lc, name) is not None
        }
    if copy.status_message is not None:
        out["status_message"] = copy.status_message
    return out


def scenario_yaml(doc: dict[str, Any]) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None  # policies read as text stay readable
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    head = (
        "# written by copyguard scan --save-scenario: what the scan read (omitted = could not\n"
        "# be read, unknown); check it offline with: copyguard check FILE\n"
    )
    return head + yaml.dump(
        doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def write_private(path: str, text: str, *, force: bool = False) -> None:
    """Write ``text`` to a new file readable by its owner only (0600). An existing file is
    refused (FileExistsError) unless ``force``; then it is replaced, never written through."""
    if force and os.path.lexists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
