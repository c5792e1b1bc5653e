"""CG101-CG107: the source key and its policy, as the destination sees them."""

from __future__ import annotations

from copyguard.checks.analysis import ActionResult, SourceKeyView, allow_all_identity
from copyguard.checks.base import CheckContext, unknown
from copyguard.checks.facts import EXTRA_CROSS_ACCOUNT_ACTIONS, REQUIRED_ACTIONS
from copyguard.checks.model import Finding, FixRef, NotRun, Text, tr
from copyguard.evaluate import Request, evaluate_kms, explain_policy, parse_principal
from copyguard.evaluate.request import build_context
from copyguard.policy import Policy, Statement
from copyguard.scenario import UNKNOWN, Key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


def key_is_aws_managed(key: Key | None, arn: Any) -> Any:
    """True, False or UNKNOWN."""
    if key is not None and isinstance(key.manager, str):
        return key.manager == "AWS"
    if isinstance(arn, str) and ":alias/aws/" in arn:
        return True
    if (
        key is not None
        and isinstance(key.aliases, tuple)
        and any(a.startswith("alias/aws/") for a in key.aliases)
    ):
        return True
    return UNKNOWN


def _statement_evidence(
    policy: Policy, view: SourceKeyView, actions: Iterable[str]
) -> list[dict[str, Any]]:
    """The statements involved, compactly: one entry per statement whose Action covers one of
    ``actions`` (first alternative of each action), with whether it applies and each distinct
    reason once; a reason that holds for only some of the actions names them. Computed once
    per view, and the same list is the evidence of every copy that shares the view (a
    finding's evidence is read, not changed: a copy per finding was about a hundred objects
    kept alive per failing copy; bench/README.md, ``bench_check_scale.py``)."""
    actions = tuple(actions)
    memo_key = ("statement_evidence", id(policy), actions)
    hit = view.memo.get(memo_key)
    if hit is None or hit[0] is not policy:
        hit = (policy, _explain_statements(policy, view, actions))
        view.memo[memo_key] = hit
    result: list[dict[str, Any]] = hit[1]
    return result


def _explain_statements(
    policy: Policy, view: SourceKeyView, actions: Iterable[str]
) -> list[dict[str, Any]]:
    considered: dict[str, list[str]] = {}
    applies: dict[str, list[str]] = {}
    reasons: dict[str, dict[str, list[str]]] = {}
    meta: dict[str, dict[str, Any]] = {}
    principal = parse_principal(view.caller)
    for action in actions:
        alt, _ = view.results[action].decisions[0]
        ctx = build_context(Request(view.caller, action, view.key_arn, alt.context), principal)
        for r in explain_policy(policy, principal, action, view.key_arn, ctx):
            st = r.statement
            if not r.applies and any(
                x.startswith(("Action does not", "NotAction does not")) for x in r.reasons
            ):
                continue
            meta.setdefault(
                st.path,
                {"statement": st.path, **({"sid": st.sid} if st.sid else {}), "effect": st.effect},
            )
            considered.setdefault(st.path, []).append(action)
            if r.applies:
                applies.setdefault(st.path, []).append(action)
            for reason in r.reasons:
                reasons.setdefault(st.path, {}).setdefault(reason, []).append(action)
    out: list[dict[str, Any]] = []
    for path, entry in meta.items():
        every = considered[path]
        hit = applies.get(path, [])
        entry["applies"] = bool(hit)
        if hit and len(hit) < len(every):
            entry["applies_to"] = hit
        entry["reasons"] = [
            reason if len(acts) == len(every) else f"{reason} [{', '.join(acts)}]"
            for reason, acts in reasons.get(path, {}).items()
        ]
        out.append(entry)
    return out


def _actions_table(view: SourceKeyView) -> dict[str, str]:
    """{action: decision}, once per view (shared, like :func:`_statement_evidence`)."""
    table: dict[str, str] | None = view.memo.get(("actions_table",))
    if table is None:
        table = {a: r.decision for a, r in view.results.items()}
        view.memo[("actions_table",)] = table
    return table


