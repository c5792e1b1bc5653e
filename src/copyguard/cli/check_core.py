"""What ``check`` does with its options, without click: the report from a scenario file,
IaC inputs or the quick form's key policy (:func:`build_report`), its exit code, and the
rendered text with the lines for standard error.

``cli/check.py`` (the click command) and the console entry point's quick path
(``cli/quick.py``) both run through these functions, so the two give the same report, messages
and exit codes; only the command definitions and the printing live in ``cli/check.py``."""

from __future__ import annotations

from copyguard.cli.common import (
    EXIT_FAIL,
    EXIT_INPUT,
    EXIT_PASS,
    EXIT_UNKNOWN,
    default_lang,
    fail_input,
    read_text_file,
)
from copyguard.cli.fastexit import keep
from copyguard.cli.inputs import KEY_POLICY_LIMIT
from copyguard.escape import visible
from copyguard.lazyre import lazy_compile
from copyguard.policy import ids

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_PRINCIPAL_ARN = lazy_compile(
    r"arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?|-eusc)?:iam::[0-9]{12}:"
    r"(?:root|(?:role|user)(?:/[\x21-\x7e]*)?/[A-Za-z0-9+=,.@_-]{1,64})"
)


def validate_principal(principal: str) -> str:
    if principal.lower() in ("root", "slr"):
        return principal.lower()
    if _PRINCIPAL_ARN.fullmatch(principal):
        return principal
    fail_input(
        f"--principal {principal!r}: expected root, slr or an IAM principal ARN "
        "(arn:aws:iam::ACCOUNT:root, arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:user/NAME)"
    )


def build_report(
    scenario_path: str | None,
    key_policy: str | None,
    source_account: str | None,
    destination_account: str | None,
    key_arn: str | None,
    resource_type: str | None,
    key_manager: str | None,
    key_state: str | None,
    principal: str,
    context: tuple[str, ...],
    vault_principal: str,
    round_trip: bool = False,
    scenario_out: list[Any] | None = None,
    iac: Any = None,
) -> Any:
    from copyguard import api
    from copyguard._gcpolicy import hold_for_process
    from copyguard.checks import Options
    from copyguard.cli.common import parse_context
    from copyguard.policy import PolicyError
    from copyguard.scenario import ScenarioError

    hold_for_process()  # this process checks once and exits: the collector is off (_gcpolicy)
    options = Options(
        principal=validate_principal(principal),
        context=parse_context(context),
        vault_principal=vault_principal,
        round_trip=round_trip,
    )
    if key_policy and round_trip:
        fail_input(
            "--round-trip needs a SCENARIO with the vaults: the quick form (--key-policy) has "
            "no destination vault to copy back from"
        )
    if scenario_path and key_policy:
        fail_input("give either a SCENARIO file or --key-policy (the quick form), not both")
    if scenario_path:
        quick_flags = [
            n
            for n, v in (
                ("--source-account", source_account),
                ("--destination-account", destination_account),
                ("--key-arn", key_arn),
                ("--resource-type", resource_type),
                ("--key-manager", key_manager),
                ("--key-state", key_state),
            )
            if v
        ]
        if quick_flags:
            fail_input(
                f"{', '.join(quick_flags)} belong to the quick form (--key-policy); a scenario file carries them itself"
            )
        try:
            if iac is not None:  # IaC or several inputs, merged (cli/iac.py)
                from copyguard.cli.iac import checked

                keep(iac)
                if scenario_out is not None:
                    scenario_out.append(iac.scenario)
                return checked(iac, options)
            from copyguard.scenario import load_scenario

            scenario = load_scenario(scenario_path)
            keep(scenario)  # freed with the process if it ends with this check (cli/fastexit.py)
            if scenario_out is not None:  # the HTML report draws the scenario: for the caller
                scenario_out.append(scenario)
            return api.check_scenario(scenario, options)
        except ScenarioError as exc:
            fail_input(str(exc))
    if not key_policy:
        fail_input(
            "give a SCENARIO file, or the quick form: --key-policy FILE --source-account A --destination-account B"
        )
    for flag, value in (
        ("--source-account", source_account),
        ("--destination-account", destination_account),
    ):
        if not value:
            fail_input(f"the quick form needs {flag} (a 12-digit account ID)")
        bad = ids.account_problem(value)
        if bad:
            fail_input(f"{flag} {value!r}: expected a 12-digit AWS account ID: {bad}")
    if source_account == destination_account:
        fail_input(
            f"--destination-account is --source-account ({source_account}): the quick form checks a "
            "cross-account copy; give the account that receives the copies"
        )
    if principal.startswith("arn:") and principal.split(":")[4] != destination_account:
        fail_input(
            f"--principal {principal} is in account {principal.split(':')[4]}, but --destination-account "
            f"is {destination_account}: the fix must name a principal of the destination account"
        )
    bad_arn = ids.key_arn_problem(key_arn, alias=False) if key_arn else None
    if bad_arn:
        fail_input(
            f"--key-arn {key_arn!r}: expected arn:aws:kms:REGION:ACCOUNT:key/KEY_ID "
            f"(KEY_ID like {ids.KEY_ID_EXAMPLE}): {bad_arn}"
        )
    if key_arn and key_arn.split(":")[4] != source_account:
        fail_input(
            f"--key-arn is in account {key_arn.split(':')[4]}, but --source-account is {source_account}"
        )
    if key_state:
        from copyguard.scenario.load import KEY_STATES

        match = {s.lower(): s for s in KEY_STATES}.get(key_state.lower())
        if match is None:
            fail_input(f"--key-state {key_state!r}: expected one of {', '.join(KEY_STATES)}")
        key_state = match
    text = read_text_file(key_policy, "key policy", KEY_POLICY_LIMIT)
    try:
        from copyguard.policy import parse_policy

        policy = parse_policy(text, name=key_policy, kind="key")
    except PolicyError as exc:
        lines = "\n  ".join(str(i) for i in exc.issues if i.severity == "error")
        fail_input(f"the key policy is not valid:\n  {lines}")
    assert source_account and destination_account
    quick = {
        "key_arn": key_arn,
        "resource_type": resource_type,
        "key_manager": key_manager,
        "key_state": key_state,
        "policy_source": key_policy,
    }
    if scenario_out is None:
        return api.check_key_policy(policy, source_account, destination_account, options, **quick)
    options.quick = True
    scenario_out.append(api.quick_scenario(policy, source_account, destination_account, **quick))
    return api.check_scenario(scenario_out[-1], options)


