"""What every command shares: input errors, exit codes, language and format options."""

from __future__ import annotations

import json
import locale
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

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
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def format_option(choices: tuple[str, ...] = FORMATS) -> Any:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default="text",
        show_default=True,
        help="Output format.",
    )


def lang_option() -> Any:
    return click.option(
        "--lang",
        type=click.Choice(["en", "zh"]),
        default=None,
        help="Language of titles, messages and steps (default: from the locale, else en).",
    )


def read_text_file(path: str, what: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail_input(f"{path}: {what} file not found")
    except IsADirectoryError:
        fail_input(f"{path}: expected a {what} file, got a directory")
    except UnicodeDecodeError as exc:
        fail_input(f"{path}: {what} is not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        fail_input(f"{path}: cannot read {what}: {exc.strerror or exc}")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))
