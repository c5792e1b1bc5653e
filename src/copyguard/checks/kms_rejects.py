"""CG901 for key policies KMS would reject although they parse: conditions on IAM-only keys.

``kms:ResourceAliases`` and ``aws:ResourceTag/...`` are IAM-only condition keys; KMS refuses
a key policy that uses them (PutKeyPolicy fails), so such a policy cannot be the key's policy
as written. The lint (:mod:`copyguard.evaluate.lint`) finds them with their JSON path; this
module turns its error-level issues into CG901 findings with the scenario location.
"""

from __future__ import annotations

from copyguard.checks.model import Finding, tr
from copyguard.policy import Policy
from copyguard.scenario import Scenario

#: Lint codes that mean "KMS rejects this key policy".
REJECTED = frozenset({"iam-only-condition-key"})


def _may_be_rejected(policy: Policy) -> bool:
    """Whether the lint can find an IAM-only condition key in ``policy``: only in a key
    policy, only on a condition whose key is one (a policy without any is not linted: the
    lint's other findings are warnings, and its condition-key catalogue is not read)."""
    if policy.kind != "key":
        return False
    from copyguard.knowledge import iam_only_condition_key

    return any(
        iam_only_condition_key(cond.key) is not None
        for st in policy.statements
        for cond in st.conditions
    )


def kms_rejected_findings(scenario: Scenario) -> list[Finding]:
    out: list[Finding] = []
    for key in scenario.keys.values():
        if not isinstance(key.policy, Policy) or not _may_be_rejected(key.policy):
            continue
        from copyguard.evaluate.lint import lint_policy

        for issue in lint_policy(key.policy):
            if issue.severity != "error" or issue.code not in REJECTED:
                continue
            base = key.policy_path or f"{key.path}.policy"
            path = f"{base}.{issue.path}" if issue.path else base
            out.append(
                Finding(
                    code="CG901",
                    severity="error",
                    message=tr(
                        f"KMS rejects this key policy: {issue.message}.",
                        f"KMS 会拒绝此密钥策略({issue.path}):该条件键只能用于 IAM 策略,"
                        "不允许出现在密钥策略中,因此 PutKeyPolicy 会失败;请把此条件移到 IAM 策略中。",
                    ),
                    resource=key.arn,
                    path=path,
                    evidence={"issue": issue.to_dict(), "lint": issue.code},
                    file=issue.source if issue.line is not None else None,
                    line=issue.line,
                    column=issue.column,
                )
            )
    return out
