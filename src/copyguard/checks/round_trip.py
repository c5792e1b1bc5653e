"""CG211: the way back. A copy is worth having only if it can come back: restoring it in the
source account means copying it back, which is a copy job in the other direction (facts 9).

The way back is modelled as that reverse copy and judged by the same checks as every forward
copy, never by a second implementation:

- its source is the destination vault; the copy there is encrypted with the destination
  vault's key (a fully managed type is encrypted with the vault key; any other type is
  re-encrypted with it when it is copied in), so that key is the source key of the way back,
  whatever the resource type;
- its destination is the original source vault, whose access policy must accept copies from
  the destination account and whose key must hold the copy;
- its caller is the *source* account's AWSServiceRoleForBackup.

What the reverse checks find becomes one CG211 per leg (the destination vault key's policy,
type or state; the source vault's access policy; the source vault's key). A blocked leg is a
warning (the forward copy itself works); a leg that cannot be decided for lack of data is a
note naming what is missing. The way back never changes the verdict: it is judged only on
request (``--round-trip``), and never reported as working when it is not known.
"""

from __future__ import annotations

from copyguard.checks.base import CheckContext, Options
from copyguard.checks.destination import check_destination_key, check_vault_access_policy
from copyguard.checks.facts import slr_arn
from copyguard.checks.model import Finding, FixRef, Text, tr
from copyguard.checks.source_key import check_source_key
from copyguard.records import record
from copyguard.scenario import UNKNOWN, Copy, Lifecycle, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from copyguard.checks.model import Applicability

CODE = "CG211"

#: the legs of the way back, and the forward codes that stand for them on the reverse copy
LEGS: dict[str, tuple[Text, tuple[str, ...]]] = {
    "destination-vault-key-policy": (
        tr("the destination vault key's policy", "目标保管库密钥的策略"),
        ("CG101", "CG104", "CG105"),
    ),
    "destination-vault-key-type": (
        tr("the destination vault key's type", "目标保管库密钥的类型"),
        ("CG102",),
    ),
    "destination-vault-key-state": (
        tr("the destination vault key's state", "目标保管库密钥的状态"),
        ("CG103",),
    ),
    "source-vault-access-policy": (
        tr("the source vault's access policy", "源保管库的访问策略"),
        ("CG201",),
    ),
    "source-vault-key": (
        tr("the source vault's key", "源保管库的密钥"),
        ("CG202", "CG203"),
    ),
}
_LEG_OF = {code: leg for leg, (_text, codes) in LEGS.items() for code in codes}
# CG106 (delegation, a note), CG107 (least privilege) and CG205 say nothing about whether the
# way back works; organization and resource-type rules are the same in both directions.
_IGNORED = {"CG106", "CG107", "CG205"}
COLD_LEG = "copy-lifecycle"
REVERSE_TERMS = tr(
    "In the way back's terms (its source is the destination vault, its destination the source "
    "vault, its destination account the source account): ",
    "以回程的视角(其源是目标保管库,其目标是源保管库,其目标账户是源账户):",
)


def reverse_options(options: Options) -> Options:
    """The options of the way back: the fix names the source account (root, or its
    AWSServiceRoleForBackup with ``--principal slr``; an ARN given for the forward destination
    does not apply, so the account root is named). Context values pinned for the forward
    copy's requests are not the way back's, so none is carried over."""
    principal = options.principal if options.principal in ("root", "slr") else "root"
    return Options(
        principal=principal,
        context={},
        vault_principal=options.vault_principal,
        quick=False,
        round_trip=False,
    )


def reverse_copy(scenario: Scenario, copy: Copy) -> Copy:
    """The way back of ``copy`` as a copy job of its own (same name and field path, so what
    it finds points at the forward copy's scenario entries)."""
    vault = scenario.vault(copy.destination_vault)
    key: Any = UNKNOWN
    if vault is not None:
        key = vault.key
        if key is None:  # no key named: the vault uses AWS Backup's managed key
            key = f"arn:aws:kms:{vault.region}:{vault.account}:alias/aws/backup"
    return Copy(
        name=copy.name,
        path=copy.path,
        resource_type=copy.resource_type,
        resource_arn=UNKNOWN,  # the copy's recovery point in the destination vault
        resource_key=key,
        source_vault=copy.destination_vault,
        destination_vault=copy.source_vault,
        lifecycle=UNKNOWN,
        iam_role_arn=UNKNOWN,
    )


