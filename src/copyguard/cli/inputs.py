"""Reading command-line inputs (a FILE argument or ``-`` for standard input) safely.

Every input has a stated size limit (README "Input limits") and is read without loading more
than that; a directory, a socket, a FIFO nobody writes to, ``/dev/zero``, a closed standard
input or text that is not UTF-8 is an :class:`~copyguard.cli.common.InputError` (exit 2)
whose message names the file and what was expected. A UTF-8 byte-order mark is dropped.

    from copyguard.cli.inputs import read_input_text, KEY_POLICY_LIMIT
    text = read_input_text(path, KEY_POLICY_LIMIT, "key policy")
"""

from __future__ import annotations

from copyguard.cli.common import fail_input
from copyguard.policy.files import (
    KEY_POLICY_LIMIT,
    POLICY_LIMIT,
    SCENARIO_LIMIT,
    InputFileError,
    decode_utf8,
    human_size,
    parse_size,
    read_bounded,
    read_stdin_bounded,
    scenario_limit_set,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # click is imported where an option is built: the quick path has none
    from typing import Any

    import click

#: A message for ``copyguard explain -`` (only its first 2000 characters are matched).
MESSAGE_LIMIT = POLICY_LIMIT
#: The fault definitions of ``copyguard emulator --faults FILE``.
FAULTS_LIMIT = POLICY_LIMIT

__all__ = [
    "FAULTS_LIMIT",
    "KEY_POLICY_LIMIT",
    "MESSAGE_LIMIT",
    "POLICY_LIMIT",
    "SCENARIO_LIMIT",
    "human_size",
    "max_input_size_option",
    "read_input_bytes",
    "read_input_text",
]


def read_input_bytes(path_or_dash: str, limit: int, what: str) -> bytes:
    """The bytes of FILE, or of standard input for ``-``: at most ``limit``, BOM dropped.

    ``what`` names the input in messages ("key policy", "request batch"). Raises
    ``InputError`` (exit 2) for anything that is not a readable file within the limit.
    """
    try:
        if path_or_dash == "-":
            return read_stdin_bounded(limit, what)
        return read_bounded(path_or_dash, limit, what)
    except InputFileError as exc:
        fail_input(str(exc))


def read_input_text(path_or_dash: str, limit: int, what: str) -> str:
    """:func:`read_input_bytes` decoded as strict UTF-8 (InputError with the byte offset)."""
    data = read_input_bytes(path_or_dash, limit, what)
    label = "<stdin>" if path_or_dash == "-" else path_or_dash
    try:
        return decode_utf8(data, label, what)
    except InputFileError as exc:
        fail_input(str(exc))


def _apply_max_input_size(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Bound every scenario/IaC read of this command (``scenario_limit()``) until it ends."""
    import click

    if value is None:
        return
    try:
        limit = parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=_param) from None
    ctx.with_resource(scenario_limit_set(limit))
    ctx.meta["copyguard.max_input_size"] = value.strip()  # for the fix command a report names


def max_input_size_option(f: Any) -> Any:
    """``--max-input-size SIZE`` for ``check`` and ``fix``: the bound on each scenario, IaC
    and parameters file of this run (default ``SCENARIO_LIMIT``); a bad SIZE exits 2."""
    import click

    return click.option(
        "--max-input-size",
        default=None,
        expose_value=False,
        callback=_apply_max_input_size,
        metavar="SIZE",
        help=f"Largest scenario or IaC INPUT to read, e.g. 64M or 1G (default "
        f"{SCENARIO_LIMIT // (1024 * 1024)}M; policy documents keep their own limits). "
        "Reading takes about 50 (JSON) to 70 (YAML) times the file's size in memory.",
    )(f)
