"""Parse and validate policy documents (grammar only; catalogue checks live in evaluate.lint)."""

from __future__ import annotations

import json
import sys

from copyguard.lazyre import lazy_compile
from copyguard.policy.grammar import parse_operator
from copyguard.policy.model import (
    PRINCIPAL_TYPES,
    Condition,
    Issue,
    Policy,
    PolicyError,
    PolicyKind,
    Principals,
    Severity,
    Statement,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

KEY_POLICY_MAX_BYTES = 32768
VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_ACTION_RE = lazy_compile(r"^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)$")
# every action of a list at once, joined with newlines
_ACTIONS_RE = lazy_compile(
    r"(?:\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)(?:\n(?:\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+))*\Z"
)
_ACCOUNT_RE = lazy_compile(r"[0-9]{12}\Z")  # ASCII digits only; no trailing newline
_SID_RE = lazy_compile(r"^[A-Za-z0-9 _.\-:/=+,@]*$")


# KMS key policies: "printable ASCII characters, Latin-1 Supplement, tab, LF and CR"
# (KMS API Reference, PutKeyPolicy "Policy"); the C1 controls U+0080-U+009F are not printable.
_KMS_BAD_CHAR = lazy_compile(r"[^\t\n\r\x20-\x7e\xa0-\xff]")


class _Collector:
    def __init__(self, source: str | None, text: str | None) -> None:
        self.source = source
        self.text = text
        self.issues: list[Issue] = []
        self._positions: dict[str, tuple[int, int]] | None = None

    def add(self, severity: Severity, path: str, message: str, code: str = "") -> None:
        line = column = None
        if self.text is not None:
            from copyguard.policy.locate import json_positions  # for an issue only
            from copyguard.policy.paths import locate

            if self._positions is None:
                self._positions = json_positions(self.text)
            pos = locate(self._positions, path)
            if pos:
                line, column = pos
        self.issues.append(Issue(severity, path, message, line, column, self.source, code))

    def error(self, path: str, message: str) -> None:
        self.add("error", path, message)

    def warn(self, path: str, message: str, code: str = "") -> None:
        self.add("warning", path, message, code)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _strings(value: Any, path: str, c: _Collector, what: str) -> tuple[str, ...] | None:
    """A string or a non-empty list of strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        out: list[str] = []
        ok = True
        for i, item in enumerate(value):
            if isinstance(item, str):
                out.append(item)
            else:
                c.error(f"{path}[{i}]", f"expected a string in {what}, got {_type_name(item)}")
                ok = False
        if not value:
            c.error(path, f"{what} must not be an empty list")
            return None
        return tuple(out) if ok else None
    c.error(path, f"expected a string or a list of strings for {what}, got {_type_name(value)}")
    return None


def _condition_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return None


def _parse_principal(value: Any, path: str, c: _Collector) -> Principals | None:
    if isinstance(value, str):
        if value == "*":
            return Principals(True, ())
        c.error(path, 'a Principal string must be "*"; use {"AWS": "..."} for an ARN or account')
        return None
    if not isinstance(value, dict):
        c.error(path, f'expected "*" or an object of principal types, got {_type_name(value)}')
        return None
    if not value:
        c.error(path, "the principal object is empty")
        return None
    entries: list[tuple[str, str]] = []
    wildcard = False
    ok = True
    for ptype, raw in value.items():
        ppath = f"{path}.{ptype}"
        if ptype not in PRINCIPAL_TYPES:
            c.error(
                ppath,
                f"unknown principal type {ptype!r}; expected one of {', '.join(PRINCIPAL_TYPES)}",
            )
            ok = False
            continue
        items = _strings(raw, ppath, c, f"{ptype} principals")
        if items is None:
            ok = False
            continue
        for i, item in enumerate(items):
            ipath = ppath if isinstance(raw, str) else f"{ppath}[{i}]"
            if ptype == "AWS":
                if item == "*":
                    wildcard = True
                    continue
                if not (_ACCOUNT_RE.match(item) or item.startswith("arn:")):
                    c.error(
                        ipath, f"invalid AWS principal {item!r}: expected an account ID or an ARN"
                    )
                    ok = False
                    continue
                if "*" in item or "?" in item:
                    c.error(
                        ipath,
                        f"wildcards are not allowed inside a principal ARN ({item!r}); use "
                        '"*" with an aws:PrincipalArn condition',
                    )
                    ok = False
                    continue
            elif ptype == "Service" and ("*" in item or not item):
                c.error(ipath, f"invalid service principal {item!r}")
                ok = False
                continue
            entries.append((ptype, item))
    if not ok:
        return None
    return Principals(wildcard, tuple(entries))


def _parse_conditions(value: Any, path: str, c: _Collector) -> tuple[Condition, ...] | None:
    if not isinstance(value, dict):
        c.error(path, f"expected an object of condition operators, got {_type_name(value)}")
        return None
    out: list[Condition] = []
    ok = True
    for op, block in value.items():
        opath = f"{path}.{op}"
        spec = parse_operator(op)
        if spec is None:
            c.error(opath, f"unknown condition operator {op!r}")
            ok = False
            continue
        if not isinstance(block, dict):
            c.error(opath, f"expected an object of condition keys, got {_type_name(block)}")
            ok = False
            continue
        if not block:
            c.warn(opath, "the condition operator has no keys")
        for key, raw in block.items():
            kpath = f"{opath}.{key}"
            if not isinstance(key, str) or not key:
                c.error(kpath, "a condition key must be a non-empty string")
                ok = False
                continue
            raw_items = raw if isinstance(raw, list) else [raw]
            values: list[str] = []
            for i, item in enumerate(raw_items):
                v = _condition_value(item)
                if v is None:
                    ipath = f"{kpath}[{i}]" if isinstance(raw, list) else kpath
                    c.error(ipath, f"expected a string, number or boolean, got {_type_name(item)}")
                    ok = False
                    continue
                values.append(v)
            if isinstance(raw, list) and not raw:
                c.warn(kpath, "an empty value list: this condition can never match a value")
            if spec.family == "Null":
                for i, v in enumerate(values):
                    if v.lower() not in ("true", "false"):
                        ipath = f"{kpath}[{i}]" if isinstance(raw, list) else kpath
                        c.error(ipath, f'Null takes "true" or "false", got {v!r}')
                        ok = False
            out.append(Condition(op, key, tuple(values), kpath))
    return tuple(out) if ok else None


def _is_rcp_full_access(raw: dict[str, Any]) -> bool:
    """AWS's RCPFullAWSAccess statement: "The effect of Allow is only supported for the
    RCPFullAWSAccess policy" (Organizations User Guide, "RCP syntax")."""

    def star(value: Any) -> bool:
        return bool(value == "*" or value == ["*"])

    principal = raw.get("Principal")
    return bool(
        (star(principal) or (isinstance(principal, dict) and principal == {"AWS": "*"}))
        and star(raw.get("Action"))
        and star(raw.get("Resource", "*"))
        and not raw.get("Condition")
    )


# ---------------------------------------------------------------- fast path
#
# Most documents are well formed. _fast_statement builds the Statement for a statement with
# nothing to report (no error, no warning) in one pass; anything unusual returns None and the
# detailed path below re-reads the statement and reports every issue with its path.

_PRINCIPAL_TYPE_SET = frozenset(PRINCIPAL_TYPES)
_NEEDS_PRINCIPAL = frozenset({"key", "resource", "rcp"})
_NO_PRINCIPAL = frozenset({"identity", "scp"})


def _fast_strings(value: Any) -> tuple[str, ...] | None:
    if type(value) is str:
        return (value,)
    if type(value) is list and value:
        for item in value:
            if type(item) is not str:
                return None
        return tuple(value)
    return None


def _fast_principal(value: Any) -> Principals | None:
    if value == "*":
        return Principals(True, ())
    if type(value) is not dict or not value:
        return None
    entries: list[tuple[str, str]] = []
    wildcard = False
    for ptype, raw in value.items():
        if ptype not in _PRINCIPAL_TYPE_SET:
            return None
        items = _fast_strings(raw)
        if items is None:
            return None
        for item in items:
            if ptype == "AWS":
                if item == "*":
                    wildcard = True
                    continue
                if "*" in item or "?" in item:
                    return None
                if not (item.startswith("arn:") or _ACCOUNT_RE.match(item)):
                    return None
            elif ptype == "Service" and (not item or "*" in item):
                return None
            entries.append((ptype, item))
    return Principals(wildcard, tuple(entries))


def _fast_conditions(value: Any, path: str) -> tuple[Condition, ...] | None:
    if type(value) is not dict:
        return None
    out: list[Condition] = []
    for op, block in value.items():
        spec = parse_operator(op)
        if spec is None or type(block) is not dict or not block:
            return None
        null = spec.family == "Null"
        for key, raw in block.items():
            if not key:
                return None
            values: tuple[str, ...]
            if type(raw) is str:
                values = (raw,)
            elif type(raw) is list:
                if not raw:
                    return None
                converted: list[str] = []
                for item in raw:
                    if type(item) is str:
                        converted.append(item)
                    else:
                        v = _condition_value(item)
                        if v is None:
                            return None
                        converted.append(v)
                values = tuple(converted)
            else:
                v = _condition_value(raw)
                if v is None:
                    return None
                values = (v,)
            if null:
                for v in values:
                    if v.lower() not in ("true", "false"):
                        return None
            out.append(Condition(op, key, values, f"{path}.Condition.{op}.{key}"))
    return tuple(out)


def plain_sid(sid: Any) -> bool:
    """Whether a Sid value (not None) has nothing to report: a string of the characters IAM
    allows in a Sid."""
    return type(sid) is str and _SID_RE.match(sid) is not None


def _fast_statement(raw: Any, index: int, path: str, kind: PolicyKind) -> Statement | None:
    if type(raw) is not dict or not _STATEMENT_KEYS.issuperset(raw):
        return None
    effect = raw.get("Effect")
    if effect != "Allow" and effect != "Deny":
        return None
    sid = raw.get("Sid")
    if sid is not None and not plain_sid(sid):
        return None
    principal: Principals | None = None
    negated_p = "NotPrincipal" in raw
    if "Principal" in raw or negated_p:
        if kind in _NO_PRINCIPAL or ("Principal" in raw and negated_p):
            return None
        principal = _fast_principal(raw["NotPrincipal" if negated_p else "Principal"])
        if principal is None:
            return None
        if kind == "rcp" and (negated_p or principal.entries or not principal.wildcard):
            return None
    elif kind in _NEEDS_PRINCIPAL:
        return None
    negated_a = "NotAction" in raw
    if negated_a == ("Action" in raw):
        return None  # both, or neither
    actions = _fast_strings(raw["NotAction" if negated_a else "Action"])
    if actions is None:
        return None
    joined = "\n".join(actions)
    if joined.count("\n") != len(actions) - 1 or not _ACTIONS_RE.match(joined):
        return None
    negated_r = "NotResource" in raw
    resources: tuple[str, ...] | None
    if negated_r or "Resource" in raw:
        if negated_r and "Resource" in raw:
            return None
        resources = _fast_strings(raw["NotResource" if negated_r else "Resource"])
        if resources is None:
            return None
    elif kind in ("scp", "rcp"):
        resources = ("*",)
    else:
        return None
    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw:
        parsed = _fast_conditions(raw["Condition"], path)
        if parsed is None:
            return None
        conditions = parsed
    if kind == "rcp" and effect == "Allow" and not _is_rcp_full_access(raw):
        return None
    return Statement(
        index,
        path,
        sid,
        effect,
        principal,
        negated_p,
        actions,
        negated_a,
        resources,
        negated_r,
        conditions,
        raw,
    )


# ------------------------------------------------------------ detailed path


def _parse_statement(
    raw: Any, index: int, path: str, kind: PolicyKind, c: _Collector
) -> Statement | None:
    fast = _fast_statement(raw, index, path, kind)
    if fast is not None:
        return fast
    if not isinstance(raw, dict):
        c.error(path, f"a statement must be an object, got {_type_name(raw)}")
        return None
    ok = True
    for key in raw:
        if key not in _STATEMENT_KEYS:
            c.error(f"{path}.{key}", f"unknown statement element {key!r}")
            ok = False
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        c.error(f"{path}.Sid", f"Sid must be a string, got {_type_name(sid)}")
        ok = False
        sid = None
    elif isinstance(sid, str) and not _SID_RE.match(sid):
        c.warn(f"{path}.Sid", f"Sid {sid!r} has characters IAM does not allow in a Sid")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        if "Effect" not in raw:
            c.error(path, "missing required element Effect")
        else:
            c.error(f"{path}.Effect", f'Effect must be "Allow" or "Deny", got {effect!r}')
        ok = False

    principal: Principals | None = None
    negated_p = False
    if "Principal" in raw and "NotPrincipal" in raw:
        c.error(path, "a statement cannot have both Principal and NotPrincipal")
        ok = False
    elif "Principal" in raw or "NotPrincipal" in raw:
        elem = "Principal" if "Principal" in raw else "NotPrincipal"
        negated_p = elem == "NotPrincipal"
        if kind in ("identity", "scp"):
            what = "an identity policy" if kind == "identity" else "a service control policy"
            c.error(f"{path}.{elem}", f"{what} cannot contain {elem}")
            ok = False
        elif kind == "rcp" and negated_p:
            c.error(f"{path}.{elem}", "a resource control policy cannot contain NotPrincipal")
            ok = False
        else:
            principal = _parse_principal(raw[elem], f"{path}.{elem}", c)
            if principal is None:
                ok = False
            elif kind == "rcp" and not (principal.wildcard and not principal.entries):
                c.error(f"{path}.{elem}", 'a resource control policy only accepts Principal "*"')
                ok = False
    elif kind in ("key", "resource", "rcp"):
        c.error(
            path,
            "missing required element Principal (a key policy statement must name who it applies to)",
        )
        ok = False

    actions: tuple[str, ...] | None = None
    negated_a = False
    if "Action" in raw and "NotAction" in raw:
        c.error(path, "a statement cannot have both Action and NotAction")
        ok = False
    elif "Action" in raw or "NotAction" in raw:
        elem = "Action" if "Action" in raw else "NotAction"
        negated_a = elem == "NotAction"
        actions = _strings(raw[elem], f"{path}.{elem}", c, elem)
        if actions is None:
            ok = False
        else:
            for i, a in enumerate(actions):
                apath = f"{path}.{elem}" if isinstance(raw[elem], str) else f"{path}.{elem}[{i}]"
                if not _ACTION_RE.match(a):
                    c.error(
                        apath, f"invalid action {a!r}: expected service:Action, wildcards allowed"
                    )
                    ok = False
    elif kind == "key":
        c.warn(
            path,
            "no Action or NotAction: KMS accepts this statement but it never applies",
            "no-action",
        )
    else:
        c.error(path, "missing required element Action or NotAction")
        ok = False

    resources: tuple[str, ...] | None = None
    negated_r = False
    if "Resource" in raw and "NotResource" in raw:
        c.error(path, "a statement cannot have both Resource and NotResource")
        ok = False
    elif "Resource" in raw or "NotResource" in raw:
        elem = "Resource" if "Resource" in raw else "NotResource"
        negated_r = elem == "NotResource"
        resources = _strings(raw[elem], f"{path}.{elem}", c, elem)
        if resources is None:
            ok = False
    elif kind == "key":
        c.warn(path, "no Resource: KMS accepts this statement but it never applies", "no-resource")
    elif kind in ("identity", "resource"):
        c.error(path, "missing required element Resource or NotResource")
        ok = False
    else:
        resources = ("*",)  # SCPs and RCPs may omit Resource (it defaults to "*")

    conditions: tuple[Condition, ...] = ()
    if "Condition" in raw:
        parsed = _parse_conditions(raw["Condition"], f"{path}.Condition", c)
        if parsed is None:
            ok = False
        else:
            conditions = parsed
    if ok and kind == "rcp" and effect == "Allow" and not _is_rcp_full_access(raw):
        c.error(
            f"{path}.Effect",
            'a resource control policy accepts "Allow" only as RCPFullAWSAccess (Principal "*", '
            'Action "*", Resource "*", no Condition); write restrictions as Deny statements',
        )
        ok = False
    if not ok:
        return None
    assert effect in ("Allow", "Deny")
    return Statement(
        index=index,
        path=path,
        sid=sid,
        effect=effect,
        principal=principal,
        principal_negated=negated_p,
        actions=actions,
        actions_negated=negated_a,
        resources=resources,
        resources_negated=negated_r,
        conditions=conditions,
        raw=raw,
    )


_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})


