"""``copyguard fix --live [--apply]`` and ``--rollback``: change live key policies safely.

Exit codes: ``0`` the fix was shown (without ``--apply``), or applied and verified with nothing
else failing; ``1`` a fix could not be applied and the copy still fails (KMS rejected the
policy, the change was declined, or other errors remain that only a person can fix); ``2``
usage or input errors (no ``--yes`` without a terminal, a bad backup file or directory, an
unknown job); ``3`` the outcome is unknown (the policy changed since the diagnosis, AWS could
not be reached, or the write could not be verified).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from copyguard.cli.common import (
    EXIT_FAIL,
    EXIT_INPUT,
    EXIT_PASS,
    EXIT_UNKNOWN,
    default_lang,
    fail_input,
)

#: exit code per ApplyError kind (see copyguard.sources.apply)
_EXIT_OF_KIND = {
    "rejected": EXIT_FAIL,
    "changed": EXIT_FAIL,
    "input": EXIT_INPUT,
    "stale": EXIT_UNKNOWN,
    "failed": EXIT_UNKNOWN,
    "restored": EXIT_UNKNOWN,
    "uncertain": EXIT_UNKNOWN,
}
_WORSE = (EXIT_PASS, EXIT_FAIL, EXIT_UNKNOWN, EXIT_INPUT)  # later wins


def _worst(a: int, b: int) -> int:
    return a if _WORSE.index(a) >= _WORSE.index(b) else b


def _require_confirmation_channel(yes: bool, what: str) -> None:
    """Without --yes, a question needs a terminal: refuse before anything is read or written."""
    if not yes and not sys.stdin.isatty():
        fail_input(
            f"refusing to {what} without confirmation: standard input is not a terminal; "
            "add --yes to confirm on the command line. Nothing was changed."
        )


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    return click.confirm(question, default=False, err=True)


def live_fix_entry(
    kw: dict[str, Any],
    *,
    apply_: bool,
    rollback: str | None,
    principal: str,
    unsafe: bool,
    lang: str | None,
    yes: bool,
    backup_dir: str,
    context: tuple[str, ...],
    as_: str,
) -> int:
    lang = lang or default_lang()
    if rollback:
        return _rollback(kw, Path(rollback), yes)
    from copyguard.cli.fix import select_fixes
    from copyguard.cli.scan import check_target, live_flags, run_live_scan
    from copyguard.fixes import render_fixes
    from copyguard.sources.apply import ApplyError, apply_key_policy

    check_target(kw)
    if apply_:
        _require_confirmation_channel(yes, "change a live key policy")
    report, live = run_live_scan(kw, principal, context)
    shown = select_fixes(report, unsafe)
    fixes = [f for f in shown if f.kind == "key-policy" and f.policy is not None]
    errors = [f for f in report.findings if f.severity == "error"]
    click.echo(
        f"copyguard: diagnosis: verdict {report.verdict}; "
        f"{', '.join(sorted({f.code for f in errors})) or 'no errors'}",
        err=True,
    )
    verdict_exit = {"pass": EXIT_PASS, "fail": EXIT_FAIL}.get(report.verdict, EXIT_UNKNOWN)
    if shown:
        rendered = render_fixes(shown, "diff" if as_ == "policy" else as_, lang).rstrip("\n")
        if rendered.strip():
            click.echo(rendered)
    others = [f for f in shown if f not in fixes and f.policy is not None]
    if others:
        kinds = ", ".join(sorted({f.kind for f in others}))
        click.echo(
            f"copyguard: --apply writes key policies only; apply the {kinds} fix above with the "
            f"AWS CLI commands of `copyguard fix --live {live_flags(kw)} --as cli`",
            err=True,
        )
    if not fixes:
        if report.verdict != "pass" and not others:
            click.echo(
                "copyguard: no policy fix to apply; the findings' steps are in "
                f"`copyguard scan {live_flags(kw)}`",
                err=True,
            )
        return verdict_exit
    if not apply_:
        click.echo(
            "copyguard: nothing was changed (add --apply to write the key-policy fix)", err=True
        )
        return EXIT_PASS
    status = EXIT_PASS
    applied_codes: set[str] = set()
    for fx in fixes:
        key_arn = fx.resource or ""
        diagnosed = live.key_policy_text.get(key_arn)
        if diagnosed is None:
            click.echo(
                f"copyguard: error: the policy of {key_arn} was not read during the diagnosis; "
                "not applied",
                err=True,
            )
            status = _worst(status, EXIT_UNKNOWN)
            continue
        role = _role_for(live.reader, key_arn)
        if role is None:
            click.echo(
                f"copyguard: error: no session for account {key_arn.split(':')[4]}; not applied",
                err=True,
            )
            status = _worst(status, EXIT_INPUT)
            continue
        try:
            result = apply_key_policy(
                live.reader,
                role,
                key_arn,
                diagnosed,
                fx.policy or {},
                _backup_dir(backup_dir),
                lambda k=key_arn: _confirm(f"Replace the key policy of {k}?", yes),
            )
        except ApplyError as exc:
            click.echo(f"copyguard: error: {exc}", err=True)
            status = _worst(status, _EXIT_OF_KIND.get(exc.kind, EXIT_UNKNOWN))
            continue
        if result.backup_file:
            click.echo(f"copyguard: saved the previous policy to {result.backup_file}", err=True)
        click.echo(f"copyguard: {key_arn}: {result.message}", err=True)
        if result.status == "applied":
            click.echo(
                "copyguard: to roll back: copyguard fix --rollback "
                f"{shlex.quote(str(result.backup_file))}{_profile_flags(kw, role)}",
                err=True,
            )
        if result.status in ("applied", "unchanged"):
            applied_codes.update(fx.codes)
        else:
            status = _worst(status, EXIT_FAIL)
    if status == EXIT_PASS:
        left = sorted({f.code for f in errors if f.code not in applied_codes})
        if left:
            click.echo(
                f"copyguard: the key policy is fixed, but {', '.join(left)} still make the copy "
                f"fail; see `copyguard scan {live_flags(kw)}`",
                err=True,
            )
            status = EXIT_FAIL
        elif report.verdict == "unknown":
            status = EXIT_UNKNOWN
    return status


def _backup_dir(backup_dir: str) -> Path:
    """--backup-dir; when it is the default and cannot be written here, a per-user one."""
    from click.core import ParameterSource

    chosen = Path(backup_dir)
    ctx = click.get_current_context(silent=True)
    source = ctx.get_parameter_source("backup_dir") if ctx is not None else None
    if source not in (ParameterSource.DEFAULT, None) or _writable(chosen):
        return chosen
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    fallback = Path(state) / "copyguard" / "backups"
    click.echo(
        f"copyguard: note: cannot write to {chosen.resolve()}; backups go to {fallback}", err=True
    )
    return fallback


def _writable(directory: Path) -> bool:
    """Whether ``directory`` exists or could be created, and files written in it."""
    if directory.exists():
        return directory.is_dir() and os.access(directory, os.W_OK | os.X_OK)
    parent = directory.resolve().parent
    while not parent.exists():
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _role_for(reader: Any, key_arn: str) -> str | None:
    """The session (source, destination, management) of the account that owns the key."""
    account = key_arn.split(":")[4] if key_arn.count(":") >= 5 else ""
    for role in ("source", "destination", "management"):
        if reader.has(role):
            ident = reader.call(role, "sts", "get_caller_identity")
            if isinstance(ident, dict) and ident.get("Account") == account:
                return role
    return None


def _profile_flags(kw: dict[str, Any], role: str = "source") -> str:
    out = ""
    for name in (f"{role}_profile", f"{role}_role_arn", "region", "endpoint_url"):
        if kw.get(name):
            out += f" --{name.replace('_', '-')} {shlex.quote(str(kw[name]))}"
    return out


def _rollback(kw: dict[str, Any], backup: Path, yes: bool) -> int:
    from botocore.exceptions import ProfileNotFound

    from copyguard.sources.apply import ApplyError, read_backup, rollback
    from copyguard.sources.aws import LiveError, Reader, sessions_from

    try:
        record = read_backup(backup)
    except ApplyError as exc:
        fail_input(str(exc))
    # A rollback restores what copyguard itself saved, after saving the policy it replaces:
    # it asks on a terminal, and runs as printed (`copyguard fix --rollback FILE`) in scripts.
    ask = not yes and sys.stdin.isatty()
    profiles = {r: kw.get(f"{r}_profile") for r in ("source", "destination", "management")}
    roles = {r: kw.get(f"{r}_role_arn") for r in ("source", "destination", "management")}
    region = kw.get("region") or record.get("region")
    try:
        sessions = sessions_from(profiles, roles, region)
    except (ProfileNotFound, LiveError) as exc:
        fail_input(str(exc))
    except Exception as exc:  # BotoCoreError; assume-role failures are ClientErrors
        fail_input(f"cannot create AWS sessions: {exc}")
    reader = Reader(sessions, region=region, endpoint_url=kw.get("endpoint_url"))
    key_arn = record["key_arn"]
    role = _role_for(reader, key_arn)
    if role is None:
        account = key_arn.split(":")[4] if key_arn.count(":") >= 5 else "?"
        fail_input(
            f"the backup is of a key in account {account}, and no profile given acts as that "
            "account (give its profile with --source-profile, or check the credentials)"
        )
    try:
        result = rollback(
            reader,
            role,
            backup,
            lambda current: _confirm(
                f"Restore the key policy of {key_arn} from {backup}?", not ask
            ),
        )
    except ApplyError as exc:
        click.echo(f"copyguard: error: {exc}", err=True)
        return _EXIT_OF_KIND.get(exc.kind, EXIT_UNKNOWN)
    click.echo(f"copyguard: {key_arn}: {result.message}", err=True)
    return EXIT_PASS if result.status in ("applied", "unchanged") else EXIT_FAIL
