"""Build small ``terraform show -json`` plans in Terraform's real shape, for unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROV = "registry.terraform.io/hashicorp/aws"
SRC, DST, REGION = "111122223333", "444455556666", "us-east-1"
CENTRAL = f"arn:aws:backup:{REGION}:{DST}:backup-vault:central"


def ref(*refs: str) -> dict[str, Any]:
    return {"references": list(refs)}


def const(v: Any) -> dict[str, Any]:
    return {"constant_value": v}


class Plan:
    def __init__(self, provider: dict[str, Any] | None = None) -> None:
        self.changes: list[dict[str, Any]] = []
        self.data: list[dict[str, Any]] = []
        self.root: dict[str, Any] = {"resources": [], "module_calls": {}}
        self.providers = {
            "aws": {
                "name": "aws",
                "full_name": PROV,
                "expressions": provider if provider is not None else {"region": const(REGION)},
            }
        }

    def _module(self, module: str) -> dict[str, Any]:
        mod = self.root
        for name in [p for p in module.split(".") if p and p != "module"]:
            call = mod["module_calls"].setdefault(
                name,
                {
                    "source": f"./{name}",
                    "expressions": {},
                    "module": {"resources": [], "module_calls": {}},
                },
            )
            mod = call["module"]
        return mod

    def resource(
        self,
        rtype: str,
        name: str,
        after: dict[str, Any],
        unknown: dict[str, Any] | None = None,
        expressions: dict[str, Any] | None = None,
        *,
        module: str = "",
        index: Any = None,
        sensitive: dict[str, Any] | None = None,
        actions: tuple[str, ...] = ("create",),
    ) -> Plan:
        idx = "" if index is None else (f"[{index}]" if isinstance(index, int) else f'["{index}"]')
        address = f"{module + '.' if module else ''}{rtype}.{name}{idx}"
        rc: dict[str, Any] = {"address": address}
        if module:
            rc["module_address"] = module
        rc.update({"mode": "managed", "type": rtype, "name": name})
        if index is not None:
            rc["index"] = index
        rc["provider_name"] = PROV
        rc["change"] = {
            "actions": list(actions),
            "before": None,
            "after": after,
            "after_unknown": unknown or {},
            "before_sensitive": False,
            "after_sensitive": sensitive or {},
        }
        self.changes.append(rc)
        mod = self._module(module)
        if not any(r["address"] == f"{rtype}.{name}" for r in mod["resources"]):
            mod["resources"].append(
                {
                    "address": f"{rtype}.{name}",
                    "mode": "managed",
                    "type": rtype,
                    "name": name,
                    "provider_config_key": (module.split(".")[-1] + ":aws") if module else "aws",
                    "expressions": expressions
                    if expressions is not None
                    else {k: const(v) for k, v in after.items() if v is not None},
                    "schema_version": 0,
                }
            )
        return self

    def datasource(self, rtype: str, name: str, values: dict[str, Any]) -> Plan:
        self.data.append(
            {
                "address": f"data.{rtype}.{name}",
                "mode": "data",
                "type": rtype,
                "name": name,
                "provider_name": PROV,
                "schema_version": 0,
                "values": values,
                "sensitive_values": {},
            }
        )
        self.root["resources"].append(
            {
                "address": f"data.{rtype}.{name}",
                "mode": "data",
                "type": rtype,
                "name": name,
                "provider_config_key": "aws",
                "expressions": {},
                "schema_version": 0,
            }
        )
        return self

    def doc(self, version: str = "1.2") -> dict[str, Any]:
        return {
            "format_version": version,
            "terraform_version": "1.9.5",
            "planned_values": {"root_module": {}},
            "resource_changes": self.changes,
            "prior_state": {
                "format_version": "1.0",
                "values": {"root_module": {"resources": self.data}},
            },
            "configuration": {"provider_config": self.providers, "root_module": self.root},
        }

    def write(self, path: Path, version: str = "1.2") -> Path:
        path.write_text(json.dumps(self.doc(version), indent=2), encoding="utf-8")
        return path


def source_plan(identity: bool = True) -> Plan:
    """The source account: a key, a vault with that key, a plan copying to CENTRAL, an EBS volume."""
    p = Plan()
    if identity:
        p.datasource("aws_caller_identity", "me", {"account_id": SRC, "id": SRC})
    p.resource(
        "aws_kms_key",
        "k",
        {"description": "k", "is_enabled": True},
        {"arn": True, "policy": True, "key_id": True},
        {"description": const("k")},
    )
    p.resource(
        "aws_ebs_volume",
        "v",
        {"encrypted": True, "size": 8},
        {"arn": True, "kms_key_id": True},
        {
            "encrypted": const(True),
            "size": const(8),
            "kms_key_id": ref("aws_kms_key.k.arn", "aws_kms_key.k"),
        },
    )
    p.resource(
        "aws_backup_vault",
        "local",
        {"name": "local"},
        {"arn": True, "kms_key_arn": True},
        {"name": const("local"), "kms_key_arn": ref("aws_kms_key.k.arn", "aws_kms_key.k")},
    )
    p.resource(
        "aws_backup_plan",
        "p",
        {
            "name": "p",
            "rule": [
                {
                    "rule_name": "r",
                    "target_vault_name": "local",
                    "copy_action": [
                        {"destination_vault_arn": CENTRAL, "lifecycle": [{"delete_after": 30}]}
                    ],
                }
            ],
        },
        {"id": True, "arn": True},
        {
            "name": const("p"),
            "rule": [
                {
                    "rule_name": const("r"),
                    "target_vault_name": ref(
                        "aws_backup_vault.local.name", "aws_backup_vault.local"
                    ),
                    "copy_action": [{"destination_vault_arn": const(CENTRAL)}],
                }
            ],
        },
    )
    p.resource(
        "aws_backup_selection",
        "s",
        {"name": "s", "iam_role_arn": f"arn:aws:iam::{SRC}:role/backup"},
        {"id": True, "plan_id": True, "resources": [True]},
        {
            "name": const("s"),
            "plan_id": ref("aws_backup_plan.p.id", "aws_backup_plan.p"),
            "iam_role_arn": const(f"arn:aws:iam::{SRC}:role/backup"),
            "resources": ref("aws_ebs_volume.v.arn", "aws_ebs_volume.v"),
        },
    )
    return p
