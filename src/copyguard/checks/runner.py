"""Run every check on every copy; a check that raises becomes CG999 and the run goes on."""

from __future__ import annotations

from copyguard.checks.analysis import AnalysisCache
from copyguard.checks.base import Check, CheckContext, Options, unknown
from copyguard.checks.destination import (
    check_destination_key,
    check_fix_principal,
    check_vault_access_policy,
    check_vault_lock,
)
from copyguard.checks.kms_rejects import kms_rejected_findings
from copyguard.checks.limits import limit_findings
from copyguard.checks.model import Finding, NotRun, Report, Text, tr
from copyguard.checks.source_key import check_source_key, quick_gaps
from copyguard.policy.paths import locate, parent_path
from copyguard.scenario import AWS_OWNED_KEY, UNKNOWN, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from copyguard.scenario import Copy

#: checks/lag.py ``CODES`` (tests/checks/test_lazy_checks.py holds them equal): the LAG
#: checks and their facts are imported only when a run selects them (never in the quick form)
LAG_CODES = ("CG206", "CG207", "CG208", "CG209", "CG210")


# The checks the quick form never runs are imported on first use (start-up time): each
# wrapper runs the check of the module it names, unchanged.
def check_organization(ctx: CheckContext) -> Iterable[Finding]:
    from copyguard.checks.organization import check_organization as run

    return run(ctx)


def check_resource_type(ctx: CheckContext) -> Iterable[Finding]:
    from copyguard.checks.resource_type import check_resource_type as run

    return run(ctx)


def check_lag(ctx: CheckContext) -> Iterable[Finding]:
    from copyguard.checks.lag import check_lag as run

    return run(ctx)


def check_round_trip(ctx: CheckContext) -> Iterable[Finding]:
    if not ctx.options.round_trip or ctx.options.quick:
        return ()  # judged only on request (--round-trip), never in the quick form
    from copyguard.checks.round_trip import check_round_trip as run

    return run(ctx)


CHECKS: tuple[Check, ...] = (
    Check(
        "source-key",
        ("CG101", "CG102", "CG103", "CG104", "CG105", "CG106", "CG107"),
        check_source_key,
        True,
    ),
    Check(
        "vault-access-policy",
        ("CG201",),
        check_vault_access_policy,
        False,
        "the destination vault and its access policy",
    ),
    Check(
        "destination-key",
        ("CG202", "CG203"),
        check_destination_key,
        False,
        "the destination vault's key",
    ),
    Check(
        "vault-lock",
        ("CG204",),
        check_vault_lock,
        False,
        "the destination vault lock and the copy's lifecycle",
    ),
    Check("fix-principal", ("CG205",), check_fix_principal, True),
    Check(
        "organization",
        ("CG301", "CG302"),
        check_organization,
        False,
        "the organization and its settings",
    ),
    Check(
        "resource-type",
        ("CG401", "CG402", "CG403", "CG404"),
        check_resource_type,
        False,
        "the resource type and Regions",
    ),
    Check(
        "logically-air-gapped",
        LAG_CODES,
        check_lag,
        False,
        "the vaults' types and keys (logically air-gapped vaults)",
    ),
    # the way back (CG211): runs only on request (--round-trip), which the quick form refuses,
    # so it is never listed among the quick form's checks not run
    Check("round-trip", ("CG211",), check_round_trip, True),
)


def input_findings(scenario: Scenario) -> list[Finding]:
    """CG901: every policy document in the scenario that AWS would reject, with its location."""
    out: list[Finding] = []
    owners = [(k.arn, k.policy_issues) for k in scenario.keys.values()]
    owners += [(v.arn, v.access_policy_issues) for v in scenario.vaults.values()]
    for resource, issues in owners:
        for issue in issues:
            if issue.severity != "error":
                continue
            out.append(
                Finding(
                    code="CG901",
                    severity="error",
                    message=tr(issue.message, f"策略文档无效({issue.path}):{issue.message}"),
                    resource=resource,
                    path=issue.path,
                    evidence={"issue": issue.to_dict()},
                    file=issue.source,
                    line=issue.line,
                    column=issue.column,
                )
            )
    return out


