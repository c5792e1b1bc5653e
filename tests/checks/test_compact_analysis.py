"""The compact, shared analysis of a run (issue 11, bench/README.md "Figures, fifth round"):

- a source-key view keeps a :class:`Verdict` per decision, not the decision with its request
  and explanation; :meth:`SourceKeyView.decision` evaluates the whole decision again, and it is
  the decision the analysis made, with the same explanation;
- views share their alternatives, verdicts and action results (``SharedParts``), and the
  destination's probes (vault access policy, destination key) are computed once per distinct
  input (``AnalysisCache.shared``), not per copy;
- none of it changes a report: the same reports as an analysis per copy with nothing shared,
  on generated scenarios (keys, vaults and copies of several kinds).
"""

from __future__ import annotations

import gc
import json
import random
from typing import Any

import pytest

from copyguard import api
from copyguard.checks import analysis, destination
from copyguard.checks.analysis import AnalysisCache, SourceKeyView, Verdict, allow_all_identity
from copyguard.evaluate import Decision, Request
from copyguard.evaluate.engine import explain_policy
from copyguard.evaluate.explainer import Explainer
from copyguard.evaluate.request import build_context, parse_principal
from copyguard.report import render
from copyguard.scenario import build_scenario
from repo_scripts import check_scale_bench

