"""How the decision-only path keys its compiled statements (issue 11).

A plain line (ASCII, no ``\\u`` escape, within the key policy limit) is decoded whole and
its statements are keyed by their value without the Sid, wherever the Sid is written. Any
other line is split keeping each statement's text: a statement written with its Sid first
(``{"Sid":"x",...``) is keyed by the text after the Sid, any other spelling of the Sid
(escaped, not first, repeated) by the whole text. Either way statements that differ only by
their Sid are compiled once, and the answer must be the general path's.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from copyguard.evaluate import fastpath
from copyguard.evaluate.batch import run_batch

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BODY = (
    '"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},'
    '"Action":["kms:Decrypt","kms:CreateGrant"],"Resource":"*"'
)
DENY = '"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"'


def line(rid: str, *statements: str, action: str = "kms:Decrypt", plain: bool = True) -> str:
    """A request line; ``plain=False`` adds a context value with a \\u escape, so the line
    is split by text instead of decoded whole."""
    policy = '{"Version":"2012-10-17","Statement":[' + ",".join(statements) + "]}"
    context = "" if plain else '"context":{"aws:SourceIdentity":"b\\u00e9a"},'
    return (
        f'{{"id":"{rid}","principal":"arn:aws:iam::111122223333:role/R","action":"{action}",'
        f'"resource":"{KEY}",{context}"key_policy":{policy}}}'
    )


def answers(lines: list[str], **kwargs: Any) -> list[Any]:
    out = io.BytesIO()
    run_batch(io.BytesIO(("\n".join(lines) + "\n").encode()), out, **kwargs)
    return [json.loads(x) for x in out.getvalue().splitlines()]


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    real = fastpath._compile_statement

    def counting(raw: dict[str, Any], kind: Any) -> Any:
        seen.append(raw)
        return real(raw, kind)

    monkeypatch.setattr(fastpath, "_compile_statement", counting)
    return seen


@pytest.mark.parametrize("plain", [True, False])
def test_sid_first_statements_share_one_compile(compiles: list[Any], plain: bool) -> None:
    lines = [
        line(f"r{n}", f'{{"Sid":"{sid}",{BODY}}}', plain=plain) for n, sid in enumerate("ABCDE")
    ]
    lines.append(
        line("r5", f'{{"Sid":"Admin access",{BODY}}}', f'{{"Sid":"",{DENY}}}', plain=plain)
    )
    quick, general = answers(lines), answers(lines, explain=True)
    assert [q["decision"] for q in quick] == [g["decision"] for g in general]
    assert [q["decision"] for q in quick] == ["allowed"] * 5 + ["explicit_deny"]
    # one compile for the Allow body whatever its Sid, one for the Deny (the explain run
    # takes the general path, which compiles nothing here)
    assert [c["Effect"] for c in compiles] == ["Allow", "Deny"]


OTHER_SPELLINGS = [
    '{"Sid":"A\\/B",' + BODY + "}",  # an escaped (but plain) Sid
    "{" + BODY + ',"Sid":"A"}',  # the Sid last
    '{"Sid":"A",' + BODY + ',"Sid":"A"}',  # the same Sid twice
    '{"Sid":"A",' + BODY + ',"Sid":"B"}',  # two Sids: JSON keeps the last
    '{"Sid" : "A" , ' + BODY + "}",  # blanks around the Sid
]


@pytest.mark.parametrize("plain", [True, False])
@pytest.mark.parametrize(
    "statement",
    [
        *OTHER_SPELLINGS,
        '{"Sid":"bad sid!",' + BODY + "}",  # not plain: the general path reports it
        '{"Sid":7,' + BODY + "}",
        '{"Sid":["A"],' + BODY + "}",
    ],
)
def test_other_sid_spellings_answer_as_the_general_path(statement: str, plain: bool) -> None:
    good = f'{{"Sid":"A",{BODY}}}'
    for action in ("kms:Decrypt", "kms:Encrypt"):
        lines = [
            line("a", good, action=action, plain=plain),
            line("b", statement, action=action, plain=plain),
            line("c", statement, f'{{"Sid":"A",{DENY}}}', action=action, plain=plain),
            line("d", good, action=action, plain=plain),
        ]
        quick, general = answers(lines), answers(lines, explain=True)
        assert [(q["id"], q.get("decision"), q.get("error")) for q in quick] == [
            (g["id"], g.get("decision"), g.get("error")) for g in general
        ]


@pytest.mark.parametrize("statement", OTHER_SPELLINGS)
def test_a_plain_line_keys_a_statement_by_its_value_whatever_the_sid_spelling(
    compiles: list[Any], statement: str
) -> None:
    """Decoded whole, the statement is keyed without its Sid wherever it was written: one
    compile for the usual spelling and this one (split by text, this one would be keyed by
    its whole text, Sid included)."""
    fast = fastpath.FastPolicies(1 << 20, 1 << 20, 1 << 20)
    for n, text in enumerate((f'{{"Sid":"A",{BODY}}}', statement)):
        got = fast.answer(line(f"r{n}", text))
        assert got == (True, f"r{n}", "allowed")
    assert len(compiles) == 1 and len(fast.statements) == 1


def test_a_statement_sharing_a_body_with_another_sid_is_not_confused() -> None:
    """Split by text, the key after a Sid starts with '"', a whole text with '{': a statement
    without a Sid never takes the entry of one with a Sid, whatever the texts."""
    fast = fastpath.FastPolicies(1 << 20, 1 << 20, 1 << 20)
    allow = line("a", f'{{"Sid":"A",{BODY}}}', plain=False)
    deny = line("b", "{" + DENY + "}", plain=False)
    got = [fast.answer(allow), fast.answer(deny), fast.answer(allow)]
    assert [g[2] if g and g[0] else None for g in got] == [
        "allowed",
        "explicit_deny",
        "allowed",
    ]
    assert set(fast.statements.entries) == {BODY + "}", "{" + DENY + "}"}


def test_a_plain_line_keys_statements_by_value_and_kind() -> None:
    """Decoded whole: the same statement value in two kinds of policy is two entries, and
    key policy statements are keyed by their value alone."""
    fast = fastpath.FastPolicies(1 << 20, 1 << 20, 1 << 20)
    identity = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}'
    text = line("a", f'{{"Sid":"A",{BODY}}}')[:-1] + f',"identity_policies":[{identity}]}}'
    assert fast.answer(text) == (True, "a", "allowed")
    kinds = sorted(type(k).__name__ for k in fast.statements.entries)
    assert kinds == ["bytes", "tuple"]
    (pair,) = [k for k in fast.statements.entries if type(k) is tuple]
    assert pair[0] == "identity"
    assert len(fast.policies) == 1  # the identity policy, by kind and value