def read_failure_findings(scenario: Scenario) -> list[Finding]:
    """CG902 for every live read that failed, naming the permission it needed."""
    out = []
    for path, (what, permission) in sorted(scenario.read_failures.items()):
        out.append(
            unknown(
                None,
                tr(
                    f"Could not read {what}. copyguard needs {permission}.",
                    f"无法读取{what}。copyguard 需要 {permission} 权限。",
                ),
                "read",
                path,
            )
        )
        out[-1].evidence["permission"] = permission
    return out


def unknown_reason_findings(scenario: Scenario) -> list[Finding]:
    """CG902 for every value an IaC reader could not know (the input, address, attribute)."""
    out = []
    for path, (what, why) in sorted(scenario.unknown_reasons.items()):
        out.append(
            unknown(
                None,
                tr(f"{what} is unknown: {why}.", f"{what} 未知:{why}。"),
                "iac",
                path,
            )
        )
        out[-1].evidence["unknown"] = what
    return out


def _crash(check: Check, ctx: CheckContext, exc: BaseException) -> list[Finding]:
    import traceback  # only for a crash: not at every start

    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    loc = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
    return [
        Finding(
            code="CG999",
            severity="warning",
            message=tr(
                f"The {check.name} check ({', '.join(check.codes)}) failed: {type(exc).__name__}: {exc}{loc}. "
                "Its result is unknown; please report this.",
                f"{check.name} 检查({', '.join(check.codes)})失败:{type(exc).__name__}: {exc}{loc}。其结果未知;请报告此问题。",
            ),
            copy=ctx.copy.name,
            evidence={"check": check.name, "error": f"{type(exc).__name__}: {exc}"},
        ),
        unknown(
            ctx,
            tr(
                f"The {check.name} check could not finish, so its codes "
                f"({', '.join(check.codes)}) are undecided.",
                f"{check.name} 检查未能完成,其代码({', '.join(check.codes)})未判定。",
            ),
            check.codes[0],
            None,
        ),
    ]


def run_checks(
    scenario: Scenario, options: Options | None = None, checks: Iterable[Check] = CHECKS
) -> Report:
    options = options or Options()
    analyses = AnalysisCache()  # one per run, reused by build_fixes (Report.analyses)
    report = Report(
        source=scenario.source, copies=[c.name for c in scenario.copies], analyses=analyses
    )
    report.findings += input_findings(scenario)
    report.findings += kms_rejected_findings(scenario)  # IAM-only condition keys (CG901)
    report.findings += limit_findings(scenario)  # a lock or lifecycle AWS refuses (CG901)
    report.findings += read_failure_findings(scenario)
    report.findings += unknown_reason_findings(scenario)
    # a described set-up (a scenario document) without copies: nothing to judge is not a pass
    # (a live scan that found no copy adds its own CG902 naming what it looked at: api.scan)
    if not scenario.copies and scenario.raw is not None:
        report.findings.append(
            unknown(
                None,
                tr(
                    "The scenario describes no copy (copies is empty or missing), so there is nothing to judge.",
                    "场景中没有描述任何复制(copies 为空或缺失),因此无从判断。",
                ),
                "copies",
                "copies",
            )
        )
    selected = [c for c in checks if c.quick or not options.quick]
    if options.quick:
        for c in checks:
            if not c.quick:
                for code in c.codes:
                    report.not_run.append(
                        NotRun(
                            code,
                            tr(
                                f"needs {c.needs}, which the quick form does not have",
                                f"需要{c.needs},快速模式没有这些信息",
                            ),
                        )
                    )
    typed_vaults: set[str] = set()
    assumed = set(report.assumptions)  # membership in O(1); the list keeps the order
    # one object per distinct message: the copies of one key to one destination get the same
    # sentence (a 10,000-copy scenario: 501 distinct in 10,000 findings, a quarter of what
    # its findings kept; Text is immutable, so sharing is invisible to readers)
    texts: dict[Text, Text] = {}
    copies = scenario.copies
    # each copy's findings, assumptions and gaps, in the order the copies are checked
    # (:func:`_check_order`); taken into the report in the scenario's order below
    results: list[tuple[list[Finding], list[Text], list[NotRun]] | None] = [None] * len(copies)
    for i in _check_order(copies):
        ctx = CheckContext(scenario, copies[i], options, analyses=analyses)
        findings: list[Finding] = []
        for check in selected:
            try:
                found = list(check.run(ctx))
            except Exception as exc:  # contain it: report, never pass silently
                found = _crash(check, ctx, exc)
            for f in found:
                f.message = texts.setdefault(f.message, f.message)
            findings += found
        assumptions = ctx.assumptions()  # before the gaps, which may look further
        gaps: list[NotRun] = []
        if options.quick:
            try:
                gaps = quick_gaps(ctx)
            except Exception:  # listing gaps is best effort; the checks above already ran
                gaps = []
        results[i] = (findings, assumptions, gaps)
    for copy, result in zip(copies, results, strict=True):
        assert result is not None  # every copy was checked
        findings, assumptions, gaps = result
        report.findings += findings
        for a in assumptions:
            if a not in assumed:
                assumed.add(a)
                report.assumptions.append(a)
        for arn in (copy.source_vault, copy.destination_vault):
            vault = scenario.vault(arn)
            if vault is not None and arn not in typed_vaults and vault.vault_type is UNKNOWN:
                typed_vaults.add(vault.arn)
                if vault.key == AWS_OWNED_KEY:
                    continue  # only a logically air-gapped vault has an AWS owned key
                typed = tr(
                    f"{vault.path} ({vault.arn}) has no vault_type: checked as a standard "
                    "backup vault (BACKUP_VAULT); say LOGICALLY_AIR_GAPPED_BACKUP_VAULT if it "
                    "is logically air-gapped.",
                    f"{vault.path}({vault.arn})未提供 vault_type:按标准备份保管库"
                    "(BACKUP_VAULT)检查;如为逻辑隔离保管库,请写明 "
                    "LOGICALLY_AIR_GAPPED_BACKUP_VAULT。",
                )
                assumed.add(typed)
                report.assumptions.append(typed)
        if gaps:
            known = {n.code for n in report.not_run}
            report.not_run += [g for g in gaps if g.code not in known]
    report.not_run.sort(key=lambda n: n.code)
    _dedupe(report)
    _resolve_locations(report, scenario)
    report.sort()
    return report