def _names_destination(st: Statement, destination: str) -> bool:
    if st.principal is not None and not st.principal_negated:
        for _kind, value in st.principal.entries:
            if value == destination or f":{destination}:" in value:
                return True
    return any(any(destination in v for v in cond.values) for cond in st.conditions)


def check_source_key(ctx: CheckContext) -> Iterable[Finding]:
    copy = ctx.copy
    arn, role, key = ctx.source_key()
    facts = ctx.facts
    dest = ctx.destination
    if dest is None:
        yield unknown(
            ctx,
            tr(
                "The destination account is unknown (no destination vault ARN).",
                "目标账户未知(没有目标保管库 ARN)。",
            ),
            "CG101",
            f"{copy.path}.destination_vault",
        )
        return
    if not ctx.cross_account and ctx.source is not None:
        return  # same account: not a cross-account copy, nothing to share
    src_vault = ctx.scenario.vault(copy.source_vault)
    if src_vault is not None and src_vault.logically_air_gapped:
        return  # out of a logically air-gapped vault: its key is judged by CG207/CG208
    if role == "depends":
        yield unknown(
            ctx,
            tr(
                f"Whether {copy.resource_type} is fully managed by AWS Backup depends on a setting "
                "(for DynamoDB: advanced features), so the source key could be the source vault's "
                "key or the table's own key.",
                f"{copy.resource_type} 是否由 AWS Backup 全面管理取决于设置(DynamoDB:高级功能),"
                "因此源密钥可能是源保管库的密钥,也可能是表自身的密钥。",
            ),
            "CG101",
            f"{copy.path}.resource_type",
            notes=[tr(facts.note, facts.note)] if facts and facts.note else [],
        )
        return
    if arn is None:
        return  # an unencrypted resource: no source key to share
    where = f"{copy.path}.resource_key" if role == "resource" else f"{copy.path}.source_vault"
    if arn is UNKNOWN:
        what = (
            tr("the resource's KMS key", "资源的 KMS 密钥")
            if role == "resource"
            else tr("the source vault's KMS key", "源保管库的 KMS 密钥")
        )
        yield unknown(
            ctx,
            tr(
                f"The source key is unknown: {what.en} is not given.",
                f"源密钥未知:未提供{what.zh}。",
            ),
            "CG101",
            where,
        )
        return
    managed = key_is_aws_managed(key, arn)
    if managed is True:
        if facts is not None and facts.fully_managed is False:
            yield Finding(
                code="CG102",
                severity="error",
                message=tr(
                    f"{copy.resource_type} is not fully managed by AWS Backup, so the copy uses the "
                    f"resource's own key {arn}, which is an AWS managed key. Its key policy cannot be "
                    "changed, so no other account can ever use it. Re-encrypt the resource with a "
                    "customer managed key.",
                    f"{copy.resource_type} 不受 AWS Backup 全面管理,复制使用资源自身的密钥 {arn},"
                    "它是 AWS 托管密钥。其密钥策略无法修改,因此任何其他账户都无法使用它。"
                    "请使用客户托管密钥重新加密该资源。",
                ),
                copy=copy.name,
                resource=arn,
                path=where,
                evidence={
                    "key_manager": "AWS",
                    "resource_type": copy.resource_type,
                    "source_key_role": role,
                },
                fix=FixRef("playbook", arn, "display-only"),
            )
        return  # an AWS managed vault key of a fully managed type: AWS's policy, nothing to check
    if key is None:
        yield unknown(
            ctx,
            tr(
                f"The source key {arn} is not described in the scenario (keys[]), so its "
                "state and policy are unknown.",
                f"场景中未描述源密钥 {arn}(keys[]),其状态和策略未知。",
            ),
            "CG101",
            where,
            arn,
        )
        return
    quick = ctx.options.quick  # the quick form lists what it was not given (quick_gaps), no CG902
    if managed is UNKNOWN and facts is not None and facts.fully_managed is False and not quick:
        yield unknown(
            ctx,
            tr(
                f"Whether {arn} is customer managed or AWS managed is unknown.",
                f"无法确定 {arn} 是客户托管密钥还是 AWS 托管密钥。",
            ),
            "CG102",
            f"{key.path}.manager",
            arn,
        )
    if key.state is UNKNOWN:
        if not quick:
            yield unknown(
                ctx,
                tr(f"The state of {arn} is unknown.", f"{arn} 的状态未知。"),
                "CG103",
                f"{key.path}.state",
                arn,
            )
    elif key.state != "Enabled":
        yield Finding(
            code="CG103",
            severity="error",
            message=tr(
                f"The source key {arn} is {key.state}; KMS refuses cryptographic operations "
                "and grants on a key that is not Enabled.",
                f"源密钥 {arn} 的状态为 {key.state};对于未启用(Enabled)的密钥,KMS 拒绝加密操作和授权。",
            ),
            copy=copy.name,
            resource=arn,
            path=f"{key.path}.state",
            evidence={"state": key.state},
            fix=FixRef("playbook", arn, "display-only"),
        )
    if key.policy is UNKNOWN:
        if not key.policy_issues:
            yield unknown(
                ctx,
                tr(f"The key policy of {arn} is unknown.", f"{arn} 的密钥策略未知。"),
                "CG101",
                key.policy_path or f"{key.path}.policy",
                arn,
            )
        return
    if key.policy is None:
        yield Finding(
            code="CG101",
            severity="error",
            message=tr(
                f"{arn} has no key policy, so no one can use it.",
                f"{arn} 没有密钥策略,任何人都无法使用它。",
            ),
            copy=copy.name,
            resource=arn,
            path=key.policy_path,
            evidence={"actions": dict.fromkeys(REQUIRED_ACTIONS, "implicit_deny")},
            fix=FixRef("key-policy", arn, "safe"),
        )
        return
    view = ctx.source_view()
    if view is None or not isinstance(key.policy, Policy):
        return
    yield from _judge_view(ctx, view, key, key.policy)