SRC, SRC2, DST, THIRD = "111122223333", "222233334444", "444455556666", "777788889999"
ORG = "o-exampleorg1"
REGIONS = ("us-east-1", "eu-west-1")
SLR = f"arn:aws:iam::{DST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    None,
    {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    {"StringEquals": {"kms:CallerAccount": DST}},
    {"StringEquals": {"kms:CallerAccount": THIRD}},
    {"StringEquals": {"kms:ViaService": "ec2.us-east-1.amazonaws.com"}},
    {"StringLike": {"kms:ViaService": "rds.*.amazonaws.com"}},
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg123"}},
    {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:ebs:id"]}},
    {"StringEquals": {"kms:EncryptionContext:service": "backup"}},
]
ACTIONS = [
    "kms:*",
    ["kms:Decrypt", "kms:DescribeKey"],
    ["kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
    ["kms:CreateGrant", "kms:ListGrants"],
    ["kms:Sign", "kms:Verify"],
]


def _key_id(rng: random.Random) -> str:
    bits = [rng.getrandbits(n) for n in (32, 16, 12, 12, 48)]
    return f"{bits[0]:08x}-{bits[1]:04x}-4{bits[2]:03x}-8{bits[3]:03x}-{bits[4]:012x}"


def _statement(rng: random.Random, account: str) -> dict[str, Any]:
    principal = rng.choice(
        [f"arn:aws:iam::{DST}:root", DST, SLR, f"arn:aws:iam::{THIRD}:root", "*", account]
    )
    effect = "Deny" if rng.random() < 0.15 else "Allow"
    st: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal if principal == "*" else {"AWS": principal},
        "Action": rng.choice(ACTIONS),
        "Resource": "*",
    }
    condition = rng.choice(CONDITIONS)
    if condition is not None or principal == "*":
        st["Condition"] = condition or {"StringEquals": {"kms:CallerAccount": DST}}
    if rng.random() < 0.5:
        st["Sid"] = f"S{rng.randrange(100)}"
    return st


def _key_policy(rng: random.Random, account: str) -> dict[str, Any]:
    statements = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    statements += [_statement(rng, account) for _ in range(rng.randint(0, 5))]
    if rng.random() < 0.5:  # some keys share the bench's common shape
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
                "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:CreateGrant"],
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _vault_policy(rng: random.Random) -> dict[str, Any] | None:
    kind = rng.choice(["accounts", "accounts", "org", "deny", "none", "role"])
    if kind == "none":
        return None
    allow: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{SRC}:root", f"arn:aws:iam::{SRC2}:root"]},
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
    }
    if kind == "org":
        allow["Principal"] = "*"
        allow["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    if kind == "role":
        allow["Principal"] = {"AWS": f"arn:aws:iam::{SRC}:role/copier"}
    statements = [allow]
    if kind == "deny":
        statements.append(
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{SRC2}:root"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def generated(seed: int, n_keys: int = 8, n_vaults: int = 4, n_copies: int = 40) -> dict[str, Any]:
    """A scenario document: source keys with random policies (several copies per key), source
    vaults with keys, destination vaults with their own keys and access policies."""
    rng = random.Random(seed)
    keys: list[dict[str, Any]] = []
    source_keys: list[tuple[str, str, str]] = []
    for i in range(n_keys):
        account = (SRC, SRC2)[i % 2]
        region = REGIONS[i % 3 == 2]
        arn = f"arn:aws:kms:{region}:{account}:key/{_key_id(rng)}"
        source_keys.append((arn, account, region))
        keys.append(
            {
                "arn": arn,
                "manager": "CUSTOMER",
                "state": rng.choice(["Enabled"] * 6 + ["Disabled"]),
                "policy": _key_policy(rng, account),
            }
        )
    destination_keys = []
    for j in range(max(1, n_vaults // 2)):
        arn = f"arn:aws:kms:us-east-1:{DST}:key/{_key_id(rng)}"
        principal = f"arn:aws:iam::{DST}:root" if j % 3 != 2 else f"arn:aws:iam::{DST}:role/a"
        keys.append(
            {
                "arn": arn,
                "manager": "CUSTOMER",
                "state": "Enabled",
                "policy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": principal},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            }
        )
        destination_keys.append(arn)
    vaults: list[dict[str, Any]] = []
    for arn, account, region in source_keys[:2]:  # source vaults (fully managed types)
        vaults.append({"arn": f"arn:aws:backup:{region}:{account}:backup-vault:local", "key": arn})
    destinations = []
    for j in range(n_vaults):
        region = REGIONS[j % 2]
        arn = f"arn:aws:backup:{region}:{DST}:backup-vault:central-{j}"
        vault: dict[str, Any] = {
            "arn": arn,
            "key": destination_keys[j % len(destination_keys)],
            "lock": {"min_retention_days": 7, "max_retention_days": 3650},
        }
        policy = _vault_policy(rng)
        if policy is not None:
            vault["access_policy"] = policy
        vaults.append(vault)
        destinations.append(arn)
    copies: list[dict[str, Any]] = []
    for c in range(n_copies):
        arn, account, region = source_keys[c % n_keys]
        kind = rng.choice(["EBS", "EBS", "RDS", "EFS"])
        copy: dict[str, Any] = {
            "name": f"copy-{c}",
            "resource_type": kind,
            "destination_vault": rng.choice(destinations),
            "lifecycle": {"delete_after_days": rng.choice([35, 35, 3])},
        }
        if kind == "EFS":
            local = source_keys[c % 2]
            copy["source_vault"] = f"arn:aws:backup:{local[2]}:{local[1]}:backup-vault:local"
            copy["resource_arn"] = (
                f"arn:aws:elasticfilesystem:{local[2]}:{local[1]}:file-system/fs-{c:08x}"
            )
        else:
            copy["source_vault"] = f"arn:aws:backup:{region}:{account}:backup-vault:local"
            copy["resource_key"] = arn
            copy["resource_arn"] = (
                f"arn:aws:ec2:{region}:{account}:volume/vol-{c:017x}"
                if kind == "EBS"
                else f"arn:aws:rds:{region}:{account}:db:db-{c}"
            )
        if rng.random() < 0.2:
            copy["iam_role_arn"] = f"arn:aws:iam::{account}:role/copier"
        copies.append(copy)
    return {
        "version": 1,
        "organization": {
            "id": ORG,
            "accounts": [SRC, SRC2, DST],
            "cross_account_backup_enabled": True,
        },
        "keys": keys,
        "vaults": vaults,
        "copies": copies,
    }


SEEDS = range(6)


def _reports(doc: dict[str, Any]) -> tuple[str, ...]:
    report = api.check_scenario(build_scenario(json.loads(json.dumps(doc))))
    return tuple(render(report, fmt, "en", tool_version="t") for fmt in ("json", "text", "sarif"))


def _per_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run as before sharing: an analysis per copy, no shared parts, probes per copy."""

    def view(self: AnalysisCache, *args: Any, **kwargs: Any) -> SourceKeyView:
        self.computed += 1
        return analysis.analyse_source_key(*args, **kwargs)  # parts=None: nothing shared

    def shared(self: AnalysisCache, kind: str, anchors: Any, values: Any, compute: Any) -> Any:
        return compute()

    monkeypatch.setattr(AnalysisCache, "view", view)
    monkeypatch.setattr(AnalysisCache, "shared", shared)


@pytest.mark.parametrize("seed", SEEDS)
def test_sharing_gives_the_reports_of_an_analysis_per_copy(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = generated(seed)
    shared = _reports(doc)
    _per_copy(monkeypatch)
    alone = _reports(doc)
    assert shared == alone
    codes = {f["code"] for f in json.loads(shared[0])["findings"]}
    assert "CG101" in codes  # the scenarios do fail in several ways
    assert len(codes) >= 3


def test_sharing_gives_the_reports_of_an_analysis_per_copy_on_the_bench_scenario(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = _bench_scenario(120)
    shared = _reports(doc)
    _per_copy(monkeypatch)
    assert _reports(doc) == shared


def _views(doc: dict[str, Any]) -> list[SourceKeyView]:
    report = api.check_scenario(build_scenario(doc))
    assert report.analyses is not None
    return [view for _anchors, view in report.analyses._entries.values()]


def _expected(policy: Any, request: Request) -> list[dict[str, Any]]:
    principal = parse_principal(request.principal)
    ctx = build_context(request, principal)
    out = []
    for p in (policy, allow_all_identity()):
        out += explain_policy(p, principal, request.action, request.resource, ctx)
    return [r.to_dict() for r in out]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_decision_evaluated_again_is_the_one_the_analysis_made(seed: int) -> None:
    views = _views(generated(seed))
    assert views
    checked = 0
    for view in views:
        for action, result in view.results.items():
            for index, (alt, verdict) in enumerate(result.decisions):
                decision = view.decision(action, index)
                assert isinstance(decision, Decision)
                assert decision.decision == verdict.decision
                assert decision.summary == verdict.summary
                assert tuple(decision.deciding) == verdict.deciding
                assert tuple(decision.notes) == verdict.notes
                assert decision.request.context == alt.context
                assert decision.request.action == action
                assert [r.to_dict() for r in decision.statements()] == _expected(
                    view.policy, decision.request
                )
                checked += 1
    assert checked > 100


def _reachable(root: object) -> list[object]:
    """Every object reachable from ``root`` through containers and records (not the policies,
    whose compiled forms are the key's, nor classes and modules)."""
    seen: dict[int, object] = {}
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (type, str, int)) or obj is None:
            continue
        if type(obj).__name__ in ("Policy", "Key"):
            continue
        seen[id(obj)] = obj
        todo.extend(gc.get_referents(obj))
    return list(seen.values())


def test_a_view_keeps_no_request_decision_or_explainer() -> None:
    views = _views(generated(1))
    for view in views:
        kept = _reachable(view.results)
        assert not [o for o in kept if isinstance(o, (Decision, Request, Explainer))]
        assert any(isinstance(o, Verdict) for o in kept)


def _bench_scenario(n: int) -> dict[str, Any]:
    """bench/bench_check_scale.py's scenario of ``n`` copies (n/10 keys, n/20 vaults)."""
    doc: dict[str, Any] = check_scale_bench().generate(n, 5, "copies")
    return doc


def test_views_share_alternatives_verdicts_and_results() -> None:
    views = _views(_bench_scenario(200))
    assert len(views) >= 20
    alternatives = [a for v in views for r in v.results.values() for a, _ in r.decisions]
    verdicts = [d for v in views for r in v.results.values() for _, d in r.decisions]
    results = [r for v in views for r in v.results.values()]
    # many views, few distinct objects: the same alternatives and verdicts are one object each
    assert len({id(a) for a in alternatives}) * 4 < len(alternatives)
    assert len({id(d) for d in verdicts}) * 2 < len(verdicts)
    assert len({id(r) for r in results}) < len(results)
    for view in views:
        assert all(result.action == action for action, result in view.results.items())


def test_destination_probes_run_once_per_distinct_input(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = destination.destination_key_blocked

    def counting(key_arn: str, policy: Any, dest: str) -> dict[str, str]:
        calls.append((key_arn, dest))
        return real(key_arn, policy, dest)

    monkeypatch.setattr(destination, "destination_key_blocked", counting)
    doc = generated(3, n_vaults=6, n_copies=60)
    report = api.check_scenario(build_scenario(doc))
    assert calls
    assert len(calls) == len(set(calls))  # once per key and destination, not per copy
    assert len(calls) < len(doc["copies"]) // 4
    blocked = [f for f in report.findings if f.code == "CG203"]
    assert blocked  # one destination key does not let the service-linked role use it
    # every copy into a vault of that key has its finding, each with its own evidence
    assert len({id(f.evidence["actions"]) for f in blocked}) == len(blocked)


def test_statement_evidence_is_one_object_per_key() -> None:
    report = api.check_scenario(build_scenario(generated(4, n_keys=3, n_copies=30)))
    evidence = [
        f.evidence["statements"]
        for f in report.findings
        if f.code == "CG101" and "statements" in f.evidence
    ]
    assert len(evidence) > 3
    assert len({id(e) for e in evidence}) < len(evidence)  # shared by the copies of a view
