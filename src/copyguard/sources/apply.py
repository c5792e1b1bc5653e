"""Change a live key policy safely: back up first, re-read before writing, verify after, never
bypass KMS's lockout safety check, and leave the key as it was when any step fails.

Every failure is an :class:`ApplyError` whose ``kind`` says what state the key is in:

- ``rejected``: KMS refused the new policy (a principal that does not exist, the lockout
  safety check, no permission, too large); nothing was written.
- ``stale``: the policy changed since the diagnosis; nothing was written.
- ``failed``: the write did not go through (connection, throttling, a KMS fault), and a
  re-read shows the key policy is unchanged.
- ``restored``: the policy read back after the write was not the one written; the previous
  policy was written back and verified.
- ``uncertain``: the state of the key policy could not be established (the backup file
  says what it was).
- ``changed``: the key policy is left different from both the old and the new one (a
  restore failed); the message says how to roll back.
- ``input``: a local problem (the backup directory, the backup file); nothing was written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from copyguard.sources.aws import Reader, arn_account, arn_region

#: error codes after which KMS may or may not have stored the policy (server-side faults)
_UNCERTAIN_CODES = frozenset(
    {
        "KMSInternalException",
        "DependencyTimeoutException",
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class ApplyError(Exception):
    """A step failed; ``kind`` tells the state of the key (see the module documentation)."""

    def __init__(self, message: str, kind: str = "failed", backup: Path | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.backup = backup

    @property
    def changed(self) -> bool:
        """True when the key policy may be left different from before."""
        return self.kind in ("changed", "uncertain")


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
        raise ApplyError(
            f"cannot read the key policy of {key_arn}: {err.get('Code')}: {err.get('Message')} "
            "(needs kms:GetKeyPolicy)"
        ) from None
    except BotoCoreError as exc:
        raise ApplyError(f"cannot read the key policy of {key_arn}: {exc}") from None
    return str(out.get("Policy", ""))


def write_backup(directory: Path, key_arn: str, policy_text: str) -> Path:
    """Save ``policy_text`` (durably) before anything is written; ApplyError(kind=input)."""
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
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        raise ApplyError(
            f"cannot save the current key policy of {key_arn} to {directory}: "
            f"{exc.strerror or exc}; nothing was written (choose another --backup-dir)",
            "input",
        ) from None
    return path


#: KMS's limit on a key policy document, in bytes (it cannot be raised)
MAX_POLICY_BYTES = 32768


def policy_text(policy: dict[str, Any]) -> str:
    """The document as written: indented for people, compact when that would not fit."""
    text = json.dumps(policy, indent=2)
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        text = json.dumps(policy, separators=(",", ":"))
    return text


def put_policy(reader: Reader, role: str, key_arn: str, policy_text: str) -> None:
    """PutKeyPolicy, never bypassing the lockout safety check.

    ApplyError(kind=rejected) when KMS refused the document (nothing was stored), and
    kind=uncertain when the outcome is unknown (a connection failure or a KMS fault)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client(reader, role, key_arn).put_key_policy(
            KeyId=key_arn,
            PolicyName="default",
            Policy=policy_text,
            BypassPolicyLockoutSafetyCheck=False,
        )
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code, message = str(err.get("Code")), str(err.get("Message"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        if status >= 500 or code in _UNCERTAIN_CODES:
            raise ApplyError(f"KMS failed: {code}: {message}", "uncertain") from None
        hint = ""
        if code == "MalformedPolicyDocumentException" and "principal" in message.lower():
            hint = (
                " A principal the policy names does not exist (for --principal slr: the "
                "destination account needs AWSServiceRoleForBackup first, or use --principal "
                "root)."
            )
        elif (
            code == "MalformedPolicyDocumentException"
            and "update the key policy in the future" in message
        ):
            hint = (
                " KMS's lockout safety check refused it: the new policy would not let this "
                "caller change the key policy again. copyguard never bypasses that check."
            )
        elif code in ("AccessDeniedException", "AccessDenied"):
            hint = " The caller needs kms:PutKeyPolicy on the key (copyguard permissions --apply)."
        raise ApplyError(
            f"KMS rejected the new key policy of {key_arn}: {code}: {message}.{hint}",
            "rejected",
        ) from None
    except BotoCoreError as exc:
        raise ApplyError(f"{type(exc).__name__}: {exc}", "uncertain") from None


def apply_key_policy(
    reader: Reader,
    role: str,
    key_arn: str,
    diagnosed_text: str,
    new_policy: dict[str, Any],
    backup_dir: Path,
    confirm: Callable[[], bool],
) -> ApplyResult:
    """Replace the key policy with ``new_policy`` if it is still ``diagnosed_text``.

    Order: confirm, re-read (stop if it changed since the diagnosis), back up, write (with
    the lockout safety check), read back (restore the backup if it differs)."""
    if _canonical(diagnosed_text) == new_policy:
        return ApplyResult(key_arn, None, "unchanged", "the key policy already has the fix")
    if not confirm():
        return ApplyResult(key_arn, None, "declined", "not applied (declined); nothing was written")
    current = read_policy(reader, role, key_arn)
    if _canonical(current) != _canonical(diagnosed_text):
        raise ApplyError(
            f"the key policy of {key_arn} changed since the diagnosis; nothing was written. "
            "Run the command again to diagnose the current policy.",
            "stale",
        )
    backup = write_backup(backup_dir, key_arn, current)
    rollback_hint = f"copyguard fix --rollback {backup}"
    try:
        put_policy(reader, role, key_arn, policy_text(new_policy))
    except ApplyError as exc:
        if exc.kind != "uncertain":
            raise ApplyError(f"{exc} The key policy is unchanged.", exc.kind, backup) from None
        # the write may or may not have reached KMS: look
        try:
            seen = _canonical(read_policy(reader, role, key_arn))
        except ApplyError as again:
            raise ApplyError(
                f"writing the key policy of {key_arn} failed ({exc}), and it could not be read "
                f"back ({again}), so whether it changed is unknown. The previous policy is saved "
                f"in {backup}; check the key and, if it changed, restore it with: {rollback_hint}",
                "uncertain",
                backup,
            ) from None
        if seen == _canonical(current):
            raise ApplyError(
                f"writing the key policy of {key_arn} failed ({exc}); a re-read shows it is "
                "unchanged. Run the command again when AWS is reachable.",
                "failed",
                backup,
            ) from None
        if seen != new_policy:
            raise ApplyError(
                f"writing the key policy of {key_arn} failed ({exc}), and it now reads as "
                "neither the old nor the new policy (someone else changed it); copyguard did "
                f"not touch it further. The policy before is saved in {backup} ({rollback_hint}).",
                "uncertain",
                backup,
            ) from None
        # the write went through although its answer was lost: verify below
    try:
        after = read_policy(reader, role, key_arn)
    except ApplyError as exc:
        raise ApplyError(
            f"the new key policy of {key_arn} was written but could not be read back to verify "
            f"it ({exc}). If it is wrong, restore the previous one with: {rollback_hint}",
            "uncertain",
            backup,
        ) from None
    if _canonical(after) != new_policy:
        # something else wrote in between, or KMS stored something different: restore
        try:
            put_policy(reader, role, key_arn, current)
            restored = _canonical(read_policy(reader, role, key_arn)) == _canonical(current)
        except ApplyError as exc:
            raise ApplyError(
                f"the key policy of {key_arn} read back differs from what was written, and "
                f"restoring the previous policy failed ({exc}); restore it with: {rollback_hint}",
                "changed",
                backup,
            ) from None
        if not restored:
            raise ApplyError(
                f"the key policy of {key_arn} read back differs from what was written, and the "
                f"restored policy does not read back either; restore it with: {rollback_hint}",
                "changed",
                backup,
            )
        raise ApplyError(
            f"the key policy of {key_arn} read back differs from what was written (changed by "
            f"someone else?); the previous policy was restored from {backup}. Run the command "
            "again to diagnose the current policy.",
            "restored",
            backup,
        )
    return ApplyResult(key_arn, backup, "applied", f"applied; roll back with: {rollback_hint}")


def read_backup(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ApplyError(f"{path}: backup file not found", "input") from None
    except (OSError, ValueError) as exc:
        raise ApplyError(f"{path}: not a copyguard backup file ({exc})", "input") from None
    if not isinstance(record, dict) or record.get("kind") != "kms-key-policy-backup":
        raise ApplyError(f"{path}: not a copyguard key-policy backup (kind is missing)", "input")
    for name in ("key_arn", "policy"):
        if not isinstance(record.get(name), str):
            raise ApplyError(f"{path}: field {name!r} is missing or not a string", "input")
    if not isinstance(_canonical(record["policy"]), dict):
        raise ApplyError(f"{path}: field 'policy' is not a JSON policy document", "input")
    return record


def rollback(
    reader: Reader, role: str, backup_file: Path, confirm: Callable[[str], bool]
) -> ApplyResult:
    """Write the backup's policy back (after saving the current one next to it)."""
    record = read_backup(backup_file)
    key_arn = record["key_arn"]
    current = read_policy(reader, role, key_arn)
    if _canonical(current) == _canonical(record["policy"]):
        return ApplyResult(key_arn, None, "unchanged", "the key policy already equals the backup")
    if not confirm(current):
        return ApplyResult(key_arn, None, "declined", "not rolled back (declined)")
    again = read_policy(reader, role, key_arn)
    if _canonical(again) != _canonical(current):
        raise ApplyError(
            f"the key policy of {key_arn} changed while waiting for confirmation; nothing was "
            "written. Run the rollback again.",
            "stale",
        )
    safety = write_backup(backup_file.parent, key_arn, current)
    try:
        put_policy(reader, role, key_arn, record["policy"])
    except ApplyError as exc:
        if exc.kind != "uncertain":
            raise ApplyError(f"{exc} The key policy is unchanged.", exc.kind, safety) from None
        raise ApplyError(
            f"restoring the key policy of {key_arn} failed ({exc}); whether it changed is "
            f"unknown. The policy it would replace is saved in {safety}.",
            "uncertain",
            safety,
        ) from None
    after = read_policy(reader, role, key_arn)
    if _canonical(after) != _canonical(record["policy"]):
        raise ApplyError(
            f"the rolled-back key policy of {key_arn} reads back differently; the policy before "
            f"the rollback is saved in {safety}",
            "changed",
            safety,
        )
    return ApplyResult(
        key_arn, safety, "applied", f"rolled back; the policy it replaced is saved in {safety}"
    )
