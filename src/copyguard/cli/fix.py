"""``copyguard fix``: print the minimal, proven fix (``--live --apply`` changes a live key)."""

from __future__ import annotations

from typing import Any

import click

from copyguard.cli.check import (
    build_report,
    quick_options,
    report_input_errors,
    round_trip_option,
    write_output,
)
from copyguard.cli.common import EXIT_INPUT, EXIT_PASS, EXIT_UNKNOWN, default_lang, fail_input
from copyguard.cli.fastexit import keep
from copyguard.cli.fix_select import select_fixes
from copyguard.cli.iac import iac_options_without_region, resolve_inputs
from copyguard.cli.inputs import max_input_size_option
from copyguard.cli.scan import live_options

AS_CHOICES = ("policy", "json", "diff", "cli", "terraform", "cloudformation", "html")


@click.command("fix")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@iac_options_without_region
@quick_options
@click.option(
    "--as",
    "as_",
    type=click.Choice(AS_CHOICES),
    default="policy",
    show_default=True,
    help='policy: the fixed documents; json: {"fixes": [...]}; diff; cli (aws commands); '
    "terraform; cloudformation; html (the HTML report with these fixes).",
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
    "--rollback",
    metavar="FILE",
    help="Restore a key policy from a backup file written by --apply (verified; shows the "
    "diff; asks, or --yes).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --rollback: replace the key policy even if it changed since copyguard wrote it.",
)
@click.option(
    "--allow-broader",
    is_flag=True,
    help="With --rollback: restore a policy that allows requests the current one denies.",
)
@click.option(
    "--allow-unverified",
    is_flag=True,
    help="With --rollback: use a backup without a checksum (written by an older copyguard).",
)
@live_options
@round_trip_option
@max_input_size_option
def fix(
    inputs: tuple[str, ...],
    input_type: str | None,
    accounts: tuple[str, ...],
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
    round_trip: bool,
    **live_kw: Any,
) -> int:
    """Print the minimal fix for a scenario or one key policy, proven by copyguard's evaluator.

    The key-policy fix adds the destination principal (--principal root|slr|ARN) to the
    statements that already have the right actions and conditions, or adds the AWS article's
    two statements; nothing else changes, and a second run changes nothing.
    """
    scenario: str | None = inputs[0] if inputs else None
    rollback_flags = [n for n in ("force", "allow_broader", "allow_unverified") if live_kw.get(n)]
    if rollback_flags and not rollback:
        fail_input(f"--{rollback_flags[0].replace('_', '-')} works only with --rollback FILE")
    if round_trip and (live or apply_ or rollback):
        fail_input("--round-trip works on a SCENARIO, not with --live/--apply/--rollback")
    if live or apply_ or rollback:
        if scenario or key_policy:
            fail_input(
                "--live/--apply/--rollback work on live accounts, not on a SCENARIO or --key-policy"
            )
        if apply_ and not live:
            fail_input(
                "--apply needs --live (and a target: --job-id, --failed-since, --plan-id or --all-plans)"
            )
        if as_ == "html":
            fail_input(
                "--as html works on a SCENARIO or --key-policy; for live accounts use "
                "copyguard scan --format html"
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
    drawn: list[Any] | None = [] if as_ == "html" else None
    regions = (live_kw["region"],) if live_kw.get("region") else ()  # live's --region, reused
    scenario, iac = resolve_inputs(inputs, input_type, accounts, regions)
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
        round_trip=round_trip,
        scenario_out=drawn,
        iac=iac,
    )
    keep(report)  # freed with the process if it ends with this fix (cli/fastexit.py)
    if report_input_errors(report, lang):
        return EXIT_INPUT
    fixes = select_fixes(report, unsafe)
    if as_ == "html":
        _print_html(report, fixes, lang, drawn[-1] if drawn else None)
    elif as_ == "policy":
        _print_policies(fixes, lang)
        if not [f for f in fixes if f.policy is not None]:
            _say_nothing(report, lang)
    else:
        files = _policy_files(scenario, key_policy, fixes) if as_ == "diff" else None
        out = render_fixes(fixes, as_, lang, files=files)
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


