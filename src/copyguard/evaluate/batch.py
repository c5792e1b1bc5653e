"""The batch evaluator behind ``copyguard simulate --batch`` (spec section 2), as a library.

Contract: one output line per input line, in order, always.

* Input is read as bytes and split on ``\\n`` only (a bare ``\\r`` inside a line does not end
  it; a ``\\r\\n`` line end is accepted). Each line is decoded as strict UTF-8, so the locale
  and ``PYTHONIOENCODING`` never matter; a line that is not UTF-8, not JSON, empty, too long
  or not a valid request gets an error line and the batch goes on.
* Output is UTF-8 JSON Lines written as bytes: ``{"id": ..., "decision": ...}`` or
  ``{"id": ..., "error": ..., "line": N}``. Text JSON cannot hold in UTF-8 (a lone surrogate
  from a ``"\\ud800"`` escape) is written with ``\\u`` escapes instead, never a crash.
* Bounded cost per line (:class:`BatchLimits`): a line longer than ``max_line_bytes`` is
  skipped without being held in memory, and a line whose decoding and evaluation use more
  than ``line_time_limit`` seconds of CPU time is stopped and answered with an error line
  (a periodic ``SIGPROF`` tick checks the line's CPU time; it needs POSIX and the main
  thread, elsewhere only the size limit applies).

Without ``explain`` and ``lint`` a line goes first to the decision-only path
(:mod:`copyguard.evaluate.fastpath`: statements compiled once and shared between policies,
decisions only, repeated requests from a cache), which hands every line it cannot decide
with nothing to report to the general path below, so both answer alike. The general path
parses and compiles each distinct document once (:class:`PolicyCache`, keyed by kind, name
and the document's JSON text as written in the line, see :func:`split_line`). Every cache is
bounded by the estimated bytes of what it holds, together ``DEFAULT_CACHE_BYTES``, so a
batch's memory does not grow with the number of distinct policies in it.

Two processes (``run_batch(parallel=...)``, :func:`_run_two`): a forked child may answer
every other chunk of a regular file; the output is the same, and the bound holds per process.
"""

from __future__ import annotations

import gc
import io
import json
import os
import re
import stat
import sys
from collections import OrderedDict

from copyguard.evaluate.decision import Decision
from copyguard.evaluate.engine import SHARED_CLEAR_BYTES, note_compiled
from copyguard.evaluate.fastpath import FastPolicies
from copyguard.evaluate.request import Request
from copyguard.evaluate.services.kms import KeyManager, evaluate_kms
from copyguard.policy import Policy, PolicyError, parse_policy
from copyguard.policy.model import PolicyKind
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (start-up time)
    import signal
    from collections.abc import Callable, Iterator
    from types import FrameType
    from typing import IO, Any
else:  # the C module under signal, without its enums (start-up time)
    import _signal as signal

__all__ = [
    "CACHE_BYTES_PER_TEXT_BYTE",
    "CACHE_ENTRY_OVERHEAD",
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_LINE_TIME_LIMIT",
    "DEFAULT_MAX_LINE_BYTES",
    "FLUSH_LINES",
    "BatchLimits",
    "BatchStats",
    "PolicyCache",
    "cache_cost",
    "evaluate_line",
    "run_batch",
    "split_line",
]

#: A request line may hold at most this many bytes (a key policy is at most 32 KiB; the
#: identity policies, SCPs and RCPs of one principal are far below this).
DEFAULT_MAX_LINE_BYTES = 1024 * 1024
#: Seconds of CPU time one line may use (a usual line needs well under a millisecond).
DEFAULT_LINE_TIME_LIMIT = 2.0

_POLICY_LISTS: tuple[tuple[str, PolicyKind], ...] = (
    ("identity_policies", "identity"),
    ("scps", "scp"),
    ("rcps", "rcp"),
)
_KEY_MANAGERS = ("CUSTOMER", "AWS")


@record(frozen=True)
class BatchLimits:
    """The bounds on one line. ``line_time_limit`` <= 0 turns the time limit off."""

    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    line_time_limit: float = DEFAULT_LINE_TIME_LIMIT


