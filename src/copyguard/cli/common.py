"""What every command shares: input errors, exit codes, language and format options.

Imports no click at module level: the console entry point's quick path (``cli/quick.py``)
uses the errors, exit codes and readers here without loading click."""

from __future__ import annotations

import json
import os
import re

from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

    from click.decorators import FC

EXIT_PASS, EXIT_FAIL, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
FORMATS = ("text", "json", "sarif", "markdown")


class InputError(Exception):
    """Bad input: the message names the file, the field path and what was expected."""


def fail_input(message: str) -> NoReturn:
    raise InputError(message)


def default_lang() -> str:
    for var in ("COPYGUARD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    import locale

    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def format_option(choices: tuple[str, ...] = FORMATS) -> Callable[[FC], FC]:
    import click

    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help="Output format.",
    )


def lang_option() -> Callable[[FC], FC]:
    import click

    return click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default=None,
        help="Language of titles, messages and steps (default: from the locale, else en).",
    )


def read_text_file(path: str, what: str, limit: int | None = None) -> str:
    """FILE (or standard input for ``-``) as UTF-8 text, at most ``limit`` bytes.

    The default limit is the one for a policy document (README "Input limits"); see
    ``copyguard.cli.inputs`` for the details of what is refused.
    """
    from copyguard.cli.inputs import POLICY_LIMIT, read_input_text

    return read_input_text(path, POLICY_LIMIT if limit is None else limit, what)


def emit_json(data: Any) -> None:
    import click

    from copyguard.escape import json_dumps

    # always UTF-8 (lone surrogates and hidden characters escaped), still the same values
    click.echo(json_dumps(data, indent=2))


_CTX_RE = lazy_compile(r"^([^=]+)=(.*)$", re.DOTALL)


def parse_context(items: tuple[str, ...]) -> dict[str, str | list[str]]:
    """``--context K=V`` values. Repeating a key, or a JSON list value, gives several values."""
    ctx: dict[str, str | list[str]] = {}
    for item in items:
        m = _CTX_RE.match(item)
        if not m or not m.group(1).strip():
            fail_input(
                f"--context {item!r}: expected KEY=VALUE (repeat a key, or give VALUE as a "
                "JSON list, for several values)"
            )
        key, value = m.group(1).strip(), m.group(2)
        parsed: str | list[str] = value
        if value.startswith("["):
            try:
                loaded = json.loads(value)
            except (ValueError, RecursionError):  # not JSON, or a number JSON cannot hold
                fail_input(
                    f"--context {key}: value starts with '[' but is not a JSON list of strings"
                )
            if not isinstance(loaded, list) or not all(isinstance(v, str) for v in loaded):
                fail_input(f"--context {key}: expected a JSON list of strings")
            parsed = loaded
        if key in ctx:
            prev = ctx[key]
            ctx[key] = (prev if isinstance(prev, list) else [prev]) + (
                parsed if isinstance(parsed, list) else [parsed]
            )
        else:
            ctx[key] = parsed
    return ctx
