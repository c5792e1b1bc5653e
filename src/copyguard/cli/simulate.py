"""``copyguard simulate``: batch (spec section 2) and single evaluations.

The batch path is built for throughput: policies are parsed and compiled once per distinct
document (a cache keyed by kind, name and compact JSON text), nothing heavy is imported, and
the knowledge data is read only when ``--lint`` asks for it.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import os
import re
import sys
from collections.abc import Callable
from typing import IO, Any

import click

from copyguard.cli.common import (
    EXIT_FAIL,
    EXIT_INPUT,
    EXIT_PASS,
    emit_json,
    fail_input,
    read_text_file,
)

_POLICY_LISTS = (("identity_policies", "identity"), ("scps", "scp"), ("rcps", "rcp"))
_KEY_MANAGERS = ("CUSTOMER", "AWS")


class PolicyCache:
    """Parsed (and, once evaluated, compiled) policies of a batch, by their JSON text.

    Requests of a batch often repeat the same identity policies, SCPs and RCPs, or the same
    key policy; parsing and compiling each distinct document once is the largest saving on
    the batch path. The key is the document's text as written in the line (or its compact
    JSON when that is not known). A document AWS would reject is cached as its error.
    """

    def __init__(self, key_limit: int = 512, other_limit: int = 4096) -> None:
        from copyguard.policy import PolicyError, parse_policy

        # Key policies are often all different (one per request): a small window keeps the
        # repeats without holding every document of the batch in memory. IAM policies, SCPs
        # and RCPs repeat far more.
        self.limits = {"key": key_limit, "other": other_limit}
        self.entries: dict[str, dict[tuple[str, str, str], Any]] = {"key": {}, "other": {}}
        self._parse = parse_policy
        self._error = PolicyError

    def get(self, doc: Any, name: str, kind: str, raw: str | None = None) -> Any:
        if not isinstance(doc, dict):
            if isinstance(doc, str):
                return self._parse(doc, name=name, kind=kind)  # type: ignore[arg-type]
            got = "null" if doc is None else type(doc).__name__
            raise ValueError(f"{name}: expected a policy document (a JSON object), got {got}")
        compact: str | None = None
        if raw is None:
            try:
                raw = compact = _COMPACT(doc)
            except (TypeError, ValueError, RecursionError) as exc:
                raise ValueError(f"{name}: not a JSON document: {exc}") from None
        key = (kind, name, raw)
        group = "key" if kind == "key" else "other"
        entries = self.entries[group]
        hit = entries.get(key)
        if hit is None:
            try:
                hit = self._parse(doc, name=name, kind=kind, compact=compact, raw=raw)  # type: ignore[arg-type]
            except self._error as exc:
                hit = exc
            if len(entries) >= self.limits[group]:
                del entries[next(iter(entries))]  # the oldest
            entries[key] = hit
        if isinstance(hit, self._error):
            raise hit
        return hit


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_scan_value: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_scan_string: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009
_WS = re.compile(r"[ \t\n\r]*")
_BLANK = frozenset(" \t\n\r")


def _skip(line: str, i: int) -> int:
    """The index of the first non-blank character at or after ``i``."""
    return _WS.match(line, i).end()  # type: ignore[union-attr]  # [ \t\n\r]* always matches


_LIST_FIELDS = frozenset(f for f, _ in _POLICY_LISTS)


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
    value: Any, field: str, kind: str, cache: PolicyCache, texts: list[str] | None
) -> list[Any]:
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


def _policy_error_text(exc: Any) -> str:
    errors = exc.errors or exc.issues
    text = "; ".join(str(i) for i in errors[:5])
    if len(errors) > 5:
        text += f" (and {len(errors) - 5} more)"
    return text or str(exc)


@functools.cache
def _engine() -> tuple[Any, Any, Any]:
    """The evaluator, imported on first use (``copyguard --help`` does not pay for it)."""
    from copyguard.evaluate import Request, evaluate_kms
    from copyguard.policy import PolicyError

    return Request, evaluate_kms, PolicyError


def evaluate_line(
    data: Any,
    cache: PolicyCache | None = None,
    lint: bool = False,
    raw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One batch request -> one result line (never raises for bad input).

    ``raw``: the policy documents' JSON text from :func:`split_line` (cache keys).
    """
    request_cls, evaluate_kms, policy_error = _engine()
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
        request = request_cls(data["principal"], data["action"], data["resource"], context)
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
            key_manager=manager.upper() if isinstance(manager, str) else None,
        )
    except policy_error as exc:
        return {"id": rid, "error": _policy_error_text(exc)}
    except ValueError as exc:
        return {"id": rid, "error": str(exc)}
    result: dict[str, Any] = {"id": rid, "decision": decision.decision, "_decision": decision}
    if lint:
        from copyguard.evaluate.lint import lint_policy

        result["warnings"] = [i.to_dict() for i in key_policy.warnings + lint_policy(key_policy)]
    return result


