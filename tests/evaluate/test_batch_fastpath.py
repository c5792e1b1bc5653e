"""The decision-only batch path (:mod:`copyguard.evaluate.fastpath`) against the general one.

GitHub issue 11: ``simulate --batch`` without ``--explain``/``--lint`` compiles each distinct
statement once (shared by every policy holding it, whatever its Sid), answers a repeated
request from a cache, and computes only the decision. Its answers must be exactly those of
the general path (``--explain`` takes the general path for every line), error lines
included; its caches are bounded by bytes.
"""

from __future__ import annotations

import io
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard.evaluate import batch, engine, fastpath
from copyguard.evaluate.batch import PolicyCache, evaluate_line, run_batch, split_line
from copyguard.evaluate.fastpath import ByteLRU, FastPolicies, split_request
from repo_scripts import request_generator

from .test_properties import CONTEXT_ITEMS, KEY, OTHER_KEY, PRINCIPALS, statements

ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:CreateGrant",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:ListKeys",  # granted by IAM policies only: an error line
    "kms:*",  # not one action: an error line
]
SIDS = ["A", "B", "Admin", "bad sid!", "", 7, None]


def with_sid(stmt: dict[str, Any], sid: Any) -> dict[str, Any]:
    """The statement with its Sid first (as people write it), or without a Sid."""
    if sid is None:
        return dict(stmt)
    return {"Sid": sid, **stmt}


@st.composite
def policy(draw: Any, kind: str, pool: list[dict[str, Any]]) -> Any:
    """A policy built from a shared pool of statements, each with a drawn Sid; sometimes a
    document the parser warns about or rejects (so the general path must answer)."""
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    stmts = [with_sid(s, draw(st.sampled_from(SIDS))) for s in chosen]
    doc: dict[str, Any] = {"Version": "2012-10-17", "Statement": stmts}
    odd = draw(st.integers(0, 19))
    if odd == 0:
        doc["Version"] = "2008-10-17"  # a warning: variables read as text
    elif odd == 1:
        del doc["Version"]
    elif odd == 2:
        doc["Statement"] = stmts[0]  # one statement as an object
    elif odd == 3:
        doc["Id"] = 5  # an error
    elif odd == 4:
        doc["Statement"] = []
    elif odd == 5:
        return json.dumps(doc)  # a policy given as a JSON string
    elif odd == 6:
        doc["Extra"] = True
    return doc


@st.composite
def batches(draw: Any) -> list[str]:
    """Lines of one batch, sharing statements (with other Sids), policies and requests."""
    key_pool = draw(st.lists(statements("key"), min_size=1, max_size=4))
    id_pool = draw(st.lists(statements("identity"), min_size=1, max_size=3))
    scp_pool = draw(st.lists(statements("scp"), min_size=1, max_size=2))
    rcp_pool = [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    ]
    lines: list[str] = []
    for n in range(draw(st.integers(1, 8))):
        if lines and draw(st.integers(0, 4)) == 0:  # the same request again, another id
            again = json.loads(draw(st.sampled_from(lines)))
            if isinstance(again, dict):
                again["id"] = f"again-{n}"
                lines.append(json.dumps(again, separators=(",", ":")))
                continue
        ctx_keys = draw(st.lists(st.sampled_from(sorted(CONTEXT_ITEMS)), unique=True, max_size=3))
        req: dict[str, Any] = {
            "id": draw(st.sampled_from([f"r{n}", n, None, "odd \u00e9 id"])),
            "principal": draw(st.sampled_from([*PRINCIPALS, "12345", ""])),
            "action": draw(st.sampled_from(ACTIONS)),
            "resource": draw(st.sampled_from([KEY, OTHER_KEY])),
            "context": {k: draw(CONTEXT_ITEMS[k]) for k in ctx_keys},
            "key_policy": draw(policy("key", key_pool)),
        }
        if draw(st.booleans()):
            req["identity_policies"] = draw(st.lists(policy("identity", id_pool), max_size=2))
        if draw(st.booleans()):
            req["scps"] = draw(st.lists(policy("scp", scp_pool), max_size=2))
        if draw(st.booleans()):
            req["rcps"] = draw(st.lists(policy("rcp", rcp_pool), max_size=1))
        if draw(st.integers(0, 4)) == 0:
            req["key_manager"] = draw(st.sampled_from(["AWS", "customer", "other"]))
        style = draw(st.integers(0, 3))
        if style == 0:
            text = json.dumps(req)  # with blanks
        elif style == 1:
            text = json.dumps(req, sort_keys=True, separators=(",", ":"))
        else:
            text = json.dumps(req, separators=(",", ":"))
        lines.append(text)
    return lines


