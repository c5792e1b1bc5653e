"""The catalogue of AWS Backup copy error and status messages, and a tolerant matcher."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    boolean,
    confidence,
    load_data,
    mappings,
    optional_string,
    string,
    strings,
)
from copyguard.knowledge.resource_types import resource_type
from copyguard.records import record

__all__ = [
    "FINDING_CODES",
    "ErrorCause",
    "ErrorMatch",
    "ErrorPattern",
    "LocalizedText",
    "MatchConfidence",
    "PatternSpec",
    "ReasonCodes",
    "error_catalogue",
    "fuzzy_match_error",
    "match_error",
    "normalize_message",
]

_FILE = "errors.yaml"
_LABELS = frozenset({"translation"})

#: Matching looks at this many characters of a (normalised) message at most, so that every
#: pattern stays fast on hostile input; a longer paste is cut and says so (``truncated``).
MAX_MESSAGE_CHARS = 2000

#: The finding codes of the product contract (spec section 5).
FINDING_CODES: frozenset[str] = frozenset(
    {
        "CG101", "CG102", "CG103", "CG104", "CG105", "CG106", "CG107",
        "CG201", "CG202", "CG203", "CG204", "CG205", "CG206", "CG207", "CG208", "CG209",
        "CG210", "CG211",
        "CG301", "CG302", "CG401", "CG402", "CG403", "CG404", "CG901", "CG902", "CG999",
    }
)  # fmt: skip


@record(frozen=True, slots=True)
class LocalizedText:
    en: str
    zh: str

    def text(self, lang: str = "en") -> str:
        return self.zh if lang.lower().startswith("zh") and self.zh else self.en


@record(frozen=True, slots=True)
class ErrorCause:
    """One possible cause; ``code`` is the copyguard finding that checks it (if any)."""

    en: str
    zh: str
    code: str | None = None

    def text(self, lang: str = "en") -> str:
        return self.zh if lang.lower().startswith("zh") and self.zh else self.en


@record(frozen=True, slots=True)
class PatternSpec:
    """A ``template`` (literal text with ``{name:type}`` placeholders) or a ``regex``.

    ``label`` says what kind of text the pattern stands for when it is not AWS's own output:
    ``translation`` for a translation published in an article (AWS Backup returns English).
    """

    kind: Literal["template", "regex"]
    text: str
    label: str | None = None


@record(frozen=True, slots=True)
class ReasonCodes:
    """If the extracted ``reason`` contains ``contains``, these codes come first."""

    contains: str
    codes: tuple[str, ...]


@record(frozen=True, slots=True)
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
    fallback: bool = False


#: How a message was recognised: ``exact`` (the whole message is a catalogue message),
#: ``pattern`` (a catalogue message was found inside a longer text, such as a log line) or
#: ``fuzzy`` (similar wording, for a message retold in the user's own words).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    MatchConfidence = Literal["exact", "pattern", "fuzzy"]
else:
    MatchConfidence = str  # the Literal's stand-in at run time (typing is not imported)


@record(frozen=True, slots=True)
class ErrorMatch:
    """A catalogue entry that matched a message, with the values found in it.

    ``values`` may hold ``key`` (as written), ``key_arn``, ``key_id``, ``key_region``,
    ``key_account``, ``key_missing`` ("true" for ``[None]``), ``source_region``,
    ``destination_region``, ``resource_type`` (canonical when known), ``state``,
    ``error_code`` and ``operation`` (from an SDK/CLI prefix), ``principal``, ``action``,
    ``resource``, ``reason`` and other template placeholders. ``codes`` is the entry's codes,
    reordered when the message says which applies. ``confidence`` says how the message was
    recognised (exact, pattern or fuzzy) and ``similarity`` (0..1) how much of it: the share of
    the text the catalogue message covers, or the word similarity of a fuzzy match. ``label``
    is the matching pattern's label (``translation`` for an article's translated text).
    """

    pattern: ErrorPattern
    values: Mapping[str, str]
    codes: tuple[str, ...]
    score: int
    matched_text: str
    confidence: MatchConfidence = "exact"
    similarity: float = 1.0
    label: str | None = None


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


@record(frozen=True, slots=True)
class _Compiled:
    entry: ErrorPattern
    regexes: tuple[tuple[re.Pattern[str], int], ...]
    example_tokens: tuple[frozenset[str], ...] = ()


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
        label = optional_string(item, "label", where)
        if label is not None and label not in _LABELS:
            raise KnowledgeDataError(f"{where}: pattern label must be one of {sorted(_LABELS)}")
        if "template" in item:
            specs.append(PatternSpec("template", string(item, "template", where), label))
        elif "regex" in item:
            specs.append(PatternSpec("regex", string(item, "regex", where), label))
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
        fallback=boolean(row, "fallback", where, False),
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
        tokens = tuple(t for t in (_tokens(e) for e in entry.examples) if t)
        out.append(_Compiled(entry=entry, regexes=regexes, example_tokens=tokens))
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


def _prepare(message: str) -> tuple[str, dict[str, str]]:
    text, found = normalize_message(message[: MAX_MESSAGE_CHARS * 4])
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS]
        found["truncated"] = "true"
    return text, found


def match_error(message: str) -> tuple[ErrorMatch, ...]:
    """The catalogue entries a message matches, best (most specific) first; () if none.

    A message pasted with its surrounding log line still matches (confidence ``pattern``).
    Entries marked ``fallback`` (the generic access-denied family) only come back when no
    other entry matches. Only the first :data:`MAX_MESSAGE_CHARS` characters are read.
    """
    text, found = _prepare(message)
    if not text:
        return ()
    results: list[tuple[int, int, ErrorMatch]] = []
    for index, compiled in enumerate(_catalogue()):
        best: tuple[int, re.Match[str], PatternSpec] | None = None
        for (regex, score), spec in zip(compiled.regexes, compiled.entry.patterns, strict=True):
            hit = regex.search(text)
            if hit is not None and (best is None or score > best[0]):
                best = (score, hit, spec)
        if best is None:
            continue
        score, hit, spec = best
        values = dict(found)
        values.update({k: _clean(v) for k, v in hit.groupdict().items() if v is not None})
        _derive(values, text)
        covered = _coverage(text, hit)
        match = ErrorMatch(
            pattern=compiled.entry,
            values=MappingProxyType(values),
            codes=_ordered_codes(compiled.entry, values),
            score=score,
            matched_text=hit.group(0),
            confidence="exact" if covered >= 1.0 else "pattern",
            similarity=covered,
            label=spec.label,
        )
        results.append((-score, index, match))
    if any(not m.pattern.fallback for _, _, m in results):
        results = [r for r in results if not r[2].pattern.fallback]
    results.sort(key=lambda item: (item[0], item[1]))
    return tuple(match for _, _, match in results)


# Prefixes a message commonly carries that are not part of it (they do not lower confidence).
_ENVELOPE = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9_.]*(?:Exception|Error|Fault|Operation)\s*[:-]\s*|"
    r"access denied\s*:\s*|(?:copy job failed|statusmessage)\s*[.:]\s*)+",
    re.IGNORECASE,
)


def _coverage(text: str, hit: re.Match[str]) -> float:
    """The share of the message the catalogue message covers (1.0: nothing else around it)."""
    rest = (text[: hit.start()] + " " + text[hit.end() :]).strip()
    rest = _ENVELOPE.sub("", rest).strip(" .,;:\"'`()[]")
    if not rest:
        return 1.0
    core = len(hit.group(0))
    return round(core / (core + len(rest)), 2)


# --- fuzzy matching ---------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")
_ARN_WORD = re.compile(r"arn:[^\s\]\['\"]*")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "on",
        "at",
        "by",
        "is",
        "are",
        "was",
        "be",
        "been",
        "this",
        "that",
        "it",
        "its",
        "with",
        "and",
        "or",
        "from",
        "your",
        "you",
        "my",
        "our",
        "we",
        "i",
        "me",
        "please",
    ]
)
_NEGATIONS = frozenset({"not", "no", "cannot", "cant", "unable", "never", "isnt", "doesnt", "dont"})
_SUFFIXES = ("ibility", "ability", "ible", "able", "ation", "ing", "ed", "es", "s")
#: A fuzzy match needs at least this word similarity (Dice coefficient) to count.
FUZZY_THRESHOLD = 0.6
_MAX_TOKENS = 200
_FUZZY_MARGIN = 0.1


def _stem(word: str) -> str:
    if word in _NEGATIONS:
        return "not"
    if word.endswith("ss"):  # access, class: no plural to strip
        return word
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> frozenset[str]:
    """The words of a text for fuzzy matching: lower-cased, stemmed, without filler words;
    runs of Chinese characters become character pairs. Linear in the text's length."""
    out: set[str] = set()
    folded = unicodedata.normalize("NFKC", text[: MAX_MESSAGE_CHARS * 4]).lower()
    folded = _ARN_WORD.sub(" ", folded)  # ARNs and IDs say which resource, not which message
    for found in _WORD.finditer(folded):
        word = found.group(0)
        if any(ch.isdigit() for ch in word):
            continue
        if "\u3400" <= word[0] <= "\u9fff":
            out.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        elif word not in _STOP:
            out.add(_stem(word))
        if len(out) >= _MAX_TOKENS:
            break
    return frozenset(out)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def fuzzy_match_error(message: str, limit: int = 3) -> tuple[ErrorMatch, ...]:
    """Catalogue entries whose example messages share most words with ``message``.

    For a message retold in the user's own words ("unable to access the given key id").
    Each result has confidence ``fuzzy`` and its word similarity (0..1, at least
    :data:`FUZZY_THRESHOLD`), best first. Bounded: the message is read up to
    :data:`MAX_MESSAGE_CHARS` characters and 200 distinct words, and the catalogue is small.
    """
    text, found = _prepare(message)
    words = _tokens(text)
    if len(words) < 2:
        return ()
    scored: list[tuple[float, int, _Compiled]] = []
    for index, compiled in enumerate(_catalogue()):
        best = max((_dice(words, ex) for ex in compiled.example_tokens), default=0.0)
        if best >= FUZZY_THRESHOLD:
            scored.append((best, index, compiled))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[0][0] if scored else 0.0
    out: list[ErrorMatch] = []
    # only the close runners-up: a clearly weaker resemblance is noise
    close = [item for item in scored if item[0] >= top - _FUZZY_MARGIN]
    for similarity, _index, compiled in close[: max(0, limit)]:
        values = dict(found)
        _derive(values, text)
        out.append(
            ErrorMatch(
                pattern=compiled.entry,
                values=MappingProxyType(values),
                codes=compiled.entry.codes,
                score=0,
                matched_text="",
                confidence="fuzzy",
                similarity=round(similarity, 2),
            )
        )
    return tuple(out)
