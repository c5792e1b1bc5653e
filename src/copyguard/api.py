"""The library front door: everything the command line does, as functions returning values.

>>> from copyguard import api
>>> report = api.check_file("examples/seed-failing.yaml")
>>> report.verdict
'fail'
"""

from __future__ import annotations

from copyguard._gcpolicy import check_run
from copyguard.checks import Options, Report, run_checks
from copyguard.checks.base import unknown
from copyguard.checks.facts import PLACEHOLDER_REGION, placeholder_key_arn
from copyguard.checks.model import Finding, tr
from copyguard.fixes import build_fixes
from copyguard.policy import Policy, parse_policy
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario, load_scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = [
    "Options",
    "Report",
    "check_file",
    "check_key_policy",
    "check_scenario",
    "quick_scenario",
]


def check_scenario(
    scenario: Scenario, options: Options | None = None, *, with_fixes: bool = True
) -> Report:
    options = options or Options()
    with check_run():  # the garbage collector's policy for a check (_gcpolicy.py)
        report = run_checks(scenario, options)
        if with_fixes:
            report.fixes = build_fixes(scenario, report, options)
        report.sort()
    return report


def check_file(path: str | Path, options: Options | None = None) -> Report:
    return check_scenario(load_scenario(path), options)


def quick_scenario(
    key_policy: Policy | dict[str, Any] | str,
    source_account: str,
    destination_account: str,
    *,
    key_arn: str | None = None,
    resource_type: str | None = None,
    key_manager: str | None = None,
    key_state: str | None = None,
    region: str | None = None,
    policy_source: str | None = None,
) -> Scenario:
    """The seed article's situation in one call: one key, one copy to the destination."""
    if not isinstance(key_policy, Policy):
        key_policy = parse_policy(key_policy, name=policy_source or "key policy", kind="key")
    region = region or (key_arn.split(":")[3] if key_arn else PLACEHOLDER_REGION)
    # without --key-arn the key is named by a placeholder (its Region is then unknown too):
    # reports show key/KEY_ID and `fix --as cli` prints KEY_ARN with a note to replace it
    arn = key_arn or placeholder_key_arn(source_account, region)
    key = Key(
        arn=arn,
        path="key",
        manager=key_manager.upper() if key_manager else UNKNOWN,
        state=key_state or UNKNOWN,
        policy=key_policy,
        policy_path="key_policy",
    )
    copy = Copy(
        name="quick",
        path="copy",
        resource_type=resource_type or UNKNOWN,
        resource_key=arn,
        source_vault=f"arn:aws:backup:{region}:{source_account}:backup-vault:source",
        destination_vault=f"arn:aws:backup:{region}:{destination_account}:backup-vault:destination",
    )
    # whatever the type, the key given is the source key (CheckContext.source_key, quick form)
    return Scenario(keys={arn: key}, copies=[copy], source=policy_source, quick=True)


def check_key_policy(
    key_policy: Policy | dict[str, Any] | str,
    source_account: str,
    destination_account: str,
    options: Options | None = None,
    **kwargs: Any,
) -> Report:
    """The quick form: judge one key policy for one destination account."""
    options = options or Options()
    options.quick = True
    sc = quick_scenario(key_policy, source_account, destination_account, **kwargs)
    return check_scenario(sc, options)


def scan(
    sessions: dict[str, Any],
    *,
    job_id: str | None = None,
    failed_since: Any = None,
    plan_ids: list[str] | None = None,
    all_plans: bool = False,
    region: str | None = None,
    endpoint_url: str | None = None,
    options: Options | None = None,
    progress: Any = None,
    unexplained_failures: bool = True,
) -> tuple[Report, Any]:
    """Live diagnosis through injected boto3 sessions ({"source": ..., "destination": ...,
    "management": ...}). Returns the report and the LiveScan (scenario, reads, API call counts).

    A scan that found no copy to check gets a CG902 saying what it looked at (never a pass).
    Each diagnosed copy job's state, message, creation time and ID go in the evidence
    (``copy_job``) and notes of its copy's findings; with ``unexplained_failures``, a FAILED
    job for which copyguard finds nothing blocking today is a CG902 naming the job."""
    from copyguard.sources import aws

    reader = aws.Reader(sessions, region=region, endpoint_url=endpoint_url)
    if job_id:
        live = aws.scan_job(reader, job_id, progress)
    elif failed_since is not None:
        live = aws.scan_failed_since(reader, failed_since, progress)
    elif plan_ids or all_plans:
        live = aws.scan_plans(reader, None if all_plans else plan_ids, progress)
    else:
        raise ValueError("give job_id, failed_since, plan_ids or all_plans")
    report = check_scenario(live.scenario, options)
    if not live.scenario.copies:
        report.findings.append(_nothing_found(live))
    _job_findings(report, live.jobs, unexplained_failures)
    report.sort()
    return report, live