def plain_header(doc: Any, kind: PolicyKind, size: int) -> bool:
    """Whether a document's top level (everything but its statements) has nothing to report:
    only Version, Id and Statement, Version "2012-10-17", a string Id, a key policy within
    its size limit."""
    if type(doc) is not dict or not _TOP_LEVEL.issuperset(doc):
        return False
    if doc.get("Version") != "2012-10-17" or ("Id" in doc and type(doc["Id"]) is not str):
        return False
    return not (kind == "key" and size > KEY_POLICY_MAX_BYTES)


def plain_statement(raw: Any, kind: PolicyKind) -> Statement | None:
    """The Statement (index 0, path ``Statement``) of one statement of a ``kind`` policy
    that has nothing to report (no error, no warning), or None: the parser's fast path.
    Whether it is None depends on nothing but ``raw`` and ``kind``."""
    return _fast_statement(raw, 0, "Statement", kind)


def plain_text(raw: str) -> bool:
    """Whether a document's JSON text as written needs no character-set check and no
    compact copy to be measured (:func:`parse_policy` with ``raw``): ASCII without ``\\u``
    escapes or DEL, within the key policy limit."""
    return (
        len(raw) <= KEY_POLICY_MAX_BYTES
        and raw.isascii()
        # one character is found by memchr, two by a slower search: most texts have no "\\"
        and ("\\" not in raw or "\\u" not in raw)
        and "\x7f" not in raw
    )