@record
class BatchStats:
    """What a batch run did: ``lines`` answered, of which ``errors`` were error lines, and
    ``child_chunks`` chunks answered by a second process (see ``run_batch``'s ``parallel``)."""

    lines: int = 0
    errors: int = 0
    child_chunks: int = 0


#: The bound of every cache of a batch run together, in estimated bytes (a batch's memory
#: is the interpreter, one line, and this): with neither ``--explain`` nor ``--lint`` it
#: is shared as FAST_CACHE_BYTES (compiled statements, policies, repeated requests),
#: FALLBACK_CACHE_BYTES (documents the general path parses) and the evaluator's shared
#: compile tables (emptied every SHARED_CLEAR_BYTES of new text, about 12 bytes each);
#: otherwise the general path's cache has all but the shared tables' share.
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
_SHARED_TABLES_BYTES = 12 * SHARED_CLEAR_BYTES
GENERAL_CACHE_BYTES = DEFAULT_CACHE_BYTES - _SHARED_TABLES_BYTES
FALLBACK_CACHE_BYTES = 8 * 1024 * 1024
FAST_CACHE_BYTES = (28 * 1024 * 1024, 12 * 1024 * 1024, 4 * 1024 * 1024)
#: Estimated bytes of memory per byte of a document's JSON text once it is decoded, parsed
#: and compiled, and kept with its text as the cache key (measured: about 10 for key
#: policies of 100 statements; rounded up).
CACHE_BYTES_PER_TEXT_BYTE = 12
#: Estimated fixed bytes per cached document (the entry, the Policy, its first statement).
CACHE_ENTRY_OVERHEAD = 2048


def cache_cost(raw: str) -> int:
    """The bytes a cached document of JSON text ``raw`` is counted for."""
    return CACHE_ENTRY_OVERHEAD + CACHE_BYTES_PER_TEXT_BYTE * len(raw)


