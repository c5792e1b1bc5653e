"""``copyguard simulate --batch FILE|-``: opening the input and running the batch engine.

Imports no click: the console entry point's quick path (``cli/quick.py``) runs
``simulate --batch FILE`` through :func:`run_batch_command` without loading click, and the
click command (``cli/simulate.py``) calls the same function, so both answer alike.
"""

from __future__ import annotations

import os
import stat
import sys

from copyguard.cli.common import EXIT_INPUT, EXIT_PASS, fail_input
from copyguard.cli.fastexit import exit_now

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO

    from copyguard.evaluate.batch import BatchLimits

#: ``1``: one process; ``2``: a second, forked process answers every other chunk of a batch
#: file whatever its size and the machine's load; ``auto`` (or unset): only when it pays
#: (see :func:`copyguard.evaluate.batch.parallel_worth_it`).
WORKERS_ENV = "COPYGUARD_BATCH_WORKERS"
_WORKERS = {"1": False, "2": True, "auto": None, "": None}


def parallel_from_env() -> bool | None:
    """The ``parallel`` argument of ``run_batch`` that COPYGUARD_BATCH_WORKERS asks for."""
    value = os.environ.get(WORKERS_ENV, "")
    if value.strip().lower() not in _WORKERS:
        fail_input(f"{WORKERS_ENV}: expected 1, 2 or auto, got {value!r}")
    return _WORKERS[value.strip().lower()]


def open_batch(path: str) -> IO[bytes]:
    """The batch input as a binary stream (standard input for ``-``); InputError if it is
    not something to read lines from."""
    if path == "-":
        stdin = sys.stdin
        buffer = getattr(stdin, "buffer", None) if stdin is not None else None
        if buffer is None:
            fail_input("standard input is closed; expected JSON Lines requests on it")
        return buffer  # type: ignore[no-any-return]
    if "\x00" in path:
        fail_input(f"{path!r}: a file name cannot contain a NUL character")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        fail_input(f"{path}: batch file not found")
    except OSError as exc:
        fail_input(f"{path}: cannot read the batch file: {exc.strerror or exc}")
    if stat.S_ISDIR(st.st_mode):
        fail_input(f"{path}: expected a file, got a directory")
    if stat.S_ISSOCK(st.st_mode) or stat.S_ISBLK(st.st_mode):
        fail_input(f"{path}: expected a batch file, got a socket or block device")
    try:
        return open(path, "rb")  # closed by the caller
    except PermissionError:
        fail_input(f"{path}: cannot read the batch file (permission denied)")
    except OSError as exc:
        fail_input(f"{path}: cannot read the batch file: {exc.strerror or exc}")


def run_batch_command(
    path: str,
    explain: bool = False,
    lint: bool = False,
    limits: BatchLimits | None = None,
    keep_caches: bool = False,
) -> int:
    """Answer the batch at ``path`` on standard output; the exit code (2 if any line was an
    error line). InputError for an input that cannot be opened or read. ``keep_caches``:
    see :func:`copyguard.evaluate.batch.run_batch` (for a caller that exits right after)."""
    from copyguard.evaluate.batch import run_batch

    parallel = parallel_from_env()
    stream = open_batch(path)
    out = sys.stdout.buffer
    try:
        stats = run_batch(
            stream,
            out,
            explain=explain,
            lint=lint,
            limits=limits,
            parallel=parallel,
            keep_caches=keep_caches,
        )
    except BrokenPipeError:  # the reader went away (| head): handled like every command
        raise
    except OSError as exc:
        fail_input(f"{path}: cannot read the batch or write its results: {exc.strerror or exc}")
    finally:
        if path != "-":
            stream.close()
    return EXIT_INPUT if stats.errors else EXIT_PASS


def parse_quick_simulate(args: list[str]) -> dict[str, str] | None:
    """``{"batch": FILE}`` for the command line ``simulate --batch FILE`` (or
    ``--batch=FILE``) and nothing else, or None (click then parses it). FILE is non-empty
    and starts with ``-`` only if it is ``-`` (standard input)."""
    if len(args) == 3 and args[0] == "simulate" and args[1] == "--batch":
        value = args[2]
    elif len(args) == 2 and args[0] == "simulate" and args[1].startswith("--batch="):
        value = args[1][len("--batch=") :]
    else:
        return None
    if not value or (value.startswith("-") and value != "-"):
        return None
    return {"batch": value}


def run_quick_simulate(values: dict[str, str]) -> int:
    """The quick form ``simulate --batch FILE`` as the click command runs it (defaults for
    every other option); the exit code, or the process ends here with it (:func:`exit_now`)."""
    code = run_batch_command(values["batch"], keep_caches=True)
    exit_now(code)
    return code  # pragma: no cover - only where exit_now cannot end the process early
