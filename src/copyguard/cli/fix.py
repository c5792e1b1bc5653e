"""``copyguard fix``: print the minimal, proven fix (``--live --apply`` changes a live key)."""

from __future__ import annotations

import json
from typing import Any

import click

from copyguard.cli.check import build_report, quick_options, report_input_errors
from copyguard.cli.common import EXIT_INPUT, EXIT_PASS, EXIT_UNKNOWN, default_lang, fail_input
from copyguard.cli.scan import live_options

AS_CHOICES = ("policy", "json", "diff", "cli", "terraform", "cloudformation")


def select_fixes(report: Any, unsafe: bool) -> list[Any]:
    fixes = list(report.fixes)
    if unsafe:
        # the unsafe key-policy fix already contains the safe one: show it instead
        unsafe_keys = {
            f.resource for f in fixes if f.kind == "key-policy" and f.applicability == "unsafe"
        }
        return [
            f
            for f in fixes
            if not (
                f.kind == "key-policy" and f.applicability == "safe" and f.resource in unsafe_keys
            )
        ]
    return [f for f in fixes if f.applicability != "unsafe"]


@click.command("fix")
@click.argument("scenario", required=False, metavar="[SCENARIO]")
@quick_options
@click.option(
    "--as",
    "as_",
    type=click.Choice(AS_CHOICES),
    default="policy",
    show_default=True,
    help='policy: the fixed documents; json: {"fixes": [...]}; diff; cli (aws commands); '
    "terraform; cloudformation.",
)
@click.option(
    "--unsafe", is_flag=True, help="Include fixes that loosen a Deny (never applied by default)."
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
@click.option(
    "--live", is_flag=True, help="Diagnose live accounts (same options as scan) and fix them."
)
@click.option(
    "--apply",
    "apply_",
    is_flag=True,
    help="With --live: write the fix (asks first; backs up first).",
)
@click.option("--yes", "-y", "yes", is_flag=True, help="With --apply: do not ask for confirmation.")
@click.option(
    "--backup-dir",
    default="copyguard-backups",
    show_default=True,
    metavar="DIR",
    help="With --apply: where the current policy is saved before it is replaced.",
)
@click.option(
    "--rollback", metavar="FILE", help="Restore a key policy from a backup file written by --apply."
)
@live_options
def fix(
    scenario: str | None,
    key_policy: str | None,
    source_account: str | None,
    destination_account: str | None,
    key_arn: str | None,
    resource_type: str | None,
    key_manager: str | None,
    key_state: str | None,
    context: tuple[str, ...],
    vault_principal: str,
    principal: str,
    as_: str,
    unsafe: bool,
    lang: str | None,
    live: bool,
    apply_: bool,
    yes: bool,
    backup_dir: str,
    rollback: str | None,
    **live_kw: Any,
) -> int:
    """Print the minimal fix for a scenario or one key policy, proven by copyguard's evaluator.

    The key-policy fix adds the destination principal (--principal root|slr|ARN) to the
    statements that already have the right actions and conditions, or adds the AWS article's
    two statements; nothing else changes, and a second run changes nothing.
    """
    if live or apply_ or rollback:
        if scenario or key_policy:
            fail_input(
                "--live/--apply/--rollback work on live accounts, not on a SCENARIO or --key-policy"
            )
        if apply_ and not live:
            fail_input(
                "--apply needs --live (and a target: --job-id, --failed-since, --plan-id or --all-plans)"
            )
        from copyguard.cli.live import live_fix_entry

        return live_fix_entry(
            live_kw,
            apply_=apply_,
            rollback=rollback,
            principal=principal,
            unsafe=unsafe,
            lang=lang,
            yes=yes,
            backup_dir=backup_dir,
            context=context,
            as_=as_,
        )
    from copyguard.fixes import render_fixes

    lang = lang or default_lang()
    report = build_report(
        scenario,
        key_policy,
        source_account,
        destination_account,
        key_arn,
        resource_type,
        key_manager,
        key_state,
        principal,
        context,
        vault_principal,
    )
    if report_input_errors(report, lang):
        return EXIT_INPUT
    fixes = select_fixes(report, unsafe)
    if as_ == "policy":
        docs = [f for f in fixes if f.policy is not None]
        if not docs:
            _say_nothing(report, lang)
        elif len(docs) == 1:
            click.echo(json.dumps(docs[0].policy, indent=2, ensure_ascii=False))
        else:
            for f in docs:
                click.echo(f"// {f.kind} of {f.resource}", err=True)
                click.echo(json.dumps(f.policy, indent=2, ensure_ascii=False))
        others = [f for f in fixes if f.policy is None]
        for f in others:
            click.echo(f"# {f.description.get(lang)}", err=True)
            for c in f.commands:
                click.echo(f"#   {c}", err=True)
    else:
        out = render_fixes(fixes, as_, lang)
        if out.strip():
            click.echo(out.rstrip("\n"))
        else:
            _say_nothing(report, lang)
    held = [f for f in report.fixes if f.applicability == "unsafe"]
    if held and not unsafe:
        click.echo(
            "copyguard: an explicit Deny also blocks the copy; its fix loosens the Deny and is shown "
            "only with --unsafe",
            err=True,
        )
    unproven = [
        f for f in report.findings if f.code == "CG902" and f.evidence.get("needed_for") == "fix"
    ]
    return EXIT_UNKNOWN if unproven else EXIT_PASS


def _say_nothing(report: Any, lang: str) -> None:
    if report.verdict == "pass":
        click.echo(
            "copyguard: nothing to fix: every copy passes"
            if lang != "zh"
            else "copyguard:无需修复:所有复制均通过",
            err=True,
        )
    else:
        click.echo(
            "copyguard: no policy fix applies; see `copyguard check` for the findings and their steps",
            err=True,
        )