class PolicyCache:
    """Parsed (and, once evaluated, compiled) policies of a batch, by their JSON text.

    Requests of a batch often repeat the same identity policies, SCPs and RCPs, or the same
    key policy; parsing and compiling each distinct document once is the largest saving on
    the batch path. The key is the document's text as written in the line (or its compact
    JSON when that is not known). A document AWS would reject is cached as its error.

    Bounded by size, not count: each entry is counted for :func:`cache_cost` bytes (an
    estimate of its decoded, parsed and compiled size), and the least recently used entries
    are dropped while the total is above ``max_bytes``. A document larger than the whole
    bound is parsed but not kept.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0  # the counted size of every entry held
        self.entries: OrderedDict[tuple[str, str, str], tuple[Policy | PolicyError, int]] = (
            OrderedDict()
        )

    def get(self, doc: Any, name: str, kind: PolicyKind, raw: str | None = None) -> Policy:
        if not isinstance(doc, dict):
            if isinstance(doc, str):
                return parse_policy(doc, name=name, kind=kind)
            got = "null" if doc is None else type(doc).__name__
            raise ValueError(f"{name}: expected a policy document (a JSON object), got {got}")
        compact: str | None = None
        if raw is None:
            try:
                raw = compact = _COMPACT(doc)
            except (TypeError, ValueError, RecursionError) as exc:
                raise ValueError(f"{name}: not a JSON document: {exc}") from None
        key = (kind, name, raw)
        entries = self.entries
        found = entries.get(key)
        if found is not None:
            entries.move_to_end(key)
            hit = found[0]
        else:
            try:
                hit = parse_policy(doc, name=name, kind=kind, compact=compact, raw=raw)
            except PolicyError as exc:
                hit = exc
            note_compiled(len(raw))
            self._add(key, hit, cache_cost(raw))
        if isinstance(hit, PolicyError):
            raise hit
        return hit

    def _add(self, key: tuple[str, str, str], value: Policy | PolicyError, cost: int) -> None:
        if cost > self.max_bytes:
            return
        entries = self.entries
        while entries and self.bytes + cost > self.max_bytes:
            _, (_, dropped) = entries.popitem(last=False)  # the least recently used
            self.bytes -= dropped
        entries[key] = (value, cost)
        self.bytes += cost


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Strict JSON: NaN and Infinity (which Python's json module accepts) are invalid input.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_scan_value: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_scan_string: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009
_WS = re.compile(r"[ \t\n\r]*")
_BLANK = frozenset(" \t\n\r")
_LIST_FIELDS = frozenset(f for f, _ in _POLICY_LISTS)


def _skip(line: str, i: int) -> int:
    """The index of the first non-blank character at or after ``i``."""
    return _WS.match(line, i).end()  # type: ignore[union-attr]  # [ \t\n\r]* always matches


def split_line(line: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Decode one batch line and keep the JSON text of each policy document in it.

    Returns (request, raw) where ``raw["key_policy"]`` is the key policy's text and
    ``raw["identity_policies"]`` (and ``scps``, ``rcps``) the list of each document's text;
    they key the policy cache without serializing the documents again. None when the line is
    not a JSON object this splitter understands (``json.loads`` then decides and reports).
    Values are decoded by the C scanner of :mod:`json`; only the top level is walked here.
    """
    end = len(line)
    data: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    i = 0
    if line[:1] != "{":
        i = _skip(line, 0)
        if line[i : i + 1] != "{":
            return None
    i += 1
    try:
        c = line[i : i + 1]
        if c in _BLANK:
            i = _skip(line, i)
            c = line[i : i + 1]
        if c == "}":
            i += 1
        else:
            while True:
                if c != '"':
                    return None
                key, i = _scan_string(line, i + 1)
                c = line[i : i + 1]
                if c != ":":
                    i = _skip(line, i)
                    if line[i : i + 1] != ":":
                        return None
                i += 1
                if line[i : i + 1] in _BLANK:
                    i = _skip(line, i)
                if key in _LIST_FIELDS and line[i : i + 1] == "[":
                    items: list[Any] = []
                    texts: list[str] = []
                    j = i + 1
                    if line[j : j + 1] in _BLANK:
                        j = _skip(line, j)
                    if line[j : j + 1] == "]":
                        i = j + 1
                    else:
                        while True:
                            value, k = _scan_value(line, j)
                            items.append(value)
                            texts.append(line[j:k])
                            c = line[k : k + 1]
                            if c in _BLANK:
                                k = _skip(line, k)
                                c = line[k : k + 1]
                            if c == ",":
                                j = k + 1
                                if line[j : j + 1] in _BLANK:
                                    j = _skip(line, j)
                                continue
                            if c != "]":
                                return None
                            i = k + 1
                            break
                    data[key] = items
                    raw[key] = texts
                else:
                    value, k = _scan_value(line, i)
                    data[key] = value
                    if key == "key_policy":
                        raw[key] = line[i:k]
                    i = k
                c = line[i : i + 1]
                if c in _BLANK:
                    i = _skip(line, i)
                    c = line[i : i + 1]
                if c == ",":
                    i += 1
                    c = line[i : i + 1]
                    if c in _BLANK:
                        i = _skip(line, i)
                        c = line[i : i + 1]
                    continue
                if c != "}":
                    return None
                i += 1
                break
    except (ValueError, StopIteration, RecursionError):
        return None
    if i != end and _skip(line, i) != end:
        return None
    return data, raw


def _policy_list(
    value: Any, field: str, kind: PolicyKind, cache: PolicyCache, texts: list[str] | None
) -> list[Policy]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(
            f"{field}: expected a list of policy documents, got {type(value).__name__}"
        )
    if texts is None or len(texts) != len(value):
        return [cache.get(doc, f"{field}[{i}]", kind) for i, doc in enumerate(value)]
    return [
        cache.get(doc, f"{field}[{i}]", kind, text)
        for i, (doc, text) in enumerate(zip(value, texts))
    ]


def _policy_error_text(exc: PolicyError) -> str:
    errors = exc.errors or exc.issues
    text = "; ".join(str(i) for i in errors[:5])
    if len(errors) > 5:
        text += f" (and {len(errors) - 5} more)"
    return text or str(exc)


def _manager(value: str) -> KeyManager:
    return "AWS" if value.upper() == "AWS" else "CUSTOMER"


