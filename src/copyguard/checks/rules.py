"""The finding catalogue: every code of spec section 5, documented in English and Chinese.

The data lives in ``docs/rules.yaml`` beside this module and is read on first use, never at
import (STYLE.md habits 5 and 13). ``copyguard rules``, SARIF rule metadata and
``docs/rules.md`` all render from it.
"""

from __future__ import annotations

import functools
import json
import os

from copyguard.checks.model import SEVERITIES, Text
from copyguard.lazyre import lazy_compile
from copyguard.records import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from copyguard.checks.model import Severity

    RULES_FILE: Path

_RULES_PATH = os.path.join(os.path.dirname(__file__), "docs", "rules.yaml")
_TWIN_PATH = os.path.join(os.path.dirname(__file__), "docs", "rules.compiled.json")


def __getattr__(name: str) -> object:
    """``RULES_FILE``: the catalogue's ``pathlib.Path`` (pathlib is imported on first use)."""
    if name == "RULES_FILE":
        from pathlib import Path

        return Path(_RULES_PATH)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: The documentation sections every rule carries, in display order.
SECTIONS: tuple[str, ...] = (
    "what",
    "why",
    "failing_example",
    "fixed_example",
    "fix_safety",
    "references",
)
_TEXT_FIELDS = ("title", "what", "why", "fix_safety")
_CODE_RX = lazy_compile(r"^CG[1-9]\d{2}$")
_NAME_RX = lazy_compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A YAML folded scalar turns each line break into a space; in Chinese that space is noise
# wherever it touches an ideograph or CJK punctuation on both sides, or any CJK punctuation.
# (A character test, not a regular expression: compiling one with these classes took about a
# tenth of the quick form's regular-expression work at every start.)
_CJK_QUOTES = "\u2018\u2019\u201c\u201d"


def _cjk_punct(ch: str) -> bool:
    return "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or ch in _CJK_QUOTES


def _cjk(ch: str) -> bool:
    return _cjk_punct(ch) or "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff"


def fold_cjk_spaces(value: str) -> str:
    """``value`` without the spaces between two CJK characters and next to CJK punctuation."""
    if " " not in value:
        return value
    parts = value.split(" ")
    out = [parts[0]]
    for i in range(1, len(parts)):
        after = parts[i]
        a, b = parts[i - 1][-1:], after[:1]  # "" where the neighbour is another space or an end
        drop = (
            bool(a and _cjk_punct(a))
            or bool(b and _cjk_punct(b))
            or bool(a and b and _cjk(a) and _cjk(b))
        )
        out.append(after if drop else " " + after)
    return "".join(out)


class RulesError(ValueError):
    """The catalogue file is malformed (a bug in copyguard, caught by its tests)."""


@record(frozen=True, slots=True)
class Rule:
    """One finding code and its documentation."""

    code: str
    name: str
    severity: Severity
    title: Text
    what: Text
    why: Text
    failing_example: str
    fixed_example: str
    fix_safety: Text
    references: tuple[str, ...]

    def section(self, name: str, lang: str = "en") -> str | tuple[str, ...]:
        """The section ``name`` (one of :data:`SECTIONS`) in ``lang``."""
        value = getattr(self, name)
        if isinstance(value, Text):
            return value.get(lang)
        if isinstance(value, tuple):
            return value
        return str(value)


def _text(raw: Any, where: str) -> Text:
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: expected a mapping with 'en' and 'zh'")
    out: dict[str, str] = {}
    for lang in ("en", "zh"):
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise RulesError(f"{where}.{lang}: expected a non-empty string")
        value = " ".join(value.split())
        if lang == "zh":
            value = fold_cjk_spaces(value)
        out[lang] = value
    return Text(out["en"], out["zh"])


