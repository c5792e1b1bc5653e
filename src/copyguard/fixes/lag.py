"""Fixes for copies into and out of logically air-gapped (LAG) vaults (CG206-CG210).

A customer managed LAG key gets AWS's statements for the principals its copies need (the copy
role through ``backup.*.amazonaws.com``; the destination's AWSServiceRoleForBackup when
copying out), proven by the evaluator: every request of every copy allowed, no decision
changed for anyone else, and a second run changes nothing. What no policy edit fixes gets a
playbook.
"""

from __future__ import annotations

from copyguard.checks.analysis import allow_all_identity
from copyguard.checks.lag import KeyRequest, judge_requests, key_requests
from copyguard.checks.model import Finding, Fix, Report, Text, tr
from copyguard.evaluate import Request, evaluate_kms
from copyguard.fixes.key_policy import FixVerificationError, copy_document, render_diff, unproven
from copyguard.knowledge.lag import LagKeyStatement, lag_facts
from copyguard.policy import Policy, PolicyError, parse_policy
from copyguard.records import field, record
from copyguard.scenario import Organization, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: the statements copyguard adds, by whom they are for: (Sid of the use statement, of the grant)
SIDS = {
    "copy-role": (
        "Allow use of the key for copy (copyguard)",
        "Allow AWS Backup to create grant on the key for copy (copyguard)",
    ),
    "destination-slr": (
        "Allow the destination's AWS Backup role to use the key for copy out (copyguard)",
        "Allow the destination's AWS Backup role grants for copy out (copyguard)",
    ),
}
_PROBE_ACCOUNT = "999988887777"


@record(slots=True)
class _Need:
    key_arn: str
    principals: dict[str, list[str]] = field(default_factory=dict)  # who -> principals
    codes: list[str] = field(default_factory=list)


def _statements(who: str) -> tuple[LagKeyStatement, ...]:
    facts = lag_facts()
    return facts.copy_role_statements if who == "copy-role" else facts.destination_slr_statements


def patch(doc: dict[str, Any], who: str, principals: list[str]) -> dict[str, Any]:
    """``doc`` with AWS's statements for ``principals`` (added, or extended by principal)."""
    out = copy_document(doc)
    body = out.setdefault("Statement", [])
    if isinstance(body, dict):
        body = out["Statement"] = [body]
    for sid, st in zip(SIDS[who], _statements(who), strict=True):
        existing = next((s for s in body if isinstance(s, dict) and s.get("Sid") == sid), None)
        if existing is None:
            cond: dict[str, Any] = {}
            if st.grant_is_for_aws_resource:
                cond["Bool"] = {"kms:GrantIsForAWSResource": "true"}
            if st.via_service:
                cond["StringLike"] = {"kms:ViaService": st.via_service}
            new: dict[str, Any] = {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": sorted(principals)},
                "Action": list(st.patterns),
                "Resource": "*",
            }
            if cond:
                new["Condition"] = cond
            body.append(new)
            continue
        aws = existing.setdefault("Principal", {}).get("AWS", [])
        names = [aws] if isinstance(aws, str) else list(aws)
        existing["Principal"]["AWS"] = sorted(set(names) | set(principals))
    return out


def _requests(need: _Need, region: str, org_id: str | None) -> list[KeyRequest]:
    out: list[KeyRequest] = []
    for who, principals in need.principals.items():
        for p in principals:
            out += key_requests(p, who, _statements(who), region, org_id)
    return out


def _outside_unchanged(before: Policy, after: Policy, key_arn: str, region: str) -> int:
    """Requests of principals the fix does not name decide the same before and after."""
    identity = [allow_all_identity()]
    probes = [
        f"arn:aws:iam::{_PROBE_ACCOUNT}:root",
        f"arn:aws:iam::{_PROBE_ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole",
        f"arn:aws:iam::{_PROBE_ACCOUNT}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
    ]
    checked = 0
    for who in SIDS:
        for probe in probes:
            for r in key_requests(probe, who, _statements(who), region, None):
                req = Request(r.principal, r.action, key_arn, r.context)
                a = evaluate_kms(req, before, identity).decision
                b = evaluate_kms(req, after, identity).decision
                if a != b:
                    raise FixVerificationError(
                        f"the fix changes {r.action} for {probe} ({a} -> {b})"
                    )
                checked += 1
    return checked


