"""How the decision-only path keys its compiled statements by text (issue 11).

A statement written with its Sid first (``{"Sid":"x",...``) is keyed by the text after the
Sid, so statements that differ only by their Sid are compiled once; any other spelling of
the Sid (escaped, not first, repeated) is keyed by the whole text. Either way the answer
must be the general path's.
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


def line(rid: str, *statements: str, action: str = "kms:Decrypt") -> str:
    policy = '{"Version":"2012-10-17","Statement":[' + ",".join(statements) + "]}"
    return (
        f'{{"id":"{rid}","principal":"arn:aws:iam::111122223333:role/R","action":"{action}",'
        f'"resource":"{KEY}","key_policy":{policy}}}'
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


def test_sid_first_statements_share_one_compile(compiles: list[Any]) -> None:
    lines = [line(f"r{n}", f'{{"Sid":"{sid}",{BODY}}}') for n, sid in enumerate("ABCDE")]
    lines.append(line("r5", f'{{"Sid":"Admin access",{BODY}}}', f'{{"Sid":"",{DENY}}}'))
    quick, general = answers(lines), answers(lines, explain=True)
    assert [q["decision"] for q in quick] == [g["decision"] for g in general]
    assert [q["decision"] for q in quick] == ["allowed"] * 5 + ["explicit_deny"]
    # one compile for the Allow body whatever its Sid, one for the Deny (the explain run
    # takes the general path, which compiles nothing here)
    assert [c["Effect"] for c in compiles] == ["Allow", "Deny"]


@pytest.mark.parametrize(
    "statement",
    [
        '{"Sid":"A\\/B",' + BODY + "}",  # an escaped (but plain) Sid: keyed by its whole text
        "{" + BODY + ',"Sid":"A"}',  # the Sid last
        '{"Sid":"A",' + BODY + ',"Sid":"A"}',  # the same Sid twice
        '{"Sid":"A",' + BODY + ',"Sid":"B"}',  # two Sids: JSON keeps the last
        '{"Sid" : "A" , ' + BODY + "}",  # blanks around the Sid
        '{"Sid":"bad sid!",' + BODY + "}",  # not plain: the general path reports it
        '{"Sid":7,' + BODY + "}",
        '{"Sid":["A"],' + BODY + "}",
    ],
)
def test_other_sid_spellings_answer_as_the_general_path(statement: str) -> None:
    plain = f'{{"Sid":"A",{BODY}}}'
    for action in ("kms:Decrypt", "kms:Encrypt"):
        lines = [
            line("a", plain, action=action),
            line("b", statement, action=action),
            line("c", statement, f'{{"Sid":"A",{DENY}}}', action=action),
            line("d", plain, action=action),
        ]
        quick, general = answers(lines), answers(lines, explain=True)
        assert [(q["id"], q.get("decision"), q.get("error")) for q in quick] == [
            (g["id"], g.get("decision"), g.get("error")) for g in general
        ]


def test_a_statement_sharing_a_body_with_another_sid_is_not_confused() -> None:
    """The key after a Sid starts with '"', a whole text with '{': a statement without a
    Sid never takes the entry of one with a Sid, whatever the texts."""
    fast = fastpath.FastPolicies(1 << 20, 1 << 20, 1 << 20)
    allow = line("a", f'{{"Sid":"A",{BODY}}}')
    deny = line("b", "{" + DENY + "}")
    got = [fast.answer(allow), fast.answer(deny), fast.answer(allow)]
    assert [g[2] if g and g[0] else None for g in got] == [
        "allowed",
        "explicit_deny",
        "allowed",
    ]
    assert set(fast.statements.entries) == {BODY + "}", "{" + DENY + "}"}