def _fast_document(doc: Any, kind: PolicyKind, name: str, size: int) -> Policy | None:
    """The Policy of a document with nothing to report, or None (see _fast_statement)."""
    if not plain_header(doc, kind, size):
        return None
    version = doc.get("Version")
    raw_statements = doc.get("Statement")
    if type(raw_statements) is list:
        if not raw_statements:
            return None
        statements: list[Statement] = []
        sids: set[str] = set()
        for i, raw in enumerate(raw_statements):
            st = _fast_statement(raw, i, f"Statement[{i}]", kind)
            if st is None:
                return None
            sid = st.sid
            if sid:
                if sid in sids:
                    return None
                sids.add(sid)
            statements.append(st)
    elif type(raw_statements) is dict:
        st = _fast_statement(raw_statements, 0, "Statement", kind)
        if st is None:
            return None
        statements = [st]
    else:
        return None
    return Policy(doc, tuple(statements), version, kind, name, (), size)


def _validate_document(
    doc: Any, kind: PolicyKind, name: str, c: _Collector, size: int
) -> Policy | None:
    if not c.issues:
        fast = _fast_document(doc, kind, name, size)
        if fast is not None:
            return fast
    if not isinstance(doc, dict):
        c.error("", f"a policy document must be a JSON object, got {_type_name(doc)}")
        return None
    ok = True
    for key in doc:
        if key not in ("Version", "Id", "Statement"):
            c.error(key, f"unknown top-level element {key!r}; expected Version, Id, Statement")
            ok = False
    version = doc.get("Version")
    if "Version" not in doc:
        c.warn(
            "", 'no Version: policy variables are not interpreted; use "2012-10-17"', "no-version"
        )
    elif version not in VERSIONS:
        c.error("Version", f'Version must be "2012-10-17" or "2008-10-17", got {version!r}')
        ok = False
    elif version == "2008-10-17":
        c.warn(
            "Version",
            'Version "2008-10-17": policy variables are read as literal text',
            "old-version",
        )
    if "Id" in doc and not isinstance(doc["Id"], str):
        c.error("Id", f"Id must be a string, got {_type_name(doc['Id'])}")
        ok = False
    if "Statement" not in doc:
        c.error("", "missing required element Statement")
        return None
    raw_statements = doc["Statement"]
    single = isinstance(raw_statements, dict)
    if single:
        raw_list = [raw_statements]
    elif isinstance(raw_statements, list):
        raw_list = raw_statements
        if not raw_list:
            c.warn("Statement", "the policy has no statements: it allows nothing", "empty")
    else:
        c.error(
            "Statement", f"Statement must be an object or a list, got {_type_name(raw_statements)}"
        )
        return None
    statements: list[Statement] = []
    seen_sids: dict[str, str] = {}
    for i, raw in enumerate(raw_list):
        path = "Statement" if single else f"Statement[{i}]"
        st = _parse_statement(raw, i, path, kind, c)
        if st is None:
            ok = False
            continue
        if st.sid:
            if st.sid in seen_sids:
                c.error(f"{path}.Sid", f"duplicate Sid {st.sid!r} (also at {seen_sids[st.sid]})")
                ok = False
            else:
                seen_sids[st.sid] = path
        statements.append(st)
    if kind == "key" and size > KEY_POLICY_MAX_BYTES:
        c.error("", f"the key policy is {size} bytes; KMS allows at most {KEY_POLICY_MAX_BYTES}")
        ok = False
    if not ok:
        return None
    warnings = tuple(i for i in c.issues if i.severity == "warning")
    return Policy(
        document=doc,
        statements=tuple(statements),
        version=version if isinstance(version, str) else None,
        kind=kind,
        name=name,
        warnings=warnings,
        size=size,
    )