def _prove(
    key_arn: str, policy: Policy, need: _Need, org_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    region = key_arn.split(":")[3]
    doc = policy.document
    patched = doc
    for who, principals in need.principals.items():
        patched = patch(patched, who, principals)
    try:
        after = parse_policy(patched, name=policy.name, kind="key")
    except PolicyError as exc:
        raise FixVerificationError(f"the patched policy is invalid: {exc}") from None
    requests = _requests(need, region, org_id)
    still = judge_requests(key_arn, after, requests)
    if still:
        raise FixVerificationError(
            "the fix does not allow " + ", ".join(f"{a} ({d})" for a, d in sorted(still.items()))
        )
    again = patched
    for who, principals in need.principals.items():
        again = patch(again, who, principals)
    if again != patched:
        raise FixVerificationError("applying the fix twice changes the policy again")
    checked = _outside_unchanged(policy, after, key_arn, region)
    return patched, {
        "required_requests_allowed": len(requests),
        "outside_requests_unchanged": checked,
        "idempotent": True,
    }


def _describe(need: _Need) -> Text:
    who = {
        "copy-role": ("the copy role", "复制角色"),
        "destination-slr": (
            "the destination's AWSServiceRoleForBackup",
            "目标账户的 AWSServiceRoleForBackup",
        ),
    }
    names_en = "; ".join(
        f"{who[w][0]} {', '.join(sorted(p))}" for w, p in sorted(need.principals.items())
    )
    names_zh = ";".join(
        f"{who[w][1]} {', '.join(sorted(p))}" for w, p in sorted(need.principals.items())
    )
    return tr(
        f"Allow {names_en} to use the logically air-gapped vault's key {need.key_arn} for copies "
        "(AWS's statements for logically air-gapped vaults).",
        f"允许{names_zh}使用逻辑隔离保管库的密钥 {need.key_arn} 进行复制(AWS 为逻辑隔离保管库给出的语句)。",
    )


def _playbook(f: Finding) -> Fix | None:
    ev = f.evidence
    steps: list[Text]
    if f.code == "CG206":
        if ev.get("reason") == "unencrypted":
            steps = [
                tr(
                    "Encrypt the cluster with a customer managed key (restore an encrypted copy of a "
                    "snapshot), then back it up and copy it again.",
                    "使用客户托管密钥加密该集群(从快照还原一个加密副本),然后重新备份并复制。",
                )
            ]
        else:
            steps = [
                tr(
                    "Re-encrypt the resource with a customer managed key (copy its snapshot with a new "
                    "KMS key and restore from it), or keep its backups in the standard vault only.",
                    "使用客户托管密钥重新加密该资源(用新的 KMS 密钥复制其快照并从中还原),"
                    "或仅将其备份保留在标准保管库中。",
                )
            ]
    elif f.code == "CG208":
        steps = [
            tr(
                "Copy out of the logically air-gapped vault into a vault created with a customer "
                "managed key (aws backup create-backup-vault --encryption-key-arn CMK_ARN).",
                "将备份从逻辑隔离保管库复制到使用客户托管密钥创建的保管库"
                "(aws backup create-backup-vault --encryption-key-arn CMK_ARN)。",
            )
        ]
    elif f.code == "CG209":
        steps = [
            tr(
                "Copy within the account and Region first, or choose a logically air-gapped vault "
                "in a Region where this copy is available.",
                "先在同一账户和区域内复制,或选择在支持此复制的区域中的逻辑隔离保管库。",
            )
        ]
    elif f.code == "CG210":
        steps = [
            tr(
                "Start the copy from the account that owns the logically air-gapped vault, with a "
                "role of that account; the accounts it is shared with can restore instead.",
                "请从拥有该逻辑隔离保管库的账户、使用该账户的角色启动复制;共享账户可以改为执行还原。",
            )
        ]
    else:
        return None
    return Fix(
        kind="playbook",
        resource=f.resource,
        applicability="display-only",
        description=f.title,
        codes=[f.code],
        steps=steps,
        region=f.resource.split(":")[3] if f.resource and f.resource.count(":") >= 5 else None,
    )


def lag_fixes(scenario: Scenario, report: Report) -> list[Fix]:
    """The LAG fixes the report's CG206-CG210 findings call for."""
    fixes: list[Fix] = []
    needs: dict[str, _Need] = {}
    for f in report.findings:
        if f.code not in ("CG207", "CG208") or f.fix is None or f.fix.kind != "key-policy":
            continue
        if f.fix.applicability != "safe" or not f.resource:
            continue  # a Deny blocks the copy: loosening it is never proposed as safe
        who = "copy-role" if f.code == "CG207" else "destination-slr"
        principal = f.evidence.get("principal")
        if not isinstance(principal, str):
            continue
        need = needs.setdefault(f.resource, _Need(f.resource))
        names = need.principals.setdefault(who, [])
        if principal not in names:
            names.append(principal)
        if f.code not in need.codes:
            need.codes.append(f.code)
    org = scenario.organization
    org_id = org.id if isinstance(org, Organization) and isinstance(org.id, str) else None
    for key_arn, need in sorted(needs.items()):
        key = scenario.key(key_arn)
        if key is None:
            continue
        policy = key.policy
        if policy is None:
            policy = parse_policy({"Version": "2012-10-17", "Statement": []}, kind="key")
        if not isinstance(policy, Policy):
            continue
        try:
            patched, verification = _prove(key.arn, policy, need, org_id)
        except FixVerificationError as exc:
            report.findings.append(unproven(key.arn, str(exc)))
            continue
        fixes.append(
            Fix(
                kind="key-policy",
                resource=key.arn,
                applicability="safe",
                description=_describe(need),
                policy=patched,
                original=policy.document,
                diff=render_diff(policy.document, patched, "key policy"),
                principal=", ".join(sorted(p for ps in need.principals.values() for p in ps)),
                codes=sorted(need.codes),
                verification=verification,
                region=key.region,
                account=key.account,
            )
        )
    seen: set[tuple[str, str | None]] = set()
    for f in report.findings:
        if f.code not in ("CG206", "CG208", "CG209", "CG210") or f.fix is None:
            continue
        if f.fix.kind != "playbook" or (f.code, f.resource) in seen:
            continue
        seen.add((f.code, f.resource))
        pb = _playbook(f)
        if pb is not None:
            fixes.append(pb)
    return fixes
