"""Statement matching, with the reason every statement did or did not apply.

A policy is compiled once (cached on ``Policy.compiled``) and then asked many questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from copyguard.evaluate.conditions import CompiledCondition, compile_condition
from copyguard.evaluate.patterns import glob_regex, resource_match, segments_regex
from copyguard.evaluate.request import ContextValue, PrincipalInfo
from copyguard.evaluate.variables import Template, parse_template
from copyguard.policy import Policy, Principals, Statement

PrincipalMatch = Literal["direct", "account", "none"]


@dataclass(slots=True)
class CompiledPrincipals:
    wildcard: bool
    accounts: frozenset[str]
    arns: frozenset[str]
    role_sessions: frozenset[tuple[str, str]]  # (account, role name) from role ARNs
    services: frozenset[str]
    others: frozenset[str]

    def match(self, p: PrincipalInfo) -> PrincipalMatch:
        """"direct" when the principal itself (or everyone) is named, "account" when only its
        account is named (the account then decides through its IAM policies)."""
        if self.wildcard:
            return "direct"
        if p.is_service:
            return "direct" if p.arn.lower() in self.services else "none"
        if p.arn in self.arns:
            return "direct"
        if p.kind == "assumed-role" and p.account and p.role_name:
            if (p.account, p.role_name) in self.role_sessions:
                return "direct"
        if p.arn in self.others:
            return "direct"
        if p.account and p.account in self.accounts:
            return "account"
        return "none"


def compile_principals(principals: Principals) -> CompiledPrincipals:
    accounts: set[str] = set()
    arns: set[str] = set()
    sessions: set[tuple[str, str]] = set()
    services: set[str] = set()
    others: set[str] = set()
    for kind, value in principals.entries:
        if kind == "AWS":
            if value.isdigit() and len(value) == 12:
                accounts.add(value)
                continue
            parts = value.split(":", 5)
            if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
                accounts.add(parts[4])
                continue
            arns.add(value)
            if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
                sessions.add((parts[4], parts[5].rsplit("/", 1)[-1]))
        elif kind == "Service":
            services.add(value.lower())
        else:
            others.add(value)
    return CompiledPrincipals(
        principals.wildcard,
        frozenset(accounts),
        frozenset(arns),
        frozenset(sessions),
        frozenset(services),
        frozenset(others),
    )


@dataclass(slots=True)
class CompiledStatement:
    statement: Statement
    allow: bool
    principals: CompiledPrincipals | None
    action_rx: re.Pattern[str] | None  # None: never applies (no Action element)
    resources: tuple[str, ...] | None
    resource_templates: tuple[Template, ...]
    conditions: tuple[CompiledCondition, ...]

    def principal_match(self, p: PrincipalInfo) -> PrincipalMatch:
        if self.principals is None:
            return "direct"  # identity policies and SCPs: the principal is implied
        m = self.principals.match(p)
        if self.statement.principal_negated:
            return "direct" if m == "none" else "none"
        return m

    def action_match(self, action: str) -> bool:
        if self.action_rx is None:
            return False
        hit = self.action_rx.match(action) is not None
        return not hit if self.statement.actions_negated else hit

    def resource_match(self, resource: str, ctx: dict[str, ContextValue]) -> bool:
        if self.resources is None:
            return False
        hit = any(resource_match(p, resource) for p in self.resources)
        if not hit:
            for tpl in self.resource_templates:
                segments = tpl.resolve(ctx)
                if segments is not None and segments_regex(segments).match(resource):
                    hit = True
                    break
        return not hit if self.statement.resources_negated else hit


def _actions_regex(actions: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        "|".join(f"(?:{glob_regex(a.lower()).pattern})" for a in actions), re.IGNORECASE | re.DOTALL
    )


def compile_statement(st: Statement, variables: bool) -> CompiledStatement:
    resources: tuple[str, ...] | None = None
    templates: list[Template] = []
    if st.resources is not None:
        plain: list[str] = []
        for r in st.resources:
            tpl = parse_template(r) if variables else None
            if tpl is None:
                plain.append(r)
            else:
                templates.append(tpl)
        resources = tuple(plain)
    return CompiledStatement(
        statement=st,
        allow=st.effect == "Allow",
        principals=compile_principals(st.principal) if st.principal is not None else None,
        action_rx=_actions_regex(st.actions) if st.actions is not None else None,
        resources=resources,
        resource_templates=tuple(templates),
        conditions=tuple(compile_condition(c, variables) for c in st.conditions),
    )


def compiled(policy: Policy) -> tuple[CompiledStatement, ...]:
    cached = policy.compiled
    if cached is None:
        cached = tuple(compile_statement(s, policy.variables_enabled) for s in policy.statements)
        policy.compiled = cached
    return cached  # type: ignore[no-any-return]


@dataclass(slots=True)
class StatementResult:
    """One statement's outcome for one request."""

    policy: str
    statement: Statement
    applies: bool
    principal: PrincipalMatch
    reasons: list[str] = field(default_factory=list)

    @property
    def effect(self) -> str:
        return self.statement.effect

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy": self.policy,
            "statement": self.statement.path,
            "effect": self.statement.effect,
            "applies": self.applies,
        }
        if self.statement.sid:
            out["sid"] = self.statement.sid
        if self.applies and self.principal == "account":
            out["via"] = "account"
        if self.reasons:
            out["reasons"] = self.reasons
        return out