def answers(lines: list[str], **kwargs: Any) -> list[dict[str, Any]]:
    out = io.BytesIO()
    run_batch(io.BytesIO(("\n".join(lines) + "\n").encode()), out, **kwargs)
    return [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_the_decision_path_answers_as_the_general_path(lines: list[str]) -> None:
    quick = answers(lines)  # decision-only path where it can
    general = answers(lines, explain=True)  # the general path for every line
    assert len(quick) == len(general) == len(lines)
    for q, g in zip(quick, general):
        assert q["id"] == g["id"]
        assert q.get("decision") == g.get("decision")
        assert q.get("error") == g.get("error")
        assert q.get("line") == g.get("line")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_long_plain_lines_answer_as_the_general_path(lines: list[str]) -> None:
    """The same with every plain line taken as long (split shallow: policies by their
    text, statements compiled from their values)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fastpath, "WHOLE_LINE_MAX", 0)
        quick = answers(lines)
    general = answers(lines, explain=True)
    assert [(q["id"], q.get("decision"), q.get("error"), q.get("line")) for q in quick] == [
        (g["id"], g.get("decision"), g.get("error"), g.get("line")) for g in general
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_each_line_the_fast_path_answers_is_the_single_request_answer(lines: list[str]) -> None:
    fast = FastPolicies(1 << 20, 1 << 20, 1 << 20)
    for line in lines:
        got = fast.answer(line)
        if got is None or not got[0]:
            continue  # the general path answers this one
        split = split_line(line)
        data = split[0] if split is not None else json.loads(line)
        single = evaluate_line(data, PolicyCache())  # no text cache keys: parsed afresh
        assert "error" not in single, single
        assert (got[1], got[2]) == (single["id"], single["decision"])


# ------------------------------------------------------------------ what it shares


ADMIN = "arn:aws:iam::111122223333:role/Admin"
STMT = {
    "Effect": "Allow",
    "Principal": {"AWS": ADMIN},
    "Action": ["kms:Decrypt", "kms:DescribeKey"],
    "Resource": "*",
}


def line(rid: str, sids: list[str], action: str = "kms:Decrypt", **extra: Any) -> str:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": s, **STMT, "Resource": [f"{KEY[:-4]}{i:04d}", "*"]} for i, s in enumerate(sids)
        ],
    }
    return json.dumps(
        {
            "id": rid,
            "principal": ADMIN,
            "action": action,
            "resource": KEY,
            "key_policy": doc,
            **extra,
        },
        separators=(",", ":"),
    )


#: a context value that is not ASCII: the line is not plain, so the decision path splits it
#: keeping the text of each statement (statements keyed by text) instead of decoding it whole
#: (statements keyed by value)
NOT_PLAIN = {"context": {"aws:SourceIdentity": "b\u00e9a"}}


@pytest.mark.parametrize("extra", [{}, NOT_PLAIN], ids=["plain", "not-plain"])
def test_statements_differing_only_by_sid_are_compiled_once(extra: dict[str, Any]) -> None:
    fast = FastPolicies(1 << 20, 1 << 20, 1 << 20)
    text = line("a", ["S1", "S2", "S3"], **extra)
    assert fastpath.plain_text(text) == (not extra)
    assert fast.answer(text) == (True, "a", "allowed")
    assert len(fast.statements) == 3
    assert fast.answer(line("b", ["T1", "T2", "T3"], **extra)) == (True, "b", "allowed")
    assert len(fast.statements) == 3  # the same statements, other Sids: no new entry
    # key policies are cached whole by their text; a plain line's are not (seldom repeated)
    assert len(fast.policies) == (2 if extra else 0)
    # a duplicate Sid is an error: the general path answers (and reports it)
    got = fast.answer(line("c", ["D", "D", "E"], **extra))
    assert got is None or got[0] is False
    stats_out = answers([line("c", ["D", "D", "E"], **extra)])
    assert "duplicate Sid 'D'" in stats_out[0]["error"]


def long_line(rid: str, sids: list[str], action: str = "kms:Decrypt") -> str:
    """A plain line longer than WHOLE_LINE_MAX: its key policy padded with statements."""
    pad = [f"P{n}" for n in range(60)]
    text = line(rid, sids + pad, action)
    assert len(text) > fastpath.WHOLE_LINE_MAX and fastpath.plain_text(text)
    return text


def test_a_long_plain_line_finds_its_key_policy_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long key policy repeated over lines (an organization's) is compiled once, and
    looked up whole by its text, not statement by statement."""
    fast = FastPolicies(1 << 22, 1 << 22, 1 << 22)
    assert fast.answer(long_line("a", ["S1", "S2"])) == (True, "a", "allowed")
    assert [k[0] for k in fast.policies.entries] == ["key"]
    compiled = len(fast.statements)

    def no_compile(*args: Any) -> Any:
        raise AssertionError("compiled again")

    monkeypatch.setattr(FastPolicies, "_compile_decoded", no_compile)
    got = fast.answer(long_line("b", ["S1", "S2"], "kms:Encrypt"))
    assert got == (True, "b", "implicit_deny")
    assert len(fast.statements) == compiled


def test_a_long_plain_line_with_a_duplicate_sid_is_reported() -> None:
    """The fast path takes the Sids out of the decoded statements; a line it gives up is
    decoded again, so the general path still sees (and reports) the duplicate."""
    bad = long_line("c", ["D", "D"])
    fast = FastPolicies(1 << 22, 1 << 22, 1 << 22)
    assert fast.answer(bad) is None
    (got,) = answers([bad])
    assert "duplicate Sid 'D'" in got["error"]
    assert answers([bad]) == answers([bad], explain=True)


@pytest.mark.parametrize("extra", [{}, NOT_PLAIN], ids=["plain", "not-plain"])
def test_a_repeated_request_is_answered_without_decoding(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    fast = FastPolicies(1 << 20, 1 << 20, 1 << 20)
    first = line("first", ["S1", "S2"], **extra)
    assert fast.answer(first) == (True, "first", "allowed")

    def no_split(*args: Any) -> Any:
        raise AssertionError("decoded again")

    monkeypatch.setattr(fastpath, "split_request", no_split)
    monkeypatch.setattr(FastPolicies, "decide", no_split)
    again = first.replace('"id":"first"', '"id":"again"', 1)
    assert fast.answer(again) == (True, "again", "allowed")
    # a line that names its id twice is never answered from the cache by its first id
    twice = again.replace('"action"', '"id":"last","action"', 1)
    with pytest.raises(AssertionError, match="decoded again"):
        fast.answer(twice)


@pytest.mark.parametrize("extra", [{}, NOT_PLAIN], ids=["plain", "not-plain"])
def test_a_request_with_two_ids_is_not_cached_under_the_first(extra: dict[str, Any]) -> None:
    fast = FastPolicies(1 << 20, 1 << 20, 1 << 20)
    twice = line("first", ["S1"], **extra).replace('"action"', '"id":"last","action"', 1)
    assert fast.answer(twice) == (True, "last", "allowed")  # JSON keeps the last member
    # the same line with another first id: still the last id, whatever the cache holds
    other = twice.replace('"id":"first"', '"id":"other"', 1)
    assert fast.answer(other) == (True, "last", "allowed")
    spaced = twice.replace('"id":"last"', '"id" : "last"', 1)
    assert fast.answer(spaced.replace('"id":"first"', '"id":"x"', 1)) == (True, "last", "allowed")
    assert fast.answer(spaced.replace('"id":"first"', '"id":"y"', 1)) == (True, "last", "allowed")


def test_split_request_keeps_every_statement_text() -> None:
    text = line("x", ["S1", "S2"])
    split = split_request(text)
    assert split is not None
    data, docs, ids = split
    assert data == json.loads(text) and ids == 1
    policy_text, stmt_texts = docs["key_policy"]
    assert json.loads(policy_text) == data["key_policy"]
    assert [json.loads(t) for t in stmt_texts] == data["key_policy"]["Statement"]
    spaced = json.dumps(json.loads(text), indent=1).replace("\n", " ")
    split2 = split_request(spaced)
    assert split2 is not None and split2[0] == data
    assert [json.loads(t) for t in split2[1]["key_policy"][1]] == data["key_policy"]["Statement"]
    for bad in ("", " {}", '{"a":1,}', '{"a":1} x', '{"key_policy":{"Statement":[1,]}}', "{"):
        assert split_request(bad) is None


# ------------------------------------------------------------------ bounded by bytes


def test_byte_lru_keeps_under_its_bound_and_drops_the_oldest() -> None:
    lru = ByteLRU(100)
    for n in range(10):
        lru.put(n, str(n), 30)
        assert lru.bytes == sum(cost for _, cost in lru.entries.values()) <= 100
    assert list(lru.entries) == [7, 8, 9]
    assert lru.get(7) == "7"  # a hit becomes the most recent
    lru.put(10, "10", 30)
    assert list(lru.entries) == [9, 7, 10]
    lru.put(11, "too big", 101)
    assert 11 not in lru.entries and lru.bytes == 90
    lru.put(9, "again", 10)  # a new value for a key replaces its cost
    assert lru.bytes == 70


def test_the_fast_caches_stay_within_their_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[FastPolicies] = []

    class Recording(FastPolicies):
        def __init__(self, *bounds: int) -> None:
            super().__init__(*bounds)
            made.append(self)

    monkeypatch.setattr(batch, "FastPolicies", Recording)
    monkeypatch.setattr(batch, "FAST_CACHE_BYTES", (200_000, 100_000, 20_000))
    rng = random.Random(3)
    lines = [
        line(f"r{n}", [f"S{rng.randrange(10**6)}" for _ in range(20)], "kms:DescribeKey").replace(
            KEY[:-4], f"{KEY[:-4]}{n:05d}"
        )  # every statement different
        for n in range(60)
    ]
    got = answers(lines)
    assert [a.get("decision") for a in got] == ["allowed"] * 60
    (fast,) = made
    for cache, bound in (
        (fast.statements, 200_000),
        (fast.policies, 100_000),
        (fast.requests, 20_000),
    ):
        assert cache.bytes == sum(cost for _, cost in cache.entries.values()) <= bound
    assert 0 < len(fast.statements) < 60 * 20


def test_the_shared_compile_tables_are_emptied_after_so_much_new_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "SHARED_CLEAR_BYTES", 10_000)
    engine.clear_shared_caches()
    for n in range(200):
        answers([line(f"r{n}", ["S"]).replace(ADMIN, f"{ADMIN}{n}")])
        # each table holds at most what about 10,000 bytes of text compiled into
        assert engine._compile_principals.cache_info().currsize <= 60
    assert engine._compile_principals.cache_info().currsize > 0


@pytest.mark.parametrize("mode", ["classic", "aws-shapes"])
def test_generated_corpora_answer_alike_and_mostly_on_the_decision_path(mode: str) -> None:
    lines = [
        json.dumps(r, separators=(",", ":")) for r in request_generator().generate(5, 400, mode)
    ]
    fast = FastPolicies(1 << 24, 1 << 24, 1 << 24)
    answered = sum(1 for text in lines if (got := fast.answer(text)) is not None and got[0])
    assert answered >= 0.9 * len(lines)  # the path is taken, not merely correct
    quick, general = answers(lines), answers(lines, explain=True)
    assert [(q["id"], q.get("decision"), q.get("error")) for q in quick] == [
        (g["id"], g.get("decision"), g.get("error")) for g in general
    ]