def quick_gaps(ctx: CheckContext) -> list[NotRun]:
    """The quick form judges what it is given: the source-key codes it could not decide for
    lack of a flag are listed as not run (never turned into CG902)."""
    _arn, _role, key = ctx.source_key()
    facts = ctx.facts
    gaps: list[NotRun] = []
    managed = key_is_aws_managed(key, key.arn if key else None)
    if facts is None:
        gaps.append(
            NotRun(
                "CG102",
                tr(
                    "needs --resource-type (and --key-manager): an AWS managed key can be shared only "
                    "for resource types fully managed by AWS Backup",
                    "需要 --resource-type(以及 --key-manager):只有 AWS Backup 全面管理的资源类型才能共享 AWS 托管密钥",
                ),
            )
        )
    elif not facts.known:
        gaps.append(
            NotRun(
                "CG102",
                tr(
                    f"the resource type {facts.name} is not one copyguard knows, so whether its key may be AWS "
                    "managed is undecided",
                    f"copyguard 不认识资源类型 {facts.name},无法判断其密钥能否为 AWS 托管密钥",
                ),
            )
        )
    elif managed is UNKNOWN and facts.fully_managed is not True:
        gaps.append(
            NotRun(
                "CG102",
                tr(
                    "needs --key-manager (CUSTOMER or AWS): an AWS managed key can never be shared",
                    "需要 --key-manager(CUSTOMER 或 AWS):AWS 托管密钥永远无法共享",
                ),
            )
        )
    if key is not None and key.state is UNKNOWN and managed is not True:
        gaps.append(
            NotRun(
                "CG103",
                tr(
                    "needs --key-state (Enabled, Disabled, PendingDeletion...)",
                    "需要 --key-state(Enabled、Disabled、PendingDeletion……)",
                ),
            )
        )
    return gaps


