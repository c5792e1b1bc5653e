"""The decision-only path of ``simulate --batch`` (no ``--explain``, no ``--lint``).

A batch line usually asks about a policy whose statements were seen before, in the same
or another policy: an organization's key policies share most of their statements, and a
100-statement policy is mostly boilerplate. This path therefore works per statement:

* a line is split once (the :mod:`json` C scanner decodes every value; only the line's
  top level and each policy's top level are walked here), keeping the JSON text of every
  policy document and of every statement in it;
* each statement is validated and compiled once per policy kind and distinct text without
  a leading Sid (:class:`FastPolicies`; the Sid is checked per occurrence), and shared by
  every policy that contains it; a policy is the tuple of its statements' compiled forms,
  found by its text when it repeats;
* only the decision is computed (:func:`copyguard.evaluate.engine.policy_effects` per
  policy, then :func:`copyguard.evaluate.services.kms.kms_verdict`, the one place KMS's
  rules live), with no explanation, no summary and no statement lists;
* a line repeated apart from its ``id`` (``{"id": ...`` first) is answered from the
  request cache without decoding the rest.

Exactness: this path answers only when the general path (:func:`copyguard.evaluate.batch.
evaluate_line`) would give a decision without an issue to report: every document passes
the parser's fast path (:func:`copyguard.policy.parse.plain_statement`,
:func:`~copyguard.policy.parse.plain_header`, :func:`~copyguard.policy.parse.plain_text`)
and the request is well formed. Anything else (an error to report, a warning, a policy
given as a string, a raised exception) returns None and the line goes the general way, so
error lines and decisions are the same whichever path answers. A hypothesis test compares
the two paths on random policies and requests (``tests/evaluate/test_batch_fastpath.py``).

Memory: every cache here is bounded by estimated bytes (:class:`ByteLRU`), and the shared
compile tables of the evaluator (count-bounded ``lru_cache`` tables keyed by policy text)
are emptied after every ``engine.SHARED_CLEAR_BYTES`` of newly compiled text
(:func:`copyguard.evaluate.engine.note_compiled`), so what they hold is bounded by bytes too.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from marshal import dumps as _marshal

from copyguard.evaluate.engine import (
    ALLOW_ACCOUNT,
    ALLOW_DIRECT,
    DENY,
    CompiledStatement,
    note_compiled,
    policy_effects,
)
from copyguard.evaluate.request import (
    account_of_arn,
    add_derived_keys,
    checked_lowered_context,
    parse_principal,
    principal_and_action_ok,
)
from copyguard.evaluate.services.kms import (
    IAM_POLICY_ONLY_ACTIONS,
    kms_verdict,
    rcps_apply,
    scps_apply,
)
from copyguard.policy.model import PolicyKind
from copyguard.policy.parse import (
    plain_header,
    plain_sid,
    plain_statement,
    plain_text,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # no runtime import of typing (start-up time)
    from collections.abc import Callable, Hashable
    from typing import Any

__all__ = [
    "POLICY_ENTRY_BYTES",
    "REQUEST_ENTRY_BYTES",
    "STATEMENT_BYTES_PER_KEY_BYTE",
    "STATEMENT_BYTES_PER_TEXT_BYTE",
    "STATEMENT_ENTRY_BYTES",
    "ByteLRU",
    "FastPolicies",
    "split_request",
]

_ALLOWS = ALLOW_DIRECT | ALLOW_ACCOUNT


class ByteLRU:
    """A least-recently-used map bounded by the estimated bytes of what it holds: each entry
    is put with its cost, and the oldest entries are dropped while the total is above
    ``max_bytes``. An entry costing more than the whole bound is not kept."""

    __slots__ = ("bytes", "entries", "max_bytes")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        """The value, or None (and a hit becomes the most recent entry)."""
        found = self.entries.get(key)
        if found is None:
            return None
        self.entries.move_to_end(key)
        return found[0]

    def put(self, key: Hashable, value: Any, cost: int) -> None:
        if cost > self.max_bytes:
            return
        entries = self.entries
        old = entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        while entries and self.bytes + cost > self.max_bytes:
            _, (_, dropped) = entries.popitem(last=False)
            self.bytes -= dropped
        entries[key] = (value, cost)
        self.bytes += cost

    def __len__(self) -> int:
        return len(self.entries)


#: Estimated bytes of one cached statement: fixed part, and per byte of its JSON text (the
#: text as key, the Statement, its compiled matchers and its share of the shared compile
#: tables; measured with tracemalloc at 8-10 bytes per byte of text, fixed part included,
#: on the generated corpora of bench/bench_simulate.py).
STATEMENT_ENTRY_BYTES = 512
STATEMENT_BYTES_PER_TEXT_BYTE = 10
#: The same per byte of a statement's ``marshal`` key (a plain line's statements): about 1.15
#: times its compact JSON text; measured with tracemalloc on the big-policy corpus at 4.9
#: bytes per key byte beyond the fixed part (6.9 in all).
STATEMENT_BYTES_PER_KEY_BYTE = 7
_TEXT_KEY, _VALUE_KEY = STATEMENT_BYTES_PER_TEXT_BYTE, STATEMENT_BYTES_PER_KEY_BYTE
#: Estimated fixed bytes of one cached policy (its text is counted byte for byte, plus a
#: reference per statement; the statements themselves are counted in the statement cache).
POLICY_ENTRY_BYTES = 256
#: Estimated fixed bytes of one cached request (the line's text after its id is the key).
REQUEST_ENTRY_BYTES = 256
#: Sids known to be plain are remembered up to this many (then forgotten all at once).
_GOOD_SIDS_MAX = 4096

#: ``marshal`` format of the statement and policy keys of plain lines: version 2 writes no
#: back-references, whose flags depend on reference counts, so equal values written the
#: same way get equal keys (equal keys always mean equal values: the format is exact)
_MARSHAL_VERSION = 2

_NOT_PLAIN: Any = ()  # cached verdict "this document or statement goes the general way"


class _NoFastPath(Exception):
    """The general path must answer this line."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# the same strict decoder as the general path (NaN and Infinity are not JSON)
