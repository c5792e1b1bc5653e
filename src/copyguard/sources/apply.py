"""Change a live key policy safely: back up first, write only over the policy just read, verify
after, never bypass KMS's lockout safety check, and never write over someone else's change.

KMS's PutKeyPolicy has no compare-and-swap, so the write is a guarded loop with botocore's own
retries switched off for it: before every attempt the policy is read again and compared with
the one the change was computed from. If it already equals the new policy (an earlier attempt
went through although its answer was lost), the write is done; if it is anything else, someone
changed it and copyguard stops without writing. After the write the policy is read back; if it
is not what was written, copyguard stops and reports both documents: it never "restores" over
a policy it did not just read.

Every failure is an :class:`ApplyError` whose ``kind`` says what state the key is in:

- ``rejected``: KMS refused the new policy (a principal that does not exist, the lockout
  safety check, no permission, too large); nothing was written.
- ``stale``: the policy changed since the diagnosis; nothing was written.
- ``conflict``: someone else changed the policy while copyguard was writing it (seen before a
  retry, or in the read-back); copyguard did not write over that change. ``documents`` holds
  the policies involved.
- ``failed``: the write did not go through (connection, throttling, a KMS fault), and a
  re-read shows the key policy is unchanged.
- ``uncertain``: the state of the key policy could not be established (the backup file
  says what it was).
- ``refused``: a rollback that a safety rule stops (the key policy changed since copyguard
  wrote it, or the backup is broader than the current policy); nothing was written.
- ``input``: a local problem (the backup directory, the backup file, the key it names);
  nothing was written.

Backup files (``kind: kms-key-policy-backup``, ``format: 2``) are JSON objects written with
mode 0600, never over an existing file: ``key_arn``, ``account``, ``region``,
``policy_name``, ``saved_at`` (UTC, ISO 8601), ``policy`` (the policy as read before the
change), ``written`` (the policy copyguard then wrote), ``purpose`` (``fix`` or
``rollback``), ``fix`` (the finding codes and the description of the change, for a fix) and
``checksum`` (``sha256:`` and the hex digest of the canonical JSON of every other field:
keys sorted, no spaces, UTF-8).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from copyguard.evaluate.request import account_of_arn as arn_account
from copyguard.evaluate.request import region_of_arn as arn_region
from copyguard.records import field, record
from copyguard.sources.aws import Reader

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

#: PutKeyPolicy attempts (copyguard's own loop; botocore's retries are off for the write)
WRITE_ATTEMPTS = 5

BACKUP_KIND = "kms-key-policy-backup"
BACKUP_FORMAT = 2


class ApplyError(Exception):
    """A step failed; ``kind`` tells the state of the key (see the module documentation)."""

    def __init__(
        self,
        message: str,
        kind: str = "failed",
        backup: Path | None = None,
        documents: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.backup = backup
        #: (label, policy text) of the policies the user needs to see to decide
        self.documents = list(documents)

    @property
    def changed(self) -> bool:
        """True when the key policy may be left different from before."""
        return self.kind in ("changed", "uncertain", "conflict")


@record(slots=True)
class ApplyResult:
    key_arn: str
    backup_file: Path | None
    status: str  # applied | unchanged | declined
    message: str
    notes: list[str] = field(default_factory=list)


def _canonical(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def pretty(text: str) -> str:
    """A policy document for people (as it came, when it is not JSON)."""
    doc = _canonical(text)
    return json.dumps(doc, indent=2, ensure_ascii=False) if not isinstance(doc, str) else doc


def policy_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    lines = difflib.unified_diff(
        pretty(before).splitlines(),
        pretty(after).splitlines(),
        before_label,
        after_label,
        lineterm="",
    )
    return "\n".join(lines)


def _client(reader: Reader, role: str, key_arn: str) -> Any:
    return reader.client(role, "kms", arn_region(key_arn))


def _write_client(reader: Reader, role: str, key_arn: str) -> Any:
    """A KMS client whose PutKeyPolicy botocore never retries: a retry it sent on its own could
    overwrite a policy changed in between, so copyguard retries itself (see conditional_write)."""
    from botocore.config import Config

    config = reader.config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
    kwargs: dict[str, Any] = {"config": config}
    region = arn_region(key_arn) or reader.region
    if region:
        kwargs["region_name"] = region
    if reader.endpoint_url:
        kwargs["endpoint_url"] = reader.endpoint_url
    return reader.sessions[role].client("kms", **kwargs)


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


def describe_key(reader: Reader, role: str, key_arn: str) -> dict[str, Any]:
    """The key's metadata; ApplyError(kind=input) when there is no key with exactly this ARN."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        out = _client(reader, role, key_arn).describe_key(KeyId=key_arn)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code"))
        kind = "input" if code in ("NotFoundException", "InvalidArnException") else "failed"
        raise ApplyError(
            f"cannot find the key {key_arn}: {code}: {err.get('Message')} (needs kms:DescribeKey)",
            kind,
        ) from None
    except BotoCoreError as exc:
        raise ApplyError(f"cannot describe the key {key_arn}: {exc}") from None
    meta = dict(out.get("KeyMetadata") or {})
    if meta.get("Arn") != key_arn:
        raise ApplyError(
            f"the key {key_arn} is not there: KMS answers with {meta.get('Arn') or 'no key'}",
            "input",
        )
    return meta


