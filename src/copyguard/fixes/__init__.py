"""Turn findings into fixes (values), prove them with the evaluator, render them."""

from __future__ import annotations

from copyguard.checks.analysis import AnalysisCache
from copyguard.checks.base import CheckContext, Options
from copyguard.checks.model import Fix
from copyguard.fixes.key_policy import (
    FixVerificationError,
    describe_allow,
    fix_source_key,
    render_diff,
    unproven,
)
from copyguard.policy import Policy, parse_policy
from copyguard.scenario import Organization

TYPE_CHECKING = False
if TYPE_CHECKING:
    from copyguard.checks.model import Report
    from copyguard.fixes.render import AS_CHOICES, render_fixes
    from copyguard.scenario import Copy, Scenario

KEY_CODES = ("CG101", "CG104", "CG105")
#: the codes whose findings fixes/lag.py turns into fixes (its key-policy statements for CG207
#: and CG208, its playbooks for CG206, CG208, CG209 and CG210): the LAG fixes, and the LAG
#: checks they reuse, are imported only for a report that has one
LAG_FIX_CODES = ("CG206", "CG207", "CG208", "CG209", "CG210")


def __getattr__(name: str) -> object:
    """``AS_CHOICES`` and ``render_fixes`` (fixes/render.py), imported on first use: a report
    shows its fixes without rendering them as Terraform, CloudFormation or commands."""
    if name in ("AS_CHOICES", "render_fixes"):
        from copyguard.fixes import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_fixes(scenario: Scenario, report: Report, options: Options) -> list[Fix]:
    """Every fix the report's findings call for; one key-policy fix per key, covering every
    copy that uses it. A fix that does not prove out becomes an error note, never a fix."""
    fixes: list[Fix] = []
    by_copy = {c.name: c for c in scenario.copies}
    # the analyses the checks computed (same scenario, copies and policy objects) are reused
    analyses = report.analyses if report.analyses is not None else AnalysisCache()
    # key policies: accumulate destinations per key
    key_copies: dict[str, dict[str, None]] = {}  # key -> its copies, in order, once each
    codes_of: dict[str, set[str]] = {}  # resource -> its findings' codes (one pass, not per key)
    for f in report.findings:
        if f.resource:
            codes_of.setdefault(f.resource, set()).add(f.code)
        if f.code in KEY_CODES and f.resource and f.copy:
            key_copies.setdefault(f.resource, {})[f.copy] = None
    for key_arn, copy_set in sorted(key_copies.items()):
        copy_names = list(copy_set)
        key = scenario.key(key_arn)
        if key is None or (not isinstance(key.policy, Policy) and key.policy is not None):
            continue
        original = (
            key.policy.document
            if key.policy is not None
            else {"Version": "2012-10-17", "Statement": []}
        )
        current = key.policy or parse_policy(original, name="key policy", kind="key")
        safe_docs: list[Fix] = []
        unsafe: list[Fix] = []
        changes: list[str] = []
        destinations: list[str] = []
        try:
            for name in copy_names:
                copy = by_copy[name]
                ctx = CheckContext(scenario, copy, options, analyses=analyses)
                dest = ctx.destination
                if not dest:
                    continue
                parsed: list[Policy] = []  # the safe fix's proven policy, for the next copy
                found = fix_source_key(
                    scenario,
                    copy,
                    key.arn,
                    current,
                    ctx.facts,
                    dest,
                    ctx.fix_principal(),
                    options.context,
                    changes,
                    analyses=analyses,
                    parsed_out=parsed,
                )
                for fx in found:
                    (safe_docs if fx.applicability == "safe" else unsafe).append(fx)
                safe = [fx for fx in found if fx.applicability == "safe"]
                if safe and safe[-1].policy is not None:
                    # the policy the fix was proven with (its analysis is in the cache), or
                    # the fix's document parsed anew
                    current = (
                        parsed[0]
                        if parsed and parsed[0].document is safe[-1].policy
                        else parse_policy(safe[-1].policy, name=current.name, kind="key")
                    )
                    if dest not in destinations:
                        destinations.append(dest)
            if len(safe_docs) > 1:
                _verify_merged(scenario, options, key.arn, current, copy_names, analyses, by_copy)
        except FixVerificationError as exc:
            report.findings.append(unproven(key_arn, str(exc)))
            continue
        if safe_docs:
            last = safe_docs[-1]
            principals = sorted({f.principal for f in safe_docs if f.principal})
            verification = dict(last.verification)
            if len(safe_docs) > 1:
                verification["copies_verified"] = len(copy_names)
            merged = Fix(
                kind="key-policy",
                resource=key.arn,
                applicability="safe",
                description=describe_allow(changes, destinations),
                policy=last.policy,
                original=original,
                # one fix from this very document: its diff is already this one
                diff=last.diff
                if len(safe_docs) == 1 and last.original is original and last.policy is not None
                else render_diff(original, last.policy or {}, "key policy"),
                principal=", ".join(principals) or None,
                # the findings of this key that the fix resolves (not every code it could)
                codes=sorted(
                    codes_of.get(key.arn, set()) & {c for f in safe_docs for c in f.codes}
                ),
                verification=verification,
                region=last.region,
                account=last.account,
            )
            fixes.append(merged)
        fixes += unsafe
    # vault access policies
    done_vaults: set[str] = set()
    for f in report.findings:
        if f.code != "CG201" or not f.resource or f.resource in done_vaults or not f.copy:
            continue
        done_vaults.add(f.resource)
        vault = scenario.vault(f.resource)
        vcopy = by_copy.get(f.copy)
        if vault is None or vcopy is None or not vcopy.source_account:
            continue
        from copyguard.fixes.vault_policy import fix_vault_policy

        org = scenario.organization
        org_id = org.id if isinstance(org, Organization) and isinstance(org.id, str) else None
        role = vcopy.iam_role_arn if isinstance(vcopy.iam_role_arn, str) else None
        try:
            vfx = fix_vault_policy(
                vault.arn,
                vault.access_policy if isinstance(vault.access_policy, Policy) else None,
                vcopy.source_account,
                options.vault_principal,
                org_id,
                role,
                unsafe=f.fix is not None and f.fix.applicability == "unsafe",
            )
        except FixVerificationError as exc:
            report.findings.append(unproven(vault.arn, str(exc)))
            continue
        if vfx:
            fixes.append(vfx)
    # playbooks
    seen: set[tuple[str, str | None]] = set()
    for f in report.findings:
        if f.fix is None or f.fix.kind != "playbook" or (f.code, f.resource) in seen:
            continue
        seen.add((f.code, f.resource))
        from copyguard.fixes.playbooks import playbook

        pb = playbook(f)
        if pb:
            fixes.append(pb)
    if any(f.code in LAG_FIX_CODES for f in report.findings):
        from copyguard.fixes.lag import lag_fixes

        fixes += lag_fixes(scenario, report)  # logically air-gapped vaults (CG206-CG210)
    if options.round_trip:  # the way back's policy fixes, merged with the forward ones
        from copyguard.fixes.round_trip import add_round_trip_fixes

        fixes = add_round_trip_fixes(scenario, report, options, fixes)
    return fixes


def _verify_merged(
    scenario: Scenario,
    options: Options,
    key_arn: str,
    policy: Policy,
    copy_names: list[str],
    analyses: AnalysisCache,
    by_copy: dict[str, Copy] | None = None,
) -> None:
    """The merged fix of a key shared by several copies: every copy's required requests are
    allowed (or still blocked only by an explicit Deny, which only the unsafe fix touches).
    ``by_copy``: the scenario's copies by name (built once by the caller, not once per key)."""
    if by_copy is None:
        by_copy = {c.name: c for c in scenario.copies}
    for name in copy_names:
        copy = by_copy[name]
        ctx = CheckContext(scenario, copy, options, analyses=analyses)
        if not ctx.destination:
            continue
        view = analyses.view(
            scenario, copy, key_arn, None, policy, ctx.facts, ctx.destination, options.context
        )
        pending = sorted(a for a, r in view.results.items() if r.decision == "implicit_deny")
        if pending:
            raise FixVerificationError(
                f"the merged fix does not allow copy {name!r} {', '.join(pending)}"
            )


__all__ = ["AS_CHOICES", "FixVerificationError", "build_fixes", "render_fixes"]
