"""Wildcard matching is linear (GitHub issue 7): no regex is built from policy text, a
pattern with thousands of ``*`` matches in milliseconds, and the answers are exactly those
of the regex translation it replaced (checked against that translation on random input)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.evaluate import Request, evaluate_kms, evaluate_resource_policy
from copyguard.evaluate.patterns import (
    arn_like,
    arn_pattern_matcher,
    arn_segments_matcher,
    glob_match,
    resource_matcher,
    resource_segments_matcher,
    segments_matcher,
)
from copyguard.policy import parse_policy

SRC = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = f"arn:aws:iam::{SRC}:role/R"
STARS = 5000


# --------------------------------------------------------------- the reference (regex)
def ref_glob(tokens: list[tuple[bool, str]], ignore_case: bool = False) -> re.Pattern[str]:
    parts = []
    for literal, text in tokens:
        for ch in text:
            if not literal and ch == "*":
                parts.append(".*")
            elif not literal and ch == "?":
                parts.append(".")
            else:
                parts.append(re.escape(ch))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def ref_arn(tokens: list[tuple[bool, str]], pad: bool) -> re.Pattern[str] | None:
    out: list[str] = []
    colons = 0
    for literal, text in tokens:
        for ch in text:
            if ch == ":" and colons < 5:
                colons += 1
                out.append(":")
            elif literal or ch not in "*?":
                out.append(re.escape(ch))
            elif colons < 5:
                out.append("[^:]*" if ch == "*" else "[^:]")
            else:
                out.append(".*" if ch == "*" else ".")
    if colons < 5:
        if not pad:
            return None
        while colons < 5:
            colons += 1
            out.append(":[^:]*" if colons < 5 else ":.*")
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def ref_resource(pattern: str) -> re.Pattern[str] | None:
    if pattern == "*":
        return re.compile(".*", re.DOTALL)
    if pattern.startswith("arn:"):
        return ref_arn([(False, pattern)], "*" in pattern and pattern.count(":") < 5)
    return ref_glob([(False, pattern)])


def ref_arn_pattern(tokens: list[tuple[bool, str]]) -> re.Pattern[str] | None:
    text = "".join(t for _, t in tokens)
    if text.count(":") < 4:
        return None
    if text.count(":") == 4:
        tokens = [*tokens, (True, ":")]
    return ref_arn(tokens, pad=False)


def ref_match(rx: re.Pattern[str] | None, value: str) -> bool:
    return rx is not None and rx.match(value) is not None


def got(m: Any, value: str) -> bool:
    return m is not None and bool(m.match(value))


# small alphabets make matches, near-misses and overlaps likely
PATTERN = st.text(alphabet="ab*?", max_size=10)
VALUE = st.text(alphabet="ab", max_size=12)
TOKENS = st.lists(st.tuples(st.booleans(), st.text(alphabet="ab*?:", max_size=6)), max_size=5)
ARN_PATTERN = st.lists(st.sampled_from(["a", "b", "*", "?", ":", "arn:"]), max_size=14).map("".join)
ARN_VALUE = st.lists(st.sampled_from(["a", "b", ":", "arn:"]), max_size=14).map("".join)


@settings(max_examples=600, deadline=None)
@given(PATTERN, VALUE)
def test_glob_agrees_with_the_regex_translation(pattern: str, value: str) -> None:
    assert glob_match(pattern, value) == ref_match(ref_glob([(False, pattern)]), value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aAbB*?", max_size=8), st.text(alphabet="aAbB", max_size=10))
def test_glob_ignoring_case_agrees(pattern: str, value: str) -> None:
    expected = ref_match(ref_glob([(False, pattern)], ignore_case=True), value)
    assert glob_match(pattern, value, ignore_case=True) == expected


@settings(max_examples=600, deadline=None)
@given(TOKENS, st.text(alphabet="ab*?:", max_size=12))
def test_literal_tokens_never_act_as_wildcards(tokens: list[tuple[bool, str]], value: str) -> None:
    assert got(segments_matcher(tokens), value) == ref_match(ref_glob(tokens), value)


@settings(max_examples=600, deadline=None)
@given(ARN_PATTERN, ARN_VALUE)
def test_arn_like_agrees_segment_by_segment(pattern: str, value: str) -> None:
    expected = (
        ref_match(
            ref_arn_pattern([(False, pattern)]), value if value.count(":") >= 5 else value + ":"
        )
        if value.startswith("arn:") and value.count(":") >= 4
        else False
    )
    assert arn_like(pattern, value) == expected
    assert (arn_pattern_matcher(pattern) is None) == (ref_arn_pattern([(False, pattern)]) is None)


@settings(max_examples=400, deadline=None)
@given(TOKENS, ARN_VALUE)
def test_arn_templates_agree(tokens: list[tuple[bool, str]], value: str) -> None:
    tokens = [(True, "arn:"), *tokens]
    assert got(arn_segments_matcher(tokens), value) == ref_match(ref_arn_pattern(tokens), value)


@settings(max_examples=600, deadline=None)
@given(ARN_PATTERN, ARN_VALUE)
def test_resource_patterns_agree(pattern: str, value: str) -> None:
    assert got(resource_matcher(pattern), value) == ref_match(ref_resource(pattern), value)


@settings(max_examples=300, deadline=None)
@given(TOKENS, ARN_VALUE)
def test_resource_templates_agree(tokens: list[tuple[bool, str]], value: str) -> None:
    for toks in (tokens, [(False, "arn:"), *tokens]):
        text = "".join(t for _, t in toks)
        if text.startswith("arn:"):
            pad = text.count(":") < 5 and any(not lit and "*" in t for lit, t in toks)
            rx = ref_arn(toks, pad)
        else:
            rx = ref_glob(toks)
        assert got(resource_segments_matcher(toks), value) == ref_match(rx, value)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("arn:aws:kms:*:*:key/*", KEY, True),
        ("arn:aws:kms:*", KEY, True),
        ("arn:aws:kms:us-*-1:1111*:key/????abcd-*", KEY, True),
        ("arn:aws:*:us-east-1:*:*", "arn:aws:kms:us-east-1::", True),
        (
            "arn:aws:k*s:us-east-1:111122223333:key/*",
            "arn:aws:k:x:s:us-east-1:111122223333:key/1",
            False,
        ),
        ("arn:aws:backup:*:*:backup-vault:*", "arn:aws:backup:us-east-1:1:backup-vault:a:b", True),
    ],
)
def test_arn_segments_examples(pattern: str, value: str, expected: bool) -> None:
    assert got(resource_matcher(pattern), value) is expected


# --------------------------------------------------------------- no backtracking
def _timed(fn: Any) -> tuple[Any, float]:
    """CPU seconds of this thread: a backtracking matcher takes minutes to hours on these
    patterns, a linear one milliseconds; CPU time keeps a loaded machine out of the bound."""
    started = time.thread_time()
    result = fn()
    return result, time.thread_time() - started


def _key_policy(statement: dict[str, Any]) -> Any:
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ROLE}, "Resource": "*", **statement}
            ],
        },
        kind="key",
    )


def test_a_5000_star_string_like_pattern_is_matched_in_milliseconds() -> None:
    pattern = "*a" * STARS + "b"  # a regex backtracks over every way to place the stars
    policy = _key_policy(
        {"Action": "kms:Decrypt", "Condition": {"StringLike": {"kms:EncryptionContext:k": pattern}}}
    )
    for value, expected in (("a" * STARS, "implicit_deny"), ("a" * STARS + "b", "allowed")):
        request = Request(ROLE, "kms:Decrypt", KEY, {"kms:EncryptionContext:k": value})
        decision, seconds = _timed(lambda r=request: evaluate_kms(r, policy))
        assert decision.decision == expected
        assert seconds < 2.0, f"{seconds:.2f} s for a {STARS}-star pattern"


def test_a_star_pattern_never_stalls_a_process() -> None:
    """In a subprocess with a time-out, so a backtracking matcher fails instead of hanging
    (a regex needed 45 s for 10 stars against 40 characters)."""
    code = (
        "from copyguard.evaluate import Request, evaluate_kms\n"
        "from copyguard.policy import parse_policy\n"
        f"ROLE, KEY = {ROLE!r}, {KEY!r}\n"
        "st = {'Effect': 'Allow', 'Principal': {'AWS': ROLE}, 'Action': 'kms:Decrypt',"
        " 'Resource': '*', 'Condition': {'StringLike': {'kms:EncryptionContext:k': '*a' * 5000 + 'b'}}}\n"
        "p = parse_policy({'Version': '2012-10-17', 'Statement': [st]}, kind='key')\n"
        "r = Request(ROLE, 'kms:Decrypt', KEY, {'kms:EncryptionContext:k': 'a' * 40})\n"
        "print(evaluate_kms(r, p).decision)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, env=env
    )
    assert proc.stdout.strip() == "implicit_deny", proc.stderr


def test_a_5000_star_arn_like_pattern_is_matched_in_milliseconds() -> None:
    arn = f"arn:aws:iam::{SRC}:role/" + "a" * STARS
    pattern = f"arn:aws:iam::{SRC}:role/" + "*a" * STARS + "b"
    policy = _key_policy(
        {"Action": "kms:Decrypt", "Condition": {"ArnLike": {"aws:PrincipalArn": pattern}}}
    )
    request = Request(ROLE, "kms:Decrypt", KEY, {"aws:PrincipalArn": arn})
    decision, seconds = _timed(lambda: evaluate_kms(request, policy))
    assert decision.decision == "implicit_deny"
    assert seconds < 2.0


def test_many_star_action_and_resource_patterns_are_matched_in_milliseconds() -> None:
    action = "kms:" + "*e" * 2000 + "x"
    resource = "arn:aws:backup:us-east-1:" + SRC + ":backup-vault:" + "*a" * STARS + "b"
    vault_policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "backup:*", "Resource": resource},
                {"Effect": "Allow", "Principal": "*", "Action": action, "Resource": "*"},
            ],
        },
        kind="resource",
    )
    vault = f"arn:aws:backup:us-east-1:{SRC}:backup-vault:" + "a" * 60
    request = Request(ROLE, "backup:CopyIntoBackupVault", vault, {})
    decision, seconds = _timed(lambda: evaluate_resource_policy(request, vault_policy))
    assert decision.decision == "implicit_deny"
    assert seconds < 2.0
    key_request = Request(ROLE, "kms:" + "e" * 40, KEY, {})
    decision, seconds = _timed(lambda: evaluate_resource_policy(key_request, vault_policy))
    assert decision.decision == "implicit_deny"
    assert seconds < 2.0


def test_no_regex_is_compiled_from_policy_text() -> None:
    """The matchers never reach ``re``: a pattern full of regex syntax is plain text."""
    import copyguard.evaluate.engine as engine
    import copyguard.evaluate.operators.string as string
    import copyguard.evaluate.patterns as patterns

    for module in (engine, string, patterns):
        assert not hasattr(module, "re"), f"{module.__name__} still imports re"
    assert glob_match("(a+)+$*", "(a+)+$ and more")
    assert not glob_match("[ab]", "a")


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a?", "a", False),
        ("a?", "ab", True),
        ("*?", "", False),
        ("**", "", True),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("*ab*ab*", "abab", True),
        ("*ab*ab*", "aba", False),
        ("?*?", "x\ny", True),
        ("kms:*Grant*", "kms:ListRetirableGrants", True),
    ],
)
def test_glob_edge_cases(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected
    assert ref_match(ref_glob([(False, pattern)]), value) is expected
