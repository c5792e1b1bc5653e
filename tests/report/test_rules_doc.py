"""Rule documentation renderers and the generated docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyguard.checks.rules import SECTIONS, Rule, all_rules
from copyguard.report import render_rule, render_rules_index, rules_document
from copyguard.report.labels import label

ROOT = Path(__file__).resolve().parents[2]
RULES = all_rules()
IDS = [r.code for r in RULES]


def test_committed_docs_equal_the_generated_output() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_document(), "run: python scripts/gen_rules_doc.py"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_text_and_markdown_have_every_section(r: Rule, lang: str) -> None:
    for fmt in ("text", "markdown"):
        out = render_rule(r, fmt, lang)
        assert r.code in out and r.title.get(lang) in out
        for section in SECTIONS:
            assert label(f"rule.{section}", lang) in out, (fmt, section)
        for ref in r.references:
            assert ref in out
        assert r.fixed_example.splitlines()[0] in out
    md = render_rule(r, "markdown", lang)
    assert r.why.get(lang) in md and r.fix_safety.get(lang) in md and r.fixed_example in md


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rule_json(lang: str) -> None:
    for r in RULES:
        doc = json.loads(render_rule(r, "json", lang))
        assert doc["code"] == r.code and doc["title"] == r.title.get(lang)
        assert set(doc) == {"code", "name", "severity", "title", *SECTIONS}
        assert doc["references"] == list(r.references)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_index(lang: str) -> None:
    text = render_rules_index(RULES, "text", lang)
    md = render_rules_index(RULES, "markdown", lang)
    data = json.loads(render_rules_index(RULES, "json", lang))
    assert [x["code"] for x in data["rules"]] == IDS
    for r in RULES:
        assert r.title.get(lang) in text
        assert f"[{r.code}](#" in md
    zh_rule = RULES[0]
    if lang == "zh":
        assert zh_rule.title.en not in text


def test_zh_rule_has_no_english_section_titles() -> None:
    out = render_rule(RULES[0], "text", "zh")
    for section in SECTIONS:
        assert label(f"rule.{section}", "en") not in out


def test_bad_format() -> None:
    with pytest.raises(ValueError, match="format"):
        render_rule(RULES[0], "sarif", "en")
    with pytest.raises(ValueError, match="format"):
        render_rules_index(RULES, "html", "en")