_scan_value: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(  # type: ignore[attr-defined]
    parse_constant=_no_constant
).scan_once
_scan_string: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009
_WS = re.compile(r"[ \t\n\r]*")
_BLANK = frozenset(" \t\n\r")
_LISTS: tuple[tuple[str, PolicyKind], ...] = (
    ("identity_policies", "identity"),
    ("scps", "scp"),
    ("rcps", "rcp"),
)
_LIST_FIELDS = frozenset(f for f, _ in _LISTS)
_KEY_MANAGERS = ("CUSTOMER", "AWS")

#: the statements of a Doc from a plain line split shallow: compiled from their values
_DECODED: Any = ["decoded"]
_DEEP, _SHALLOW = 1, 2
#: A plain line up to this long is decoded whole (its key policy is not cached whole: it
#: seldom repeats in a batch of short lines); a longer one is split shallow, so a long key
#: policy repeated over many lines (an organization's) is found by its text, not compiled
#: statement by statement again. Measured (in process, bench/bench_simulate.py corpora):
#: whole decoding is 7% faster on distinct 100-statement policies and 23% slower when one
#: 100-statement policy repeats; no difference on held-out lines (about 2 KB).
WHOLE_LINE_MAX = 8192

# (policy text, its statements' texts, None when Statement is not an object or a list, or
# _DECODED)
Doc = tuple[str, object]


def _skip(line: str, i: int) -> int:
    return _WS.match(line, i).end()  # type: ignore[union-attr]  # always matches


