"""The library front door: everything the command line does, as functions returning values.

>>> from copyguard import api
>>> report = api.check_file("examples/seed-failing.yaml")
>>> report.verdict
'fail'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from copyguard.checks import Options, Report, run_checks
from copyguard.checks.facts import PLACEHOLDER_REGION, placeholder_key_arn
from copyguard.fixes import build_fixes
from copyguard.policy import Policy, parse_policy
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario, load_scenario

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
) -> tuple[Report, Any]:
    """Live diagnosis through injected boto3 sessions ({"source": ..., "destination": ...,
    "management": ...}). Returns the report and the LiveScan (scenario, reads, API call counts)."""
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
    return report, live