# -- backup files ----------------------------------------------------------------------------


def checksum(record: dict[str, Any]) -> str:
    """``sha256:`` + the digest of the canonical JSON of ``record`` without its checksum."""
    body = {k: v for k, v in record.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def backup_record(
    key_arn: str,
    before: str,
    written: str,
    purpose: str,
    fix: dict[str, Any] | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "tool": "copyguard",
        "kind": BACKUP_KIND,
        "format": BACKUP_FORMAT,
        "key_arn": key_arn,
        "account": arn_account(key_arn),
        "region": arn_region(key_arn),
        "policy_name": "default",
        "saved_at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "purpose": purpose,
        "policy": before,
        "written": written,
    }
    if fix is not None:
        record["fix"] = fix
    record["checksum"] = checksum(record)
    return record


def write_backup(directory: Path, record: dict[str, Any]) -> Path:
    """Save ``record`` durably in a new file (mode 0600, never over an existing file or through
    a symbolic link; the directory is created with mode 0700). ApplyError(kind=input)."""
    key_arn = str(record["key_arn"])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key_id = key_arn.rsplit("/", 1)[-1]
    data = (json.dumps(record, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for n in range(100):
            suffix = f"-{n}" if n else ""
            path = directory / f"copyguard-backup-{key_id}-{stamp}{suffix}.json"
            try:
                fd = os.open(path, flags, 0o600)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError:
                path.unlink(missing_ok=True)
                raise
            return path
        raise FileExistsError(f"{directory}: too many backups with the same name")
    except OSError as exc:
        raise ApplyError(
            f"cannot save the current key policy of {key_arn} to {directory}: "
            f"{exc.strerror or exc}; nothing was written (choose another --backup-dir)",
            "input",
        ) from None


def read_backup(path: Path, allow_unverified: bool = False) -> dict[str, Any]:
    """The backup's record, verified: its checksum, and a key ARN that agrees with its account
    and Region. A backup without a checksum (written before format 2) is refused unless
    ``allow_unverified``; a checksum that does not match is always refused."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ApplyError(f"{path}: backup file not found", "input") from None
    except (OSError, ValueError) as exc:
        raise ApplyError(f"{path}: not a copyguard backup file ({exc})", "input") from None
    if not isinstance(record, dict) or record.get("kind") != BACKUP_KIND:
        raise ApplyError(f"{path}: not a copyguard key-policy backup (kind is missing)", "input")
    for name in ("key_arn", "policy"):
        if not isinstance(record.get(name), str):
            raise ApplyError(f"{path}: field {name!r} is missing or not a string", "input")
    if not isinstance(_canonical(record["policy"]), dict):
        raise ApplyError(f"{path}: field 'policy' is not a JSON policy document", "input")
    key_arn = record["key_arn"]
    parts = key_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms" or not parts[5].startswith("key/"):
        raise ApplyError(f"{path}: field 'key_arn' is not a KMS key ARN: {key_arn!r}", "input")
    if "checksum" not in record:
        if not allow_unverified:
            raise ApplyError(
                f"{path}: this backup has no checksum (written by an older copyguard), so it "
                "cannot be verified; check its key_arn and policy yourself, then add "
                "--allow-unverified to use it",
                "input",
            )
    elif record["checksum"] != checksum(record):
        raise ApplyError(
            f"{path}: the backup's checksum does not match its content (the file was changed "
            "or damaged); it is not used",
            "input",
        )
    for name, expected in (("account", arn_account(key_arn)), ("region", arn_region(key_arn))):
        if name in record and record[name] != expected:
            raise ApplyError(
                f"{path}: field {name!r} is {record[name]!r}, but the key ARN says {expected!r}",
                "input",
            )
    written = record.get("written")
    if written is not None and not isinstance(written, str):
        raise ApplyError(f"{path}: field 'written' is not a string", "input")
    return record


# -- the guarded write -------------------------------------------------------------------------


#: KMS's limit on a key policy document, in bytes (it cannot be raised)
MAX_POLICY_BYTES = 32768


def policy_text(policy: dict[str, Any]) -> str:
    """The document as written: indented for people, compact when that would not fit."""
    text = json.dumps(policy, indent=2)
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        text = json.dumps(policy, separators=(",", ":"))
    return text


def put_policy(client: Any, key_arn: str, text: str) -> None:
    """One PutKeyPolicy, never bypassing the lockout safety check.

    ApplyError(kind=rejected) when KMS refused the document (nothing was stored), and
    kind=uncertain when the outcome is unknown (a connection failure or a KMS fault)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.put_key_policy(
            KeyId=key_arn,
            PolicyName="default",
            Policy=text,
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


def _backoff(attempt: int) -> None:
    """botocore's standard backoff before copyguard's own retry number ``attempt`` (1, 2 ...)."""
    import time

    from botocore.retries.standard import ExponentialBackoff, RetryContext

    time.sleep(ExponentialBackoff().delay_amount(RetryContext(attempt_number=attempt)))


def conditional_write(
    reader: Reader,
    role: str,
    key_arn: str,
    expected: str,
    text: str,
    backup: Path,
    rollback_hint: str,
    attempts: int = WRITE_ATTEMPTS,
) -> None:
    """Replace the key policy ``expected`` by ``text``, and only that policy.

    The caller has just read ``expected``. Each retry first reads the policy again: equal to
    ``text`` means an earlier attempt went through (done); anything but ``expected`` means
    someone else changed it, and nothing more is written (kind=conflict)."""
    client = _write_client(reader, role, key_arn)
    target, old = _canonical(text), _canonical(expected)
    last: ApplyError | None = None

    def reread() -> str:
        """The policy now, after the failed write ``last``; when it cannot be read, whether
        that write went through is unknown."""
        try:
            return read_policy(reader, role, key_arn)
        except ApplyError as again:
            raise ApplyError(
                f"writing the key policy of {key_arn} failed ({last}), and it could not be read "
                f"back ({again}), so whether it changed is unknown. The previous policy is saved "
                f"in {backup}; check the key and, if it changed, restore it with: {rollback_hint}",
                "uncertain",
                backup,
            ) from None

    for attempt in range(attempts):
        if attempt:
            _backoff(attempt)
            now = reread()
            seen = _canonical(now)
            if seen == target:
                return  # an earlier attempt went through although its answer was lost
            if seen != old:
                raise ApplyError(
                    f"writing the key policy of {key_arn} failed ({last}); before trying again "
                    "copyguard read it, and someone else has changed it meanwhile. copyguard "
                    "did not write over that change. Compare the policies below, then run the "
                    f"command again to diagnose the current one. The policy before is saved in "
                    f"{backup}.",
                    "conflict",
                    backup,
                    [("the policy copyguard would write", text), ("the policy now", now)],
                )
        try:
            put_policy(client, key_arn, text)
            return
        except ApplyError as exc:
            if exc.kind != "uncertain":
                raise ApplyError(f"{exc} The key policy is unchanged.", exc.kind, backup) from None
            last = exc
    now = reread()
    seen = _canonical(now)
    if seen == target:
        return
    if seen == old:
        raise ApplyError(
            f"writing the key policy of {key_arn} failed ({last}) {attempts} times; a re-read "
            "shows it is unchanged. Run the command again when AWS is reachable.",
            "failed",
            backup,
        )
    raise ApplyError(
        f"writing the key policy of {key_arn} failed ({last}), and it now reads as neither the "
        "old nor the new policy (someone else changed it); copyguard did not touch it further. "
        f"The policy before is saved in {backup}.",
        "conflict",
        backup,
        [("the policy copyguard would write", text), ("the policy now", now)],
    )


def _verify_written(
    reader: Reader, role: str, key_arn: str, text: str, backup: Path, hint: str
) -> None:
    """Read the policy back: it must be what was written. When it is not, someone else wrote
    in between: stop and show both; never write over it."""
    try:
        after = read_policy(reader, role, key_arn)
    except ApplyError as exc:
        raise ApplyError(
            f"the new key policy of {key_arn} was written but could not be read back to verify "
            f"it ({exc}). If it is wrong, restore the previous one with: {hint}",
            "uncertain",
            backup,
        ) from None
    if _canonical(after) != _canonical(text):
        raise ApplyError(
            f"the key policy of {key_arn} was written, but reading it back shows a different "
            "policy: someone else changed it right after. copyguard did not write over that "
            "change (nor restore the backup over it). Compare the policies below and decide; "
            f"the policy before copyguard's change is saved in {backup}.",
            "conflict",
            backup,
            [("the policy copyguard wrote", text), ("the policy now", after)],
        )


def apply_key_policy(
    reader: Reader,
    role: str,
    key_arn: str,
    diagnosed_text: str,
    new_policy: dict[str, Any],
    backup_dir: Path,
    confirm: Callable[[], bool],
    fix: dict[str, Any] | None = None,
    rollback_hint: Callable[[Path], str] | None = None,
) -> ApplyResult:
    """Replace the key policy with ``new_policy`` if it is still ``diagnosed_text``.

    Order: confirm, re-read (stop if it changed since the diagnosis), back up, the guarded
    write (see conditional_write), read back (stop and report if it differs)."""
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
            None,
            [("the policy diagnosed", diagnosed_text), ("the policy now", current)],
        )
    text = policy_text(new_policy)
    backup = write_backup(backup_dir, backup_record(key_arn, current, text, "fix", fix))
    hint = (
        rollback_hint(backup)
        if rollback_hint
        else f"copyguard fix --rollback {_quote(str(backup))}"
    )
    conditional_write(reader, role, key_arn, current, text, backup, hint)
    _verify_written(reader, role, key_arn, text, backup, hint)
    return ApplyResult(
        key_arn, backup, "applied", "the fix is applied: written, and verified by reading it back"
    )


def _quote(value: str) -> str:
    from copyguard.escape import shell_quote

    return shell_quote(value)


# -- rollback ----------------------------------------------------------------------------------


def broader_requests(current: str, restored: str, key_arn: str) -> list[str]:
    """The requests (principal, action, context) the ``restored`` policy would allow and the
    ``current`` one does not, for every principal either policy names, a probe principal in
    the key's account and in another account, and every KMS action a key policy decides."""
    from copyguard.checks.analysis import allow_all_identity
    from copyguard.evaluate import Request, evaluate_kms
    from copyguard.fixes.key_policy import PROBE_CONTEXTS, key_policy_action_names
    from copyguard.policy import PolicyError, parse_policy

    try:
        before = parse_policy(current, name="current key policy", kind="key")
        after = parse_policy(restored, name="backed-up key policy", kind="key")
    except PolicyError as exc:
        return [f"cannot compare the policies ({exc})"]
    account = arn_account(key_arn) or "111122223333"
    principals = {
        f"arn:aws:iam::{account}:root",
        f"arn:aws:iam::{account}:role/copyguard-probe",
        "arn:aws:iam::999999999999:role/copyguard-probe",
    }
    for doc in (before.document, after.document):
        principals.update(_named_principals(doc))
    identity = [allow_all_identity()]
    out: list[str] = []
    for principal in sorted(principals):
        for action in key_policy_action_names():
            for extra in PROBE_CONTEXTS:
                req = Request(principal, action, key_arn, dict(extra))
                if evaluate_kms(req, after, identity).decision != "allowed":
                    continue
                was = evaluate_kms(req, before, identity).decision
                if was != "allowed":
                    ctx = f" with {extra}" if extra else ""
                    out.append(f"{principal} {action}{ctx} ({was} now)")
    return out


def _named_principals(doc: Any) -> set[str]:
    """The AWS and service principals a policy document names (``*`` as a probe role)."""
    out: set[str] = set()
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict):
            continue
        for key in ("Principal", "NotPrincipal"):
            value = st.get(key)
            if value == "*":
                out.add("arn:aws:iam::999999999999:role/copyguard-probe")
            elif isinstance(value, dict):
                for kind in ("AWS", "Service"):
                    names = value.get(kind, [])
                    for name in names if isinstance(names, list) else [names]:
                        if not isinstance(name, str):
                            continue
                        if name == "*":
                            name = "arn:aws:iam::999999999999:role/copyguard-probe"
                        elif kind == "AWS" and name.isdigit():
                            name = f"arn:aws:iam::{name}:root"
                        out.add(name)
    return out


def rollback(
    reader: Reader,
    role: str,
    record: dict[str, Any],
    backup_file: Path,
    confirm: Callable[[str], bool],
    force: bool = False,
    allow_broader: bool = False,
) -> ApplyResult:
    """Write the backup's policy back, under the same guards as a fix.

    The key must exist with the backup's ARN. The current policy must be the one copyguard
    wrote (``written`` in the backup) unless ``force``; the restored policy may not allow a
    request the current one denies unless ``allow_broader``. ``confirm(current)`` is asked
    last; the policy it replaces is saved next to the backup first."""
    key_arn = record["key_arn"]
    describe_key(reader, role, key_arn)
    current = read_policy(reader, role, key_arn)
    target = record["policy"]
    if _canonical(current) == _canonical(target):
        return ApplyResult(key_arn, None, "unchanged", "the key policy already equals the backup")
    notes: list[str] = []
    written = record.get("written")
    if written is None or _canonical(current) != _canonical(written):
        why = (
            "the backup does not record what copyguard wrote, so copyguard cannot tell whether "
            "the key policy changed since"
            if written is None
            else "the key policy is no longer the one copyguard wrote: someone changed it since, "
            "and the rollback would undo that change too"
        )
        if not force:
            raise ApplyError(
                f"not rolled back: {why}. Nothing was written. Compare the policies; to replace "
                "the current policy with the backup anyway, add --force.",
                "refused",
                None,
                ([("the policy copyguard wrote", written)] if written is not None else [])
                + [("the policy now", current)],
            )
        notes.append(f"--force: {why}")
    wider = broader_requests(current, target, key_arn)
    if wider:
        shown = "; ".join(wider[:8]) + (f"; and {len(wider) - 8} more" if len(wider) > 8 else "")
        if not allow_broader:
            raise ApplyError(
                "not rolled back: the backed-up policy allows requests the current policy "
                f"denies: {shown}. Nothing was written. To restore it anyway, add "
                "--allow-broader.",
                "refused",
            )
        notes.append(f"--allow-broader: the restored policy also allows {shown}")
    if not confirm(current):
        return ApplyResult(key_arn, None, "declined", "not rolled back (declined)", notes)
    again = read_policy(reader, role, key_arn)
    if _canonical(again) != _canonical(current):
        raise ApplyError(
            f"the key policy of {key_arn} changed while waiting for confirmation; nothing was "
            "written. Run the rollback again.",
            "stale",
            None,
            [("the policy shown", current), ("the policy now", again)],
        )
    safety = write_backup(backup_file.parent, backup_record(key_arn, current, target, "rollback"))
    hint = f"copyguard fix --rollback {_quote(str(safety))}"
    conditional_write(reader, role, key_arn, current, target, safety, hint)
    _verify_written(reader, role, key_arn, target, safety, hint)
    return ApplyResult(
        key_arn,
        safety,
        "applied",
        f"rolled back; the policy it replaced is saved in {safety}",
        notes,
    )
