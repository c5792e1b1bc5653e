"""The catalogue's folding of YAML line-break spaces in Chinese text (``checks/rules.py``
``fold_cjk_spaces``) is a character test, not a regular expression (one with these classes
was compiled at every start); it must remove exactly the spaces the expression removed."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.checks.rules import fold_cjk_spaces

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2018\u2019\u201c\u201d"
_CJK_PUNCT = r"\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d"
# the expression the catalogue used before (the reference)
REFERENCE = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])|(?<=[{_CJK_PUNCT}]) | (?=[{_CJK_PUNCT}])")

# every class boundary and its neighbours, ASCII, spaces
EDGES = "\u2fff\u3000\u303f\u3040\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fff\ua000\ufeff\uff00\uffef\ufff0"
ALPHABET = EDGES + "\u2017\u2018\u2019\u201a\u201b\u201c\u201d\u201e" + "ab1.(，。的确 "


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=24))
def test_the_same_spaces_as_the_regular_expression(value: str) -> None:
    assert fold_cjk_spaces(value) == REFERENCE.sub("", value)


def test_examples() -> None:
    assert fold_cjk_spaces("源 密钥 策略 必须 允许") == "源密钥策略必须允许"
    assert fold_cjk_spaces("使用 KMS 密钥") == "使用 KMS 密钥"  # Latin next to CJK keeps it
    assert fold_cjk_spaces("见 “说明” 。 then") == "见“说明”。then"
    assert fold_cjk_spaces("a  b ") == "a  b "


def test_the_catalogue_text_is_folded() -> None:
    from copyguard.checks.rules import all_rules

    texts = [r.title.get("zh") for r in all_rules()] + [r.why.get("zh") for r in all_rules()]
    assert len(texts) > 50
    assert [t for t in texts if REFERENCE.search(t)] == []
    assert any(" " in t for t in texts)  # Latin words keep their spaces