def exit_code(report: Any) -> int:
    if any(f.code == "CG901" for f in report.findings):
        return EXIT_INPUT
    return {"pass": EXIT_PASS, "fail": EXIT_FAIL, "unknown": EXIT_UNKNOWN}[report.verdict]


def render_report(
    report: Any,
    fmt: str,
    lang: str | None,
    output: str | None,
    **options: Any,
) -> tuple[str, bool, str]:
    """(the rendered report, whether it holds colour codes, the language used):
    :func:`render_report_chunks` joined."""
    chunks, colored, lang = render_report_chunks(report, fmt, lang, output, **options)
    return "".join(chunks), colored, lang


def render_report_chunks(
    report: Any,
    fmt: str,
    lang: str | None,
    output: str | None,
    *,
    color: bool | None = None,
    fix_command: str | None = None,
    apply_command: str | None = None,
    scenario: Any = None,
) -> tuple[Iterable[str], bool, str]:
    """(the rendered report in pieces, ``report.render_chunks``: writing them never holds
    the whole report's text; whether it holds colour codes; the language used).
    ``color``: ``--color``/``--no-color`` (None: only on a terminal without NO_COLOR); text
    wraps to the terminal's width. See ``cli/check.py`` ``emit`` for the other arguments."""
    from copyguard import __version__
    from copyguard.cli.output import text_width, use_color
    from copyguard.report import render_chunks

    lang = lang or default_lang()
    colored = fmt == "text" and use_color(color, output)
    chunks = render_chunks(
        report,
        fmt,
        lang,
        color=colored,
        tool_version=__version__,
        fix_command=fix_command,
        apply_command=apply_command,
        width=text_width(output),
        scenario=scenario,
    )
    return chunks, colored, lang


def input_error_lines(report: Any, lang: str) -> list[str]:
    """One standard-error line per CG901 (an invalid document), input values made visible."""
    lines = []
    for f in report.findings:
        if f.code == "CG901":
            where = f"{f.file}:{f.line}:{f.column}" if f.line else (f.file or "")
            message = f"{where}: {f.path}: {f.message.get(lang)}"
            shown = "\n".join(visible(line) for line in message.split("\n"))
            lines.append(f"copyguard: error: {shown}")
    return lines