def evaluate_line(
    data: Any,
    cache: PolicyCache | None = None,
    lint: bool = False,
    raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One decoded batch request -> one result (never raises for bad input).

    The result is ``{"id", "decision", "_decision": Decision}`` or ``{"id", "error"}``
    (plus ``warnings`` with ``lint``). ``raw``: the policy documents' JSON text from
    :func:`split_line` (cache keys).
    """
    if not isinstance(data, dict):
        return {"id": None, "error": f"expected a JSON object per line, got {type(data).__name__}"}
    rid = data.get("id")
    cache = cache or PolicyCache()
    raw = raw or {}
    try:
        for required in ("principal", "action", "resource"):
            value = data.get(required)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{required}: expected a non-empty string")
        context = data.get("context")
        if context is None:
            context = {}
        elif not isinstance(context, dict):
            raise ValueError("context: expected an object of key -> string or list of strings")
        if "key_policy" not in data:
            raise ValueError("key_policy: missing (the KMS key policy document)")
        manager = data.get("key_manager")
        if manager is not None and (
            not isinstance(manager, str) or manager.upper() not in _KEY_MANAGERS
        ):
            raise ValueError('key_manager: expected "CUSTOMER" or "AWS"')
        request = Request(data["principal"], data["action"], data["resource"], context)
        key_policy = cache.get(data["key_policy"], "key_policy", "key", raw.get("key_policy"))
        lists = [
            _policy_list(data.get(field), field, kind, cache, raw.get(field))
            for field, kind in _POLICY_LISTS
        ]
        decision = evaluate_kms(
            request,
            key_policy,
            lists[0],
            lists[1],
            lists[2],
            key_manager=None if manager is None else _manager(manager),
        )
    except PolicyError as exc:
        return {"id": rid, "error": _policy_error_text(exc)}
    except ValueError as exc:
        return {"id": rid, "error": str(exc)}
    result: dict[str, Any] = {"id": rid, "decision": decision.decision, "_decision": decision}
    if lint:
        from copyguard.evaluate.lint import lint_policy

        result["warnings"] = [i.to_dict() for i in key_policy.warnings + lint_policy(key_policy)]
    return result


# ----------------------------------------------------------------------------- limits


class LineTimeout(BaseException):
    """Raised inside a line's evaluation when it used up its CPU time (never caught by
    ``except Exception`` in the evaluator)."""


class _Watchdog:
    """A CPU-time limit per line: a periodic ``SIGPROF`` tick (process CPU time) counts, and
    the handler stops the current line once it has run for ``limit`` seconds of CPU time.

    Between lines nothing is armed, so the tick never interrupts reading or writing. Works
    only in the main thread on POSIX (``active`` is False elsewhere).
    """

    TICK = 0.05

    def __init__(self, limit: float) -> None:
        # no limit for 0, a negative number or NaN; a day at most (no overflow for inf)
        limit = min(limit, 86400.0) if limit > 0 else 0.0
        ticks = limit / self.TICK
        self.limit_ticks = max(1, int(ticks) + (int(ticks) < ticks)) if limit > 0 else 0  # ceil
        self.ticks = 0
        self.start = 0
        self.armed = False
        self.active = False
        self._previous: Any = None

    def __enter__(self) -> _Watchdog:
        if self.limit_ticks and hasattr(signal, "setitimer"):
            try:  # ValueError outside the main thread
                self._previous = signal.signal(signal.SIGPROF, self._tick)
                signal.setitimer(signal.ITIMER_PROF, self.TICK, self.TICK)
                self.active = True
            except (ValueError, OSError):  # no signals here: the size limit still holds
                self.active = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.armed = False
        if self.active:
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
            signal.signal(signal.SIGPROF, self._previous)
            self.active = False

    def _tick(self, signum: int, frame: FrameType | None) -> None:
        self.ticks += 1
        if self.armed and self.ticks - self.start >= self.limit_ticks:
            self.armed = False
            raise LineTimeout

    def arm(self) -> None:
        self.start = self.ticks
        self.armed = True


class _Oversized:
    """A line longer than the limit, already skipped in the input (only its size is kept).
    ``endless``: no line end came within ``SKIP_FACTOR`` times the limit, so reading stopped."""

    __slots__ = ("endless", "limit", "size")

    def __init__(self, size: int, limit: int, endless: bool = False) -> None:
        self.size = size
        self.limit = limit
        self.endless = endless


_Line = bytes | _Oversized
#: how far past the line limit the reader looks for the end of a too-long line before it
#: stops reading the input (``/dev/zero`` has no line end at all)
SKIP_FACTOR = 64


def _read_lines(stream: IO[bytes], max_bytes: int) -> Iterator[_Line]:
    """The input's lines (split on ``\\n`` only), each at most ``max_bytes`` long."""
    readline = stream.readline
    give_up = max_bytes * SKIP_FACTOR
    while True:
        line = readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            size = len(line)
            chunk = b""
            while size <= give_up:  # drop the rest of the line without keeping it
                chunk = readline(min(1024 * 1024, max_bytes + 1))
                size += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            else:
                yield _Oversized(size, max_bytes, endless=True)
                return
            yield _Oversized(size - (1 if chunk.endswith(b"\n") else 0), max_bytes)
        else:
            yield line