def _example(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise RulesError(f"{where}: expected a non-empty example")
    return raw.rstrip("\n")


def _rule(raw: Any, index: int) -> Rule:
    if not isinstance(raw, dict):
        raise RulesError(f"rules[{index}]: expected a mapping")
    code = raw.get("code")
    if not isinstance(code, str) or not _CODE_RX.match(code):
        raise RulesError(f"rules[{index}].code: expected a code like CG101, got {code!r}")
    where = f"rules[{index}] ({code})"
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME_RX.match(name):
        raise RulesError(f"{where}.name: expected a kebab-case slug, got {name!r}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise RulesError(f"{where}.severity: expected error, warning or note, got {severity!r}")
    refs = raw.get("references")
    if not isinstance(refs, list) or not all(
        isinstance(r, str) and r.startswith("https://") for r in refs
    ):
        raise RulesError(f"{where}.references: expected a list of https URLs")
    texts = {f: _text(raw.get(f), f"{where}.{f}") for f in _TEXT_FIELDS}
    return Rule(
        code=code,
        name=name,
        severity=severity,
        title=texts["title"],
        what=texts["what"],
        why=texts["why"],
        failing_example=_example(raw.get("failing_example"), f"{where}.failing_example"),
        fixed_example=_example(raw.get("fixed_example"), f"{where}.fixed_example"),
        fix_safety=texts["fix_safety"],
        references=tuple(refs),
    )


def load_rules(text: str, twin: Path | None = None) -> tuple[Rule, ...]:
    """Parse a catalogue document (the contents of ``rules.yaml``); sorted by code.
    ``twin``: its compiled JSON twin, used when it was compiled from exactly ``text``
    (``copyguard.knowledge.parse_packaged_yaml``)."""
    from copyguard.knowledge._loader import YamlDataError, parse_packaged_yaml

    try:
        doc = parse_packaged_yaml(text, twin)
    except YamlDataError as exc:
        raise RulesError(f"rules catalogue is not valid YAML: {exc}") from exc
    return _rules_of(doc)


def _rules_of(doc: Any) -> tuple[Rule, ...]:
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise RulesError("rules catalogue: expected a mapping with a 'rules' list")
    rules = [_rule(raw, i) for i, raw in enumerate(doc["rules"])]
    seen: set[str] = set()
    for r in rules:
        if r.code in seen:
            raise RulesError(f"rules catalogue: {r.code} appears twice")
        seen.add(r.code)
    return tuple(sorted(rules, key=lambda r: r.code))


@functools.cache
def _document() -> Any:
    """The catalogue document (``rules.yaml``, through its compiled twin), parsed once.

    The twin is used when its ``yaml_sha256`` is the digest of the catalogue's text, as
    ``parse_packaged_yaml`` decides; the digest is taken of the file's bytes (the same as of
    its text when the file has no carriage return), without decoding 100 KB of text first.
    Otherwise the text goes through ``parse_packaged_yaml`` as it is."""
    from copyguard.knowledge._loader import (
        LocalFile,
        YamlDataError,
        parse_packaged_yaml,
        sha256_hex,
    )

    with open(_RULES_PATH, "rb") as handle:
        raw = handle.read()
    if b"\r" not in raw:
        try:
            twin = json.loads(LocalFile(_TWIN_PATH).read_text("utf-8"))
        except (OSError, ValueError):
            twin = None
        if isinstance(twin, dict) and "data" in twin and twin.get("yaml_sha256") == sha256_hex(raw):
            return twin["data"]
    text = LocalFile(_RULES_PATH).read_text("utf-8")
    try:
        return parse_packaged_yaml(text, LocalFile(_TWIN_PATH))
    except YamlDataError as exc:
        raise RulesError(f"rules catalogue is not valid YAML: {exc}") from exc


@functools.cache
def _catalogue() -> dict[str, Rule]:
    return {r.code: r for r in _rules_of(_document())}


@functools.cache
def _one_rule(code: str) -> Rule | None:
    """The rule for ``code`` alone, built from its entry in the catalogue document (a finding
    needs its own title, not the whole catalogue with every text in both languages); the
    whole catalogue when its document is not as :func:`load_rules` expects (which then says
    what is wrong)."""
    if _catalogue.cache_info().currsize:
        return _catalogue().get(code)
    doc = _document()
    entries = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        return _catalogue().get(code)
    found: list[tuple[int, Any]] = []
    for index, raw in enumerate(entries):
        if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
            return _catalogue().get(code)  # a malformed entry: let load_rules report it
        if raw["code"] == code:
            found.append((index, raw))
    if len(found) != 1:
        return _catalogue().get(code)  # absent (None), or twice (load_rules says so)
    return _rule(found[0][1], found[0][0])


def all_rules() -> tuple[Rule, ...]:
    """Every rule of the catalogue, sorted by code."""
    return tuple(_catalogue().values())


def rule(code: str) -> Rule | None:
    """The rule for ``code`` (case-insensitive, surrounding blanks ignored), or ``None``.
    Builds only that rule (the same value as in :func:`all_rules`): the quick form needs a
    few titles, not 27 rules' texts with their Chinese folded."""
    return _one_rule(code.strip().upper())


def codes() -> tuple[str, ...]:
    """Every code of the catalogue, sorted."""
    return tuple(_catalogue())