def reverse_findings(ctx: CheckContext) -> list[Finding]:
    """What the forward checks say about the way back of ``ctx.copy``."""
    rctx = CheckContext(
        ctx.scenario,
        reverse_copy(ctx.scenario, ctx.copy),
        reverse_options(ctx.options),
        analyses=ctx.analyses,
    )
    found: list[Finding] = []
    for check in (check_source_key, check_vault_access_policy, check_destination_key):
        found += list(check(rctx))
    return found


@record(slots=True)
class _Leg:
    blocked: list[Finding]
    undecided: list[Finding]


def _leg_of(f: Finding) -> str | None:
    if f.code == "CG902":
        needed = str(f.evidence.get("needed_for", ""))
        return _LEG_OF.get(needed, "destination-vault-key-policy" if needed[:3] == "CG1" else None)
    return _LEG_OF.get(f.code)


def _forward_path(path: str | None, ctx: CheckContext) -> str | None:
    """A reverse finding's field path, in the forward copy's terms: the reverse copy's source
    vault is the forward destination vault and the other way round, and its resource key is the
    destination vault's key."""
    if path is None:
        return None
    prefix = ctx.copy.path + "."
    if not path.startswith(prefix):
        return path
    rest = path[len(prefix) :]
    vault = ctx.scenario.vault(ctx.copy.destination_vault)
    if rest.startswith("resource_key"):
        return f"{vault.path}.key" if vault is not None else f"{prefix}destination_vault"
    if rest.startswith("source_vault"):
        return f"{prefix}destination_vault{rest[len('source_vault') :]}"
    if rest.startswith("destination_vault"):
        return f"{prefix}source_vault{rest[len('destination_vault') :]}"
    return path


def _summary(f: Finding) -> dict[str, Any]:
    """One reverse finding in the evidence: which forward rule it is, and its evidence (its
    message is already part of the CG211 message)."""
    return {"as": f.code, "resource": f.resource, "evidence": f.evidence}


def _fix_ref(leg: str, blocked: list[Finding]) -> FixRef:
    refs = [f.fix for f in blocked if f.fix is not None]
    kinds = {r.kind for r in refs}
    applicability: Applicability = (
        "unsafe" if any(r.applicability == "unsafe" for r in refs) else "safe"
    )
    for kind in ("key-policy", "vault-access-policy"):
        if kind in kinds:
            resource = next(r.resource for r in refs if r.kind == kind)
            return FixRef(kind, resource, applicability)
    resource = next((r.resource for r in refs), None)
    return FixRef("playbook", resource, "display-only")


