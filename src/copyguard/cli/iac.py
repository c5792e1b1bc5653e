"""``check INPUT...`` / ``fix INPUT...``: inputs detected by content (spec section 6).

One scenario file, without ``--account``/``--region``/``--input-type terraform``, takes the
scenario path exactly as before; anything else (a Terraform plan, several inputs) is read and
merged by ``copyguard.sources.merge``, imported only then.
"""

from __future__ import annotations

from typing import Any

import click

from copyguard.cli.common import fail_input


def iac_options_without_region(f: Any) -> Any:
    """For ``fix``, whose ``--region`` (a live option) also serves its INPUTs."""
    return iac_options(f, region=False)


def iac_options(f: Any, *, region: bool = True) -> Any:
    """``--input-type``, ``--account`` and (unless the command has its own) ``--region``."""
    for opt in reversed(
        [
            click.option(
                "--input-type",
                "input_type",
                type=click.Choice(["scenario", "terraform", "cloudformation"]),
                default=None,
                help="Read every INPUT as this kind (default: detected by content).",
            ),
            click.option(
                "--account",
                "accounts",
                multiple=True,
                metavar="[INPUT=]ID",
                help="The account of an input whose code does not say it (repeatable).",
            ),
            click.option(
                "--region",
                "regions",
                multiple=True,
                metavar="[INPUT=]REGION",
                help="The Region of an input whose code does not say it (repeatable).",
            ),
        ][: 3 if region else 2]
    ):
        f = opt(f)
    return click.option(
        "--parameters",
        multiple=True,
        metavar="[INPUT=]FILE",
        expose_value=False,
        callback=_keep_parameters,
        help="CloudFormation parameter values: a JSON list of {ParameterKey, ParameterValue} "
        "or an object of name to value (repeatable).",
    )(f)


def _keep_parameters(ctx: click.Context, _param: Any, value: tuple[str, ...]) -> None:
    ctx.meta["copyguard.parameters"] = tuple(value or ())


def resolve_inputs(
    inputs: tuple[str, ...],
    input_type: str | None,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
) -> tuple[str | None, Any]:
    """(the one scenario path for the unchanged scenario path, or None; the merged inputs)."""
    ctx = click.get_current_context(silent=True)
    parameters: tuple[str, ...] = ctx.meta.get("copyguard.parameters", ()) if ctx else ()
    if not inputs:
        if input_type or accounts or regions or parameters:
            fail_input("--input-type, --account, --region and --parameters need an INPUT file")
        return None, None
    single = len(inputs) == 1 and not accounts and not regions and not parameters
    if single and (input_type == "scenario" or (input_type is None and _looks_scenario(inputs[0]))):
        return inputs[0], None
    from copyguard.scenario import ScenarioError
    from copyguard.sources.merge import load_inputs

    try:
        loaded = load_inputs(inputs, input_type, accounts, regions, parameters)
    except ScenarioError as exc:
        fail_input(str(exc))
    return " + ".join(loaded.labels), loaded


def _looks_scenario(path: str) -> bool:
    """A file that is not Terraform JSON (an unreadable one too: the scenario path says why)."""
    if path == "-":
        return False  # read once by the merged path, which detects its kind
    from copyguard.scenario import ScenarioError
    from copyguard.sources.merge import detect, read_input

    try:
        _, text = read_input(path)
    except ScenarioError:
        return True
    return detect(text)[0] == "scenario"


def checked(loaded: Any, options: Any) -> Any:
    """The report of merged inputs, each finding located in its input."""
    from copyguard import api
    from copyguard.sources.merge import locate_findings

    report = api.check_scenario(loaded.scenario, options)
    locate_findings(report, loaded)
    report.sort()
    return report