def _check_order(copies: list[Copy]) -> list[int]:
    """The copies' indexes, those of one source key (the resource's key, else the source
    vault's) and destination vault next to each other, otherwise in the scenario's order.
    Copies of one key share its analysis and decisions (``AnalysisCache``); checked one after
    another, what they share is still in the processor's caches, where a scenario listing
    its copies in another order (the scale bench deals them out over the keys in turn) made
    every copy fetch a different key's from memory. The groups come in the order of their
    first copy, which is the order their keys and vaults were read in for most scenarios (a
    walk through memory, not a jump per group), and grouping is one pass: sorting by the ARNs
    compared strings of objects scattered over the heap, 5 ms at 10,000 copies but 76-93 ms at
    100,000 (bench/README.md, ninth round). The report does not depend on the order: the
    runner takes each copy's results into it in the scenario's order."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, copy in enumerate(copies):
        key = copy.resource_key if isinstance(copy.resource_key, str) else None
        if key is None:
            key = copy.source_vault if isinstance(copy.source_vault, str) else ""
        dest = copy.destination_vault if isinstance(copy.destination_vault, str) else ""
        members = groups.get((key, dest))
        if members is None:
            groups[(key, dest)] = [i]
        else:
            members.append(i)
    return [i for members in groups.values() for i in members]


def _dedupe(report: Report) -> None:
    seen: set[str] = set()
    unique = []
    for f in report.findings:
        fp = f.fingerprint + f.message.en
        if fp not in seen:
            seen.add(fp)
            unique.append(f)
    report.findings = unique


def _probes(report: Report) -> set[str]:
    """Every path :func:`_resolve_locations` may look up: each finding's, and its parents."""
    out: set[str] = set()
    for f in report.findings:
        if f.line is not None or not f.path:
            continue
        probe = f.path
        while probe and probe not in out:
            out.add(probe)
            probe = parent_path(probe)
        out.add("")
    return out


def _resolve_locations(report: Report, scenario: Scenario) -> None:
    """Rules emit paths; the file position is looked up here, once, for every format."""
    if not scenario.source:  # no file to point into (a live scan, a scenario made in code)
        return
    fill = getattr(scenario.positions, "fill", None)
    if fill is not None:  # a scenario file's: map only what is asked
        fill(_probes(report))
    for f in report.findings:
        if f.line is not None or not f.path:
            continue
        pos = locate(scenario.positions, f.path)
        if pos:
            f.file, (f.line, f.column) = scenario.source, pos
        else:
            f.file = scenario.source