PARALLEL_MIN_LINES = 2000  # below this, forking costs more than it saves
BLOCK_LINES = 50000  # lines read (and evaluated) at a time
_MAX_WORKERS = 8


def batch_workers(lines: int) -> int:
    """How many processes a batch of ``lines`` lines uses (``COPYGUARD_BATCH_WORKERS``
    overrides; 1 means serial). Only POSIX ``fork`` is used, never threads."""
    setting = os.environ.get("COPYGUARD_BATCH_WORKERS", "").strip()
    if setting.isdigit():
        wanted = max(1, int(setting))
    else:
        if lines < PARALLEL_MIN_LINES:
            return 1
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count() or 1
        wanted = min(cpus, _MAX_WORKERS, max(1, lines // (PARALLEL_MIN_LINES // 2)))
    if wanted > 1 and not hasattr(os, "fork"):
        return 1
    return max(1, min(wanted, lines))


def run_batch(stream: IO[str], out: IO[str], explain: bool, lint: bool = False) -> int:
    """Evaluate every line; one output line per non-blank input line, same order.

    Exit code 2 when any line could not be evaluated, else 0. A large batch is split into
    contiguous chunks evaluated by forked worker processes; their output is written back in
    order, so the result is the same as a serial run.
    """
    # The batch allocates many small, acyclic objects and keeps the policy cache alive: the
    # cyclic garbage collector would scan that cache again and again (half the run time on a
    # 5,000-line batch). Reference counting frees everything the batch drops.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        errors = 0
        first = 1
        while True:  # blocks of lines: memory stays bounded whatever the input's size
            lines = list(itertools.islice(stream, BLOCK_LINES))
            if not lines:
                break
            if first == 1 and lines[0].startswith("\ufeff"):  # a BOM (stdin is not utf-8-sig)
                lines[0] = lines[0][1:]
            workers = batch_workers(len(lines))
            if workers > 1:
                errors += _run_parallel(lines, first, out, explain, lint, workers)
            else:
                errors += _run_lines(lines, first, out, explain, lint)
            out.flush()
            first += len(lines)
        return EXIT_INPUT if errors else EXIT_PASS
    finally:
        if gc_was_enabled:
            gc.enable()


def _run_parallel(
    lines: list[str], first: int, out: IO[str], explain: bool, lint: bool, workers: int
) -> int:
    """Like :func:`_run_lines`, with the lines split between ``workers`` processes."""
    import contextlib
    import shutil
    import tempfile

    size = -(-len(lines) // workers)
    chunks = [(start, lines[start : start + size]) for start in range(0, len(lines), size)]
    out.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.ExitStack() as spools:
        children: list[tuple[int, int, list[str], IO[str]]] = []
        for start, chunk in chunks[1:]:
            spool: IO[str] = spools.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))
            try:
                pid = os.fork()
            except OSError:
                pid = -1
            if pid == 0:  # the worker: evaluate its chunk into the spool file, then leave
                code = 3
                try:
                    errors = _run_lines(chunk, first + start, spool, explain, lint)
                    spool.flush()
                    code = 2 if errors else 0
                finally:
                    os._exit(code)
            children.append((pid, start, chunk, spool))
        errors = _run_lines(chunks[0][1], first, out, explain, lint)
        for pid, start, chunk, spool in children:
            status = -1
            if pid > 0:
                _, wait_status = os.waitpid(pid, 0)
                status = os.waitstatus_to_exitcode(wait_status)
            if status in (0, 2):
                spool.seek(0)
                shutil.copyfileobj(spool, out)
                errors += status == 2
            else:  # the worker failed (or could not start): do its chunk here
                errors += _run_lines(chunk, first + start, out, explain, lint)
    return errors


def _decode(line: str, lineno: int) -> tuple[Any, dict[str, Any] | None, str | None]:
    """(request, raw policy texts, None) or (None, None, error message)."""
    split = split_line(line)
    if split is not None:
        return split[0], split[1], None
    try:
        return json.loads(line), None, None
    except json.JSONDecodeError as exc:
        return None, None, f"line {lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return None, None, f"line {lineno}: invalid JSON: nested too deeply"


def _run_lines(lines: list[str], first: int, out: IO[str], explain: bool, lint: bool) -> int:
    """Evaluate ``lines`` (``first`` is the line number of the first); the error count."""
    errors = 0
    write = out.write
    cache = PolicyCache()
    for lineno, line in enumerate(lines, first):
        if not line.strip():
            continue
        data, raw, problem = _decode(line, lineno)
        result: dict[str, Any]
        if problem is not None:
            result = {"id": None, "error": problem}
        else:
            try:
                result = evaluate_line(data, cache, lint, raw)
            except Exception as exc:  # one bad line never stops the batch
                rid = data.get("id") if isinstance(data, dict) else None
                result = {"id": rid, "error": f"internal error: {type(exc).__name__}: {exc}"}
        decision = result.pop("_decision", None)
        if "error" in result:
            errors += 1
            if result["id"] is None:
                result["line"] = lineno
        elif decision is not None and not explain and not lint:
            # the common line, written without building a dict for json.dumps
            rid = result["id"]
            rid_text = f'"{rid}"' if type(rid) is str and _PLAIN_ID.match(rid) else None
            if rid_text is None:
                rid_text = _safe_dumps(rid)
            write(f'{{"id": {rid_text}, "decision": "{decision.decision}"}}\n')
            continue
        elif explain and decision is not None:
            result["summary"] = decision.summary
            result["explanation"] = decision.explain()
        write(_safe_dumps(result, lineno) + "\n")
    return errors


_PLAIN_ID = re.compile(r"[A-Za-z0-9 _.:/@+=,-]*\Z")


def _safe_dumps(value: Any, lineno: int | None = None) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # an id JSON cannot echo (never from JSON input)
        return json.dumps({"id": None, "line": lineno, "error": "result not serializable"})


_CTX_RE = re.compile(r"^([^=]+)=(.*)$", re.DOTALL)


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
            except (json.JSONDecodeError, RecursionError):
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


def load_policy_file(path: str, kind: str, what: str) -> Any:
    from copyguard.policy import PolicyError, parse_policy

    text = read_text_file(path, what)
    try:
        return parse_policy(text, name=path, kind=kind)  # type: ignore[arg-type]
    except PolicyError as exc:
        lines = "\n  ".join(str(i) for i in exc.issues if i.severity == "error")
        fail_input(f"{what} is not valid:\n  {lines}")


def infer_key_account(policy: Any) -> str | None:
    """The key's own account, from the usual administrator statement (root gets kms:*)."""
    for st in policy.statements:
        if st.effect != "Allow" or st.principal is None or st.principal_negated or st.conditions:
            continue
        if not st.actions or st.actions_negated:
            continue
        if not any(a.lower() in ("kms:*", "*", "kms:putkeypolicy") for a in st.actions):
            continue
        for kind, value in st.principal.entries:
            if kind == "AWS":
                if value.isdigit():
                    return str(value)
                if value.endswith(":root"):
                    return str(value.split(":")[4])
    return None


def _lint_key_policy(policy: Any) -> list[Any]:
    """The parser's warnings plus the semantic lint, for the single form."""
    from copyguard.evaluate.lint import lint_policy

    return list(policy.warnings) + list(lint_policy(policy))


@click.command("simulate")
@click.option("--batch", "batch", metavar="FILE|-", help="JSON Lines requests (spec section 2).")
@click.option(
    "--explain/--no-explain", default=False, help="Batch: add the explanation to each line."
)
@click.option(
    "--lint/--no-lint",
    default=None,
    help="Add policy warnings (unknown actions, impossible conditions ...). "
    "Default: on for a single evaluation, off for --batch.",
)
@click.option("--key-policy", "key_policy", metavar="FILE", help="The KMS key policy (JSON).")
@click.option(
    "--principal", metavar="ARN", help="The calling principal (ARN, account ID or service)."
)
@click.option("--action", metavar="ACTION", help="The KMS action, e.g. kms:CreateGrant.")
@click.option("--resource", "--key-arn", "resource", metavar="ARN", help="The key ARN.")
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="K=V",
    help="A request context value (repeatable).",
)
@click.option(
    "--identity-policy",
    "identity_policies",
    multiple=True,
    metavar="FILE",
    help="An IAM policy of the principal (repeatable).",
)
@click.option(
    "--scp", "scps", multiple=True, metavar="FILE", help="An SCP that applies (repeatable)."
)
@click.option(
    "--rcp", "rcps", multiple=True, metavar="FILE", help="An RCP that applies (repeatable)."
)
@click.option(
    "--key-manager",
    "key_manager",
    type=click.Choice(["CUSTOMER", "AWS"], case_sensitive=False),
    default=None,
    help="Who manages the key (RCPs do not apply to AWS managed keys). Default: CUSTOMER.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def simulate(
    batch: str | None,
    explain: bool,
    lint: bool | None,
    key_policy: str | None,
    principal: str | None,
    action: str | None,
    resource: str | None,
    context: tuple[str, ...],
    identity_policies: tuple[str, ...],
    scps: tuple[str, ...],
    rcps: tuple[str, ...],
    key_manager: str | None,
    fmt: str,
) -> int:
    """Evaluate KMS requests against a key policy, IAM policies, SCPs and RCPs.

    Batch: one JSON request per line in, one {"id", "decision"} line out, same order.
    Single: prints the decision and why each statement did or did not apply.
    Exit codes: batch 0 (2 if any line was invalid); single 0 allowed, 1 denied, 2 bad input.
    """
    if batch:
        if key_policy or principal or action:
            fail_input("--batch cannot be combined with --key-policy/--principal/--action")
        if batch == "-":
            return run_batch(sys.stdin, sys.stdout, explain, bool(lint))
        try:
            with open(batch, encoding="utf-8-sig") as fh:
                return run_batch(fh, sys.stdout, explain, bool(lint))
        except FileNotFoundError:
            fail_input(f"{batch}: batch file not found")
        except UnicodeDecodeError as exc:
            fail_input(f"{batch}: not UTF-8 text ({exc.reason})")
        except IsADirectoryError:
            fail_input(f"{batch}: expected a file, got a directory")
        except PermissionError:
            fail_input(f"{batch}: cannot read the batch file (permission denied)")
    missing = [
        n
        for n, v in (("--key-policy", key_policy), ("--principal", principal), ("--action", action))
        if not v
    ]
    if missing:
        fail_input(f"missing {', '.join(missing)} (or use --batch FILE)")
    assert key_policy and principal and action
    from copyguard.evaluate import Request, evaluate_kms

    kp = load_policy_file(key_policy, "key", f"key policy {key_policy}")
    ids = [load_policy_file(p, "identity", f"identity policy {p}") for p in identity_policies]
    scp_list = [load_policy_file(p, "scp", f"SCP {p}") for p in scps]
    rcp_list = [load_policy_file(p, "rcp", f"RCP {p}") for p in rcps]
    ctx = parse_context(context)
    notes: list[str] = []
    if not resource:
        account = infer_key_account(kp) or "000000000000"
        resource = f"arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000"
        notes.append(f"no --key-arn given: assumed a key in account {account} ({resource})")
    try:
        request = Request(principal, action, resource, ctx)
    except ValueError as exc:
        fail_input(str(exc))
    manager = key_manager.upper() if key_manager else None
    try:
        decision = evaluate_kms(request, kp, ids, scp_list, rcp_list, key_manager=manager)  # type: ignore[arg-type]
    except ValueError as exc:
        fail_input(str(exc))
    warnings = _lint_key_policy(kp) if lint is not False else []
    if fmt == "json":
        out: dict[str, Any] = {
            "request": {
                "principal": principal,
                "action": action,
                "resource": resource,
                "context": ctx,
            }
        }
        out.update(decision.explain())
        out["notes"] = notes + out["notes"]
        out["warnings"] = [w.to_dict() for w in warnings]
        emit_json(out)
    else:
        _print_text(decision, notes, warnings)
    return EXIT_PASS if decision.allowed else EXIT_FAIL


def _print_text(decision: Any, notes: list[str], warnings: list[Any]) -> None:
    req = decision.request
    mark = {
        "allowed": "ALLOWED",
        "implicit_deny": "DENIED (implicit)",
        "explicit_deny": "DENIED (explicit)",
    }
    click.echo(f"{mark[decision.decision]}: {req.principal} {req.action} on {req.resource}")
    click.echo(f"  why: {decision.summary}")
    for note in notes + decision.notes:
        click.echo(f"  note: {note}")
    click.echo("  statements:")
    for r in decision.statements():
        status = "applies" if r.applies else "does not apply"
        label = f"{r.policy} {r.statement.label} [{r.statement.effect}]"
        via = (
            " (through the account's IAM policies)"
            if r.applies and r.principal == "account"
            else ""
        )
        click.echo(f"    - {label}: {status}{via}")
        for reason in r.reasons:
            click.echo(f"        {reason}")
    if warnings:
        click.echo("  warnings:")
        for w in warnings:
            where = f"{w.path}: " if w.path else ""
            pos = f" (line {w.line}, column {w.column})" if w.line is not None else ""
            click.echo(f"    - {where}{w.message}{pos}")
