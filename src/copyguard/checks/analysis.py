"""Per-copy analysis shared by the checks: which key is the source key, and what the key
policy says to each request the copy makes, under every context AWS does not pin down."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from copyguard.checks.facts import (
    ACTION_SPECIFIC_KEYS,
    GRANT_ACTIONS,
    REQUIRED_ACTIONS,
    TypeFacts,
    is_placeholder_key,
    slr_arn,
)
from copyguard.checks.model import Text, tr
from copyguard.evaluate import Decision, Request, evaluate_kms
from copyguard.policy import Policy, parse_policy
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario

ALLOW_ALL_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
MAX_ALTERNATIVES = 64


def allow_all_identity() -> Policy:
    """Stands for the destination role's own IAM side, which is not the user's to change."""
    return parse_policy(
        ALLOW_ALL_IDENTITY, name="destination IAM (assumed to allow)", kind="identity"
    )


@dataclass(slots=True)
class Alternative:
    context: dict[str, str | list[str]]
    assumptions: list[Text]


@dataclass(slots=True)
class ActionResult:
    action: str
    decision: str  # allowed | implicit_deny | explicit_deny | depends
    decisions: list[tuple[Alternative, Decision]]

    @property
    def worst(self) -> Decision:
        order = {"explicit_deny": 0, "implicit_deny": 1, "allowed": 2}
        return min((d for _, d in self.decisions), key=lambda d: order[d.decision])

    def allowed_under(self) -> list[Alternative]:
        return [a for a, d in self.decisions if d.allowed]

    def denied_under(self) -> list[Alternative]:
        return [a for a, d in self.decisions if not d.allowed]


@dataclass(slots=True)
class SourceKeyView:
    """What the source key policy says to the destination for one copy."""

    key_arn: str
    key: Key | None
    caller: str
    results: dict[str, ActionResult] = field(default_factory=dict)

    @property
    def failing(self) -> dict[str, ActionResult]:
        return {
            a: r
            for a, r in self.results.items()
            if r.decision in ("implicit_deny", "explicit_deny")
        }

    @property
    def depends(self) -> dict[str, ActionResult]:
        return {a: r for a, r in self.results.items() if r.decision == "depends"}


def referenced_keys(policy: Policy) -> dict[str, list[str]]:
    """Lower-cased condition keys the policy tests, with the literal values it tests them for."""
    out: dict[str, list[str]] = {}
    for st in policy.statements:
        for cond in st.conditions:
            out.setdefault(cond.key.lower(), []).extend(v for v in cond.values if "${" not in v)
    return out


def _absent_for(action: str, key: str) -> bool:
    """True when a request for ``action`` can never carry condition key ``key`` (for example
    ``kms:GrantIsForAWSResource`` on ``kms:Decrypt``): no alternative is needed, it is absent."""
    known = ACTION_SPECIFIC_KEYS.get(key.lower())
    if known is not None:
        return action.lower() not in known
    if key.lower().startswith("aws:"):
        return False  # KMS supports every global key (each present only in some requests)
    try:
        from copyguard.knowledge import action_supports_condition_key
    except ImportError:  # pragma: no cover - the knowledge layer ships with the package
        return False
    return action_supports_condition_key(action, key) is False


def _sample(pattern: str) -> str:
    return pattern.replace("*", "x").replace("?", "x")


def source_key_arn(scenario: Scenario, copy: Copy, facts: TypeFacts) -> tuple[Any, str]:
    """(the source key ARN or UNKNOWN/None, "vault" | "resource" | "depends")."""
    if facts.fully_managed is True:
        vault = scenario.vault(copy.source_vault)
        if vault is None:
            return UNKNOWN, "vault"
        return vault.key, "vault"
    if facts.fully_managed is False:
        return copy.resource_key, "resource"
    return UNKNOWN, "depends"


def build_alternatives(
    policy: Policy,
    copy_region: str | None,
    key_region: str | None,
    destination: str,
    caller: str,
    facts: TypeFacts | None,
    org_id: Any,
    org_paths: list[str] | None,
    action: str,
    overrides: dict[str, str | list[str]],
) -> list[Alternative]:
    refs = referenced_keys(policy)
    names = {c.key.lower(): c.key for st in reversed(policy.statements) for c in st.conditions}
    base: dict[str, str | list[str]] = {
        "kms:CallerAccount": destination,
        "aws:PrincipalAccount": destination,
        "aws:PrincipalArn": caller,
        "aws:PrincipalIsAWSService": "false",
        "aws:PrincipalType": "AssumedRole",
    }
    if action in GRANT_ACTIONS:
        base["kms:GrantIsForAWSResource"] = "true"
    choices: list[list[tuple[str, Any, Text | None]]] = []  # per key: (key, value|None, assumption)

    if isinstance(org_id, str):
        base["aws:PrincipalOrgID"] = org_id
    elif "aws:principalorgid" in refs:
        vals = sorted(set(refs["aws:principalorgid"]))[:2]
        opts: list[tuple[str, Any, Text | None]] = [
            (
                "aws:PrincipalOrgID",
                v,
                tr(f"the destination account is in organization {v}", f"目标账户属于组织 {v}"),
            )
            for v in vals
        ]
        opts.append(
            (
                "aws:PrincipalOrgID",
                "o-notthisorg0",
                tr(
                    "the destination account is in a different organization than the policy names",
                    "目标账户所属组织不是策略中指定的组织",
                ),
            )
        )
        choices.append(opts)
    if org_paths:
        base["aws:PrincipalOrgPaths"] = list(org_paths)
    elif "aws:principalorgpaths" in refs:
        vals = sorted(set(refs["aws:principalorgpaths"]))[:2]
        opts = [
            (
                "aws:PrincipalOrgPaths",
                [_sample(v)],
                tr(
                    f"the destination account's organization path matches {v}",
                    f"目标账户的组织路径匹配 {v}",
                ),
            )
            for v in vals
        ]
        opts.append(
            (
                "aws:PrincipalOrgPaths",
                ["o-notthisorg0/r-x/"],
                tr(
                    "the destination account's organization path is outside the one the policy names",
                    "目标账户的组织路径不在策略指定的范围内",
                ),
            )
        )
        choices.append(opts)

    if "kms:viaservice" in refs:
        choices.append(
            _via_service_choices(refs["kms:viaservice"], facts, key_region, copy_region, base)
        )
        if not choices[-1]:
            choices.pop()

    for key, values in sorted(refs.items()):
        if key in {k.lower() for k in base} or key in {c[0][0].lower() for c in choices if c}:
            continue
        if _absent_for(action, key):
            continue  # KMS never puts this key in a request for this action
        if key in ("aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"):
            continue  # absent: the call comes from AWS, not from the customer's network
        if key.startswith("aws:principaltag/"):
            continue  # absent: AWSServiceRoleForBackup carries no tags
        if key in ("aws:viaawsservice",):
            choices.append(
                [
                    (
                        "aws:ViaAWSService",
                        "true",
                        tr(
                            "KMS sees the call as made through an AWS service",
                            "KMS 认为该调用经由 AWS 服务发出",
                        ),
                    ),
                    (
                        "aws:ViaAWSService",
                        "false",
                        tr(
                            "KMS sees the call as made by the role itself",
                            "KMS 认为该调用由角色本身发出",
                        ),
                    ),
                ]
            )
            continue
        name = names.get(key, key)
        opts = [(name, None, tr(f"the copy's requests carry no {name}", f"复制请求不带 {name}"))]
        for v in sorted(set(values))[:2]:
            opts.append(
                (
                    name,
                    _sample(v),
                    tr(
                        f"the copy's requests carry {name} = {_sample(v)}",
                        f"复制请求带有 {name} = {_sample(v)}",
                    ),
                )
            )
        choices.append(opts)

    for k, pinned in overrides.items():  # the user's word wins, and removes the alternative
        base[k] = pinned
        choices = [c for c in choices if c and c[0][0].lower() != k.lower()]

    alternatives: list[Alternative] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_ALTERNATIVES):
        ctx = dict(base)
        assumptions: list[Text] = []
        for key, value, assumption in combo:
            if value is not None:
                ctx[key] = value
            if assumption is not None:
                assumptions.append(assumption)
        alternatives.append(Alternative(ctx, assumptions))
    return alternatives or [Alternative(dict(base), [])]


def _regions_named(values: list[str]) -> list[str]:
    """The Regions named by kms:ViaService values such as ``ec2.eu-west-1.amazonaws.com``."""
    out = []
    for v in values:
        parts = v.lower().split(".")
        if (
            len(parts) == 4
            and parts[2:] == ["amazonaws", "com"]
            and "*" not in parts[1]
            and "?" not in parts[1]
        ):
            out.append(parts[1])
    return sorted(set(out))


def _via_service_choices(
    values: list[str],
    facts: TypeFacts | None,
    key_region: str | None,
    copy_region: str | None,
    base: dict[str, str | list[str]],
) -> list[tuple[str, Any, Text | None]]:
    """The kms:ViaService values the copy's requests may carry (pinned into ``base`` when
    there is only one). Without a known Region (the quick form without --key-arn) every
    Region the policy names is tried, plus one it does not name, each stated as an assumption."""
    regions = sorted({r for r in (key_region, copy_region) if r})
    region_known = bool(regions)
    if not region_known:
        named = _regions_named(values)
        regions = [*named, next(r for r in ("us-east-1", "eu-west-1") if r not in named)]

    def note(en: str, zh: str, region: str) -> Text:
        if region_known:
            return tr(en, zh)
        return tr(
            f"{en}, assuming the key is in {region} (its Region is not given: pass --key-arn)",
            f"{zh},假设密钥位于 {region}(未提供其区域:可用 --key-arn 指定)",
        )

    via = facts.via_service if facts else None
    opts: list[tuple[str, Any, Text | None]] = []
    if facts is None or not facts.known or via is None:
        for svc in ("ec2", "rds", "fsx", "backup"):
            for r in regions:
                opts.append(
                    (
                        "kms:ViaService",
                        f"{svc}.{r}.amazonaws.com",
                        note(
                            f"the copy's calls come through {svc}.{r}.amazonaws.com (the resource type is not known)",
                            f"复制调用经由 {svc}.{r}.amazonaws.com(资源类型未知)",
                            r,
                        ),
                    )
                )
        opts.append(
            (
                "kms:ViaService",
                None,
                tr("the copy's calls carry no kms:ViaService", "复制调用不带 kms:ViaService"),
            )
        )
    elif facts.fully_managed is not False and via in ("backup", None):
        for r in regions:
            opts.append(
                (
                    "kms:ViaService",
                    f"backup.{r}.amazonaws.com",
                    note(
                        f"AWS Backup calls the key through backup.{r}.amazonaws.com (UNCONFIRMED by AWS)",
                        f"AWS Backup 经由 backup.{r}.amazonaws.com 调用密钥(AWS 未确认)",
                        r,
                    ),
                )
            )
        opts.append(
            (
                "kms:ViaService",
                None,
                tr(
                    "AWS Backup's calls on the vault key carry no kms:ViaService (UNCONFIRMED by AWS)",
                    "AWS Backup 对保管库密钥的调用不带 kms:ViaService(AWS 未确认)",
                ),
            )
        )
    elif len(regions) == 1 and region_known:
        base["kms:ViaService"] = f"{via}.{regions[0]}.amazonaws.com"
    else:
        for r in regions:
            opts.append(
                (
                    "kms:ViaService",
                    f"{via}.{r}.amazonaws.com",
                    note(
                        f"the copy's calls on the source key come through {via}.{r}.amazonaws.com",
                        f"对源密钥的调用经由 {via}.{r}.amazonaws.com",
                        r,
                    ),
                )
            )
    return opts


def analyse_source_key(
    scenario: Scenario,
    copy: Copy,
    key_arn: str,
    key: Key | None,
    policy: Policy,
    facts: TypeFacts | None,
    destination: str,
    overrides: dict[str, str | list[str]],
    actions: tuple[str, ...] = REQUIRED_ACTIONS,
    caller: str | None = None,
) -> SourceKeyView:
    caller = caller or slr_arn(destination)
    identity = [allow_all_identity()]
    org = scenario.organization
    org_id = getattr(org, "id", UNKNOWN) if org is not UNKNOWN else UNKNOWN
    paths = getattr(org, "paths", {}).get(destination) if org is not UNKNOWN else None
    key_region: str | None = key_arn.split(":")[3] if key_arn.count(":") >= 5 else None
    copy_region = copy.destination_region
    if is_placeholder_key(key_arn):  # the quick form without --key-arn: the Region is unknown
        key_region = copy_region = None
    view = SourceKeyView(key_arn, key, caller)
    for action in actions:
        alts = build_alternatives(
            policy,
            copy_region,
            key_region,
            destination,
            caller,
            facts,
            org_id,
            paths,
            action,
            overrides,
        )
        decisions = [
            (a, evaluate_kms(Request(caller, action, key_arn, a.context), policy, identity))
            for a in alts
        ]
        kinds = {d.decision for _, d in decisions}
        value: str
        if len(kinds) == 1:
            value = kinds.pop()
        elif "allowed" in kinds:
            value = "depends"
        else:
            value = "explicit_deny" if "explicit_deny" in kinds else "implicit_deny"
        view.results[action] = ActionResult(action, value, decisions)
    return view