def _judge_view(
    ctx: CheckContext, view: SourceKeyView, key: Key, policy: Policy
) -> Iterable[Finding]:
    copy = ctx.copy
    dest = ctx.destination or ""
    arn = key.arn
    table = _actions_table(view)
    failing = view.failing
    explicit = {a: r for a, r in failing.items() if r.decision == "explicit_deny"}
    implicit = {a: r for a, r in failing.items() if r.decision == "implicit_deny"}
    caller = view.caller
    if explicit:
        denies = sorted(
            {
                f"{p} {path}" + (f" ({sid})" if sid else "")
                for r in explicit.values()
                for p, path, sid in r.worst.deciding
            }
        )
        yield Finding(
            code="CG104",
            severity="error",
            message=tr(
                f"{', '.join(denies)} explicitly denies {caller} "
                f"{', '.join(sorted(explicit))} on {arn}. A Deny overrides every Allow.",
                f"{', '.join(denies)} 显式拒绝 {caller} 对 {arn} 执行 {', '.join(sorted(explicit))}。"
                "显式拒绝优先于任何允许。",
            ),
            copy=copy.name,
            resource=arn,
            path=key.policy_path,
            evidence={
                "actions": table,
                "caller": caller,
                "deny_statements": denies,
                "statements": _statement_evidence(policy, view, explicit),
            },
            fix=FixRef("key-policy", arn, "unsafe"),
            notes=[
                tr(
                    "Changing a Deny is never an automatic fix: review it with whoever wrote it.",
                    "修改 Deny 语句永远不会作为自动修复:请与其作者一起审查。",
                )
            ],
        )
    if implicit:
        yield Finding(
            code="CG101",
            severity="error",
            message=tr(
                f"The key policy of {arn} does not allow {caller} (account {dest}) "
                f"{len(implicit)} of the {len(view.results)} actions a cross-account copy needs: "
                f'{", ".join(sorted(implicit))}. The copy fails with "Given key ID is not accessible" '
                '(EBS/EC2) or "The source snapshot KMS key ... does not exist, is not enabled or you '
                'do not have permissions to access it" (RDS family).',
                f"{arn} 的密钥策略未允许 {caller}(账户 {dest})执行跨账户复制所需的 "
                f"{len(view.results)} 个操作中的 {len(implicit)} 个:{', '.join(sorted(implicit))}。"
                "复制会失败,报错“无法访问给定的密钥 ID”(EBS/EC2)或“源快照 KMS 密钥不存在、未启用或您无权访问它”(RDS 系列)。",
            ),
            copy=copy.name,
            resource=arn,
            path=key.policy_path,
            evidence={
                "actions": table,
                "caller": caller,
                "statements": _statement_evidence(policy, view, implicit),
            },
            fix=FixRef("key-policy", arn, "safe"),
        )
        yield from _cg105(ctx, view, key, policy, implicit)
    if view.depends:
        groups: dict[tuple[str, str, str, str], list[str]] = {}
        for a, r in sorted(view.depends.items()):
            ok, ko = _conditions_text(r.allowed_under()), _conditions_text(r.denied_under())
            groups.setdefault((ok.en, ko.en, ok.zh, ko.zh), []).append(a)
        every = len(view.results)

        def names(acts: list[str], lang: str) -> str:
            if len(acts) == every:
                return f"all {every} actions" if lang == "en" else f"全部 {every} 个操作"
            return ", ".join(acts)

        lines_en = [
            f"{names(acts, 'en')}: allowed if {ok}; denied if {ko}"
            for (ok, ko, _z1, _z2), acts in groups.items()
        ]
        lines_zh = [
            f"{names(acts, 'zh')}:若{okz}则允许;若{koz}则拒绝"
            for (_e1, _e2, okz, koz), acts in groups.items()
        ]
        finding = unknown(
            ctx,
            tr(
                "Whether the key policy allows the copy depends on request values that are not known here: "
                + " | ".join(lines_en)
                + ". Pin them with --context KEY=VALUE (or give them in the scenario).",
                "密钥策略是否允许复制取决于此处未知的请求值:"
                + " | ".join(lines_zh)
                + "。可用 --context KEY=VALUE 指定(或在场景中给出)。",
            ),
            "CG101",
            key.policy_path,
            arn,
        )
        finding.evidence["actions"] = table
        finding.evidence["depends"] = [
            {"actions": acts, "allowed_if": ok, "denied_if": ko}
            for (ok, ko, _z1, _z2), acts in groups.items()
        ]
        yield finding
    if not failing and not view.depends:
        via_account = _only_via_account(view, policy)
        if via_account:
            yield Finding(
                code="CG106",
                severity="note",
                message=tr(
                    f"The key policy allows account {dest} as a whole ({', '.join(via_account)}). "
                    "The destination account's own IAM policies must then also allow the caller. "
                    "The caller is AWSServiceRoleForBackup, whose AWS managed policy "
                    "(AWSBackupServiceLinkedRolePolicyForBackup) allows kms:DescribeKey on any key and "
                    "kms:CreateGrant/ListGrants/ReEncryptFrom/GenerateDataKeyWithoutPlaintext through "
                    "EC2, RDS and FSx; it is not yours to change, so copyguard does not fail the copy on it.",
                    f"密钥策略允许整个账户 {dest}({', '.join(via_account)})。目标账户自身的 IAM 策略也必须允许调用方。"
                    "调用方是 AWSServiceRoleForBackup,其 AWS 托管策略(AWSBackupServiceLinkedRolePolicyForBackup)"
                    "允许对任何密钥执行 kms:DescribeKey,并允许经由 EC2、RDS 和 FSx 执行 "
                    "kms:CreateGrant/ListGrants/ReEncryptFrom/GenerateDataKeyWithoutPlaintext;"
                    "该策略不由您修改,因此 copyguard 不会因此判定复制失败。",
                ),
                copy=copy.name,
                resource=arn,
                path=key.policy_path,
                evidence={"actions": table, "statements": via_account},
            )
    yield from _cg107(ctx, view, key, policy)


