"""Change a live key policy safely: back up first, re-read before writing, verify after, never
bypass KMS's lockout safety check, and leave the key as it was when any step fails."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from copyguard.sources.aws import Reader, arn_account, arn_region


class ApplyError(Exception):
    """A step failed; ``changed`` tells whether the key policy was left modified (never, by design)."""

    def __init__(self, message: str, changed: bool = False) -> None:
        super().__init__(message)
        self.changed = changed


@dataclass(slots=True)
class ApplyResult:
    key_arn: str
    backup_file: Path | None
    status: str  # applied | unchanged | declined
    message: str


def _canonical(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _client(reader: Reader, role: str, key_arn: str) -> Any:
    return reader.client(role, "kms", arn_region(key_arn))


def read_policy(reader: Reader, role: str, key_arn: str) -> str:
    """A fresh read (never from the scan's cache)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        out = _client(reader, role, key_arn).get_key_policy(KeyId=key_arn, PolicyName="default")
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise ApplyError(f"cannot read the key policy of {key_arn}: {err.get('Code')}: {err.get('Message')} "
                         "(needs kms:GetKeyPolicy)") from None
    except BotoCoreError as exc:
        raise ApplyError(f"cannot read the key policy of {key_arn}: {exc}") from None
    return str(out.get("Policy", ""))


def write_backup(directory: Path, key_arn: str, policy_text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key_id = key_arn.rsplit("/", 1)[-1]
    path = directory / f"copyguard-backup-{key_id}-{stamp}.json"
    record = {
        "tool": "copyguard",
        "kind": "kms-key-policy-backup",
        "key_arn": key_arn,
        "account": arn_account(key_arn),
        "region": arn_region(key_arn),
        "policy_name": "default",
        "saved_at": stamp,
        "policy": policy_text,
    }
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    return path


def put_policy(reader: Reader, role: str, key_arn: str, policy_text: str) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client(reader, role, key_arn).put_key_policy(
            KeyId=key_arn, PolicyName="default", Policy=policy_text, BypassPolicyLockoutSafetyCheck=False
        )
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code, message = err.get("Code"), err.get("Message")
        hint = ""
        if code == "MalformedPolicyDocumentException" and "principal" in str(message).lower():
            hint = (" A principal the policy names does not exist (for --principal slr: create "
                    "AWSServiceRoleForBackup in the destination account first, or use --principal root).")
        elif code == "MalformedPolicyDocumentException" and "update the key policy in the future" in str(message):
            hint = " KMS's lockout safety check refused it; copyguard never bypasses that check."
        raise ApplyError(f"KMS rejected the new key policy of {key_arn}: {code}: {message}.{hint} "
                         "The key policy is unchanged.") from None
    except BotoCoreError as exc:
        raise ApplyError(f"writing the key policy of {key_arn} failed: {exc}. Re-read it before retrying.") from None


def apply_key_policy(
    reader: Reader,
    role: str,
    key_arn: str,
    diagnosed_text: str,
    new_policy: dict[str, Any],
    backup_dir: Path,
    confirm: Callable[[], bool],
) -> ApplyResult:
    current = read_policy(reader, role, key_arn)
    if _canonical(current) != _canonical(diagnosed_text):
        raise ApplyError(f"the key policy of {key_arn} changed since the diagnosis; nothing was written. "
                         "Run the command again to diagnose the current policy.")
    if _canonical(current) == new_policy:
        return ApplyResult(key_arn, None, "unchanged", "the key policy already has the fix")
    backup = write_backup(backup_dir, key_arn, current)
    if not confirm():
        return ApplyResult(key_arn, backup, "declined", "not applied (declined)")
    put_policy(reader, role, key_arn, json.dumps(new_policy, indent=2))
    after = read_policy(reader, role, key_arn)
    if _canonical(after) != new_policy:
        # something else wrote in between, or KMS stored something different: restore
        try:
            put_policy(reader, role, key_arn, current)
        except ApplyError as exc:
            raise ApplyError(f"the key policy read back differs from what was written, and restoring the "
                             f"backup failed ({exc}); restore it with: copyguard fix --rollback {backup}",
                             changed=True) from None
        raise ApplyError(f"the key policy read back differs from what was written; the previous policy "
                         f"was restored from {backup}")
    return ApplyResult(key_arn, backup, "applied", f"applied; roll back with: copyguard fix --rollback {backup}")


def read_backup(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ApplyError(f"{path}: backup file not found") from None
    except (OSError, ValueError) as exc:
        raise ApplyError(f"{path}: not a copyguard backup file ({exc})") from None
    if not isinstance(record, dict) or record.get("kind") != "kms-key-policy-backup":
        raise ApplyError(f"{path}: not a copyguard key-policy backup (kind is missing)")
    for field in ("key_arn", "policy"):
        if not isinstance(record.get(field), str):
            raise ApplyError(f"{path}: field {field!r} is missing or not a string")
    return record


def rollback(reader: Reader, role: str, backup_file: Path, confirm: Callable[[str], bool]) -> ApplyResult:
    record = read_backup(backup_file)
    key_arn = record["key_arn"]
    current = read_policy(reader, role, key_arn)
    if _canonical(current) == _canonical(record["policy"]):
        return ApplyResult(key_arn, backup_file, "unchanged", "the key policy already equals the backup")
    safety = write_backup(backup_file.parent, key_arn, current)
    if not confirm(current):
        return ApplyResult(key_arn, safety, "declined", "not rolled back (declined)")
    put_policy(reader, role, key_arn, record["policy"])
    after = read_policy(reader, role, key_arn)
    if _canonical(after) != _canonical(record["policy"]):
        raise ApplyError(f"the rolled-back policy reads back differently; the policy before the rollback is in {safety}",
                         changed=True)
    return ApplyResult(key_arn, safety, "applied", f"rolled back; the policy it replaced is saved in {safety}")
