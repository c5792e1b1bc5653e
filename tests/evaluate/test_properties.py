"""Invariants of the evaluator, checked on generated policies and requests (hypothesis).

* adding a Deny statement never grants access;
* adding an Allow statement never turns an allowed request into a denied one;
* the order of statements never matters;
* parsing is idempotent: a document parsed from a dict and from its JSON text evaluates the
  same, and a parsed policy's document round-trips.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copyguard.evaluate import Decision, Request, evaluate_kms
from copyguard.policy import Policy, PolicyError, parse_policy

KEY_ACCT, DEST, THIRD = "111122223333", "444455556666", "777788889999"
KEY = f"arn:aws:kms:us-east-1:{KEY_ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = f"arn:aws:kms:eu-west-1:{KEY_ACCT}:key/ffff0000-12ab-34cd-56ef-1234567890ab"

PRINCIPALS = [
    f"arn:aws:iam::{KEY_ACCT}:role/KeyUser",
    f"arn:aws:iam::{KEY_ACCT}:role/app/KeyAdmin",
    f"arn:aws:sts::{KEY_ACCT}:assumed-role/KeyUser/s1",
    f"arn:aws:iam::{KEY_ACCT}:root",
    f"arn:aws:iam::{DEST}:role/BackupCopyRole",
    f"arn:aws:sts::{DEST}:assumed-role/BackupCopyRole/job",
    f"arn:aws:iam::{DEST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
    f"arn:aws:iam::{THIRD}:user/alice",
    "backup.amazonaws.com",
]
POLICY_PRINCIPALS = [
    "*",
    {"AWS": "*"},
    {"AWS": f"arn:aws:iam::{KEY_ACCT}:root"},
    {"AWS": KEY_ACCT},
    {"AWS": f"arn:aws:iam::{DEST}:root"},
    {"AWS": [f"arn:aws:iam::{KEY_ACCT}:role/KeyUser", f"arn:aws:iam::{DEST}:root"]},
    {"AWS": f"arn:aws:iam::{KEY_ACCT}:role/app/KeyAdmin"},
    {"AWS": f"arn:aws:iam::{DEST}:role/BackupCopyRole"},
    {"AWS": f"arn:aws:sts::{KEY_ACCT}:assumed-role/KeyUser/s1"},
    {"Service": "backup.amazonaws.com"},
]
ACTIONS = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:CreateGrant",
    "kms:DescribeKey",
    "kms:ReEncryptFrom",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:RetireGrant",
]
ACTION_PATTERNS = [
    *ACTIONS,
    "kms:*",
    "*",
    "kms:Describe*",
    "kms:*Grant*",
    "kms:ReEncrypt*",
    "KMS:decrypt",
]
RESOURCES = ["*", KEY, OTHER_KEY, f"arn:aws:kms:*:{KEY_ACCT}:key/*", "arn:aws:kms:eu-*:*:*"]
CONDITIONS = [
    {"StringEquals": {"kms:CallerAccount": DEST}},
    {"StringNotEquals": {"kms:CallerAccount": THIRD}},
    {"StringEqualsIfExists": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
    {"StringLike": {"kms:ViaService": "backup.*.amazonaws.com"}},
    {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    {"BoolIfExists": {"aws:SecureTransport": "true"}},
    {"Null": {"kms:ViaService": "true"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/*"}},
    {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["a", "b"]}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    {"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
]
CONTEXT_ITEMS = {
    "kms:ViaService": st.sampled_from(
        ["ec2.us-east-1.amazonaws.com", "backup.eu-west-1.amazonaws.com"]
    ),
    "kms:GrantIsForAWSResource": st.sampled_from(["true", "false"]),
    "aws:SecureTransport": st.sampled_from(["true", "false"]),
    "aws:PrincipalOrgID": st.sampled_from(["o-a1b2c3d4e5", "o-other"]),
    "aws:PrincipalOrgPaths": st.lists(
        st.sampled_from(["o-a1b2c3d4e5/r-1/ou-1/", "o-other/r-2/"]), max_size=2
    ),
    "kms:EncryptionContextKeys": st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
    "aws:CurrentTime": st.sampled_from(["2026-05-01T00:00:00Z", "2031-05-01T00:00:00Z"]),
}


@st.composite
def statements(draw: Any, kind: str = "key", effect: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    if kind == "key":
        principal_elem = "NotPrincipal" if draw(st.integers(0, 9)) == 0 else "Principal"
        out[principal_elem] = draw(st.sampled_from(POLICY_PRINCIPALS))
    action_elem = "NotAction" if draw(st.integers(0, 9)) == 0 else "Action"
    out[action_elem] = draw(
        st.one_of(
            st.sampled_from(ACTION_PATTERNS),
            st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3),
        )
    )
    resource_elem = "NotResource" if draw(st.integers(0, 9)) == 0 else "Resource"
    out[resource_elem] = draw(st.sampled_from(RESOURCES))
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))
    if conditions:
        merged: dict[str, Any] = {}
        for cond in conditions:
            for op, block in cond.items():
                merged.setdefault(op, {}).update(block)
        out["Condition"] = merged
    return out


def document(stmts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": stmts}


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    ctx_keys = draw(st.lists(st.sampled_from(sorted(CONTEXT_ITEMS)), unique=True, max_size=4))
    return {
        "principal": draw(st.sampled_from(PRINCIPALS)),
        "action": draw(st.sampled_from(ACTIONS)),
        "resource": KEY,
        "context": {k: draw(CONTEXT_ITEMS[k]) for k in ctx_keys},
        "key": draw(st.lists(statements("key"), min_size=1, max_size=5)),
        "identity": draw(st.lists(statements("identity"), max_size=3)),
        "scps": draw(st.lists(st.lists(statements("scp"), min_size=1, max_size=2), max_size=2)),
    }


def parse(stmts: list[dict[str, Any]], kind: str, name: str) -> Policy:
    return parse_policy(document(stmts), name=name, kind=kind)  # type: ignore[arg-type]


def decide(
    s: dict[str, Any],
    key: list[dict[str, Any]] | None = None,
    identity: list[dict[str, Any]] | None = None,
) -> Decision:
    request = Request(s["principal"], s["action"], s["resource"], dict(s["context"]))
    kp = parse(key if key is not None else s["key"], "key", "key_policy")
    ids = (
        [parse(identity if identity is not None else s["identity"], "identity", "iam")]
        if (identity if identity is not None else s["identity"])
        else []
    )
    scps = [parse(p, "scp", f"scp{i}") for i, p in enumerate(s["scps"])]
    return evaluate_kms(request, kp, ids, scps)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(), statements("key", effect="Deny"), st.integers(0, 5))
def test_adding_a_deny_never_grants(s: dict[str, Any], extra: dict[str, Any], at: int) -> None:
    before = decide(s).decision
    key = list(s["key"])
    key.insert(min(at, len(key)), extra)
    after = decide(s, key=key).decision
    if before != "allowed":
        assert after != "allowed"
    else:
        assert after in ("allowed", "explicit_deny")


@SETTINGS
@given(scenarios(), statements("identity", effect="Deny"))
def test_adding_an_identity_deny_never_grants(s: dict[str, Any], extra: dict[str, Any]) -> None:
    before = decide(s).decision
    after = decide(s, identity=[*s["identity"], extra]).decision
    if before != "allowed":
        assert after != "allowed"


@SETTINGS
@given(scenarios(), statements("key", effect="Allow"), statements("identity", effect="Allow"))
def test_adding_an_allow_never_denies(
    s: dict[str, Any], key_extra: dict[str, Any], id_extra: dict[str, Any]
) -> None:
    before = decide(s).decision
    after_key = decide(s, key=[*s["key"], key_extra]).decision
    after_id = decide(s, identity=[*s["identity"], id_extra]).decision
    if before == "allowed":
        assert after_key == "allowed"
        assert after_id == "allowed"
    if before == "explicit_deny":  # an Allow never lifts an explicit Deny
        assert after_key == "explicit_deny"
        assert after_id == "explicit_deny"


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_statement_order_never_matters(s: dict[str, Any], rnd: Any) -> None:
    before = decide(s).decision
    key, identity = list(s["key"]), list(s["identity"])
    rnd.shuffle(key)
    rnd.shuffle(identity)
    assert decide(s, key=key, identity=identity).decision == before


def _request(s: dict[str, Any]) -> Request:
    return Request(s["principal"], s["action"], s["resource"], dict(s["context"]))


@SETTINGS
@given(scenarios())
def test_parsing_is_idempotent(s: dict[str, Any]) -> None:
    doc = document(s["key"])
    from_dict = parse_policy(doc, name="kp", kind="key")
    from_text = parse_policy(json.dumps(doc, indent=2), name="kp", kind="key")
    from_bytes = parse_policy(json.dumps(doc).encode(), name="kp", kind="key")
    assert from_dict.statements == from_text.statements == from_bytes.statements
    again = parse_policy(from_dict.document, name="kp", kind="key")
    assert again.statements == from_dict.statements
    assert json.loads(json.dumps(from_dict.document)) == doc  # the document round-trips
    request = _request(s)
    decisions = {
        evaluate_kms(request, p).decision for p in (from_dict, from_text, from_bytes, again)
    }
    assert len(decisions) == 1


@SETTINGS
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=8), children, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_parser_never_crashes(doc: Any) -> None:
    """Any JSON value is either a policy or a PolicyError: never another exception."""
    for kind in ("key", "identity", "scp", "rcp"):
        try:
            parse_policy(doc if isinstance(doc, dict) else json.dumps(doc), kind=kind)  # type: ignore[arg-type]
        except PolicyError as exc:
            assert exc.errors


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "Sid",
                "Effect",
                "Principal",
                "NotPrincipal",
                "Action",
                "NotAction",
                "Resource",
                "NotResource",
                "Condition",
                "Other",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=6),
            st.lists(st.text(max_size=6), max_size=2),
            st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
            st.sampled_from(["Allow", "Deny", "*", "kms:*", KEY]),
        ),
        max_size=7,
    )
)
def test_statement_parser_never_crashes(raw: dict[str, Any]) -> None:
    for kind in ("key", "identity", "scp", "rcp"):
        try:
            policy = parse_policy(document([raw]), kind=kind)  # type: ignore[arg-type]
        except PolicyError as exc:
            assert all(i.path for i in exc.errors if "JSON" not in i.message)
        else:
            evaluate_kms(Request(PRINCIPALS[0], "kms:Decrypt", KEY), policy)
