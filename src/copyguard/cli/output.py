"""What the commands share about printing: colour (``--color``/``--no-color``, ``NO_COLOR``),
the terminal width, and the exact ``copyguard fix`` command a report names for its fixes."""

from __future__ import annotations

import os
import sys

from copyguard.escape import shell_join

TYPE_CHECKING = False
if TYPE_CHECKING:  # click is imported where it is used: the quick path (cli/quick.py) has none
    from typing import Any

    import click

#: the width text reports wrap to when standard output is not a terminal
DEFAULT_WIDTH = 100


def color_option(f: Any) -> Any:
    import click

    return click.option(
        "--color/--no-color",
        "color",
        default=None,
        help="Colour the text output (default: only on a terminal, and never when the "
        "NO_COLOR environment variable is set to a non-empty value).",
    )(f)


def use_color(flag: bool | None, output: str | None = None, stream: Any = None) -> bool:
    """Whether to colour: ``--color``/``--no-color`` decide when given; otherwise colour
    only on a terminal and only if ``NO_COLOR`` is unset or empty (no-color.org)."""
    if flag is not None:
        return flag
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def text_width(output: str | None = None, stream: Any = None) -> int:
    """The width to wrap prose to: the terminal's when standard output is one (``COLUMNS``
    overrides it, as usual), else :data:`DEFAULT_WIDTH` (files and pipes stay stable)."""
    stream = stream or sys.stdout
    try:
        tty = output is None and bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return DEFAULT_WIDTH
    import shutil

    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def fix_command(ctx: click.Context | None = None, *, skip: tuple[str, ...] = ()) -> str | None:
    """The ``copyguard fix ... --as cli`` command for the input of the running command:
    its arguments and every option the user gave that ``fix`` also takes (so the fix is
    made from the same input with the same choices), each word shell-quoted.

    The IaC options come along (``--account``, ``--region``, ``--parameters``, ``--input-type``):
    ``check``'s repeatable ``--region [INPUT=]REGION`` becomes ``fix``'s single ``--region``
    (which serves its inputs too); when the run gave several different Regions, which ``fix``
    cannot take, there is no exact command and None is returned (the report then says
    ``copyguard fix`` in general words)."""
    import click

    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return None
    from click.core import ParameterSource

    from copyguard.cli.fix import fix as fix_cmd

    fix_opts = {p.name for p in fix_cmd.params if isinstance(p, click.Option)}
    positional: list[str] = []
    options: list[str] = []
    for param in ctx.command.params:
        name = param.name or ""
        value = ctx.params.get(name)
        if isinstance(param, click.Argument):
            if value is None:
                continue
            positional += [str(v) for v in value] if isinstance(value, tuple) else [str(value)]
            continue
        if name == "regions" and "region" in fix_opts and name not in skip:
            regions = sorted(set(value or ()))
            if len(regions) > 1:
                return None  # fix has one --region: no command says the same
            options += ["--region", regions[0]] if regions else []
            continue
        if (
            name in skip
            or name not in fix_opts
            or name in ("as_", "fmt", "output", "lang", "color")
            or ctx.get_parameter_source(name) in (ParameterSource.DEFAULT, None)
            or value is None
        ):
            continue
        flag = max((o for o in param.opts if o.startswith("--")), key=len, default=param.opts[0])
        if isinstance(param, click.Option) and param.is_flag:
            if value:
                options.append(flag)
        elif isinstance(value, tuple):
            for v in value:
                options += [flag, str(v)]
        else:
            options += [flag, str(value)]
    if "parameters" not in skip:  # kept aside by cli/iac.py (not a command argument)
        for v in ctx.meta.get("copyguard.parameters", ()):
            options += ["--parameters", str(v)]
    bound = ctx.meta.get("copyguard.max_input_size")  # kept aside by cli/inputs.py
    if bound and "max_input_size" not in skip:
        options += ["--max-input-size", str(bound)]
    argv = ["copyguard", "fix"]
    if any(p.startswith("-") and p != "-" for p in positional):
        argv += [*options, "--as", "cli", "--", *positional]
    else:
        argv += [*positional, *options, "--as", "cli"]
    return shell_join(argv)
