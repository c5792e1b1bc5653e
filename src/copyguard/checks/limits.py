"""CG901 for a Vault Lock or a copy lifecycle that AWS would refuse (scenario/limits.py).

A scenario file with such values stops at loading (exit 2, file, line and field path). A
scenario built by another reader (live reads, infrastructure code) reaches the checks: the
same limits give a CG901 finding with the field path, so the input error is never silent.
"""

from __future__ import annotations

from copyguard.checks.model import Finding, tr
from copyguard.scenario import Lifecycle, Scenario, VaultLock
from copyguard.scenario.limits import lifecycle_problems, lock_problems


def _cg901(resource: str, path: str, expected: str) -> Finding:
    return Finding(
        code="CG901",
        severity="error",
        message=tr(
            f"{path}: outside AWS's limits: {expected}", f"{path}:超出 AWS 的限制:{expected}"
        ),
        resource=resource,
        path=path,
        evidence={"issue": {"path": path, "message": expected, "severity": "error"}},
    )


def limit_findings(scenario: Scenario) -> list[Finding]:
    out: list[Finding] = []
    for vault in scenario.vaults.values():
        if isinstance(vault.lock, VaultLock):
            for path, expected in lock_problems(
                vault.lock, f"{vault.path}.lock", air_gapped=vault.logically_air_gapped
            ):
                out.append(_cg901(vault.arn, path, expected))
    for copy in scenario.copies:
        if isinstance(copy.lifecycle, Lifecycle):
            for path, expected in lifecycle_problems(copy.lifecycle, f"{copy.path}.lifecycle"):
                finding = _cg901(copy.name, path, expected)
                finding.copy = copy.name
                finding.resource = None
                out.append(finding)
    return out