def _conditions_text(alternatives: list[Any]) -> Text:
    """The assumptions of some alternatives in words: "A and B" within one, "or" between."""
    en: list[str] = []
    zh: list[str] = []
    for alt in alternatives:
        e = " and ".join(x.en for x in alt.assumptions) or "nothing else is assumed"
        z = "且".join(x.zh for x in alt.assumptions) or "无其他假设"
        if e not in en:
            en.append(e)
            zh.append(z)
    return tr(" or ".join(en) or "-", "或".join(zh) or "-")


def _only_via_account(view: SourceKeyView, policy: Policy) -> list[str]:
    """Statements through which the destination is allowed only as an account."""
    labels: list[str] = []
    for r in view.results.values():
        for _alt, d in r.decisions:
            if d.allowed and "delegates" in d.summary:
                labels += [
                    f"{path}" + (f" ({sid})" if sid else "")
                    for p, path, sid in d.deciding
                    if p == policy.name
                ]
    return sorted(set(labels))


def _cg105(
    ctx: CheckContext,
    view: SourceKeyView,
    key: Key,
    policy: Policy,
    implicit: dict[str, ActionResult],
) -> Iterable[Finding]:
    dest = ctx.destination or ""
    principal = parse_principal(view.caller)
    from copyguard.evaluate.engine import compiled

    for cs in compiled(policy):
        st = cs.statement
        if st.effect != "Allow" or not st.conditions or not _names_destination(st, dest):
            continue
        if cs.principal_match(principal) == "none":
            continue
        covered = [a for a in implicit if cs.action_match(a)]
        if not covered:
            continue
        reasons: list[str] = []
        never = True
        for a in covered:
            for alt, _d in implicit[a].decisions:
                c = build_context(Request(view.caller, a, view.key_arn, alt.context), principal)
                failing = [cc.explain(c) for cc in cs.conditions if not cc.test(c)]
                if not failing:
                    never = False
                reasons += failing
        if never and reasons:
            yield Finding(
                code="CG105",
                severity="error",
                message=tr(
                    f"{st.label} names the destination and covers {', '.join(sorted(covered))}, "
                    f"but its condition cannot hold for the copy's requests: {reasons[0]}.",
                    f"{st.label} 指定了目标账户并涵盖 {', '.join(sorted(covered))},"
                    f"但其条件对复制请求永远不成立:{reasons[0]}。",
                ),
                copy=ctx.copy.name,
                resource=key.arn,
                path=f"{key.policy_path}.{st.path}",
                evidence={
                    "statement": st.path,
                    "sid": st.sid,
                    "actions": sorted(covered),
                    "conditions": sorted(set(reasons)),
                },
                fix=FixRef("key-policy", key.arn, "safe"),
            )


