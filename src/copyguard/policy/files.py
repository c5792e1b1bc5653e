"""Size-bounded, hang-free reading of input files (the lowest layer, so every layer can use it).

* A regular file is read up to its limit and no further: a larger file is refused before
  more than ``limit`` bytes are read.
* A directory, a socket or a block device is refused.
* A pipe, a FIFO or a character device (``<(...)``, ``/dev/stdin``, ``/dev/zero``) is read
  without blocking: when no data arrives for ``input_timeout()`` seconds (a FIFO nobody
  writes to), reading stops with an error instead of waiting forever; ``/dev/zero`` reaches
  the size limit at once.
* Text is strict UTF-8; one leading byte-order mark is accepted and dropped.

Errors are :class:`InputFileError` whose message says which file, what went wrong and what
was expected; callers wrap it in their own input error.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextvars import ContextVar
    from pathlib import Path
    from typing import BinaryIO

KIB = 1024
MIB = 1024 * KIB

#: A key policy: KMS refuses more than 32 KB (32,768 bytes), a quota that cannot be raised.
KEY_POLICY_LIMIT = 32 * KIB
#: Any other policy document (vault access, identity, SCP, RCP): generous, far above AWS's.
POLICY_LIMIT = 1 * MIB
#: A scenario file (YAML or JSON), a batch of requests or an IaC file (the default;
#: ``check``/``fix --max-input-size`` sets another bound for one run: :func:`scenario_limit`).
SCENARIO_LIMIT = 16 * MIB
#: The largest bound ``--max-input-size`` accepts: a guard against a typo such as ``64T``.
MAX_INPUT_SIZE_CEILING = 64 * 1024 * MIB

#: the context variable behind :func:`scenario_limit_set`, made by its first use (contextvars
#: is imported on demand: start-up time); until then every context has ``SCENARIO_LIMIT``
_SCENARIO_LIMIT: dict[str, ContextVar[int]] = {}

_BOM = b"\xef\xbb\xbf"
_DEFAULT_TIMEOUT = 10.0
_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)


class InputFileError(ValueError):
    """An input file that cannot be read as expected; the message is complete."""


def scenario_limit() -> int:
    """The bound on a scenario, IaC or parameters file in this context: ``SCENARIO_LIMIT``
    unless :func:`scenario_limit_set` says otherwise."""
    var = _SCENARIO_LIMIT.get("var")
    return SCENARIO_LIMIT if var is None else var.get()


def _scenario_limit_var() -> ContextVar[int]:
    var = _SCENARIO_LIMIT.get("var")
    if var is None:
        from contextvars import ContextVar

        new: ContextVar[int] = ContextVar("copyguard_scenario_limit", default=SCENARIO_LIMIT)
        var = _SCENARIO_LIMIT.setdefault("var", new)  # atomic: one variable for all threads
    return var


@contextmanager
def scenario_limit_set(limit: int) -> Iterator[None]:
    """Bound scenario, IaC and parameters files by ``limit`` bytes inside the ``with`` block
    (``--max-input-size``); the limits of policy documents do not change."""
    if not 0 < limit <= MAX_INPUT_SIZE_CEILING:
        raise ValueError(f"a scenario limit must be 1 to {MAX_INPUT_SIZE_CEILING} bytes")
    var = _scenario_limit_var()
    token = var.set(limit)
    try:
        yield
    finally:
        var.reset(token)


_SIZE_RE = lazy_compile(r"([0-9]{1,20}) ?(?:([KMG])(?:i?B)?|B)?", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "K": KIB, "M": MIB, "G": 1024 * MIB}


def parse_size(text: str) -> int:
    """``64M``, ``1G``, ``512K``, ``20000000`` (bytes) -> bytes; binary units (``M`` is
    MiB; ``MB``/``MiB`` are accepted as the same). Raises ``ValueError`` with what was
    expected for anything else, zero, or more than ``MAX_INPUT_SIZE_CEILING``."""
    m = _SIZE_RE.fullmatch(text.strip())
    expected = (
        "expected a size such as 64M, 1G, 512K or a number of bytes "
        f"(1 byte to {MAX_INPUT_SIZE_CEILING // (1024 * MIB)} G)"
    )
    if not m:
        raise ValueError(f"{text!r}: {expected}")
    value = int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").upper()]
    if not 0 < value <= MAX_INPUT_SIZE_CEILING:
        raise ValueError(f"{text!r}: {expected}")
    return value


def input_timeout() -> float:
    """Seconds to wait for data from a pipe, FIFO or device (``COPYGUARD_INPUT_TIMEOUT``)."""
    raw = os.environ.get("COPYGUARD_INPUT_TIMEOUT", "")
    try:
        value = float(raw) if raw else _DEFAULT_TIMEOUT
    except ValueError:
        value = _DEFAULT_TIMEOUT
    return value if 0 < value < 86400 else _DEFAULT_TIMEOUT


def human_size(n: int) -> str:
    if n % (1024 * MIB) == 0:
        return f"{n // (1024 * MIB)} GiB ({n:,} bytes)"
    if n % MIB == 0:
        return f"{n // MIB} MiB ({n:,} bytes)"
    if n % KIB == 0:
        return f"{n // KIB} KiB ({n:,} bytes)"
    return f"{n:,} bytes"


def _too_large(label: str, what: str, limit: int) -> InputFileError:
    return InputFileError(
        f"{label}: the {what} is larger than the limit of {human_size(limit)}; "
        f"expected a {what} of at most {human_size(limit)}"
    )


def _strip_bom(data: bytes) -> bytes:
    return data[len(_BOM) :] if data.startswith(_BOM) else data


def _read_regular(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    want = limit + len(_BOM) + 1  # room for a BOM, plus one byte to see "too large"
    while total < want:
        chunk = os.read(fd, min(want - total, 1 * MIB))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _read_stream(fd: int, limit: int, label: str, what: str) -> bytes:
    """Read a pipe/FIFO/device opened with O_NONBLOCK, giving up after an idle timeout.

    A named FIFO that no writer has opened yet reads as end-of-file without being readable
    (Linux): that is waited for like a silent writer, never taken as an empty file.
    """
    timeout = input_timeout()
    chunks: list[bytes] = []
    total = 0
    want = limit + len(_BOM) + 1
    deadline = time.monotonic() + timeout
    while total < want:
        try:
            chunk = os.read(fd, min(want - total, 1 * MIB))
        except BlockingIOError:
            chunk = None
        if chunk:
            chunks.append(chunk)
            total += len(chunk)
            deadline = time.monotonic() + timeout
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise InputFileError(
                f"{label}: no data arrived within {timeout:g} s (a FIFO or pipe with no "
                f"writer?); expected a {what} (COPYGUARD_INPUT_TIMEOUT sets the wait)"
            )
        import select  # only for a pipe, FIFO or device (start-up time)

        ready, _, _ = select.select(
            [fd], [], [], min(remaining, 0.05 if chunk == b"" else remaining)
        )
        if chunk == b"" and ready:
            break  # a writer came and went: a real end of file
    return b"".join(chunks)


def read_bounded(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of ``path`` (BOM dropped), at most ``limit``; never blocks forever.

    Raises :class:`InputFileError` for a missing file, a directory, a socket, a file larger
    than ``limit``, a FIFO without data, or any OS error.
    """
    label = str(path)
    if "\x00" in label:
        raise InputFileError(f"{label!r}: a file name cannot contain a NUL character")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{label}: {what} file not found") from None
    except OSError as exc:
        raise InputFileError(f"{label}: cannot read {what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{label}: expected a {what} file, got a directory")
    if stat.S_ISSOCK(st.st_mode) or stat.S_ISBLK(st.st_mode):
        kind = "a socket" if stat.S_ISSOCK(st.st_mode) else "a block device"
        raise InputFileError(f"{label}: expected a {what} file, got {kind}")
    if stat.S_ISREG(st.st_mode) and st.st_size > limit + len(_BOM):
        raise _too_large(label, what, limit)
    try:
        # non-blocking: opening a FIFO nobody writes to must not wait (POSIX only)
        fd = os.open(
            path,
            os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0),
        )
    except OSError as exc:
        raise InputFileError(f"{label}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)  # what was opened, not what was looked at
        if stat.S_ISDIR(st.st_mode):
            raise InputFileError(f"{label}: expected a {what} file, got a directory")
        if stat.S_ISREG(st.st_mode) or not _NONBLOCK:
            if _NONBLOCK:
                os.set_blocking(fd, True)
            data = _read_regular(fd, limit)
        else:
            data = _read_stream(fd, limit, label, what)
    except OSError as exc:
        raise InputFileError(f"{label}: cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = _strip_bom(data)
    if len(data) > limit:
        raise _too_large(label, what, limit)
    return data


def read_stream_bounded(stream: BinaryIO | None, limit: int, what: str, label: str) -> bytes:
    """Up to ``limit`` bytes of an already open stream (standard input), BOM dropped."""
    if stream is None:
        raise InputFileError(f"{label}: standard input is closed; expected a {what} on it")
    try:
        data = stream.read(limit + len(_BOM) + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputFileError(f"{label}: cannot read {what} from standard input: {reason}") from None
    data = _strip_bom(data or b"")
    if len(data) > limit:
        raise _too_large(label, what, limit)
    return data


def read_stdin_bounded(limit: int, what: str) -> bytes:
    """Standard input, at most ``limit`` bytes; a closed standard input is an error."""
    stdin = sys.stdin
    if stdin is None:
        return read_stream_bounded(None, limit, what, "<stdin>")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # replaced by a text stream (tests, embedding)
        text = stdin.read(limit + 2)
        data = text.encode("utf-8", "surrogatepass")
        if len(_strip_bom(data)) > limit:
            raise _too_large("<stdin>", what, limit)
        return _strip_bom(data)
    try:
        os.fstat(buffer.fileno())
    except io.UnsupportedOperation:
        pass  # an in-memory stream (tests, embedding): readable without a descriptor
    except (OSError, ValueError):  # descriptor 0 is closed
        return read_stream_bounded(None, limit, what, "<stdin>")
    return read_stream_bounded(buffer, limit, what, "<stdin>")


def decode_utf8(data: bytes, label: str, what: str) -> str:
    """Strict UTF-8 (encoded surrogates are refused); the message gives the byte offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{label}: the {what} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "expected UTF-8"
        ) from None


def read_text(path: str | Path, limit: int, what: str) -> str:
    """:func:`read_bounded` decoded as UTF-8 text."""
    return decode_utf8(read_bounded(path, limit, what), str(path), what)
