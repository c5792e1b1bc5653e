"""The way back's fixes (``--round-trip``, CG211): the same proven key-policy and vault-policy
fixes as for any copy, computed for the reverse copy (checks/round_trip.py).

The reverse copy is judged on the set-up *after* the forward fixes, so one resource never gets
two fixes that undo each other: when the forward copy and its way back both need a change to
the same key policy (or vault access policy), the two are merged into one fix whose diff is
taken from the current document, and the evaluator has proved each step (the forward fix for
the forward copy, the way-back fix for the reverse copy on top of it; both only add access).
"""

from __future__ import annotations

from copyguard.checks.base import Options
from copyguard.checks.model import Finding, Fix, Report, tr
from copyguard.checks.round_trip import CODE, reverse_copy, reverse_options
from copyguard.fixes.key_policy import render_diff
from copyguard.policy import Policy, PolicyError, parse_policy
from copyguard.records import replace
from copyguard.scenario import Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

POLICY_KINDS = ("key-policy", "vault-access-policy")
_REVERSE_CHECKS = ("source-key", "vault-access-policy", "destination-key")
_EMPTY = {"Version": "2012-10-17", "Statement": []}


def _patched(scenario: Scenario, fixes: list[Fix]) -> Scenario:
    """The scenario with every safe forward policy fix applied."""
    keys, vaults = dict(scenario.keys), dict(scenario.vaults)
    for fx in fixes:
        if fx.applicability != "safe" or fx.policy is None or fx.resource is None:
            continue
        try:
            if fx.kind == "key-policy":
                key = scenario.key(fx.resource)
                if key is not None:
                    name = key.policy.name if isinstance(key.policy, Policy) else "key policy"
                    keys[key.arn] = replace(
                        key, policy=parse_policy(fx.policy, name=name, kind="key")
                    )
            elif fx.kind == "vault-access-policy":
                vault = scenario.vault(fx.resource)
                if vault is not None:
                    vaults[vault.arn] = replace(
                        vault,
                        access_policy=parse_policy(
                            fx.policy, name="vault access policy", kind="resource"
                        ),
                    )
        except PolicyError:  # a proven fix always parses; if not, judge the current policy
            continue
    return replace(scenario, keys=keys, vaults=vaults)


def _original(scenario: Scenario, fx: Fix) -> dict[str, Any] | None:
    """The document the user has today (None: the vault has no access policy yet)."""
    if fx.kind == "key-policy":
        key = scenario.key(fx.resource)
        if key is not None and isinstance(key.policy, Policy):
            return key.policy.document
        return dict(_EMPTY)
    vault = scenario.vault(fx.resource) if fx.resource is not None else None
    if vault is not None and isinstance(vault.access_policy, Policy):
        return vault.access_policy.document
    return None


def add_round_trip_fixes(
    scenario: Scenario, report: Report, options: Options, forward: list[Fix]
) -> list[Fix]:
    """``forward`` plus the way back's policy fixes, merged per resource. A way-back fix that
    does not prove out is reported (CG902, needed for the fix), never proposed."""
    from copyguard.checks.runner import CHECKS, run_checks
    from copyguard.fixes import build_fixes

    wanted = {
        f.copy
        for f in report.findings
        if f.code == CODE and f.fix is not None and f.fix.kind in POLICY_KINDS
    }
    if not wanted:
        return forward
    patched = _patched(scenario, forward)
    reverse = replace(
        patched,
        copies=[reverse_copy(patched, c) for c in scenario.copies if c.name in wanted],
        raw=None,
    )
    ropts = reverse_options(options)
    rreport = run_checks(reverse, ropts, [c for c in CHECKS if c.name in _REVERSE_CHECKS])
    before = len(rreport.findings)
    rfixes = [f for f in build_fixes(reverse, rreport, ropts) if f.kind in POLICY_KINDS]
    report.findings += [_way_back_unproven(f) for f in rreport.findings[before:]]
    out = list(forward)
    # a forward fix that already clears the way back (the same change to the same policy)
    # resolves CG211 too: say so, rather than proposing the change twice
    targets = {
        (f.fix.kind, f.fix.resource)
        for f in report.findings
        if f.code == CODE and f.fix is not None and f.fix.kind in POLICY_KINDS
    }
    remaining = {
        (f.fix.kind, f.fix.resource)
        for f in rreport.findings
        if f.severity == "error" and f.fix is not None
    }
    for i, f in enumerate(out):
        target = (f.kind, f.resource)
        if target in targets and target not in remaining and f.applicability == "safe":
            # the way back, judged again on the fixed policy, is no longer blocked there
            out[i] = replace(
                f,
                codes=sorted({*f.codes, CODE}),
                verification={**f.verification, "way_back": {"cleared_by_this_fix": True}},
            )
    for rf in rfixes:
        label = "key policy" if rf.kind == "key-policy" else "vault access policy"
        original = _original(scenario, rf)
        who = rf.principal or "the source account"
        words = tr(
            f"The way back ({who} copies the copies back): " + rf.description.en,
            f"回程({who} 将副本复制回源账户):" + rf.description.zh,
        )
        merged = next(
            (
                i
                for i, f in enumerate(out)
                if (f.kind, f.resource, f.applicability) == (rf.kind, rf.resource, rf.applicability)
            ),
            None,
        )
        codes = {CODE}
        verification: dict[str, Any] = {"way_back": rf.verification}
        if merged is not None:
            base = out[merged]
            codes |= set(base.codes)
            words = tr(f"{base.description.en} {words.en}", f"{base.description.zh}{words.zh}")
            verification = {**base.verification, "way_back": rf.verification}
        fix = replace(
            rf,
            description=words,
            original=original,
            diff=render_diff(original, rf.policy or {}, label),
            codes=sorted(codes),
            verification=verification,
        )
        if merged is not None:
            out[merged] = fix
        else:
            out.append(fix)
    return out


def _way_back_unproven(f: Finding) -> Finding:
    """A finding the way back's fix builder added (no fix could be proven), for the report."""
    f.message = tr(f"The way back: {f.message.en}", f"回程:{f.message.zh}")
    return f