def _print_html(report: Any, fixes: list[Any], lang: str, scenario: Any) -> None:
    """``--as html``: the HTML report (as ``check --format html``) showing the fixes chosen."""
    import copy

    from copyguard import __version__
    from copyguard.cli.output import fix_command
    from copyguard.report import render_chunks

    shown = copy.copy(report)
    shown.fixes = list(fixes)
    write_output(
        render_chunks(
            shown,
            "html",
            lang,
            tool_version=__version__,
            fix_command=fix_command(),
            scenario=scenario,
        ),
        None,
    )


def _print_policies(fixes: list[Any], lang: str) -> None:
    """``--as policy``: one JSON document on standard output, always. One fixed policy is the
    document itself; several are one object mapping each resource ARN to its fixed policy.
    What no policy edit fixes goes to standard error as comments."""
    from copyguard.escape import json_dumps, shell_comment

    docs = [f for f in fixes if f.policy is not None]
    if len(docs) == 1:
        click.echo(json_dumps(docs[0].policy, indent=2))
    elif docs:
        click.echo(
            f"copyguard: {len(docs)} fixed policies: one JSON object, keyed by the ARN of the key "
            "or vault each belongs to",
            err=True,
        )
        click.echo(json_dumps({f.resource: f.policy for f in docs}, indent=2))
    for f in fixes:
        if f.policy is None:
            click.echo(shell_comment(f.description.get(lang)), err=True)
            for c in f.commands:
                click.echo(shell_comment(f"  {c}"), err=True)


def _policy_files(scenario: str | None, key_policy: str | None, fixes: list[Any]) -> Any:
    """Resource -> the file its current policy was read from (``--key-policy FILE``, a
    scenario's ``policy_file``/``access_policy_file``), with the file's exact text, so
    ``--as diff`` is a patch of the user's own file. Files that cannot be read exactly (or
    standard input) are left out: their diff is of the policy document."""
    import os
    import stat

    from copyguard.fixes.render import PolicyFile
    from copyguard.policy.files import KEY_POLICY_LIMIT, POLICY_LIMIT

    def read(path: str, limit: int) -> PolicyFile | None:
        # the file's exact text (a byte-order mark kept), read again only if it is a regular
        # file within the limit it was loaded under: never a FIFO, a device or more bytes
        try:
            # non-blocking open: a FIFO swapped in since loading must not wait for a writer
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
            with os.fdopen(os.open(path, flags), "rb") as fh:
                if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                    return None
                os.set_blocking(fh.fileno(), True)
                data = fh.read(limit + 4)
            if len(data) > limit + 3:  # room for a BOM, as when it was loaded
                return None
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        shown = os.path.normpath(path)
        if os.path.isabs(shown):
            rel = os.path.relpath(shown)
            shown = rel if not rel.startswith("..") else shown
        return PolicyFile(shown, text)

    found: dict[str, Any] = {}
    if key_policy and key_policy != "-":
        source = read(key_policy, KEY_POLICY_LIMIT)
        for f in fixes:
            if source is not None and f.kind == "key-policy" and f.resource:
                found[f.resource] = source
        return found
    if not scenario or scenario == "-":
        return found
    try:
        from copyguard.policy import Policy
        from copyguard.scenario import load_scenario

        sc = load_scenario(scenario)
    except Exception:  # not a scenario file (or unreadable now): diffs of the documents
        return found
    raw = sc.raw if isinstance(sc.raw, dict) else {}
    listed = raw.get("vaults")
    raw_vaults: list[Any] = listed if isinstance(listed, list) else []
    for f in fixes:
        if f.kind == "key-policy" and f.resource:
            key = sc.key(f.resource)
            if (
                key is not None
                and key.policy_path.endswith("policy_file")
                and isinstance(key.policy, Policy)
            ):
                source = read(key.policy.name, KEY_POLICY_LIMIT)
                if source is not None:
                    found[f.resource] = source
        elif f.kind == "vault-access-policy" and f.resource:
            vault = sc.vault(f.resource)
            if vault is None or not isinstance(vault.access_policy, Policy):
                continue
            index = vault.path.removeprefix("vaults[").removesuffix("]")
            entry = (
                raw_vaults[int(index)] if index.isdigit() and int(index) < len(raw_vaults) else {}
            )
            if isinstance(entry, dict) and "access_policy_file" in entry:
                source = read(vault.access_policy.name, POLICY_LIMIT)
                if source is not None:
                    found[f.resource] = source
    return found


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