def _scan_list(line: str, i: int, docs: int) -> tuple[list[Any], list[Any], int]:
    """A JSON array at ``line[i] == "["``: (values, texts or Docs, end). ``docs``: 0 for
    plain values (texts), :data:`_DEEP` for policies (Docs with their statements' texts),
    :data:`_SHALLOW` for policies (Docs whose statements are compiled from their values)."""
    items: list[Any] = []
    texts: list[Any] = []
    j = i + 1
    if line[j] in _BLANK:
        j = _skip(line, j)
    if line[j] == "]":
        return items, texts, j + 1
    while True:
        if docs == _DEEP:
            value, k, stmts = _scan_doc(line, j)
            texts.append((line[j:k], stmts))
        elif docs:
            value, k = _scan_value(line, j)
            texts.append((line[j:k], _DECODED))
        else:
            value, k = _scan_value(line, j)
            texts.append(line[j:k])
        items.append(value)
        c = line[k]
        if c == ",":
            j = k + 1
            if line[j] in _BLANK:
                j = _skip(line, j)
            continue
        if c in _BLANK:
            k = _skip(line, k)
            c = line[k]
            if c == ",":
                j = _skip(line, k + 1)
                continue
        if c != "]":
            raise ValueError("not a JSON array")
        return items, texts, k + 1


def _scan_doc(line: str, i: int) -> tuple[Any, int, list[str] | None]:
    """A policy document at ``i``: (value, end, the texts of its statements or None)."""
    if line[i] != "{":
        value, k = _scan_value(line, i)
        return value, k, None
    doc: dict[str, Any] = {}
    stmts: list[str] | None = None
    j = i + 1
    if line[j] in _BLANK:
        j = _skip(line, j)
    if line[j] == "}":
        return doc, j + 1, None
    if line[j] != '"':
        raise ValueError("expected a key")
    while True:
        key, j = _scan_string(line, j + 1)  # the member's key (_member, inlined)
        if line[j] != ":":
            j = _skip(line, j)
            if line[j] != ":":
                raise ValueError("expected ':'")
        j += 1
        if line[j] in _BLANK:
            j = _skip(line, j)
        if key == "Statement":
            c = line[j]
            if c == "[":
                value, stmts, j = _scan_list(line, j, 0)
            else:
                value, k = _scan_value(line, j)
                stmts = [line[j:k]] if c == "{" else None
                j = k
        else:
            value, j = _scan_value(line, j)
        doc[key] = value
        c = line[j]  # after the value (_next, inlined)
        if c in _BLANK:
            j = _skip(line, j)
            c = line[j]
        if c == ",":
            j += 1
            if line[j] in _BLANK:
                j = _skip(line, j)
            if line[j] != '"':
                raise ValueError("expected a key")
            continue
        if c != "}":
            raise ValueError("expected ',' or '}'")
        return doc, j + 1, stmts


def split_request(
    line: str, deep: bool = True
) -> tuple[dict[str, Any], dict[str, Any], int] | None:
    """Decode one batch line, keeping the text of every policy and statement in it.

    Returns (request, docs, ids): ``docs["key_policy"]`` is a :data:`Doc`, and
    ``docs[field]`` a list of them for ``identity_policies``, ``scps`` and ``rcps`` (when
    they are arrays); ``ids`` counts the ``id`` members. None when the line is not one
    JSON object of this shape (the general path then decodes and reports).

    ``deep=False``: the policies' texts only, each decoded whole by the C scanner (a Doc's
    statements are then :data:`_DECODED`: compiled from their values, for a plain line).
    """
    mode = _DEEP if deep else _SHALLOW
    data: dict[str, Any] = {}
    docs: dict[str, Any] = {}
    ids = 0
    if line[:1] != "{":
        return None
    try:
        i = 1
        if line[i] in _BLANK:
            i = _skip(line, i)
        if line[i] == "}":
            i += 1
        elif line[i] != '"':
            return None
        else:
            while True:
                key, i = _scan_string(line, i + 1)  # the member's key (_member, inlined)
                if line[i] != ":":
                    i = _skip(line, i)
                    if line[i] != ":":
                        raise ValueError("expected ':'")
                i += 1
                if line[i] in _BLANK:
                    i = _skip(line, i)
                if key == "key_policy":
                    if deep:
                        value, k, stmts = _scan_doc(line, i)
                    else:
                        value, k = _scan_value(line, i)
                        stmts = _DECODED
                    docs[key] = (line[i:k], stmts)
                    i = k
                elif key in _LIST_FIELDS and line[i] == "[":
                    value, docs[key], i = _scan_list(line, i, mode)
                else:
                    value, i = _scan_value(line, i)
                    if key in _LIST_FIELDS:
                        docs.pop(key, None)
                    elif key == "id":
                        ids += 1
                data[key] = value
                c = line[i]  # after the value (_next, inlined)
                if c in _BLANK:
                    i = _skip(line, i)
                    c = line[i]
                if c == ",":
                    i += 1
                    if line[i] in _BLANK:
                        i = _skip(line, i)
                    if line[i] != '"':
                        raise ValueError("expected a key")
                    continue
                if c != "}":
                    raise ValueError("expected ',' or '}'")
                i += 1
                break
    except (ValueError, IndexError, StopIteration, RecursionError):
        return None
    if i != len(line) and _skip(line, i) != len(line):
        return None
    return data, docs, ids


