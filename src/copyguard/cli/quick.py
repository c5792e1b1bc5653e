"""The ``copyguard`` console entry point, with a quick path for the quick form of ``check``.

``copyguard check --key-policy FILE --source-account A --destination-account B`` (with any of
``--key-arn``, ``--resource-type``, ``--key-manager``, ``--key-state``, ``--format`` text, json,
sarif or markdown, ``--lang``, ``--color``/``--no-color``) is answered without importing click:
click and its own imports cost about three times the interpreter's start-up, more than the
check itself. The command line is recognised by a strict hand-check (:func:`parse_quick`);
anything else (another command or option, ``--help``, a repeated option, a value that starts
with ``-``, an empty value, a value outside its choices, ``--format html``, ``--output``)
goes to the click command group unchanged, so usage errors and help read exactly as before.

The quick path runs the very functions the click command runs (``cli/check_core.py``:
``build_report``, ``render_report``, ``exit_code``) and prints the way ``click.echo`` does, so
standard output, standard error and the exit code are byte for byte those of the click path
(``tests/cli/test_quick_path.py`` runs both over a corpus). ``COPYGUARD_QUICK_PATH=0`` in the
environment sends every command line through click.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

#: set to ``0`` to send every command line through the click command group
FORCE_CLICK_ENV = "COPYGUARD_QUICK_PATH"

#: the quick form's options that take a value: option -> ``check``'s parameter name
VALUE_OPTIONS = {
    "--key-policy": "key_policy",
    "--source-account": "source_account",
    "--destination-account": "destination_account",
    "--key-arn": "key_arn",
    "--resource-type": "resource_type",
    "--key-manager": "key_manager",
    "--key-state": "key_state",
    "--format": "fmt",
    "--lang": "lang",
}
FLAG_OPTIONS = {"--color": True, "--no-color": False}
FORMATS = ("text", "json", "sarif", "markdown")  # html draws the scenario with Jinja2: click path
LANGS = ("en", "zh")
KEY_MANAGERS = ("CUSTOMER", "AWS")
#: the options ``copyguard fix`` also takes, in the order of ``check``'s parameters: the
#: ``copyguard fix ... --as cli`` line a report names lists them in this order (cli/output.py
#: ``fix_command``; a test holds this to the click command's parameter order)
FIX_OPTIONS = (
    ("key_policy", "--key-policy"),
    ("source_account", "--source-account"),
    ("destination_account", "--destination-account"),
    ("key_arn", "--key-arn"),
    ("resource_type", "--resource-type"),
    ("key_manager", "--key-manager"),
    ("key_state", "--key-state"),
)


def parse_quick(args: list[str]) -> dict[str, Any] | None:
    """``check``'s parameters for a quick-form command line, or None for any other.

    Strict: only ``check`` and the options above, each at most once, as ``--opt VALUE`` or
    ``--opt=VALUE``; a value is non-empty and starts with ``-`` only if it is ``-`` (standard
    input); ``--format``, ``--lang`` and ``--key-manager`` only with values click accepts
    (``--key-manager`` in any ASCII case, named in upper case as click's choice does)."""
    if not args or args[0] != "check":
        return None
    values: dict[str, Any] = {}
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in FLAG_OPTIONS:
            if "color" in values:
                return None
            values["color"] = FLAG_OPTIONS[arg]
            i += 1
            continue
        name, eq, value = arg.partition("=")
        field = VALUE_OPTIONS.get(name)
        if field is None or field in values:
            return None
        if eq:
            i += 1
        elif i + 1 < len(args):
            value = args[i + 1]
            i += 2
        else:
            return None
        if not value or (value.startswith("-") and value != "-"):
            return None
        values[field] = value
    if "key_policy" not in values:
        return None
    if values.get("fmt", "text") not in FORMATS or values.get("lang", "en") not in LANGS:
        return None
    manager = values.get("key_manager")
    if manager is not None:
        if not manager.isascii() or manager.upper() not in KEY_MANAGERS:
            return None
        values["key_manager"] = manager.upper()
    return values


def quick_allowed(environ: Any = None) -> bool:
    """Whether this process may take the quick path: not turned off, no shell completion
    asked for (click answers it), not Windows (click re-encodes its console), and standard
    output and error text streams that click would write to as they are (an ASCII stream is
    re-wrapped by click)."""
    env = os.environ if environ is None else environ
    if env.get(FORCE_CLICK_ENV) == "0" or env.get("_COPYGUARD_COMPLETE") or os.name == "nt":
        return False
    return _plain_text_stream(sys.stdout) and _plain_text_stream(sys.stderr)


def _plain_text_stream(stream: Any) -> bool:
    import codecs
    import io

    if not isinstance(stream, io.TextIOBase):
        return False
    if type(stream).__module__.startswith("ipykernel."):
        return False
    encoding = getattr(stream, "encoding", None)
    if not encoding or getattr(stream, "errors", None) is None:
        return False
    try:
        return codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return True  # click keeps such a stream as it is too


def echo(message: str, stream: Any, color: bool | None = None) -> None:
    """``click.echo(message, color=color)`` to a plain text stream (see :func:`quick_allowed`):
    a newline added, ANSI escape sequences removed unless ``color`` or a terminal, flushed."""
    out = message + "\n"
    strip = not color if color is not None else not _isatty(stream)
    if strip and "\033" in out:
        import re

        out = re.sub(r"\033\[[0-?]*[ -/]*[@-~]", "", out)  # click's _compat._ansi_re
    stream.write(out)
    stream.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def fix_command_line(values: dict[str, Any]) -> str:
    """The ``copyguard fix ... --as cli`` line for these options (cli/output.py ``fix_command``
    for the same command line: the options given that ``fix`` takes, in ``check``'s order)."""
    from copyguard.escape import shell_join

    argv = ["copyguard", "fix"]
    for field, flag in FIX_OPTIONS:
        if field in values:
            argv += [flag, str(values[field])]
    return shell_join([*argv, "--as", "cli"])


def run_quick(values: dict[str, Any]) -> int:
    """The quick form as the click ``check`` command runs it; the exit code."""
    from copyguard.cli.check_core import build_report, exit_code, input_error_lines, render_report

    report = build_report(
        None,
        values.get("key_policy"),
        values.get("source_account"),
        values.get("destination_account"),
        values.get("key_arn"),
        values.get("resource_type"),
        values.get("key_manager"),
        values.get("key_state"),
        "root",  # --principal's default
        (),  # no --context
        "account",  # --vault-principal's default
    )
    text, colored, lang = render_report(
        report,
        values.get("fmt", "text"),
        values.get("lang"),
        None,
        color=values.get("color"),
        fix_command=fix_command_line(values),
    )
    echo(text.rstrip("\n"), sys.stdout, color=True if colored else None)
    for line in input_error_lines(report, lang):
        echo(line, sys.stderr)
    return exit_code(report)


class _PacifyFlush:
    """After a broken pipe, flushing the stream at exit is quiet (as click does)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def main(argv: list[str] | None = None) -> NoReturn:
    """The console entry point: the quick path for the quick form, the click group otherwise.
    Messages and exit codes are those of ``copyguard.cli.main.main``. A Ctrl-C while the
    command line is recognised or click and the commands are imported (a few hundred
    milliseconds after start-up) ends as one during the command does, not with a traceback."""
    try:
        run, values = _recognise(argv)
        if values is None:
            from copyguard.cli.main import main as click_main

            click_main(argv)
            sys.exit(0)  # click_main always exits; this line is never reached
        from copyguard.cli.common import EXIT_INPUT, InputError
    except KeyboardInterrupt:
        _interrupted()
    try:
        rc = run(values)
    except InputError as exc:
        from copyguard.escape import visible

        shown = "\n".join(visible(line) for line in str(exc).split("\n"))
        echo(f"copyguard: error: {shown}", sys.stderr)
        sys.exit(EXIT_INPUT)
    except KeyboardInterrupt:
        _interrupted()
    except EOFError:  # click: an empty line, then Abort
        echo("", sys.stderr)
        echo("copyguard: aborted", sys.stderr)
        sys.exit(EXIT_INPUT)
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            _internal_error(exc)
        # click's main: quiet flushes from now on, exit 1
        sys.stdout = _PacifyFlush(sys.stdout)
        sys.stderr = _PacifyFlush(sys.stderr)
        sys.exit(1)
    except Exception as exc:  # never a traceback: report and exit "unknown"
        _internal_error(exc)
    sys.exit(rc)


def _recognise(argv: list[str] | None) -> tuple[Any, Any]:
    """The quick form's runner and values for this command line; values None: click's."""
    args = sys.argv[1:] if argv is None else list(argv)
    if argv is None:  # this process's own command line: the process ends with it
        from copyguard.cli import fastexit

        fastexit.ENDS_PROCESS = True
    values = parse_quick(args) if quick_allowed() else None
    run: Any = run_quick
    if values is None and args[:1] == ["simulate"] and quick_allowed():
        # `simulate --batch FILE` (cli/simulate_batch.py, the same strict recognition)
        from copyguard.cli.simulate_batch import parse_quick_simulate, run_quick_simulate

        values, run = parse_quick_simulate(args), run_quick_simulate
    return run, values


def _interrupted() -> NoReturn:
    """Ctrl-C: as cli/main.py answers click's Abort after one (exit 3: nothing decided)."""
    echo("", sys.stderr)
    echo("copyguard: interrupted", sys.stderr)
    sys.exit(3)  # EXIT_UNKNOWN, without an import that a second Ctrl-C could interrupt


def _internal_error(exc: Exception) -> NoReturn:
    from copyguard.cli.common import EXIT_UNKNOWN

    echo(f"copyguard: internal error: {type(exc).__name__}: {exc}", sys.stderr)
    echo("copyguard: this is a bug; please report it with the command you ran", sys.stderr)
    sys.exit(EXIT_UNKNOWN)
