"""``copyguard fix --live [--apply]`` and ``--rollback``: change live key policies safely."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from copyguard.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_PASS, EXIT_UNKNOWN, default_lang, fail_input


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise click.UsageError("refusing to change a live key without confirmation: add --yes")
    return click.confirm(question, default=False, err=True)


def live_fix_entry(kw: dict[str, Any], *, apply_: bool, rollback: str | None, principal: str, unsafe: bool,
                   lang: str | None, yes: bool, backup_dir: str, context: tuple[str, ...], as_: str) -> int:
    lang = lang or default_lang()
    if rollback:
        return _rollback(kw, Path(rollback), yes)
    from copyguard.cli.fix import select_fixes
    from copyguard.cli.scan import run_live_scan
    from copyguard.fixes import render_fixes
    from copyguard.sources.apply import ApplyError, apply_key_policy

    report, live = run_live_scan(kw, principal, context)
    fixes = [f for f in select_fixes(report, unsafe) if f.kind == "key-policy" and f.policy is not None]
    errors = [f for f in report.findings if f.severity == "error"]
    click.echo(f"copyguard: diagnosis: verdict {report.verdict}; "
               f"{', '.join(sorted({f.code for f in errors})) or 'no errors'}", err=True)
    if not fixes:
        click.echo("copyguard: no key-policy fix to apply" + ("" if report.verdict == "pass" else
                   "; run `copyguard scan` with the same options for the other findings' steps"), err=True)
        return EXIT_PASS if report.verdict == "pass" else (EXIT_UNKNOWN if report.verdict == "unknown" else EXIT_FAIL)
    click.echo(render_fixes(fixes, "diff" if as_ == "policy" else as_, lang).rstrip("\n"))
    if not apply_:
        click.echo("copyguard: nothing was changed (add --apply to write the fix)", err=True)
        return EXIT_PASS
    status = EXIT_PASS
    for fx in fixes:
        key_arn = fx.resource or ""
        diagnosed = live.key_policy_text.get(key_arn)
        if diagnosed is None:
            click.echo(f"copyguard: error: the policy of {key_arn} was not read during the diagnosis; not applied",
                       err=True)
            status = EXIT_UNKNOWN
            continue
        role = _role_for(live, key_arn)
        if role is None:
            click.echo(f"copyguard: error: no session for account {key_arn.split(':')[4]}; not applied", err=True)
            status = EXIT_INPUT
            continue
        try:
            result = apply_key_policy(
                live.reader, role, key_arn, diagnosed, fx.policy or {}, Path(backup_dir),
                lambda k=key_arn: _confirm(f"Replace the key policy of {k}?", yes),
            )
        except ApplyError as exc:
            click.echo(f"copyguard: error: {exc}", err=True)
            status = EXIT_UNKNOWN if not exc.changed else EXIT_FAIL
            continue
        except click.UsageError as exc:
            click.echo(f"copyguard: error: {exc.message}", err=True)
            return EXIT_INPUT
        if result.backup_file:
            click.echo(f"copyguard: saved the previous policy to {result.backup_file}", err=True)
        click.echo(f"copyguard: {key_arn}: {result.message}", err=True)
        if result.status == "applied":
            flags = _profile_flags(kw)
            click.echo(f"copyguard: to roll back: copyguard fix --rollback {result.backup_file}{flags}", err=True)
        elif result.status == "declined":
            status = EXIT_FAIL
    return status


def _role_for(live: Any, key_arn: str) -> str | None:
    account = key_arn.split(":")[4]
    reader = live.reader
    for role in ("source", "destination", "management"):
        if reader.has(role):
            ident = reader.call(role, "sts", "get_caller_identity")
            if isinstance(ident, dict) and ident.get("Account") == account:
                return role
    return None


def _profile_flags(kw: dict[str, Any]) -> str:
    out = ""
    for name in ("source_profile", "source_role_arn", "region", "endpoint_url"):
        if kw.get(name):
            out += f" --{name.replace('_', '-')} {kw[name]}"
    return out


def _rollback(kw: dict[str, Any], backup: Path, yes: bool) -> int:
    from copyguard.cli.scan import run_live_scan  # noqa: F401 - same session handling
    from copyguard.sources.apply import ApplyError, read_backup, rollback
    from copyguard.sources.aws import Reader, sessions_from

    try:
        record = read_backup(backup)
    except ApplyError as exc:
        fail_input(str(exc))
    profiles = {r: kw.get(f"{r}_profile") for r in ("source", "destination", "management")}
    roles = {r: kw.get(f"{r}_role_arn") for r in ("source", "destination", "management")}
    region = kw.get("region") or record.get("region")
    sessions = sessions_from(profiles, roles, region)
    reader = Reader(sessions, region=region, endpoint_url=kw.get("endpoint_url"))
    try:
        result = rollback(reader, "source", backup, lambda current: _confirm(
            f"Restore the key policy of {record['key_arn']} from {backup}?", yes))
    except ApplyError as exc:
        click.echo(f"copyguard: error: {exc}", err=True)
        return EXIT_FAIL if exc.changed else EXIT_UNKNOWN
    except click.UsageError as exc:
        click.echo(f"copyguard: error: {exc.message}", err=True)
        return EXIT_INPUT
    click.echo(f"copyguard: {record['key_arn']}: {result.message}", err=True)
    return EXIT_PASS if result.status in ("applied", "unchanged") else EXIT_FAIL
