"""CG107's least-privilege probes skip the requests of a principal no key-policy Allow names
(issue 11: the quick form's run-time work). KMS allows a request only when a key-policy Allow
applies to it, so such a principal is allowed nothing; these tests hold the shortcut to
evaluating every probe, on generated key policies (Deny, NotPrincipal, ``*`` with
conditions, the seed article's statements ...)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from cg_factory import DST, SRC, SRC_KEY, root
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fix_properties import extra_statement

from copyguard.checks import source_key
from copyguard.checks.analysis import allow_all_identity
from copyguard.checks.facts import EXTRA_CROSS_ACCOUNT_ACTIONS, slr_arn
from copyguard.evaluate import Request, evaluate_kms
from copyguard.policy import Policy, parse_policy


def _every_probe(caller: str, key_arn: str, policy: Policy, dest: str) -> tuple[Any, bool]:
    """The probes of ``_least_privilege``, each evaluated (the reference)."""
    identity = [allow_all_identity()]
    base: dict[str, str | list[str]] = {
        "kms:CallerAccount": dest,
        "aws:PrincipalAccount": dest,
        "aws:PrincipalArn": caller,
    }
    extra: list[str] = []
    grant = {**base, "kms:GrantIsForAWSResource": "false"}
    if evaluate_kms(Request(caller, "kms:CreateGrant", key_arn, grant), policy, identity).allowed:
        extra.append("kms:CreateGrant without kms:GrantIsForAWSResource")
    for action in EXTRA_CROSS_ACCOUNT_ACTIONS:
        if evaluate_kms(Request(caller, action, key_arn, base), policy, identity).allowed:
            extra.append(action)
    third = "arn:aws:iam::999999999999:role/outsider"
    outsider = evaluate_kms(Request(third, "kms:Decrypt", key_arn, {}), policy, identity).allowed
    return tuple(extra), outsider


def _check(statements: list[dict[str, Any]], caller: str) -> None:
    policy = parse_policy(
        {"Version": "2012-10-17", "Statement": statements}, name="key policy", kind="key"
    )
    view = SimpleNamespace(caller=caller)
    key = SimpleNamespace(arn=SRC_KEY)
    got = source_key._least_privilege(view, key, policy, DST)  # type: ignore[arg-type]
    assert got == _every_probe(caller, SRC_KEY, policy, DST)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(extra_statement(), max_size=5),
    st.booleans(),
    st.sampled_from([slr_arn(DST), f"arn:aws:iam::{DST}:role/backup-copy", root(DST)]),
)
def test_skipping_unnamed_principals_gives_the_same_answer(
    statements: list[dict[str, Any]], with_root: bool, caller: str
) -> None:
    root_statement = {
        "Effect": "Allow",
        "Principal": {"AWS": root(SRC)},
        "Action": "kms:*",
        "Resource": "*",
    }
    _check([root_statement, *statements] if with_root else statements or [root_statement], caller)


def test_the_seed_policy_names_neither_the_destination_nor_an_outsider() -> None:
    statements = [
        {"Effect": "Allow", "Principal": {"AWS": root(SRC)}, "Action": "kms:*", "Resource": "*"}
    ]
    policy = parse_policy({"Version": "2012-10-17", "Statement": statements}, kind="key")
    assert not source_key._key_policy_names(policy, slr_arn(DST))
    assert not source_key._key_policy_names(policy, "arn:aws:iam::999999999999:role/outsider")
    assert source_key._key_policy_names(policy, root(SRC))
    _check(statements, slr_arn(DST))


OUTSIDER_ROOT = "arn:aws:iam::999999999999:root"


def _allow(principal: Any, action: Any = "kms:*", condition: Any = None) -> dict[str, Any]:
    st_: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": "*",
    }
    if condition:
        st_["Condition"] = condition
    return st_


@given(
    st.sampled_from(
        [
            [_allow("*")],  # everyone: the destination and any outsider
            [_allow({"AWS": "*"}, ["kms:Decrypt", "kms:ReEncrypt*"])],
            [_allow({"AWS": OUTSIDER_ROOT}, "kms:Decrypt")],
            [_allow({"AWS": root(DST)})],
            [_allow({"AWS": root(DST)}, "kms:CreateGrant")],
            [_allow({"AWS": slr_arn(DST)}, ["kms:Decrypt", "kms:CreateGrant"])],
            [
                {
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": root(SRC)},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
            [_allow("*"), {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
        ]
    ),
    st.sampled_from([slr_arn(DST), root(DST)]),
)
def test_principals_that_are_named_are_still_evaluated(
    statements: list[dict[str, Any]], caller: str
) -> None:
    _check(statements, caller)


def test_an_unconditioned_star_is_found_for_the_outsider() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [_allow("*")]}, kind="key")
    view = SimpleNamespace(caller=slr_arn(DST))
    extra, outsider = source_key._least_privilege(
        view,  # type: ignore[arg-type]
        SimpleNamespace(arn=SRC_KEY),  # type: ignore[arg-type]
        policy,
        DST,
    )
    assert outsider is True
    assert "kms:CreateGrant without kms:GrantIsForAWSResource" in extra
