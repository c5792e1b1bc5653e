"""``check INPUT...`` / ``fix INPUT...``: inputs detected by content (spec section 6).

One scenario file, without ``--account``/``--region``/``--input-type terraform``, takes the
scenario path exactly as before; anything else (a Terraform plan, a CloudFormation template, a
CDK cloud assembly, several inputs) is read and merged by ``copyguard.sources.merge``, imported
only then. ``--show-inputs`` prints what was read instead of judging it (``show_inputs``).
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
                type=click.Choice(["scenario", "terraform", "cloudformation", "cdk"]),
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
    f = click.option(
        "--show-inputs",
        is_flag=True,
        expose_value=False,
        callback=_keep_show_inputs,
        help="Print what was read from the INPUTs (keys, vaults, copy rules, protected "
        "resources, the organization), where each fact came from and what is unknown, "
        "instead of judging it (JSON with --format json, or --as json for fix).",
    )(f)
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


def _keep_show_inputs(ctx: click.Context, _param: Any, value: bool) -> None:
    ctx.meta["copyguard.show_inputs"] = bool(value)


def resolve_inputs(
    inputs: tuple[str, ...],
    input_type: str | None,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
) -> tuple[str | None, Any]:
    """(the one scenario path for the unchanged scenario path, or None; the merged inputs)."""
    ctx = click.get_current_context(silent=True)
    parameters: tuple[str, ...] = ctx.meta.get("copyguard.parameters", ()) if ctx else ()
    show = bool(ctx.meta.get("copyguard.show_inputs")) if ctx else False
    if not inputs:
        if input_type or accounts or regions or parameters or show:
            fail_input(
                "--input-type, --account, --region, --parameters and --show-inputs need an "
                "INPUT file"
            )
        return None, None
    if show:
        assert ctx is not None
        _show_inputs(ctx, inputs, input_type, accounts, regions, parameters)
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


def _show_inputs(
    ctx: click.Context,
    inputs: tuple[str, ...],
    input_type: str | None,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    parameters: tuple[str, ...],
) -> None:
    """``--show-inputs``: print what was read (text, or JSON with ``--format json`` / ``--as
    json``) and exit 0; bad input is exit 2 as for a check."""
    from copyguard.escape import json_dumps
    from copyguard.scenario import ScenarioError
    from copyguard.sources.merge import load_inputs
    from copyguard.sources.show import describe, render_text

    if ctx.params.get("key_policy"):
        fail_input("--show-inputs reads INPUT files, not the quick form (--key-policy)")
    try:
        loaded = load_inputs(inputs, input_type, accounts, regions, parameters)
    except ScenarioError as exc:
        fail_input(str(exc))
    doc = describe(loaded)
    as_json = ctx.params.get("fmt") == "json" or ctx.params.get("as_") == "json"
    if ctx.params.get("fmt") not in (None, "text", "json"):
        fail_input("--show-inputs prints text or, with --format json, JSON")
    text = json_dumps(doc, indent=2) + "\n" if as_json else render_text(doc)
    output = ctx.params.get("output")
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            fail_input(f"{output}: cannot write: {exc.strerror or exc}")
    else:
        click.echo(text, nl=False)
    ctx.exit(0)


def _looks_scenario(path: str) -> bool:
    """A file that is not Terraform JSON (an unreadable one too: the scenario path says why)."""
    import os

    if path == "-" or os.path.isdir(path):
        return False  # read once by the merged path, which detects its kind (a CDK assembly)
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

    if getattr(loaded, "variants", None):  # undecidable CloudFormation conditions, both ways
        from copyguard.sources.cfn_variants import merge_reports

        runs = []
        for conditions, one in loaded.variants:
            run = api.check_scenario(one.scenario, options)
            locate_findings(run, one)
            runs.append((conditions, run))
        return merge_reports(runs)
    report = api.check_scenario(loaded.scenario, options)
    locate_findings(report, loaded)
    report.sort()
    return report
