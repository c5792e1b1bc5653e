"""Render fixes: json, a unified diff, AWS CLI, Terraform, CloudFormation.

Every value that comes from the input (key ARN, vault name, file path, policy text) goes
through the quoting helper of its target (:mod:`copyguard.escape`): printed commands run
nothing but the command, Terraform interpolates nothing, the CloudFormation template is
one valid YAML document, comments cannot end early.
"""

from __future__ import annotations

import difflib
import json
import re

from copyguard.checks.facts import PLACEHOLDER_KEY_ARN, is_placeholder_key
from copyguard.checks.model import Fix
from copyguard.escape import (
    diff_path,
    hcl_heredoc,
    hcl_string,
    is_unsafe,
    json_dumps,
    shell_comment,
    shell_join,
    yaml_dump,
)
from copyguard.fixes.textedit import minimal_diff
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

AS_CHOICES = ("json", "diff", "cli", "terraform", "cloudformation")


@record(frozen=True, slots=True)
class PolicyFile:
    """The file a current policy was read from: its name as the user gave it, and its text
    exactly as read (BOM, line endings and final newline kept), so ``--as diff`` is a patch
    of that file."""

    path: str
    text: str


def _name(fix: Fix) -> str:
    """A Terraform resource name / CloudFormation logical ID stem: ASCII letters, digits, ``_``."""
    tail = (fix.resource or "resource").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return "copyguard_" + "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in tail)[:48]


def render_fixes(
    fixes: list[Fix],
    as_: str,
    lang: str = "en",
    *,
    files: Mapping[str, PolicyFile] | None = None,
) -> str:
    """``fixes`` in one output form. ``files`` maps a fix's resource to the file its current
    policy was read from; ``--as diff`` then patches that file (its text, its name)."""
    if as_ not in AS_CHOICES:
        raise ValueError(f"unknown fix format {as_!r}; expected one of {', '.join(AS_CHOICES)}")
    if as_ == "json":
        return json_dumps({"fixes": [f.to_dict(lang) for f in fixes]}, indent=2) + "\n"
    if as_ == "cloudformation":
        return _cloudformation(fixes, lang)
    out: list[str] = []
    for fix in fixes:
        if as_ == "diff":
            out.append(_diff(fix, lang, (files or {}).get(fix.resource or "")))
        elif as_ == "cli":
            out.append(_cli(fix, lang))
        else:
            out.append(_terraform(fix, lang))
    return "\n".join(out)


def _comment(text: str) -> str:
    return shell_comment(text) + "\n"


def _head(fix: Fix, lang: str) -> str:
    return _comment(f"[{fix.applicability}] {fix.description.get(lang)}")


def _playbook_lines(fix: Fix, lang: str) -> list[str]:
    lines = [f"[{fix.applicability}] {fix.description.get(lang)}"]
    lines += [f"- {s.get(lang)}" for s in fix.steps]
    lines += [f"$ {c}" for c in fix.commands]
    return lines


def _playbook_comments(fix: Fix, lang: str) -> str:
    return "".join(_comment(line) for line in _playbook_lines(fix, lang))


def _placeholder_note(fix: Fix, lang: str) -> str:
    """A comment telling the user to put the real key ARN in place of KEY_ARN."""
    if lang == "zh":
        return _comment(
            f"请将 {PLACEHOLDER_KEY_ARN} 替换为源密钥的 ARN(arn:aws:kms:区域:{fix.account}:key/...);"
            "快速模式未提供 --key-arn,也请在密钥所在区域运行(必要时加 --region)"
        )
    return _comment(
        f"replace {PLACEHOLDER_KEY_ARN} with the source key's ARN (arn:aws:kms:REGION:{fix.account}:key/...):"
        " the quick form was not given --key-arn; run it in the key's Region (add --region if needed)"
    )


def _key_id(fix: Fix) -> str:
    return PLACEHOLDER_KEY_ARN if is_placeholder_key(fix.resource) else (fix.resource or "")


def _vault_name(fix: Fix) -> str:
    return (fix.resource or "").split(":backup-vault:", 1)[-1]


# ----------------------------------------------------------------------------- diff


def _diff(fix: Fix, lang: str, source: PolicyFile | None) -> str:
    if not fix.diff and fix.policy is None:
        return _playbook_comments(fix, lang)
    if source is not None and fix.policy is not None:
        return file_diff(source, fix.policy)
    # an inline policy (scenario, live read): a diff of the policy document as JSON
    what = f"{fix.kind} of {fix.resource}" if fix.resource else fix.kind
    note = (
        f"{what}: the policy document as JSON (not a patch of the input file)"
        if lang != "zh"
        else f"{what}:以 JSON 表示的策略文档(不是输入文件的补丁)"
    )
    body = fix.diff if fix.diff.endswith("\n") else fix.diff + "\n"
    return _comment(note) + body


