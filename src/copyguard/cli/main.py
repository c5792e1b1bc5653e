"""``copyguard``: the command group. Subcommands load lazily to keep start-up small."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from copyguard import __version__
from copyguard.cli.common import EXIT_INPUT, EXIT_UNKNOWN, InputError
from copyguard.cli.fastexit import end_if_kept

_COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": (
        "copyguard.cli.check",
        "check",
        "Offline preflight of a scenario file or one key policy.",
    ),
    "fix": ("copyguard.cli.fix", "fix", "Print (or apply, with --live --apply) the minimal fix."),
    "explain": (
        "copyguard.cli.explain",
        "explain",
        "Map a copy-job message or API error to causes and steps.",
    ),
    "simulate": ("copyguard.cli.simulate", "simulate", "Evaluate KMS requests against policies."),
    "rules": (
        "copyguard.cli.rules",
        "rules",
        "The finding catalogue, or one finding's documentation.",
    ),
    "scan": ("copyguard.cli.scan", "scan", "Live preflight and diagnosis against AWS accounts."),
    "permissions": (
        "copyguard.cli.scan",
        "permissions",
        "The IAM policies copyguard itself needs.",
    ),
    "emulator": (
        "copyguard.cli.emulator_cmd",
        "emulator",
        "Run the local AWS Backup copy emulator.",
    ),
    "demo": ("copyguard.cli.demo", "demo", "The end-to-end story on the local emulator."),
    "schema": (
        "copyguard.cli.schema",
        "schema",
        "Print the JSON Schema of a scenario file, report or batch line.",
    ),
    "examples": (
        "copyguard.cli.examples",
        "examples",
        "List, print or copy out the bundled example set-ups.",
    ),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr, help_text = entry
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("copyguard"):
                raise
            missing = exc.name

            @click.command(
                cmd_name, help=help_text, context_settings={"ignore_unknown_options": True}
            )
            @click.argument("args", nargs=-1, type=click.UNPROCESSED)
            def unavailable(args: Any) -> None:
                extra = "emulator" if cmd_name in ("emulator", "demo") else "test"
                raise InputError(
                    f"'copyguard {cmd_name}' needs the Python package {missing!r}: "
                    f"pip install 'copyguard[{extra}]'"
                )

            return unavailable
        command: click.Command = getattr(module, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="copyguard")
def cli() -> None:
    """copyguard: make AWS Backup cross-account copies work.

    It reads a cross-account copy set-up, decides with the real IAM evaluation logic whether
    each copy will work, explains which permission, statement or setting is at fault, and
    writes the minimal fix, proven by its own evaluator.

    Exit codes: 0 pass, 1 fail, 2 usage or input error, 3 unknown.
    """


def main(argv: list[str] | None = None) -> None:
    try:
        rc = cli.main(args=argv, prog_name="copyguard", standalone_mode=False)
        # a check that is the process's last work ends it here, what it built not freed
        end_if_kept(rc if isinstance(rc, int) else 0)
    except InputError as exc:
        from copyguard.escape import visible

        shown = "\n".join(visible(line) for line in str(exc).split("\n"))
        click.echo(f"copyguard: error: {shown}", err=True)
        sys.exit(EXIT_INPUT)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):  # click's Ctrl-C: not bad input
            click.echo("copyguard: interrupted", err=True)
            sys.exit(EXIT_UNKNOWN)
        click.echo("copyguard: aborted", err=True)  # end of input at a prompt
        sys.exit(EXIT_INPUT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_INPUT)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("copyguard: interrupted", err=True)
        sys.exit(EXIT_UNKNOWN)
    except Exception as exc:  # never a traceback: report and exit "unknown"
        click.echo(f"copyguard: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("copyguard: this is a bug; please report it with the command you ran", err=True)
        sys.exit(EXIT_UNKNOWN)
    sys.exit(rc if isinstance(rc, int) else 0)
