"""The finding catalogue: one documented rule per code, every section in both languages."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from copyguard.checks.model import Text
from copyguard.checks.rules import (
    RULES_FILE,
    SECTIONS,
    Rule,
    RulesError,
    all_rules,
    codes,
    load_rules,
    rule,
)

# Spec section 5: the team may add codes, never drop or renumber these.
SPEC_CODES = [
    "CG101",
    "CG102",
    "CG103",
    "CG104",
    "CG105",
    "CG106",
    "CG107",
    "CG201",
    "CG202",
    "CG203",
    "CG204",
    "CG205",
    "CG301",
    "CG302",
    "CG401",
    "CG402",
    "CG901",
    "CG902",
    "CG999",
]
DEFAULT_SEVERITY = {
    "CG106": "note",
    "CG107": "warning",
    "CG211": "warning",
    "CG404": "warning",
    "CG902": "warning",
    "CG999": "warning",
}
CJK = re.compile(r"[\u4e00-\u9fff]")
# ASCII sentence punctuation touching a Chinese character, outside quoted English.
HALF_WIDTH_IN_ZH = re.compile(r"[\u4e00-\u9fff][,;:()]|[,;(][\u4e00-\u9fff]")
TEXT_SECTIONS = ("title", "what", "why", "fix_safety")
RULES = all_rules()
IDS = [r.code for r in RULES]


def test_every_spec_code_has_exactly_one_rule() -> None:
    assert sorted(codes()) == sorted(set(codes()))
    assert set(SPEC_CODES) <= set(codes())
    for code in codes():
        assert re.fullmatch(r"CG[1-49]\d\d", code), code


def test_rules_are_sorted_and_names_unique() -> None:
    assert sorted(IDS) == IDS
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_every_section_in_both_languages(r: Rule) -> None:
    for section in TEXT_SECTIONS:
        value = getattr(r, section)
        assert isinstance(value, Text)
        assert value.en.strip() and value.zh.strip(), section
        assert value.zh != value.en, f"{section} is not translated"
        assert CJK.search(value.zh), f"{section}.zh has no Chinese"
        assert "  " not in value.en and "  " not in value.zh
    assert r.failing_example.strip() and r.fixed_example.strip()
    assert r.failing_example != r.fixed_example
    assert isinstance(r.references, tuple)
    assert all(ref.startswith("https://") for ref in r.references)
    if r.code != "CG999":  # an internal error has no AWS documentation
        assert r.references
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name)
    for section in SECTIONS:
        if section != "references":
            assert r.section(section, "en") and r.section(section, "zh"), section


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_default_severity(r: Rule) -> None:
    assert r.severity == DEFAULT_SEVERITY.get(r.code, "error")


def test_cg902_is_never_an_error() -> None:
    # The spec's verdict is "unknown" when a CG902 exists and no error.
    cg902 = rule("CG902")
    assert cg902 is not None and cg902.severity != "error"


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_examples_parse(r: Rule) -> None:
    for name in ("failing_example", "fixed_example"):
        example = getattr(r, name)
        if r.code == "CG901" and name == "failing_example":
            with pytest.raises(json.JSONDecodeError):  # the point of the example
                json.loads(example)
            continue
        if example.lstrip().startswith(("{", "[")):
            json.loads(example)
        else:
            assert yaml.safe_load(example) is not None


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_chinese_uses_full_width_punctuation(r: Rule) -> None:
    for section in TEXT_SECTIONS:
        zh = re.sub(r'"[^"]*"', '""', getattr(r, section).zh)  # quoted English stays as is
        assert not HALF_WIDTH_IN_ZH.search(zh), (section, HALF_WIDTH_IN_ZH.search(zh))


@pytest.mark.parametrize("r", RULES, ids=IDS)
def test_uncertainty_is_marked_in_both_languages(r: Rule) -> None:
    for section in TEXT_SECTIONS:
        text = getattr(r, section)
        for marker in ("UNCONFIRMED", "INFERENCE"):
            assert (marker in text.en) == (marker in text.zh), (section, marker)


def test_facts_the_docs_must_state() -> None:
    cg101, cg106 = rule("CG101"), rule("CG106")
    assert cg101 is not None and cg106 is not None
    # The seed article's situation, with AWS's exact messages (English and Chinese console).
    for quoted in (
        "Given key ID is not accessible",
        "does not exist, is not enabled or you do not have permissions to access it.",
        "无法访问给定的密钥 ID",
        "源快照 KMS 密钥不存在、未启用或您无权访问它",
    ):
        assert quoted in cg101.why.en and quoted in cg101.why.zh
    assert "arn:aws:iam::444455556666:root" in cg101.fixed_example
    assert "kms:GrantIsForAWSResource" in cg101.fixed_example
    # Root delegation: the destination's IAM policies must also allow; for the SLR they are
    # AWS managed.
    assert "AWSBackupServiceLinkedRolePolicyForBackup" in cg106.why.en
    assert "AWSBackupServiceLinkedRolePolicyForBackup" in cg106.why.zh
    assert "IAM" in cg106.title.en and "IAM" in cg106.title.zh


def test_fix_that_loosens_a_deny_is_never_safe() -> None:
    cg104 = rule("CG104")
    assert cg104 is not None
    assert cg104.fix_safety.en.startswith("Unsafe")
    assert cg104.fix_safety.zh.startswith("不安全")


def test_lookup_is_case_insensitive() -> None:
    assert rule("cg101") is rule("CG101") is rule("  Cg101 ")
    assert rule("CG100") is None
    assert rule("") is None


def test_catalogue_is_not_loaded_at_import() -> None:
    code = (
        "import copyguard.checks.rules as r; "
        "assert r._catalogue.cache_info().currsize == 0; "
        "r.all_rules(); assert r._catalogue.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _doc(**over: object) -> str:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    entry = dict(raw["rules"][0])
    entry.update(over)
    return yaml.safe_dump({"rules": [entry]})


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"code": "X1"}, "code"),
        ({"name": "Not Kebab"}, "name"),
        ({"severity": "fatal"}, "severity"),
        ({"title": {"en": "only English"}}, "title.zh"),
        ({"why": {"en": "", "zh": "中文"}}, "why.en"),
        ({"fixed_example": ""}, "fixed_example"),
        ({"references": ["http://insecure.example"]}, "references"),
    ],
)
def test_malformed_catalogue_is_rejected(over: dict[str, object], message: str) -> None:
    with pytest.raises(RulesError, match=re.escape(message)):
        load_rules(_doc(**over))


def test_duplicate_codes_are_rejected() -> None:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    raw["rules"].append(raw["rules"][0])
    with pytest.raises(RulesError, match="twice"):
        load_rules(yaml.safe_dump(raw))
    with pytest.raises(RulesError):
        load_rules("rules: [")
