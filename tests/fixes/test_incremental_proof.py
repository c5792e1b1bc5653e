"""The fix proof's "no decision changed outside the destination" is incremental: only the
requests some added, removed or edited statement applies to are evaluated against both whole
policies. These tests hold it to the exhaustive reference (every probe against both policies)
on generated policies and changes: the same count of probes and the same changed decisions,
in the same order, whether the change is safe or not.
"""

from __future__ import annotations

import copy
from typing import Any

from cg_factory import DST, SRC, SRC_KEY, root
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fix_properties import THIRD, extra_statement

from copyguard.evaluate import Request, evaluate_kms
from copyguard.fixes import key_policy
from copyguard.fixes.key_policy import _outside_changes_full, outside_changes
from copyguard.policy import parse_policy

OUTSIDER = "999999999999"  # one of the proof's probe accounts
ROOT_STATEMENT = {
    "Sid": "Enable IAM User Permissions",
    "Effect": "Allow",
    "Principal": {"AWS": root(SRC)},
    "Action": "kms:*",
    "Resource": "*",
}


def _doc(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [ROOT_STATEMENT, *statements]}


@st.composite
def change(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A policy and a changed copy of it: statements added, removed, or edited (a principal
    added, the effect flipped, the condition dropped), any of which may touch outsiders."""
    before = draw(st.lists(extra_statement(), max_size=5))
    after = copy.deepcopy(before)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["add", "remove", "principal", "effect", "condition"]))
        if op == "add" or not after:
            after.append(draw(extra_statement()))
            continue
        i = draw(st.integers(0, len(after) - 1))
        st_ = after[i]
        if op == "remove":
            del after[i]
        elif op == "principal" and isinstance(st_.get("Principal"), dict):
            extra = draw(st.sampled_from([root(DST), root(THIRD), DST, root(SRC)]))
            current = st_["Principal"]["AWS"]
            st_["Principal"]["AWS"] = [
                *(current if isinstance(current, list) else [current]),
                extra,
            ]
        elif op == "effect":
            st_["Effect"] = "Deny" if st_["Effect"] == "Allow" else "Allow"
        else:
            st_.pop("Condition", None)
    return _doc(before), _doc(after)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(change())
def test_incremental_outside_proof_equals_the_full_one(pair: tuple[dict, dict]) -> None:
    before = parse_policy(pair[0], name="key policy", kind="key")
    after = parse_policy(pair[1], name="key policy", kind="key")
    assert outside_changes(before, after, SRC_KEY, DST) == _outside_changes_full(
        before, after, SRC_KEY, DST
    )


def test_a_change_for_an_outsider_is_found_and_the_rest_is_skipped(monkeypatch: Any) -> None:
    """A change that lets another account decrypt is reported; the probes no changed
    statement applies to are counted but not evaluated (fewer evaluate_kms calls)."""
    before = parse_policy(_doc([]), name="key policy", kind="key")
    widened = _doc(
        [
            {
                "Sid": "Outsider",
                "Effect": "Allow",
                "Principal": {"AWS": root(OUTSIDER)},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ]
    )
    after = parse_policy(widened, name="key policy", kind="key")
    calls = {"n": 0}

    def counting(request: Request, *args: Any, **kw: Any) -> Any:
        calls["n"] += 1
        return evaluate_kms(request, *args, **kw)

    monkeypatch.setattr(key_policy, "evaluate_kms", counting)
    checked, changed = outside_changes(before, after, SRC_KEY, DST)
    incremental_calls = calls["n"]
    calls["n"] = 0
    assert (checked, changed) == _outside_changes_full(before, after, SRC_KEY, DST)
    assert any(c.startswith(f"{root(OUTSIDER)} kms:Decrypt ") for c in changed)
    assert checked > 0
    assert calls["n"] == 2 * checked  # the full proof evaluates every probe twice
    assert incremental_calls < calls["n"] // 2
