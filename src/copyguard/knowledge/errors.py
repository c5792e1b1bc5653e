"""The catalogue of AWS Backup copy error and status messages, and a tolerant matcher."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    confidence,
    load_data,
    mappings,
    optional_string,
    string,
    strings,
)
from copyguard.knowledge.resource_types import resource_type

__all__ = [
    "FINDING_CODES",
    "ErrorCause",
    "ErrorMatch",
    "ErrorPattern",
    "LocalizedText",
    "PatternSpec",
    "ReasonCodes",
    "error_catalogue",
    "match_error",
    "normalize_message",
]

_FILE = "errors.yaml"

#: The finding codes of the product contract (spec section 5).
FINDING_CODES: frozenset[str] = frozenset(
    {
        "CG101", "CG102", "CG103", "CG104", "CG105", "CG106", "CG107",
        "CG201", "CG202", "CG203", "CG204", "CG205",
        "CG301", "CG302", "CG401", "CG402", "CG901", "CG902", "CG999",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class LocalizedText:
    en: str
    zh: str

    def text(self, lang: str = "en") -> str:
        return self.zh if lang.lower().startswith("zh") and self.zh else self.en


@dataclass(frozen=True, slots=True)
class ErrorCause:
    """One possible cause; ``code`` is the copyguard finding that checks it (if any)."""

    en: str
    zh: str
    code: str | None = None

    def text(self, lang: str = "en") -> str:
        return self.zh if lang.lower().startswith("zh") and self.zh else self.en


@dataclass(frozen=True, slots=True)
class PatternSpec:
    """A ``template`` (literal text with ``{name:type}`` placeholders) or a ``regex``."""

    kind: Literal["template", "regex"]
    text: str


@dataclass(frozen=True, slots=True)
class ReasonCodes:
    """If the extracted ``reason`` contains ``contains``, these codes come first."""

    contains: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ErrorPattern:
    """One catalogue entry: the message shapes, causes (most likely first) and next steps."""

    id: str
    title: str
    where: str
    codes: tuple[str, ...]
    patterns: tuple[PatternSpec, ...]
    examples: tuple[str, ...]
    causes: tuple[ErrorCause, ...]
    next_steps: tuple[LocalizedText, ...]
    sources: tuple[str, ...]
    confidence: Confidence = "confirmed"
    note: str = ""
    reason_codes: tuple[ReasonCodes, ...] = ()


@dataclass(frozen=True, slots=True)
class ErrorMatch:
    """A catalogue entry that matched a message, with the values found in it.

    ``values`` may hold ``key`` (as written), ``key_arn``, ``key_id``, ``key_region``,
    ``key_account``, ``key_missing`` ("true" for ``[None]``), ``source_region``,
    ``destination_region``, ``resource_type`` (canonical when known), ``state``,
    ``error_code`` and ``operation`` (from an SDK/CLI prefix), ``principal``, ``action``,
    ``resource``, ``reason`` and other template placeholders. ``codes`` is the entry's codes,
    reordered when the message says which applies.
    """

    pattern: ErrorPattern
    values: Mapping[str, str]
    codes: tuple[str, ...]
    score: int
    matched_text: str


# --- normalisation --------------------------------------------------------------------

_SDK_PREFIX = re.compile(
    r"An error occurred \((?P<code>[A-Za-z0-9_.:]+)\)"
    r"(?: \(reached max retries: \d+\))? when calling the (?P<op>[A-Za-z0-9]+) operation"
    r"(?: \(reached max retries: \d+\))?:\s*",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"[\s.;,!。]+$")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"'})


def normalize_message(message: str) -> tuple[str, dict[str, str]]:
    """Normalise a message for matching; returns the text and values found on the way.

    Collapses whitespace (line breaks included), straightens curly quotes, folds full-width
    forms (NFKC), rewrites ``An error occurred (CODE) when calling the OP operation: MSG`` to
    ``CODE: MSG`` and drops surrounding quotes and trailing punctuation.
    """
    values: dict[str, str] = {}
    text = unicodedata.normalize("NFKC", message).translate(_QUOTES).replace("…", "...")
    text = " ".join(text.split())
    prefix = _SDK_PREFIX.search(text)
    if prefix is not None:
        values["error_code"] = prefix.group("code")
        values["operation"] = prefix.group("op")
        text = f"{prefix.group('code')}: {text[prefix.end() :]}"
    text = text.strip().strip("\"'`").strip()
    text = _TRAILING.sub("", text)
    return text, values


# --- compiling patterns -----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<type>[a-z]+))?\}")
_TYPES: Mapping[str, str] = {
    "key": r"[^\s\[\]'\"]+?",
    "arn": r"arn:[^\s\[\]'\"]+?",
    "region": r"[a-z]{2}(?:-[a-z]+)+-\d+",
    "account": r"\d{12}",
    "word": r"[\w.-]+",
    "text": r".+?",
    "state": r"[a-z ]+?",
}


def _literal(text: str) -> str:
    """Regex for literal template text: flexible whitespace, optional trailing punctuation."""
    out: list[str] = []
    for token in re.split(r"(\s+)", text):
        if not token:
            continue
        if token.isspace():
            out.append(r"\s*")
            continue
        core, punct = token, ""
        while core and core[-1] in ".,;:":
            punct = core[-1] + punct
            core = core[:-1]
        out.append(re.escape(core) + "".join(f"(?:{re.escape(p)})?" for p in punct))
    return "".join(out)


def compile_template(template: str) -> tuple[re.Pattern[str], int]:
    """Compile a template; returns the regex and its specificity (literal characters)."""
    parts: list[str] = []
    literal_chars = 0
    pos = 0
    matches = list(_PLACEHOLDER.finditer(template))
    for index, found in enumerate(matches):
        literal = template[pos : found.start()]
        literal_chars += len("".join(literal.split()))
        parts.append(_literal(literal))
        kind = found.group("type") or "text"
        if kind not in _TYPES:
            raise KnowledgeDataError(f"{_FILE}: unknown placeholder type {kind!r} in {template!r}")
        body = _TYPES[kind]
        last = index == len(matches) - 1 and not template[found.end() :].strip()
        if last and body.endswith("+?"):
            body = body[:-1]  # a trailing placeholder takes the rest of the message
        parts.append(f"(?P<{found.group('name')}>{body})")
        pos = found.end()
    tail = template[pos:]
    literal_chars += len("".join(tail.split()))
    parts.append(_literal(tail))
    return re.compile("".join(parts), re.IGNORECASE), literal_chars


def compile_regex(pattern: str) -> tuple[re.Pattern[str], int]:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise KnowledgeDataError(f"{_FILE}: bad regex {pattern!r}: {exc}") from exc
    literal = re.sub(r"\(\?P<\w+>|\(\?:|\\[sSdDwWb]|\[[^\]]*\]|[\\^$.|?*+()\[\]{}]", "", pattern)
    return compiled, len("".join(literal.split()))


# --- loading ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiled:
    entry: ErrorPattern
    regexes: tuple[tuple[re.Pattern[str], int], ...]


def _codes(values: tuple[str, ...], where: str) -> tuple[str, ...]:
    unknown = [c for c in values if c not in FINDING_CODES]
    if unknown:
        raise KnowledgeDataError(f"{where}: unknown finding codes {unknown}")
    return values


def _entry(row: Mapping[str, Any]) -> ErrorPattern:
    entry_id = string(row, "id", f"{_FILE}: entries")
    where = f"{_FILE}: entries.{entry_id}"
    specs: list[PatternSpec] = []
    for item in mappings(row, "patterns", where):
        if "template" in item:
            specs.append(PatternSpec("template", string(item, "template", where)))
        elif "regex" in item:
            specs.append(PatternSpec("regex", string(item, "regex", where)))
        else:
            raise KnowledgeDataError(f"{where}: a pattern needs template or regex")
    if not specs:
        raise KnowledgeDataError(f"{where}: needs at least one pattern")
    causes = tuple(
        ErrorCause(
            en=" ".join(string(c, "en", where).split()),
            zh=" ".join(string(c, "zh", where).split()),
            code=_codes((code,), where)[0] if (code := optional_string(c, "code", where)) else None,
        )
        for c in mappings(row, "causes", where)
    )
    steps = tuple(
        LocalizedText(en=string(s, "en", where), zh=string(s, "zh", where))
        for s in mappings(row, "next_steps", where)
    )
    reasons = tuple(
        ReasonCodes(
            contains=string(r, "contains", where).lower(),
            codes=_codes(strings(r, "codes", where), where),
        )
        for r in mappings(row, "reason_codes", where)
    )
    entry = ErrorPattern(
        id=entry_id,
        title=string(row, "title", where),
        where=string(row, "where", where, ""),
        codes=_codes(strings(row, "codes", where, ()), where),
        patterns=tuple(specs),
        examples=strings(row, "examples", where),
        causes=causes,
        next_steps=steps,
        sources=strings(row, "sources", where),
        confidence=confidence(row, where),
        note=" ".join(string(row, "note", where, "").split()),
        reason_codes=reasons,
    )
    if not entry.causes or not entry.next_steps or not entry.examples:
        raise KnowledgeDataError(f"{where}: needs causes, next_steps and examples")
    return entry


@functools.cache
def _catalogue() -> tuple[_Compiled, ...]:
    out: list[_Compiled] = []
    seen: set[str] = set()
    for row in mappings(load_data(_FILE), "entries", _FILE):
        entry = _entry(row)
        if entry.id in seen:
            raise KnowledgeDataError(f"{_FILE}: duplicate entry id {entry.id}")
        seen.add(entry.id)
        regexes = tuple(
            compile_template(spec.text) if spec.kind == "template" else compile_regex(spec.text)
            for spec in entry.patterns
        )
        out.append(_Compiled(entry=entry, regexes=regexes))
    return tuple(out)


def error_catalogue() -> tuple[ErrorPattern, ...]:
    """Every catalogue entry, in file order."""
    return tuple(c.entry for c in _catalogue())


# --- matching ---------------------------------------------------------------------------

_KMS_ARN = re.compile(
    r"arn:aws[a-z-]*:kms:(?P<region>[a-z0-9-]*):(?P<account>\d*):(?:key|alias)/[A-Za-z0-9/_+=.@-]*[A-Za-z0-9_+=@-]"
)
_KEY_ID = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|mrk-[0-9a-fA-F]{32})$"
)
_MISSING_KEY = frozenset({"", "none", "null", "nil", "undefined"})


def _clean(value: str) -> str:
    return value.strip().strip("\"'`[]").rstrip(".,;:").strip()


def _derive(values: dict[str, str], text: str) -> None:
    key = values.get("key")
    if key is not None:
        if key.lower() in _MISSING_KEY:
            values["key_missing"] = "true"
        elif _KEY_ID.match(key):
            values["key_id"] = key
    arn = _KMS_ARN.search(key or "") or _KMS_ARN.search(text)
    if arn is not None:
        values.setdefault("key_arn", arn.group(0))
        if arn.group("region"):
            values.setdefault("key_region", arn.group("region"))
        if arn.group("account"):
            values.setdefault("key_account", arn.group("account"))
    raw_type = values.get("resource_type")
    if raw_type is not None:
        known = resource_type(raw_type)
        if known is not None:
            values["resource_type"] = known.name


def _ordered_codes(entry: ErrorPattern, values: Mapping[str, str]) -> tuple[str, ...]:
    reason = values.get("reason", "").lower()
    first: list[str] = []
    for hint in entry.reason_codes:
        if reason and hint.contains in reason:
            first.extend(c for c in hint.codes if c not in first)
    return (*first, *(c for c in entry.codes if c not in first))


def match_error(message: str) -> tuple[ErrorMatch, ...]:
    """The catalogue entries a message matches, best (most specific) first; () if none."""
    text, found = normalize_message(message)
    if not text:
        return ()
    results: list[tuple[int, int, ErrorMatch]] = []
    for index, compiled in enumerate(_catalogue()):
        best: tuple[int, re.Match[str]] | None = None
        for regex, score in compiled.regexes:
            hit = regex.search(text)
            if hit is not None and (best is None or score > best[0]):
                best = (score, hit)
        if best is None:
            continue
        score, hit = best
        values = dict(found)
        values.update({k: _clean(v) for k, v in hit.groupdict().items() if v is not None})
        _derive(values, text)
        match = ErrorMatch(
            pattern=compiled.entry,
            values=MappingProxyType(values),
            codes=_ordered_codes(compiled.entry, values),
            score=score,
            matched_text=hit.group(0),
        )
        results.append((-score, index, match))
    results.sort(key=lambda item: (item[0], item[1]))
    return tuple(match for _, _, match in results)