_NO_RAW: dict[str, Any] = {}


def _compile_statement(raw: dict[str, Any], kind: PolicyKind) -> Any:
    """The compiled form of a statement without its Sid, or _NOT_PLAIN. Whether a statement
    is plain depends on its Sid only through :func:`plain_sid`, checked per occurrence."""
    body = raw if "Sid" not in raw else {k: v for k, v in raw.items() if k != "Sid"}
    st = plain_statement(body, kind)
    if st is None:
        return _NOT_PLAIN
    st.raw = _NO_RAW  # the decoded statement is not kept: only its compiled form is needed
    # variables are on: plain_header accepted only Version 2012-10-17
    return CompiledStatement(st, True)


class FastPolicies:
    """The decision-only evaluator of batch lines, with its byte-bounded caches.

    ``statement_bytes``, ``policy_bytes`` and ``request_bytes`` bound the three caches
    (compiled statements by kind and text without a leading Sid; policies by kind and text,
    as tuples of their statements; decisions by the line's text after its id).
    """

    def __init__(self, statement_bytes: int, policy_bytes: int, request_bytes: int) -> None:
        self.statements = ByteLRU(statement_bytes)
        self.policies = ByteLRU(policy_bytes)
        self.requests = ByteLRU(request_bytes)
        self.current: Any = None  # the request being decided (its id for a timeout line)
        self.good_sids: set[str] = set()  # Sids plain_sid accepted (at most _GOOD_SIDS_MAX)

    # ------------------------------------------------------------------ policies

    def rules(self, kind: PolicyKind, doc: Any, text: str, stmts: list[str] | None) -> Any:
        """The compiled statements of a policy the parser accepts with nothing to report, or
        raises :class:`_NoFastPath`."""
        key = (kind, text)
        found = self.policies.get(key)
        if found is None:
            if stmts is _DECODED:  # a plain line's: the text as written is the size
                found = (
                    self._compile_decoded(kind, doc, len(text)) if type(doc) is dict else _NOT_PLAIN
                )
            else:
                found = self._compile(kind, doc, text, stmts)
            self.policies.put(key, found, POLICY_ENTRY_BYTES + len(text) + 8 * len(found))
        if found is _NOT_PLAIN:
            raise _NoFastPath
        return found

    def _compile(
        self, kind: PolicyKind, doc: Any, text: str, stmts: list[str] | None
    ) -> tuple[CompiledStatement, ...]:
        if stmts is None or type(doc) is not dict:
            return _NOT_PLAIN  # type: ignore[no-any-return]
        if kind == "key" and not plain_text(text):
            return _NOT_PLAIN  # type: ignore[no-any-return]
        # plain_text holds, so the size the parser measures is len(text)
        if not plain_header(doc, kind, len(text)):
            return _NOT_PLAIN  # type: ignore[no-any-return]
        raw = doc.get("Statement")
        if type(raw) is list:
            if not raw or len(raw) != len(stmts):
                return _NOT_PLAIN  # type: ignore[no-any-return]
            raws = raw
        elif type(raw) is dict and len(stmts) == 1:
            raws = [raw]
        else:
            return _NOT_PLAIN  # type: ignore[no-any-return]
        cache = self.statements
        entries = cache.entries
        out: list[CompiledStatement] = []
        sids: set[str] = set()
        good_sids = self.good_sids
        for st_text, st_raw in zip(stmts, raws):
            if type(st_raw) is not dict:
                return _NOT_PLAIN  # type: ignore[no-any-return]
            # The Sid is checked here, and the statement without it is compiled once for
            # every Sid it comes with (a policy's statements differ mostly by their Sids).
            sid = st_raw.get("Sid")
            if sid is None:
                body = st_text
            else:
                if type(sid) is not str:
                    return _NOT_PLAIN  # type: ignore[no-any-return]
                if sid not in good_sids and not self._good_sid(sid):
                    return _NOT_PLAIN  # type: ignore[no-any-return]
                # A plain Sid has no character JSON escapes: written first and as is, the
                # statement's text is '{"Sid":"' + sid + '",' and then the other members.
                end = len(sid) + 10
                if (
                    st_text.startswith('{"Sid":"')
                    and st_text.startswith(sid, 8)
                    and st_text.startswith('",', end - 2)
                ):
                    body = st_text[end:]  # starts with '"' (never with '{' as a full text)
                else:
                    body = st_text
            # key policy statements by their text, others by (kind, text)
            skey: Hashable = body if kind == "key" else (kind, body)
            found = entries.get(skey)  # cache.get(skey), inlined
            if found is not None:
                entries.move_to_end(skey)
                entry = found[0]
            else:
                entry = self._new_statement(skey, st_raw, kind, len(body), _TEXT_KEY)
            if entry is _NOT_PLAIN:
                return _NOT_PLAIN  # type: ignore[no-any-return]
            if sid:
                if sid in sids:  # a duplicate Sid is an error the general path reports
                    return _NOT_PLAIN  # type: ignore[no-any-return]
                sids.add(sid)
            out.append(entry)
        return tuple(out)

    def _good_sid(self, sid: str) -> bool:
        """Whether a Sid not seen before is plain (remembered if so, at most
        ``_GOOD_SIDS_MAX``)."""
        if not plain_sid(sid):
            return False
        good_sids = self.good_sids
        if len(good_sids) >= _GOOD_SIDS_MAX:
            good_sids.clear()
        good_sids.add(sid)
        return True

    def _new_statement(
        self, skey: Hashable, raw: dict[str, Any], kind: PolicyKind, size: int, per_byte: int
    ) -> Any:
        """Compile a statement not in the cache and keep it, counted for ``size`` bytes of
        its key at ``per_byte`` each (:data:`_TEXT_KEY` or :data:`_VALUE_KEY`)."""
        entry = _compile_statement(raw, kind)
        self.statements.put(skey, entry, STATEMENT_ENTRY_BYTES + per_byte * size)
        note_compiled(size)
        return entry

    def rules_decoded(self, kind: PolicyKind, doc: Any, size: int) -> Any:
        """:meth:`rules` for a policy known only as decoded (a plain line, see
        :meth:`answer`): statements are keyed by their value without Sid (``marshal``),
        other kinds' policies by their value; ``size`` bounds the key policy's text."""
        if type(doc) is not dict:
            raise _NoFastPath
        if kind == "key":  # key policies seldom repeat whole: no policy cache
            found = self._compile_decoded(kind, doc, size)
        else:
            key = (kind, _marshal(doc, _MARSHAL_VERSION))
            found = self.policies.get(key)
            if found is None:
                found = self._compile_decoded(kind, doc, size)
                self.policies.put(key, found, POLICY_ENTRY_BYTES + len(key[1]) + 8 * len(found))
        if found is _NOT_PLAIN:
            raise _NoFastPath
        return found

    def _compile_decoded(
        self, kind: PolicyKind, doc: dict[str, Any], size: int
    ) -> tuple[CompiledStatement, ...]:
        if not plain_header(doc, kind, size):
            return _NOT_PLAIN  # type: ignore[no-any-return]
        raw = doc.get("Statement")
        if type(raw) is dict:
            raws: Any = (raw,)
        elif type(raw) is list and raw:
            raws = raw
        else:
            return _NOT_PLAIN  # type: ignore[no-any-return]
        cache = self.statements
        entries = cache.entries
        out: list[CompiledStatement] = []
        sids: set[str] = set()
        good_sids = self.good_sids
        for st_raw in raws:
            if type(st_raw) is not dict:
                return _NOT_PLAIN  # type: ignore[no-any-return]
            # The Sid is taken out of the decoded statement (this line's own copy: a line
            # the fast path gives up is decoded again from its text) and checked here; the
            # rest is compiled once for every Sid it comes with.
            sid = st_raw.pop("Sid", None)
            if sid is not None:
                if type(sid) is not str:
                    return _NOT_PLAIN  # type: ignore[no-any-return]
                if sid not in good_sids and not self._good_sid(sid):
                    return _NOT_PLAIN  # type: ignore[no-any-return]
            body = _marshal(st_raw, _MARSHAL_VERSION)
            skey: Hashable = body if kind == "key" else (kind, body)
            found = entries.get(skey)  # cache.get(skey), inlined
            if found is not None:
                entries.move_to_end(skey)
                entry = found[0]
            else:
                entry = self._new_statement(skey, st_raw, kind, len(body), _VALUE_KEY)
            if entry is _NOT_PLAIN:
                return _NOT_PLAIN  # type: ignore[no-any-return]
            if sid:
                if sid in sids:  # a duplicate Sid is an error the general path reports
                    return _NOT_PLAIN  # type: ignore[no-any-return]
                sids.add(sid)
            out.append(entry)
        return tuple(out)

    # ------------------------------------------------------------------ requests

    def decide(
        self, data: dict[str, Any], docs: dict[str, Any] | None, size: int = 0
    ) -> str | None:
        """The decision for a split line (``docs`` from :func:`split_request`), or for a
        plain line known only as decoded (``docs`` None, ``size`` at least its key policy's
        text length), or None: the general path must answer it."""
        try:
            return self._decide(data, docs, size)
        except _NoFastPath:
            return None
        except Exception:  # the general path reports it the way it always has
            return None

    def _decide(self, data: dict[str, Any], docs: dict[str, Any] | None, size: int) -> str:
        principal = data.get("principal")
        action = data.get("action")
        resource = data.get("resource")
        if not (
            type(principal) is str
            and principal
            and type(action) is str
            and action
            and type(resource) is str
            and resource
        ):
            raise _NoFastPath
        # the request context as Request() checks it (a ValueError: the general path reports
        # it), its keys lower-cased (the derived keys are added below)
        context = data.get("context")
        ctx = {} if context is None else checked_lowered_context(context)
        manager = data.get("key_manager")
        if manager is not None and (
            type(manager) is not str or manager.upper() not in _KEY_MANAGERS
        ):
            raise _NoFastPath
        if "key_policy" not in data or (docs is not None and "key_policy" not in docs):
            raise _NoFastPath
        # what Request() checks (its errors are the general path's to report)
        if not principal_and_action_ok(principal, action):
            raise _NoFastPath
        if action.lower() in IAM_POLICY_ONLY_ACTIONS:
            raise _NoFastPath
        note_compiled(len(principal))
        lists: list[Any] = [(), (), ()]
        if docs is None:  # a plain line, known only as decoded
            key_rules = self.rules_decoded("key", data["key_policy"], size)
        else:
            key_text, key_stmts = docs["key_policy"]
            key_rules = self.rules("key", data["key_policy"], key_text, key_stmts)
        for n, (field, kind) in enumerate(_LISTS):
            value = data.get(field)
            if not value:
                if value is None or type(value) is list:
                    continue
                raise _NoFastPath
            if type(value) is not list:
                raise _NoFastPath
            if docs is None:
                lists[n] = [self.rules_decoded(kind, doc, 0) for doc in value]
                continue
            texts = docs.get(field)
            if texts is None or len(texts) != len(value):
                raise _NoFastPath
            lists[n] = [self.rules(kind, doc, t, s) for doc, (t, s) in zip(value, texts)]
        id_rules, scp_rules, rcp_rules = lists
        p = parse_principal(principal)
        add_derived_keys(ctx, p)
        bits = policy_effects(key_rules, p, action, resource, ctx)
        any_deny = bits & DENY
        key_allows = bits & _ALLOWS
        key_direct = bits & ALLOW_DIRECT
        identity_allows = 0
        for rules in id_rules:
            bits = policy_effects(rules, p, action, resource, ctx)
            any_deny |= bits & DENY
            identity_allows |= bits & _ALLOWS
        key_manager = (
            None if manager is None else ("AWS" if manager.upper() == "AWS" else "CUSTOMER")
        )
        scp_refuses = False
        if scp_rules and scps_apply(p):
            for rules in scp_rules:
                bits = policy_effects(rules, p, action, resource, ctx)
                any_deny |= bits & DENY
                if not bits & _ALLOWS:
                    scp_refuses = True
        if rcp_rules and rcps_apply(p, action, key_manager):
            for rules in rcp_rules:
                any_deny |= policy_effects(rules, p, action, resource, ctx) & DENY
        value, _ = kms_verdict(
            p,
            action,
            p.account is not None and p.account == account_of_arn(resource),
            any_deny=bool(any_deny),
            scp_refuses=scp_refuses,
            key_allows=bool(key_allows),
            key_direct=bool(key_direct),
            identity_allows=bool(identity_allows),
        )
        return value

    def answer(self, line: str) -> tuple[bool, Any, Any] | None:
        """``(True, id, decision)`` for a line this path answers; ``(False, request, raw)``
        split for the general path (``raw`` as :func:`copyguard.evaluate.batch.split_line`
        gives it); None when the general path must decode the line itself."""
        rest: str | None = None
        if line.startswith('{"id":'):
            try:
                i = 6 if line[6:7] not in _BLANK else _skip(line, 6)
                rid, k = _scan_value(line, i)
            except (ValueError, StopIteration, RecursionError):
                pass  # split_request decides
            else:
                rest = line[k:]
                hit = self.requests.get(rest)
                # never by the first id of a line that names another later (JSON keeps the
                # last): checked on a hit only (a search for '"id"' costs 2 us on a 2 KB
                # line, a quarter of a line's decoding); without \u escapes (a plain line) or
                # after split_request counted the members, a member named id reads "id"
                if hit is not None and '"id"' not in rest:
                    return True, rid, hit
        plain = plain_text(line)
        if plain and len(line) <= WHOLE_LINE_MAX:
            # ASCII without \u escapes, within the key policy limit: so is the key policy's
            # text, whose size the parser then measures as written (at most len(line)).
            # Decoded whole by the C decoder; statements are keyed by value, not by text.
            if line[:1] != "{":
                return None  # not an object, or blanks first: the general path decides
            try:
                data, end = _scan_value(line, 0)
            except (ValueError, StopIteration, RecursionError):
                return None  # the general path reports it
            if end != len(line) and _skip(line, end) != len(line):
                return None
            self.current = data
            decision = self.decide(data, None, len(line))
            if decision is None:
                return None  # decoded again by the general path (the Sids were taken out)
            if rest is not None:  # a second "id" member is looked for on a hit
                self.requests.put(rest, decision, REQUEST_ENTRY_BYTES + len(rest))
            return True, data.get("id"), decision
        split = split_request(line, not plain)
        if split is None:
            return None
        data, docs, ids = split
        self.current = data
        decision = self.decide(data, docs)
        if decision is None:
            if plain:
                return None  # decoded again by the general path (the Sids were taken out)
            raw: dict[str, Any] = {}
            for field, value in docs.items():
                raw[field] = value[0] if field == "key_policy" else [t for t, _ in value]
            return False, data, raw
        if rest is not None and ids == 1:  # the id is the first member and the only one
            self.requests.put(rest, decision, REQUEST_ENTRY_BYTES + len(rest))
        return True, data.get("id"), decision