def _nothing_found(live: Any) -> Finding:
    """CG902: the scan found no copy to check; what it looked at, in words."""
    target = live.target or {}
    accounts = live.accounts or {}
    src = accounts.get("source") or "(unknown)"
    region = target.get("region") or "(the profile's Region)"
    where_en = f"in account {src}, Region {region}"
    where_zh = f"账户 {src}、区域 {region}"
    mode = target.get("mode")
    if mode == "failed_since":
        since = target.get("since", "?")
        en = f"no failed copy job created since {since} (--failed-since) {where_en}"
        zh = f"{where_zh}中没有自 {since} 以来创建的失败复制作业(--failed-since)"
    elif mode == "plans" and target.get("plan_ids") is None:
        n = target.get("plans_read", 0)
        en = f"no backup plan with a copy action {where_en} (--all-plans: {n} backup plan(s) read)"
        zh = f"{where_zh}中没有带复制操作的备份计划(--all-plans:读取了 {n} 个备份计划)"
    elif mode == "plans":
        ids = ", ".join(target.get("plan_ids") or [])
        en = f"no copy action in the backup plan(s) {ids} (--plan-id) {where_en}"
        zh = f"{where_zh}的备份计划 {ids} 中没有复制操作(--plan-id)"
    else:
        en, zh = f"no copy job {where_en}", f"{where_zh}中没有复制作业"
    finding = unknown(
        None,
        tr(
            f"The scan found nothing to check: {en}. Nothing checked is not a pass: is this "
            "the right account and Region (--region), and the right target?",
            f"扫描没有找到可检查的内容:{zh}。没有检查任何内容不等于通过:请确认账户和区域(--region)"
            "以及扫描目标是否正确。",
        ),
        "scan",
        None,
    )
    finding.evidence["looked_at"] = {
        "accounts": {role: acct for role, acct in accounts.items() if acct},
        **{k: v for k, v in target.items() if v is not None},
    }
    return finding


def job_record(job: dict[str, Any]) -> dict[str, Any]:
    """A copy job's own facts, as shown next to its findings."""
    created: Any = job.get("CreationDate")
    if hasattr(created, "isoformat"):
        created = created.isoformat()
    return {
        "id": job.get("CopyJobId"),
        "state": job.get("State"),
        "status_message": job.get("StatusMessage"),
        "created": created,
    }


def _job_findings(report: Report, jobs: list[dict[str, Any]], unexplained: bool) -> None:
    for job in jobs:
        record = job_record(job)
        name = record["id"]
        state, message = record["state"] or "UNKNOWN", record["status_message"]
        said_en = f" with '{message}'" if message else ""
        said_zh = f",消息为 '{message}'" if message else ""
        note = tr(
            f"Copy job {name} (created {record['created']}): {state}{said_en}.",
            f"复制作业 {name}(创建于 {record['created']}):{state}{said_zh}。",
        )
        mine = [f for f in report.findings if f.copy == name]
        for f in mine:
            f.evidence["copy_job"] = record
            f.notes.append(note)
        if unexplained and state == "FAILED" and not any(f.severity == "error" for f in mine):
            finding = unknown(
                None,
                tr(
                    f"Copy job {name} failed{said_en}; copyguard finds nothing blocking it "
                    "today: fixed since the job ran, or a cause copyguard does not check. Run "
                    "a new copy job to know which.",
                    f"复制作业 {name} 失败{said_zh};copyguard 目前没有发现任何阻碍:要么作业运行后已被修复,"
                    "要么是 copyguard 不检查的原因。请运行一个新的复制作业来确认。",
                ),
                "copy-job",
                None,
            )
            finding.copy = name
            finding.evidence["copy_job"] = record
            report.findings.append(finding)