def check_round_trip(ctx: CheckContext) -> Iterable[Finding]:
    """CG211 for every leg of the way back that is blocked (warning) or undecided (note)."""
    if not ctx.options.round_trip or ctx.options.quick:
        return
    copy = ctx.copy
    src, dst = ctx.source, ctx.destination
    if src is not None and dst is not None and src == dst:
        return  # a copy inside one account comes back without crossing an account boundary
    legs: dict[str, _Leg] = {}
    for f in reverse_findings(ctx):
        if f.code in _IGNORED:
            continue
        leg = _leg_of(f)
        if leg is None:
            continue
        entry = legs.setdefault(leg, _Leg([], []))
        if f.severity == "error":
            entry.blocked.append(f)
        elif f.code == "CG902":
            entry.undecided.append(f)
    back_from = copy.destination_vault if isinstance(copy.destination_vault, str) else "?"
    back_to = copy.source_vault if isinstance(copy.source_vault, str) else "?"
    caller = slr_arn(src) if src else "the source account's AWSServiceRoleForBackup"
    way = {"from": back_from, "to": back_to, "caller": caller}
    model_note = tr(
        "The way back is judged as a copy job from the destination vault into the source vault, "
        "run by the source account's AWSServiceRoleForBackup, whose source key is the destination "
        "vault's key (the copy is encrypted with it). AWS documents the copy-back path, not each "
        "request it makes: this is the forward rules applied in the other direction (INFERENCE).",
        "回程按一个从目标保管库复制到源保管库的复制作业来判断:由源账户的 AWSServiceRoleForBackup 执行,"
        "其源密钥是目标保管库的密钥(副本由它加密)。AWS 只说明了复制回源账户这一路径,未列出其每个请求:"
        "这里是把正向规则反过来应用(推断)。",
    )
    for leg in sorted(legs):
        entry = legs[leg]
        what, _codes = LEGS[leg]
        first = (entry.blocked or entry.undecided)[0]
        evidence: dict[str, Any] = {
            "leg": leg,
            "way_back": way,
            "blocked_by": [_summary(f) for f in entry.blocked],
            "undecided": [_summary(f) for f in entry.undecided],
        }
        if entry.blocked:
            reasons_en = REVERSE_TERMS.en + " ".join(f.message.en for f in entry.blocked)
            reasons_zh = REVERSE_TERMS.zh + "".join(f.message.zh for f in entry.blocked)
            yield Finding(
                code=CODE,
                severity="warning",
                message=tr(
                    f"Copying {copy.name!r} back from {back_from} to {back_to} (what restoring it "
                    f"in account {src or '?'} takes) would fail at {what.en}: {reasons_en}",
                    f"将 {copy.name!r} 从 {back_from} 复制回 {back_to}(在账户 {src or '?'} 中恢复它所需的操作)"
                    f"会在{what.zh}处失败:{reasons_zh}",
                ),
                copy=copy.name,
                resource=first.resource,
                path=_forward_path(first.path, ctx),
                evidence=evidence,
                fix=_fix_ref(leg, entry.blocked),
                steps=[
                    tr(
                        "copyguard fix --round-trip prints the proven policy change for the way back "
                        "(key policy of the destination vault key, access policy of the source vault).",
                        "copyguard fix --round-trip 会打印经过验证的回程策略修改(目标保管库密钥的密钥策略、"
                        "源保管库的访问策略)。",
                    )
                ],
                notes=[model_note],
            )
        else:
            yield Finding(
                code=CODE,
                severity="note",
                message=tr(
                    f"Whether {copy.name!r} can be copied back from {back_from} to {back_to} "
                    f"depends on {what.en}, which is not known. "
                    + REVERSE_TERMS.en
                    + " ".join(f.message.en for f in entry.undecided),
                    f"{copy.name!r} 能否从 {back_from} 复制回 {back_to} 取决于{what.zh},而它未知。"
                    + REVERSE_TERMS.zh
                    + "".join(f.message.zh for f in entry.undecided),
                ),
                copy=copy.name,
                resource=first.resource,
                path=_forward_path(first.path, ctx),
                evidence=evidence,
                notes=[
                    model_note,
                    tr(
                        "The verdict covers the forward copy; this note says the way back is "
                        "not proven, never that it works.",
                        "结论只涵盖正向复制;此说明表示回程未经证实,而不是回程可行。",
                    ),
                ],
            )
    yield from _cold_storage(ctx, way)


def _cold_storage(ctx: CheckContext, way: dict[str, Any]) -> Iterable[Finding]:
    """A copy that moves to cold storage cannot be copied across accounts from then on
    (facts 9: cold-tier recovery points have no cross-account copy)."""
    lifecycle = ctx.copy.lifecycle
    if not isinstance(lifecycle, Lifecycle) or lifecycle.move_to_cold_storage_after_days is None:
        return
    days = lifecycle.move_to_cold_storage_after_days
    yield Finding(
        code=CODE,
        severity="warning",
        message=tr(
            f"The copy {ctx.copy.name!r} moves to cold storage after {days} days; a recovery point "
            "in cold storage cannot be copied to another account, so from then on it can be "
            "restored only in the destination account (if the resource type supports cold "
            "storage at all: AWS ignores the setting for the others).",
            f"副本 {ctx.copy.name!r} 在 {days} 天后转入冷存储;冷存储中的恢复点不能复制到其他账户,"
            "因此之后只能在目标账户中恢复(前提是该资源类型支持冷存储:其他类型会忽略此设置)。",
        ),
        copy=ctx.copy.name,
        resource=way["from"] if way["from"] != "?" else None,
        path=f"{ctx.copy.path}.lifecycle.move_to_cold_storage_after_days",
        evidence={
            "leg": COLD_LEG,
            "way_back": way,
            "move_to_cold_storage_after_days": days,
        },
        fix=FixRef("playbook", None, "display-only"),
    )