def _format_like(text: str, doc: Any) -> dict[str, Any] | None:
    """The JSON layout of ``text`` (as :func:`json.dumps` keyword arguments) when
    re-serialising ``doc`` gives ``text`` back exactly: indent 2 or 4, a tab, or compact;
    ASCII-escaped or not. None for a layout of the user's own."""
    body = text.lstrip("\ufeff").replace("\r\n", "\n").rstrip("\n")
    for indent in (2, 4, "\t", None):
        for ensure_ascii in (False, True):
            kwargs: dict[str, Any] = {"indent": indent, "ensure_ascii": ensure_ascii}
            if indent is None:
                kwargs["separators"] = (",", ":")
            if json.dumps(doc, **kwargs) == body:
                return kwargs
    return None


def _lines(text: str) -> list[str]:
    """``text`` split after each ``\n`` only, as patch counts lines (``str.splitlines`` would
    also split at U+2028, form feeds and other characters a JSON string may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def _reserialise(old: str, policy: dict[str, Any]) -> str:
    """``policy`` as a whole document, in the layout of ``old`` when copyguard can reproduce
    it, with its BOM, line endings and final newline."""
    try:
        layout = _format_like(old, json.loads(old.lstrip("\ufeff")))
    except ValueError:
        layout = None
    # new lines show no hidden character (json_dumps escapes them; same JSON value)
    new = json_dumps(policy, **(layout or {"indent": 2, "ensure_ascii": False}))
    if old.startswith("\ufeff"):
        new = "\ufeff" + new
    if not old or old.endswith("\n"):
        new += "\n"
    if "\r\n" in old:
        new = new.replace("\n", "\r\n")
    return new


def file_diff(source: PolicyFile, policy: dict[str, Any]) -> str:
    """A unified diff that turns the file ``source`` into ``policy``: the old side is the
    file's text byte for byte (``patch -p0`` or ``patch FILE`` applies it). The new text is
    the file's text with only the values the fix changes replaced and the appended statements
    and members inserted, each in the style around it (:mod:`copyguard.fixes.textedit`);
    when that cannot be done exactly, the whole policy in the file's layout if copyguard can
    reproduce it (indent, BOM, CRLF, final newline), otherwise as two-space-indented JSON."""
    old = source.text
    name = diff_path(source.path)
    # only the values the fix changes, in the file's own style; else the whole document
    lines = minimal_diff(old, policy, name)
    if lines is None:
        new = _reserialise(old, policy)
        lines = list(difflib.unified_diff(_lines(old), _lines(new), name, name))
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# ----------------------------------------------------------------------------- AWS CLI


def _commands(commands: list[str]) -> str:
    """Playbook commands, one a line; a command holding a line break or another unsafe
    character (it was not built with the quoting helpers) is shown as a comment only."""
    out = []
    for c in commands:
        if any(is_unsafe(ch) for ch in c):
            out.append(_comment(f"(not runnable as printed) {c}"))
        else:
            out.append(c + "\n")
    return "".join(out)


def _cli(fix: Fix, lang: str) -> str:
    head = _head(fix, lang)
    if fix.kind == "key-policy" and fix.policy is not None:
        policy = json_dumps(fix.policy, separators=(",", ":"))
        placeholder = is_placeholder_key(fix.resource)
        region = ["--region", fix.region] if fix.region and not placeholder else []
        note = _placeholder_note(fix, lang) if placeholder else ""
        argv = ["aws", "kms", "put-key-policy", "--key-id", _key_id(fix)]
        argv += ["--policy-name", "default", *region, "--policy", policy]
        if _pending_owner(fix, lang) is not None:
            # the key does not exist yet: no command can name it; the change belongs in the code
            address = (fix.resource or "").split(":key/pending:", 1)[-1]
            return (
                head
                + _comment(
                    f"the key is created by {address} and does not exist yet: change its policy "
                    "in the code (copyguard fix ... --as terraform); after apply, this command "
                    "with the key's real ARN in place of KEY_ARN does the same"
                )
                + _comment("run in account " + str(fix.account) + " (the key's account)")
                + "# "
                + shell_join([*argv[:4], "KEY_ARN", *argv[5:]])
                + "\n"
            )
        return (
            head
            + _comment(f"run in account {fix.account} (the key's account)")
            + note
            + shell_join(argv)
            + "\n"
        )
    if fix.kind == "vault-access-policy" and fix.policy is not None:
        policy = json_dumps(fix.policy, separators=(",", ":"))
        region = ["--region", fix.region] if fix.region else []
        argv = ["aws", "backup", "put-backup-vault-access-policy"]
        argv += ["--backup-vault-name", _vault_name(fix), *region, "--policy", policy]
        return (
            head
            + _comment(f"run in account {fix.account} (the vault's account)")
            + shell_join(argv)
            + "\n"
        )
    steps = "".join(_comment(f"- {s.get(lang)}") for s in fix.steps)
    return head + steps + _commands(fix.commands)


# ----------------------------------------------------------------------------- Terraform


def _policy_heredoc(policy: dict[str, Any]) -> str:
    return hcl_heredoc(json_dumps(policy, indent=2))


def _pending_owner(fix: Fix, lang: str) -> tuple[str, str] | None:
    """A key a Terraform plan creates (``key/pending:ADDRESS``, scenario/load.py): the note
    naming the resource that owns its policy, and ``key_id`` as a reference to it."""
    from copyguard.scenario.load import PENDING_KEY_MARK

    arn = fix.resource or ""
    if PENDING_KEY_MARK not in arn:
        return None
    address = arn.split(PENDING_KEY_MARK, 1)[1]
    module, _, local = address.rpartition(".aws_kms_key.")
    local = f"aws_kms_key.{local}" if _ else address
    where = f" in {module}" if _ and module else ""
    note = (
        f"# 此策略属于 {address}:写入其 policy 参数(或拥有它的 aws_kms_key_policy),或在其旁{where}添加此资源\n"
        if lang == "zh"
        else f"# the policy of {address}: set it as that resource's policy argument (or in the "
        f"aws_kms_key_policy that owns it), or add this resource beside it{where}\n"
    )
    import re

    if not re.fullmatch(r'aws_kms_key\.[A-Za-z0-9_-]+(\[[0-9]+\]|\["[A-Za-z0-9_./-]*"\])?', local):
        return note, hcl_string(arn)  # not a plain reference: the key ARN as a string
    return note, f"{local}.id"


def _terraform(fix: Fix, lang: str) -> str:
    head = _head(fix, lang)
    pending = _pending_owner(fix, lang) if fix.kind == "key-policy" else None
    if pending is not None and fix.policy is not None:
        return (
            head + pending[0] + f'resource "aws_kms_key_policy" "{_name(fix)}" {{\n'
            f"  key_id = {pending[1]}\n"
            f"  policy = {_policy_heredoc(fix.policy)}\n}}\n"
        )
    if fix.kind == "key-policy" and fix.policy is not None:
        note = _placeholder_note(fix, lang) if is_placeholder_key(fix.resource) else ""
        return (
            head + note + f'resource "aws_kms_key_policy" "{_name(fix)}" {{\n'
            f"  key_id = {hcl_string(_key_id(fix))}\n"
            f"  policy = {_policy_heredoc(fix.policy)}\n}}\n"
        )
    if fix.kind == "vault-access-policy" and fix.policy is not None:
        return (
            head + f'resource "aws_backup_vault_policy" "{_name(fix)}" {{\n'
            f"  backup_vault_name = {hcl_string(_vault_name(fix))}\n"
            f"  policy            = {_policy_heredoc(fix.policy)}\n}}\n"
        )
    return _playbook_comments(fix, lang)


# ----------------------------------------------------------------------------- CloudFormation


def _logical_id(fix: Fix, taken: set[str]) -> str:
    stem = _name(fix).replace("_", "").title()
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}{n}", n + 1
    taken.add(name)
    return name


def _template_owner(fix: Fix) -> str | None:
    """A key a CloudFormation template creates (``key/pending:LOGICAL_ID``, no dot, unlike a
    Terraform address): its logical ID, whose ``KeyPolicy`` the fix replaces."""
    import re

    from copyguard.scenario.load import PENDING_KEY_MARK

    address = (fix.resource or "").partition(PENDING_KEY_MARK)[2]
    return address if re.fullmatch(r"[A-Za-z0-9]+", address) else None


def _cloudformation(fixes: list[Fix], lang: str) -> str:
    """One template (one YAML document) with a resource per policy fix; what is not a
    policy edit, and where each resource's policy belongs, as comments above it."""
    comments: list[str] = []
    resources: dict[str, Any] = {}
    taken: set[str] = set()
    for fix in fixes:
        if comments:
            comments.append("#\n")
        if fix.kind == "key-policy" and fix.policy is not None:
            owner = _template_owner(fix)
            logical = owner or _logical_id(fix, taken)
            taken.add(logical)
            comments.append(_head(fix, lang))
            if is_placeholder_key(fix.resource):
                comments.append(_placeholder_note(fix, lang))
            comments.append(
                _comment(
                    f"the KeyPolicy of the logical ID {owner} in the template: replace its "
                    "KeyPolicy with this one"
                    if owner
                    else f"the KeyPolicy of {_key_id(fix)}"
                )
            )
            resources[logical] = {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": fix.policy},
            }
        elif fix.kind == "vault-access-policy" and fix.policy is not None:
            logical = _logical_id(fix, taken)
            comments.append(_head(fix, lang))
            comments.append(_comment(f"the AccessPolicy of {fix.resource}"))
            resources[logical] = {
                "Type": "AWS::Backup::BackupVault",
                "Properties": {"BackupVaultName": _vault_name(fix), "AccessPolicy": fix.policy},
            }
        else:
            comments.append(_playbook_comments(fix, lang))
    body = yaml_dump({"Resources": resources}) if resources else ""
    return "".join(comments) + body


__all__ = ["AS_CHOICES", "PolicyFile", "file_diff", "render_fixes"]