def scan_organization(
    management_session: Any,
    *,
    all_plans: bool = False,
    failed_since: Any = None,
    job_id: str | None = None,
    role_name: str | None = None,
    regions: list[str] | str | None = None,
    accounts: list[str] | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    max_workers: int = 8,
    options: Options | None = None,
    progress: Any = None,
    unexplained_failures: bool = True,
    make_session: Any = None,
) -> tuple[Report, Any]:
    """Every account (or ``accounts``) and Region (``regions``: a list, ``"all"``, or None for
    ``region``) of the organization of ``management_session``'s account, in one report (spec
    section 7). Members are read through ``role_name`` (default
    OrganizationAccountAccessRole) assumed from the management session, with botocore's
    adaptive retries and ``max_workers`` reads side by side. An account or Region that cannot
    be read is a CG902 naming it (``evidence.account``, ``evidence.region``); a scan that found
    nothing, or that Ctrl-C stopped, gets a CG902 saying what it looked at."""
    from copyguard.sources import aws
    from copyguard.sources.organization import DEFAULT_ROLE_NAME, scan_organization

    if sum(bool(x) for x in (all_plans, failed_since is not None, job_id)) != 1:
        raise ValueError("give exactly one of all_plans, failed_since or job_id")
    mode = "plans" if all_plans else "failed_since" if failed_since is not None else "job"
    reader = aws.Reader(
        {"management": management_session},
        region=region,
        endpoint_url=endpoint_url,
        retry_mode="adaptive",
        max_workers=max_workers,
    )
    live = scan_organization(
        reader,
        mode=mode,
        since=failed_since,
        job_id=job_id,
        role_name=role_name or DEFAULT_ROLE_NAME,
        regions=regions,
        only_accounts=accounts,
        progress=progress,
        make_session=make_session,
    )
    report = check_scenario(live.scenario, options)
    target = live.target
    if target.get("interrupted"):
        report.findings.append(_interrupted(target))
    elif not live.scenario.copies:
        report.findings.append(_org_nothing_found(live))
    _job_findings(report, live.jobs, unexplained_failures)
    for finding in report.findings:
        where = _account_region(finding.path)
        if where:
            finding.evidence.update(where)
    report.sort()
    return report, live


def _account_region(path: str | None) -> dict[str, str]:
    """``accounts[ID].regions[R]...`` -> {"account": ID, "region": R}."""
    if not path or not path.startswith("accounts["):
        return {}
    account, _, rest = path[len("accounts[") :].partition("]")
    out = {"account": account}
    if rest.startswith(".regions[") and "]" in rest:
        out["region"] = rest[len(".regions[") :].split("]", 1)[0]
    return out


def _org_looked_at(target: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    accounts = list(target.get("accounts") or [])
    regions = target.get("regions")
    regions_en = "every enabled Region" if regions == "all" else ", ".join(map(str, regions or []))
    regions_zh = "所有已启用的区域" if regions == "all" else ", ".join(map(str, regions or []))
    org = target.get("organization") or "?"
    more = f" and {len(accounts) - 10} more" if len(accounts) > 10 else ""
    shown = ", ".join(accounts[:10]) + more
    en = f"organization {org}, {len(accounts)} account(s) ({shown}), Region(s) {regions_en}"
    zh = f"组织 {org}、{len(accounts)} 个账户({shown})、区域 {regions_zh}"
    looked = {k: v for k, v in target.items() if v is not None}
    return en, zh, looked


def _org_nothing_found(live: Any) -> Finding:
    """CG902: an organization scan found no copy to check; what it looked at."""
    target = live.target or {}
    where_en, where_zh, looked = _org_looked_at(target)
    mode = target.get("mode")
    if mode == "failed_since":
        since = target.get("since", "?")
        en = f"no failed copy job created since {since} (--failed-since) in {where_en}"
        zh = f"{where_zh}中没有自 {since} 以来创建的失败复制作业(--failed-since)"
    elif mode == "job":
        en = f"copy job {target.get('job_id')} was not found (--job-id) in {where_en}"
        zh = f"{where_zh}中没有找到复制作业 {target.get('job_id')}(--job-id)"
    else:
        en = (
            f"no backup plan or organization backup policy with a copy action (--all-plans) "
            f"in {where_en}"
        )
        zh = f"{where_zh}中没有带复制操作的备份计划或组织备份策略(--all-plans)"
    finding = unknown(
        None,
        tr(
            f"The organization scan found nothing to check: {en}. Nothing checked is not a "
            "pass: are these the right accounts and Regions (--accounts, --regions)?",
            f"组织扫描没有找到可检查的内容:{zh}。没有检查任何内容不等于通过:请确认账户和区域"
            "(--accounts、--regions)是否正确。",
        ),
        "scan",
        None,
    )
    finding.evidence["looked_at"] = looked
    return finding


def _interrupted(target: dict[str, Any]) -> Finding:
    """CG902: Ctrl-C stopped the organization scan; the report holds what was read."""
    where_en, where_zh, looked = _org_looked_at(target)
    done = target.get("accounts_read", 0)
    total = len(target.get("accounts") or [])
    finding = unknown(
        None,
        tr(
            f"The scan was interrupted (Ctrl-C) after reading {done} of {total} account(s) of "
            f"{where_en}: this report is incomplete, and what was not read is not a pass.",
            f"扫描被中断(Ctrl-C),{where_zh}中只读取了 {done}/{total} 个账户:本报告不完整,"
            "未读取的部分不等于通过。",
        ),
        "scan",
        None,
    )
    finding.evidence["looked_at"] = looked
    finding.evidence["interrupted"] = True
    return finding