@dataclass(slots=True)
class PolicyOutcome:
    """What one policy says about one request."""

    name: str
    allow_direct: list[CompiledStatement] = field(default_factory=list)
    allow_account: list[CompiledStatement] = field(default_factory=list)
    deny: list[CompiledStatement] = field(default_factory=list)

    @property
    def allows(self) -> bool:
        return bool(self.allow_direct or self.allow_account)


def evaluate_policy(
    policy: Policy,
    principal: PrincipalInfo,
    action: str,
    resource: str,
    ctx: dict[str, ContextValue],
) -> PolicyOutcome:
    """Fast path: which statements apply (no explanation text)."""
    out = PolicyOutcome(policy.name)
    for cs in compiled(policy):
        if not cs.action_match(action):
            continue
        pm = cs.principal_match(principal)
        if pm == "none":
            continue
        if not cs.resource_match(resource, ctx):
            continue
        if not all(c.test(ctx) for c in cs.conditions):
            continue
        if not cs.allow:
            out.deny.append(cs)
        elif pm == "direct":
            out.allow_direct.append(cs)
        else:
            out.allow_account.append(cs)
    return out


def explain_policy(
    policy: Policy,
    principal: PrincipalInfo,
    action: str,
    resource: str,
    ctx: dict[str, ContextValue],
) -> list[StatementResult]:
    """Slow path: every statement with the reasons it did or did not apply."""
    results: list[StatementResult] = []
    for cs in compiled(policy):
        st = cs.statement
        reasons: list[str] = []
        pm = cs.principal_match(principal)
        if pm == "none":
            elem = "NotPrincipal" if st.principal_negated else "Principal"
            reasons.append(f"{elem} does not match {principal.arn}")
        if st.actions is None:
            reasons.append("the statement has no Action element")
        elif not cs.action_match(action):
            elem = "NotAction" if st.actions_negated else "Action"
            reasons.append(f"{elem} does not match {action}")
        if st.resources is None:
            reasons.append("the statement has no Resource element")
        elif not cs.resource_match(resource, ctx):
            elem = "NotResource" if st.resources_negated else "Resource"
            reasons.append(f"{elem} does not match {resource}")
        if not reasons:
            for c in cs.conditions:
                if not c.test(ctx):
                    reasons.append(c.explain(ctx))
        results.append(StatementResult(policy.name, st, not reasons, pm, reasons))
    return results
