"""``copyguard check``: offline preflight of a scenario file, or the quick key-policy form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

# build_report, exit_code and validate_principal live in check_core (no click, shared with the
# quick path of cli/quick.py); fix and scan import them from here as before
from copyguard.cli.check_core import (
    build_report,
    exit_code,
    input_error_lines,
    render_report_chunks,
    validate_principal,
)
from copyguard.cli.common import fail_input
from copyguard.cli.fastexit import keep
from copyguard.cli.iac import iac_options, resolve_inputs
from copyguard.cli.inputs import max_input_size_option
from copyguard.cli.output import color_option, fix_command

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "build_report",
    "check",
    "emit",
    "exit_code",
    "principal_option",
    "quick_options",
    "report_input_errors",
    "round_trip_option",
    "validate_principal",
    "write_output",
]


def principal_option(f: Any) -> Any:
    return click.option(
        "--principal",
        "principal",
        default="root",
        show_default=True,
        metavar="root|slr|ARN",
        help="Which destination principal the fix names: the account root (AWS's pattern), "
        "AWSServiceRoleForBackup (slr), or an ARN.",
    )(f)


def round_trip_option(f: Any) -> Any:
    return click.option(
        "--round-trip",
        "round_trip",
        is_flag=True,
        help="Also judge the way back of every copy (copying it back to the source account, "
        "which restoring it there takes): CG211 warnings, and with fix the proven policy "
        "changes for it.",
    )(f)


def quick_options(f: Any) -> Any:
    for opt in reversed(
        [
            click.option(
                "--key-policy",
                "key_policy",
                metavar="FILE",
                help="Quick form: the source key policy (JSON).",
            ),
            click.option("--source-account", metavar="ID", help="Quick form: the key's account."),
            click.option(
                "--destination-account",
                metavar="ID",
                help="Quick form: the account receiving copies.",
            ),
            click.option(
                "--key-arn", metavar="ARN", help="Quick form: the key ARN (its Region and account)."
            ),
            click.option(
                "--resource-type",
                metavar="TYPE",
                help="Quick form: the AWS Backup resource type (EBS, RDS, S3...).",
            ),
            click.option(
                "--key-manager",
                type=click.Choice(["CUSTOMER", "AWS"], case_sensitive=False),
                help="Quick form: who manages the key.",
            ),
            click.option(
                "--key-state",
                metavar="STATE",
                help="Quick form: the key's KeyState (Enabled, Disabled...).",
            ),
            click.option(
                "--context",
                "context",
                multiple=True,
                metavar="K=V",
                help="Pin a request-context value the copy presents (repeatable).",
            ),
            click.option(
                "--vault-principal",
                type=click.Choice(["account", "org"]),
                default="account",
                show_default=True,
                help="Whom the vault access policy fix allows: the source account or the organization.",
            ),
        ]
    ):
        f = opt(f)
    return principal_option(f)


def emit(
    report: Any,
    fmt: str,
    lang: str | None,
    output: str | None,
    *,
    color: bool | None = None,
    fix_command: str | None = None,
    apply_command: str | None = None,
    scenario: Any = None,
) -> None:
    """The report to standard output or ``output``. ``color``: ``--color``/``--no-color``
    (None: only on a terminal without NO_COLOR); text wraps to the terminal's width.
    ``fix_command``: the ``copyguard fix`` line the report names for applying its fixes;
    ``apply_command`` (live mode): the line that applies them."""
    chunks, colored, lang = render_report_chunks(
        report,
        fmt,
        lang,
        output,
        color=color,
        fix_command=fix_command,
        apply_command=apply_command,
        scenario=scenario,
    )
    write_output(chunks, output, colored)
    report_input_errors(report, lang)


#: how much of a report write_output gathers before one write to standard output
_BLOCK = 1 << 20


def write_output(text: str | Iterable[str], output: str | None, color: bool = False) -> None:
    """The rendered report (one text, or its pieces in order: never an escape sequence split
    between two) to FILE (``--output``) or to standard output (``color``: the text holds
    copyguard's own colour codes, kept even when standard output is no terminal). Either way
    it ends in exactly one line break (trailing ones dropped on standard output, one added to
    a file that lacks it), as one ``click.echo`` of the whole text would."""
    chunks = (text,) if isinstance(text, str) else text
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                last = ""
                for chunk in chunks:
                    fh.write(chunk)
                    last = chunk or last
                if not last.endswith("\n"):
                    fh.write("\n")
        except OSError as exc:
            fail_input(f"{output}: cannot write: {exc.strerror or exc}")
        return
    from copyguard.report.common import blocks, stripped_end

    shown = True if color else None
    # trailing line breaks wait for text: they may end the report
    for block in stripped_end(blocks(chunks, _BLOCK)):
        click.echo(block, nl=False, color=shown)
    click.echo("", color=shown)


def report_input_errors(report: Any, lang: str) -> bool:
    """Print every CG901 (an invalid document) to stderr; True if there was one."""
    lines = input_error_lines(report, lang)
    for line in lines:
        click.echo(line, err=True)
    return bool(lines)


@click.command("check")
@click.argument("inputs", nargs=-1, metavar="[INPUT]...")
@iac_options
@quick_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "markdown", "html"]),
    default="text",
    show_default=True,
    help="html: one self-contained page with a picture of the copy flows.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default=None,
    help="Language (default: from the locale, else en).",
)
@click.option(
    "--output", "-o", metavar="FILE", help="Write the report to FILE instead of standard output."
)
@round_trip_option
@color_option
@max_input_size_option
def check(
    inputs: tuple[str, ...],
    input_type: str | None,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
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
    fmt: str,
    lang: str | None,
    output: str | None,
    round_trip: bool,
    color: bool | None,
) -> int:
    """Will these cross-account copies work? Offline, from a scenario file, Terraform/OpenTofu
    plans (terraform show -json), CloudFormation templates, CDK cloud assemblies (cdk.out) or
    one key policy. Several INPUTs are merged into one set-up.

    \b
    copyguard check examples/seed-failing.yaml
    copyguard check source-plan.json central-plan.json
    copyguard check cdk.out organization.yaml --show-inputs
    copyguard check --key-policy key.json --source-account 111122223333 --destination-account 444455556666

    Exit codes: 0 pass, 1 fail, 2 bad input, 3 unknown.
    """
    drawn: list[Any] | None = [] if fmt == "html" else None
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
    keep(report)  # freed with the process if it ends with this check (cli/fastexit.py)
    emit(
        report,
        fmt,
        lang,
        output,
        color=color,
        fix_command=fix_command(),
        scenario=drawn[-1] if drawn else None,
    )
    return exit_code(report)
