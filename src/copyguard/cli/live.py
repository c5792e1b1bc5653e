"""``copyguard fix --live [--apply]`` and ``--rollback``: change live key policies safely.

Exit codes: ``0`` the fix was shown (without ``--apply``), or applied and verified with nothing
else failing; ``1`` a fix could not be applied and the copy still fails (KMS rejected the
policy, the change was declined, or other errors remain that only a person can fix); ``2``
usage or input errors (no ``--yes`` without a terminal, a bad backup file or directory, an
unknown job, a backup of a key the profile's account does not own); ``3`` the outcome is
unknown (the policy changed since the diagnosis or while it was written, AWS could not be
reached, or the write could not be verified).

``--rollback FILE`` exits ``0`` when the key policy equals the backup's (restored and read
back, or already), ``1`` when a safety rule refused it (the policy changed since copyguard wrote
it: ``--force``; the backup allows more: ``--allow-broader``) or it was declined, ``2`` for a
file that does not verify, and ``3`` as above.
"""

from __future__ import annotations

import functools
import os
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
from copyguard.escape import shell_quote

#: exit code per ApplyError kind (see copyguard.sources.apply)
_EXIT_OF_KIND = {
    "rejected": EXIT_FAIL,
    "changed": EXIT_FAIL,
    "refused": EXIT_FAIL,
    "input": EXIT_INPUT,
    "stale": EXIT_UNKNOWN,
    "failed": EXIT_UNKNOWN,
    "conflict": EXIT_UNKNOWN,
    "uncertain": EXIT_UNKNOWN,
}
_ROLLBACK_FLAGS = ("force", "allow_broader", "allow_unverified")
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


def _report_error(exc: Any) -> None:
    """An ApplyError, with the policies it names (all of them: the user decides from them)."""
    click.echo(f"copyguard: error: {exc}", err=True)
    from copyguard.sources.apply import pretty

    for label, text in getattr(exc, "documents", ()):
        click.echo(f"--- {label}:", err=True)
        click.echo(pretty(text), err=True)


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
    kw = dict(kw)
    flags = {name: bool(kw.pop(name, False)) for name in _ROLLBACK_FLAGS}
    if rollback:
        return _rollback(kw, Path(rollback), yes, **flags)
    from copyguard.cli.fix_select import select_fixes
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
                functools.partial(_confirm, f"Replace the key policy of {key_arn}?", yes),
                fix={"codes": sorted(fx.codes), "description": fx.description.get("en")},
                rollback_hint=functools.partial(_rollback_command, kw=kw, role=role),
            )
        except ApplyError as exc:
            _report_error(exc)
            status = _worst(status, _EXIT_OF_KIND.get(exc.kind, EXIT_UNKNOWN))
            continue
        if result.backup_file:
            click.echo(f"copyguard: saved the previous policy to {result.backup_file}", err=True)
        click.echo(f"copyguard: {key_arn}: {result.message}", err=True)
        if result.status == "applied" and result.backup_file:
            click.echo(
                f"copyguard: to roll back: {_rollback_command(result.backup_file, kw, role)}",
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


def _rollback_command(backup: Path, kw: dict[str, Any], role: str = "source") -> str:
    """The rollback command line for ``backup``, every value shell-quoted."""
    return f"copyguard fix --rollback {shell_quote(str(backup))}{_profile_flags(kw, role)}"


def _profile_flags(kw: dict[str, Any], role: str = "source") -> str:
    out = ""
    for name in (f"{role}_profile", f"{role}_role_arn", "region", "endpoint_url"):
        if kw.get(name):
            out += f" --{name.replace('_', '-')} {shell_quote(str(kw[name]))}"
    return out


def _rollback(
    kw: dict[str, Any],
    backup: Path,
    yes: bool,
    *,
    force: bool = False,
    allow_broader: bool = False,
    allow_unverified: bool = False,
) -> int:
    """Verify the backup and the key it names, show the diff, ask (or --yes), then restore it
    under the same guards as --apply."""
    from botocore.exceptions import ProfileNotFound

    from copyguard.sources.apply import ApplyError, policy_diff, read_backup, rollback
    from copyguard.sources.aws import LiveError, Reader, sessions_from

    try:
        record = read_backup(backup, allow_unverified=allow_unverified)
    except ApplyError as exc:
        fail_input(str(exc))
    if "checksum" not in record:
        click.echo(
            f"copyguard: warning: {backup} has no checksum; used because of --allow-unverified",
            err=True,
        )
    _require_confirmation_channel(yes, "roll back a live key policy")
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
        account = key_arn.split(":")[4]
        fail_input(
            f"{backup}: the backup is of a key in account {account}, and no profile given acts "
            "as that account (give its profile with --source-profile, or check the credentials)"
        )

    def show_and_confirm(current: str) -> bool:
        click.echo(policy_diff(current, record["policy"], "key policy (now)", f"{backup}"))
        return _confirm(f"Restore the key policy of {key_arn} from {backup}?", yes)

    try:
        result = rollback(
            reader,
            role,
            record,
            backup,
            show_and_confirm,
            force=force,
            allow_broader=allow_broader,
        )
    except ApplyError as exc:
        if exc.kind == "input":
            fail_input(f"{backup}: {exc}")
        _report_error(exc)
        return _EXIT_OF_KIND.get(exc.kind, EXIT_UNKNOWN)
    for note in result.notes:
        click.echo(f"copyguard: note: {note}", err=True)
    click.echo(f"copyguard: {key_arn}: {result.message}", err=True)
    return EXIT_PASS if result.status in ("applied", "unchanged") else EXIT_FAIL
