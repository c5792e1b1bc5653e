"""Render fixes: json, a unified diff, AWS CLI, Terraform, CloudFormation."""

from __future__ import annotations

import json
import shlex
from typing import Any

from copyguard.checks.facts import PLACEHOLDER_KEY_ARN, is_placeholder_key
from copyguard.checks.model import Fix

AS_CHOICES = ("json", "diff", "cli", "terraform", "cloudformation")


def _name(fix: Fix) -> str:
    tail = (fix.resource or "resource").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return "copyguard_" + "".join(ch if ch.isalnum() else "_" for ch in tail)[:48]


def render_fixes(fixes: list[Fix], as_: str, lang: str = "en") -> str:
    if as_ not in AS_CHOICES:
        raise ValueError(f"unknown fix format {as_!r}; expected one of {', '.join(AS_CHOICES)}")
    if as_ == "json":
        return (
            json.dumps({"fixes": [f.to_dict(lang) for f in fixes]}, indent=2, ensure_ascii=False)
            + "\n"
        )
    out: list[str] = []
    for fix in fixes:
        if as_ == "diff":
            if fix.diff:
                out.append(fix.diff if fix.diff.endswith("\n") else fix.diff + "\n")
            else:
                out.append("".join(f"# {line}\n" for line in _playbook_lines(fix, lang)))
        elif as_ == "cli":
            out.append(_cli(fix, lang))
        elif as_ == "terraform":
            out.append(_terraform(fix, lang))
        elif as_ == "cloudformation":
            out.append(_cloudformation(fix, lang))
        else:
            raise ValueError(f"unknown fix format {as_!r}; expected one of {', '.join(AS_CHOICES)}")
    return "\n".join(out)


def _playbook_lines(fix: Fix, lang: str) -> list[str]:
    lines = [f"[{fix.applicability}] {fix.description.get(lang)}"]
    lines += [f"- {s.get(lang)}" for s in fix.steps]
    lines += [f"$ {c}" for c in fix.commands]
    return lines


def _placeholder_note(fix: Fix, lang: str) -> str:
    """A comment telling the user to put the real key ARN in place of KEY_ARN."""
    if lang == "zh":
        return (
            f"# 请将 {PLACEHOLDER_KEY_ARN} 替换为源密钥的 ARN(arn:aws:kms:区域:{fix.account}:key/...);"
            "快速模式未提供 --key-arn,也请在密钥所在区域运行(必要时加 --region)\n"
        )
    return (
        f"# replace {PLACEHOLDER_KEY_ARN} with the source key's ARN (arn:aws:kms:REGION:{fix.account}:key/...):"
        " the quick form was not given --key-arn; run it in the key's Region (add --region if needed)\n"
    )


def _key_id(fix: Fix) -> str:
    return PLACEHOLDER_KEY_ARN if is_placeholder_key(fix.resource) else (fix.resource or "")


def _cli(fix: Fix, lang: str) -> str:
    head = f"# [{fix.applicability}] {fix.description.get(lang)}\n"
    if fix.kind == "key-policy" and fix.policy is not None:
        policy = json.dumps(fix.policy, separators=(",", ":"), ensure_ascii=False)
        placeholder = is_placeholder_key(fix.resource)
        region = f" --region {fix.region}" if fix.region and not placeholder else ""
        note = _placeholder_note(fix, lang) if placeholder else ""
        return (
            head
            + f"# run in account {fix.account} (the key's account)\n"
            + note
            + f"aws kms put-key-policy --key-id {shlex.quote(_key_id(fix))} --policy-name default"
            f"{region} --policy {shlex.quote(policy)}\n"
        )
    if fix.kind == "vault-access-policy" and fix.policy is not None:
        policy = json.dumps(fix.policy, separators=(",", ":"), ensure_ascii=False)
        name = (fix.resource or "").split(":backup-vault:", 1)[-1]
        region = f" --region {fix.region}" if fix.region else ""
        return (
            head + f"# run in account {fix.account} (the vault's account)\n"
            f"aws backup put-backup-vault-access-policy --backup-vault-name {shlex.quote(name)}"
            f"{region} --policy {shlex.quote(policy)}\n"
        )
    steps = "".join(f"# - {s.get(lang)}\n" for s in fix.steps)
    return head + steps + "".join(f"{c}\n" for c in fix.commands)


def _hcl_heredoc(doc: dict[str, Any]) -> str:
    return "<<-POLICY\n" + json.dumps(doc, indent=2, ensure_ascii=False) + "\n  POLICY"


def _terraform(fix: Fix, lang: str) -> str:
    head = f"# [{fix.applicability}] {fix.description.get(lang)}\n"
    if fix.kind == "key-policy" and fix.policy is not None:
        note = _placeholder_note(fix, lang) if is_placeholder_key(fix.resource) else ""
        return (
            head + note + f'resource "aws_kms_key_policy" "{_name(fix)}" {{\n'
            f'  key_id = "{_key_id(fix)}"\n'
            f"  policy = {_hcl_heredoc(fix.policy)}\n}}\n"
        )
    if fix.kind == "vault-access-policy" and fix.policy is not None:
        name = (fix.resource or "").split(":backup-vault:", 1)[-1]
        return (
            head + f'resource "aws_backup_vault_policy" "{_name(fix)}" {{\n'
            f'  backup_vault_name = "{name}"\n'
            f"  policy            = {_hcl_heredoc(fix.policy)}\n}}\n"
        )
    return "".join(f"# {line}\n" for line in _playbook_lines(fix, lang))


def _cloudformation(fix: Fix, lang: str) -> str:
    import yaml

    head = f"# [{fix.applicability}] {fix.description.get(lang)}\n"
    if fix.kind == "key-policy" and fix.policy is not None:
        body = {
            "Resources": {
                _name(fix).replace("_", "").title(): {
                    "Type": "AWS::KMS::Key",
                    "Properties": {"KeyPolicy": fix.policy},
                }
            }
        }
        note = _placeholder_note(fix, lang) if is_placeholder_key(fix.resource) else ""
        return (
            head
            + note
            + f"# the KeyPolicy of {_key_id(fix)}\n"
            + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
        )
    if fix.kind == "vault-access-policy" and fix.policy is not None:
        name = (fix.resource or "").split(":backup-vault:", 1)[-1]
        body = {
            "Resources": {
                _name(fix).replace("_", "").title(): {
                    "Type": "AWS::Backup::BackupVault",
                    "Properties": {"BackupVaultName": name, "AccessPolicy": fix.policy},
                }
            }
        }
        return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    return "".join(f"# {line}\n" for line in _playbook_lines(fix, lang))