# ----------------------------------------------------------------------------- output


_PLAIN_ID = re.compile(r"[A-Za-z0-9 _.:/@+=,-]*\Z")


def _encode(value: dict[str, Any], lineno: int) -> bytes:
    """One output line as UTF-8 bytes; never raises. Hidden characters and lone surrogates
    (a ``"\\ud800"`` escape in the input) are written as ``\\u`` escapes
    (:func:`copyguard.escape.json_dumps`), so the line is valid UTF-8 and parses back
    to the same value."""
    from copyguard.escape import json_dumps  # not needed by a batch of plain lines

    try:
        text = json_dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        # an id JSON cannot echo (a number too large for a float is read as Infinity)
        text = json_dumps(
            {
                "id": None,
                "error": "the result (or its id) cannot be written as JSON",
                "line": lineno,
            }
        )
    return (text + "\n").encode("utf-8", "backslashreplace")


# ----------------------------------------------------------------------------- running


FLUSH_LINES = 1000  # the output is flushed at least this often (and at the end)
#: The runners (with their caches) of the batches run with ``keep_caches=True``.
KEPT_CACHES: list[Any] = []
_BOM = b"\xef\xbb\xbf"


def run_batch(
    stream: IO[bytes],
    out: IO[bytes],
    *,
    explain: bool = False,
    lint: bool = False,
    limits: BatchLimits | None = None,
    parallel: bool | None = False,
    keep_caches: bool = False,
) -> BatchStats:
    """Answer every line of ``stream`` on ``out`` (both binary), one line each, same order.

    The input is streamed: one line is held at a time (at most ``limits.max_line_bytes``),
    or, with a second process, two chunks (:data:`CHUNK_BYTES` plus one line each).

    ``parallel``: whether a forked child answers every other chunk of a regular file
    (:func:`parallel_worth_it`): False (the default: a library caller's process may have
    threads, and forking one is unsafe), True whenever possible, None when it pays (the
    command line's choice). The output is the same either way; each process has its own
    caches, so the memory bound (``DEFAULT_CACHE_BYTES``) holds per process.

    ``keep_caches``: the run's caches are not freed when it returns but kept in
    :data:`KEPT_CACHES` (for a caller that ends the process right after the batch without
    the interpreter's clean-up, see ``cli/simulate_batch.py``: freeing them one object at a
    time took about 10 ms, 2% of a 5,000-line held-out run, measured in process).
    """
    limits = limits or BatchLimits()
    # The batch allocates many small, acyclic objects and keeps the policy cache alive: the
    # cyclic garbage collector would scan that cache again and again (half the run time on a
    # 5,000-line batch). Reference counting frees everything the batch drops.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        offset = parallel_worth_it(stream, parallel)
        if offset is not None:
            return _run_two(stream, offset, out, explain, lint, limits, keep_caches)
        return _run_lines(
            _read_lines(stream, max(1, limits.max_line_bytes)),
            out,
            explain,
            lint,
            limits,
            keep_caches,
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _line_text(line: _Line) -> tuple[str, None] | tuple[None, str]:
    """(the line's text, None) or (None, error message)."""
    if isinstance(line, _Oversized):
        if line.endless:
            return None, (
                f"line too long: no line end within {line.size} bytes (the limit is "
                f"{line.limit} bytes per line); the rest of the input was not read"
            )
        return None, f"line too long: {line.size} bytes; the limit is {line.limit} bytes"
    if line.endswith(b"\n"):
        line = line[:-1]
        if line.endswith(b"\r"):  # a CRLF line end
            line = line[:-1]
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not valid UTF-8 text ({exc.reason} at byte {exc.start + 1})"
    if text[:1] in " \t\r" and not text.strip(" \t\r"):  # ("" is in every string)
        return None, "empty line; expected a JSON request object"
    return text, None


def _decode(line: _Line) -> tuple[Any, dict[str, Any] | None, str | None]:
    """(request, raw policy texts, None) or (None, None, error message)."""
    text, problem = _line_text(line)
    if text is None:
        return None, None, problem
    return _decode_text(text)


def _decode_text(text: str) -> tuple[Any, dict[str, Any] | None, str | None]:
    split = split_line(text)
    if split is not None:
        return split[0], split[1], None
    try:
        return _DECODER.decode(text), None, None
    except json.JSONDecodeError as exc:
        return None, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, None, "invalid JSON: nested too deeply"
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        return None, None, f"invalid JSON: {exc}"


class _Runner:
    """Answers lines one at a time, with the caches and counts of one process."""

    def __init__(self, explain: bool, lint: bool, limits: BatchLimits, stats: BatchStats) -> None:
        self.explain = explain
        self.lint = lint
        self.limits = limits
        self.stats = stats
        self.decide_only = not explain and not lint
        self.cache, self.fast = self.new_caches()

    def new_caches(self) -> tuple[PolicyCache, FastPolicies | None]:
        if not self.decide_only:
            return PolicyCache(GENERAL_CACHE_BYTES), None
        return PolicyCache(FALLBACK_CACHE_BYTES), FastPolicies(*FAST_CACHE_BYTES)

    def line(self, lineno: int, line: _Line, write: Callable[[bytes], Any], dog: _Watchdog) -> None:
        """Write the answer of input line ``lineno`` (one output line) with ``write``."""
        if lineno == 1 and isinstance(line, bytes) and line.startswith(_BOM):
            line = line[len(_BOM) :]
        explain, lint, fast = self.explain, self.lint, self.fast
        result: dict[str, Any]
        data: Any = None
        dog.arm()
        try:
            text, problem = _line_text(line)
            raw: dict[str, Any] | None = None
            if text is not None:
                got = fast.answer(text) if fast is not None else None
                if got is None:
                    data, raw, problem = _decode_text(text)
                elif got[0]:  # answered on the decision-only path
                    dog.armed = False
                    rid, value = got[1], got[2]
                    if type(rid) is str and _PLAIN_ID.match(rid):
                        write(f'{{"id": "{rid}", "decision": "{value}"}}\n'.encode())
                    else:
                        write(_encode({"id": rid, "decision": value}, lineno))
                    return
                else:
                    data, raw = got[1], got[2]
            if problem is not None:
                result = {"id": None, "error": problem}
            else:
                result = evaluate_line(data, self.cache, lint, raw)
            dog.armed = False
        except LineTimeout:
            if data is None and fast is not None:
                data = fast.current  # the line was being decided on the fast path
            self.cache, self.fast = self.new_caches()  # nothing half-built survives
            result = {
                "id": _id_of(data),
                "error": f"stopped: the request used more than the limit of "
                f"{self.limits.line_time_limit:g} s of CPU time",
            }
        except Exception as exc:  # one bad line never stops the batch
            dog.armed = False
            result = {
                "id": _id_of(data),
                "error": f"internal error: {type(exc).__name__}: {exc}",
            }
        decision: Decision | None = result.pop("_decision", None)
        if "error" in result:
            self.stats.errors += 1
            result["line"] = lineno
        elif decision is not None and not explain and not lint:
            # the common line, written without building a dict for json.dumps
            rid = result["id"]
            if type(rid) is str and _PLAIN_ID.match(rid):
                write(f'{{"id": "{rid}", "decision": "{decision.decision}"}}\n'.encode())
                return
        elif explain and decision is not None:
            result["summary"] = decision.summary
            result["explanation"] = decision.explain()
        write(_encode(result, lineno))


def _run_lines(
    lines: Iterator[_Line],
    out: IO[bytes],
    explain: bool,
    lint: bool,
    limits: BatchLimits,
    keep_caches: bool = False,
) -> BatchStats:
    stats = BatchStats()
    write = out.write
    runner = _Runner(explain, lint, limits, stats)
    if keep_caches:
        KEPT_CACHES.append(runner)
    answer = runner.line
    with _Watchdog(limits.line_time_limit) as dog:
        for lineno, line in enumerate(lines, 1):
            stats.lines = lineno
            if lineno % FLUSH_LINES == 0:
                out.flush()
            answer(lineno, line, write, dog)
    out.flush()
    return stats


# ----------------------------------------------------------------------------- two processes

#: A chunk of input lines, the unit the two processes alternate on: at most CHUNK_LINES
#: lines, and it ends at the first line that brings it to CHUNK_BYTES bytes or more.
CHUNK_LINES = 64
CHUNK_BYTES = 1024 * 1024
#: The smallest input (bytes left in the file) for which ``parallel=None`` starts a child.
PARALLEL_MIN_BYTES = 512 * 1024
#: a child's frame: chunk index, lines, checksum, error lines, payload bytes
_FRAME = "<QQQQQ"
_FRAME_SIZE = 40


def _chunks(lines: Iterator[_Line]) -> Iterator[tuple[int, list[_Line]]]:
    """(number of the first line, the lines) of each chunk; both processes cut the same
    input into the same chunks."""
    chunk: list[_Line] = []
    size = 0
    first = 1
    for line in lines:
        chunk.append(line)
        size += line.size if isinstance(line, _Oversized) else len(line)
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield first, chunk
            first += len(chunk)
            chunk = []
            size = 0
    if chunk:
        yield first, chunk


def _checksum(chunk: list[_Line]) -> int:
    """What the parent compares with the child's reading of the same chunk."""
    from zlib import adler32  # imported when a child answers (start-up time)

    value = 1
    for line in chunk:
        if isinstance(line, _Oversized):
            value = adler32(b"%d/%d" % (line.size, line.endless), value)
        else:
            value = adler32(line, value)
    return value | (len(chunk) << 32)


class _PRead(io.RawIOBase):
    """A file read with ``os.pread`` from its own offset: after a fork the child reads the
    parent's descriptor without moving the offset the parent reads from."""

    def __init__(self, fd: int, offset: int) -> None:
        self.fd = fd
        self.offset = offset

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = os.pread(self.fd, len(buffer), self.offset)
        n = len(data)
        buffer[:n] = data
        self.offset += n
        return n


def _threading_active() -> int:
    """``threading.active_count()``, without importing threading: 1 when it was never
    imported (no thread of its was started)."""
    threading = sys.modules.get("threading")
    return 1 if threading is None else int(threading.active_count())


def parallel_worth_it(stream: IO[bytes], parallel: bool | None) -> int | None:
    """The offset the child reads from when a second process should answer every other
    chunk of ``stream``, or None.

    ``parallel``: False never, True whenever possible, None (automatic) when it was measured
    to pay: a regular file with at least PARALLEL_MIN_BYTES left, two CPUs this process may
    use, a 1-minute load average below the number of CPUs minus one half (a second core is
    idle), and no other thread in this process (forking a threaded process is unsafe).
    Possible only on POSIX with ``os.fork`` and ``os.pread``, for a file read from its start
    or from a known offset.
    """
    if parallel is False or not hasattr(os, "fork") or not hasattr(os, "pread"):
        return None
    if _threading_active() != 1:
        return None
    try:
        fd = stream.fileno()
        st = os.fstat(fd)
        offset = stream.tell()
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    if parallel is None:
        if st.st_size - offset < PARALLEL_MIN_BYTES:
            return None
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        if cpus < 2 or os.getloadavg()[0] > cpus - 0.5:
            return None
    return int(offset)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        part = os.read(fd, min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _child(fd: int, offset: int, pipe: int, explain: bool, lint: bool, limits: BatchLimits) -> None:
    """The forked child: answers the odd chunks of the file, one frame each on ``pipe``."""
    from struct import pack

    reader = io.BufferedReader(_PRead(fd, offset), 1 << 16)
    stats = BatchStats()
    runner = _Runner(explain, lint, limits, stats)
    with _Watchdog(limits.line_time_limit) as dog:
        for index, (first, chunk) in enumerate(
            _chunks(_read_lines(reader, max(1, limits.max_line_bytes)))
        ):
            if not index & 1:
                continue
            parts: list[bytes] = []
            errors = stats.errors
            for lineno, line in enumerate(chunk, first):
                runner.line(lineno, line, parts.append, dog)
            payload = b"".join(parts)
            head = pack(
                _FRAME, index, len(chunk), _checksum(chunk), stats.errors - errors, len(payload)
            )
            _write_all(pipe, head + payload)


def _run_two(
    stream: IO[bytes],
    offset: int,
    out: IO[bytes],
    explain: bool,
    lint: bool,
    limits: BatchLimits,
    keep_caches: bool = False,
) -> BatchStats:
    """The batch in two processes: a forked child answers every other chunk (it reads the
    file itself, with ``pread``) and sends its output lines over a pipe; this process
    answers the others and writes every chunk's lines in input order. The parent checks
    each of the child's frames against its own reading of that chunk (index, lines,
    checksum); if the child dies, sends something else or the file changed under it, the
    parent answers that chunk itself and goes on alone, so no line is lost or answered twice.
    """
    from struct import unpack

    stats = BatchStats()
    out.flush()  # nothing buffered is copied into the child
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never writes to the parent's streams
        code = 1
        try:
            os.close(read_end)
            _child(stream.fileno(), offset, write_end, explain, lint, limits)
            code = 0
        except BaseException:
            code = 1  # the parent notices the missing frames and answers those lines
        finally:
            os._exit(code)
    os.close(write_end)
    child: int | None = pid
    write = out.write
    runner = _Runner(explain, lint, limits, stats)
    if keep_caches:
        KEPT_CACHES.append(runner)
    flushed = 0

    def stop_child() -> None:
        nonlocal child
        if child is not None:
            pid, child = child, None
            try:
                os.kill(pid, signal.SIGKILL)  # done, or of no more use
                os.waitpid(pid, 0)
            except OSError:  # already reaped (SIGCHLD ignored by the host process)
                return

    def collect(index: int, first: int, chunk: list[_Line], dog: _Watchdog) -> None:
        """Write the child's answers for this chunk, or answer it here if they are wrong."""
        if child is not None:
            head = _read_exact(read_end, _FRAME_SIZE)
            if head is not None:
                got_index, lines, check, errors, size = unpack(_FRAME, head)
                payload = _read_exact(read_end, size)
                if (
                    payload is not None
                    and (got_index, lines, check) == (index, len(chunk), _checksum(chunk))
                    and payload.count(b"\n") == lines
                ):
                    write(payload)
                    stats.errors += errors
                    stats.child_chunks += 1
                    return
            stop_child()
        for lineno, line in enumerate(chunk, first):
            runner.line(lineno, line, write, dog)

    try:
        with _Watchdog(limits.line_time_limit) as dog:
            pending: tuple[int, int, list[_Line]] | None = None
            for index, (first, chunk) in enumerate(
                _chunks(_read_lines(stream, max(1, limits.max_line_bytes)))
            ):
                stats.lines = first + len(chunk) - 1
                if index & 1:
                    pending = (index, first, chunk)  # the child's: kept until answered
                    continue
                if pending is None:
                    for lineno, line in enumerate(chunk, first):
                        runner.line(lineno, line, write, dog)
                else:
                    parts: list[bytes] = []
                    for lineno, line in enumerate(chunk, first):
                        runner.line(lineno, line, parts.append, dog)
                    collect(*pending, dog)
                    pending = None
                    write(b"".join(parts))
                if stats.lines - flushed >= FLUSH_LINES:
                    out.flush()
                    flushed = stats.lines
            if pending is not None:
                collect(*pending, dog)
    finally:
        os.close(read_end)
        stop_child()
    out.flush()
    return stats


def _id_of(data: Any) -> Any:
    return data.get("id") if isinstance(data, dict) else None