def _bad_char_path(doc: Any, path: str = "") -> str | None:
    """The JSON path of the first string (key or value) holding a disallowed character."""
    if isinstance(doc, str):
        return path if _KMS_BAD_CHAR.search(doc) else None
    if isinstance(doc, dict):
        for key, value in doc.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _KMS_BAD_CHAR.search(key):
                return sub
            found = _bad_char_path(value, sub)
            if found is not None:
                return found
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found = _bad_char_path(value, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _check_kms_charset(text: str, c: _Collector, positions: bool, doc: Any) -> None:
    m = _KMS_BAD_CHAR.search(text)
    if m is None:
        return
    offset = m.start()
    line = col = None
    if positions:
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    c.issues.append(
        Issue(
            "error",
            _bad_char_path(doc) or "",
            f"character U+{ord(m.group()):04X} is not allowed in a key policy (printable "
            "ASCII, Latin-1 Supplement, tab, LF and CR only)",
            line,
            col,
            c.source,
        )
    )


MAX_NUMBER_CHARS = 64


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; expected a finite number")


def _bounded_int(written: str) -> int:
    if len(written) > MAX_NUMBER_CHARS:
        raise ValueError(
            f"a number with {len(written)} digits; expected at most {MAX_NUMBER_CHARS}"
        )
    return int(written)


def _non_json(text: str, exc: ValueError, label: str | None) -> PolicyError:
    """A syntax error further on is reported first, with its position, as before."""
    try:
        json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as syntax:
        return _fail(f"invalid JSON: {syntax.msg}", label, syntax.lineno, syntax.colno)
    except (ValueError, RecursionError):
        pass
    return _fail(f"invalid JSON: {exc}", label)


def _fail(
    message: str, label: str | None, line: int | None = None, col: int | None = None
) -> PolicyError:
    return PolicyError([Issue("error", "", message, line, col, label)], label)


def parse_policy(
    source: dict[str, Any] | str | bytes | Path,
    *,
    name: str | None = None,
    kind: PolicyKind = "key",
    compact: str | None = None,
    raw: str | None = None,
) -> Policy:
    """Parse a policy from a dict, JSON text, bytes or a file path; raise PolicyError if invalid.

    For a dict, the size limit and the character set are checked on its compact JSON text.
    ``compact``: that text (``json.dumps(doc, ensure_ascii=False, separators=(",", ":"))``)
    when the caller already has it. ``raw``: the dict's JSON text as it appeared in the input
    (a batch line); when it is ASCII without ``\\u`` escapes and within the limit, the
    compact text (never longer, and with the same characters) needs no checks, and is not
    built. Issues carry line and column only for text input.
    """
    label = name
    # pathlib is imported on demand (start-up time): no Path exists unless it was imported
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and isinstance(source, pathlib.Path):
        label = label or str(source)
        try:
            source = source.read_bytes()
        except OSError as exc:
            raise _fail(f"cannot read file: {exc.strerror or exc}", label) from None
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(f"not UTF-8 text: {exc.reason} at byte {exc.start}", label) from None
    c = _Collector(label, None)
    doc: Any
    if isinstance(source, str):
        text = source
        c.text = text
        try:
            doc = json.loads(text, parse_constant=_no_constant, parse_int=_bounded_int)
        except json.JSONDecodeError as exc:
            raise _fail(f"invalid JSON: {exc.msg}", label, exc.lineno, exc.colno) from None
        except RecursionError:
            raise _fail("invalid JSON: nested too deeply", label) from None
        except ValueError as exc:  # NaN, Infinity, a number too long
            raise _non_json(text, exc, label) from None
        size = len(text.encode("utf-8"))
        if kind == "key":
            _check_kms_charset(text, c, positions=True, doc=doc)
    elif compact is None and raw is not None and plain_text(raw):
        doc = source
        size = len(raw)  # the document as written in the input
    else:
        doc = source
        if compact is None:
            try:
                compact = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
            except (TypeError, ValueError, RecursionError) as exc:
                raise _fail(f"not a JSON document: {exc}", label) from None
        size = len(compact) if compact.isascii() else len(compact.encode("utf-8"))
        if kind == "key":
            _check_kms_charset(compact, c, positions=False, doc=doc)
    policy = _validate_document(doc, kind, label or "policy", c, size)
    if policy is None or any(i.severity == "error" for i in c.issues):
        raise PolicyError(c.issues, label)
    policy.text = c.text
    return policy