def _cg107(ctx: CheckContext, view: SourceKeyView, key: Key, policy: Policy) -> Iterable[Finding]:
    """Least privilege: what the destination (or anyone) gets beyond the copy's needs."""
    dest = ctx.destination or ""
    memo_key = ("cg107", id(policy), key.arn, dest)
    hit = view.memo.get(memo_key)
    if hit is None or hit[0] is not policy:
        hit = (policy, *_least_privilege(view, key, policy, dest))
        view.memo[memo_key] = hit
    extra: list[str] = list(hit[1])
    outsider: bool = hit[2]
    caller = view.caller
    if not extra and not outsider:
        return
    parts_en, parts_zh = [], []
    if extra:
        parts_en.append(f"the destination {caller} is also allowed {', '.join(extra)}")
        parts_zh.append(f"目标 {caller} 还被允许 {', '.join(extra)}")
    if outsider:
        parts_en.append(
            'any AWS account outside the destination can use the key (an unconditioned Principal "*")'
        )
        parts_zh.append('目标账户之外的任何 AWS 账户都可以使用该密钥(没有条件的 Principal "*")')
    yield Finding(
        code="CG107",
        severity="warning",
        message=tr(
            "Least privilege: " + "; ".join(parts_en) + ".", "最小权限:" + ";".join(parts_zh) + "。"
        ),
        copy=ctx.copy.name,
        resource=key.arn,
        path=key.policy_path,
        evidence={"extra_actions": extra, "outside_principals_allowed": outsider},
        fix=FixRef("key-policy", key.arn, "display-only"),
        notes=[
            tr(
                "copyguard never removes access on its own; tighten it by hand.",
                "copyguard 不会自动移除访问权限;请手动收紧。",
            )
        ],
    )


def _least_privilege(
    view: SourceKeyView, key: Key, policy: Policy, dest: str
) -> tuple[tuple[str, ...], bool]:
    """(what the destination is allowed beyond the copy's needs, whether an outsider can
    decrypt): :func:`_cg107`'s probes, which depend on the view, the key and the policy only."""
    identity = [allow_all_identity()]
    caller = view.caller
    third = "arn:aws:iam::999999999999:role/outsider"
    outsider = _key_policy_names(policy, third) and (
        evaluate_kms(Request(third, "kms:Decrypt", key.arn, {}), policy, identity).allowed
    )
    if not _key_policy_names(policy, caller):
        return (), outsider  # no Allow statement names the caller: nothing is allowed to it
    base: dict[str, str | list[str]] = {
        "kms:CallerAccount": dest,
        "aws:PrincipalAccount": dest,
        "aws:PrincipalArn": caller,
    }
    extra: list[str] = []
    d = evaluate_kms(
        Request(caller, "kms:CreateGrant", key.arn, {**base, "kms:GrantIsForAWSResource": "false"}),
        policy,
        identity,
    )
    if d.allowed:
        extra.append("kms:CreateGrant without kms:GrantIsForAWSResource")
    for action in EXTRA_CROSS_ACCOUNT_ACTIONS:
        if evaluate_kms(Request(caller, action, key.arn, base), policy, identity).allowed:
            extra.append(action)
    return tuple(extra), outsider


def _key_policy_names(policy: Policy, principal: str) -> bool:
    """Whether some Allow statement of the key policy names ``principal`` (itself, its
    account, or everyone). KMS allows a request only when a key-policy Allow applies to it
    (``kms_verdict``: no key-policy Allow, implicit deny), so when none names the principal
    none of its requests is allowed and :func:`_least_privilege` need not evaluate them."""
    from copyguard.evaluate.engine import compiled

    info = parse_principal(principal)
    return any(cs.allow and cs.principal_match(info) != "none" for cs in compiled(policy))
