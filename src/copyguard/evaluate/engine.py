"""Statement matching, with the reason every statement did or did not apply.

A policy is compiled once (cached on ``Policy.compiled``) and then asked many questions.

Principals (IAM User Guide, "AWS JSON policy elements: Principal" and "NotPrincipal"):

* an account (``arn:aws:iam::ACCOUNT:root`` or the bare ID) names the account, not only its
  root user: every principal of the account matches it "through the account", which the
  service rules then treat as delegation to the account's IAM policies;
* a role ARN matches the role and every session of it (a session ARN loses the role's path,
  so the role's name decides; IAM role names are case-insensitive);
* ``"*"`` and ``{"AWS": "*"}`` match every principal, service principals included;
* ``NotPrincipal`` is evaluated against the principal's whole identity chain (account, role,
  session): "AWS might validate the account first, then the role, and then the assumed-role
  user". The page's own example lists Bob and Bob's account and says "all principals except
  the user named Bob in AWS account 444455556666 are explicitly denied": listing an account
  does not exempt its other principals, and without the account ARN "the policy might deny
  access to the entire account containing the principal". So a Deny with ``NotPrincipal``
  exempts a principal only when every identity of its chain is listed, and an Allow with
  ``NotPrincipal`` applies only when none is (the conservative reading of "might").
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.evaluate.conditions import CompiledCondition, compile_condition
from copyguard.evaluate.patterns import resource_matcher, resource_segments_matcher
from copyguard.evaluate.request import ContextValue, PrincipalInfo
from copyguard.evaluate.variables import Template, parse_template
from copyguard.policy import Policy, Principals, Statement
from copyguard.policy.wildcard import Glob, glob
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    from copyguard.evaluate.patterns import Matcher

    PrincipalMatch = Literal["direct", "account", "none"]


@record(frozen=True, slots=True)
class CompiledPrincipals:
    wildcard: bool
    accounts: frozenset[tuple[str | None, str]]  # (partition or None for a bare ID, account)
    arns: frozenset[str]
    role_sessions: frozenset[tuple[str, str, str]]  # (partition, account, lower-cased role name)
    services: frozenset[str]
    others: frozenset[str]

    def match(self, p: PrincipalInfo) -> PrincipalMatch:
        """``direct`` when the principal itself (or everyone) is named, ``account`` when only
        its account is named (the account then decides through its IAM policies)."""
        if self.wildcard:
            return "direct"
        if p.kind == "service":
            return "direct" if p.arn in self.services else "none"
        if p.arn in self.arns or p.arn in self.others:
            return "direct"
        if (
            p.kind == "assumed-role"
            and p.account
            and p.role_name
            and (p.partition, p.account, p.role_name.lower()) in self.role_sessions
        ):
            return "direct"
        if self._account_listed(p):
            return "account"
        return "none"

    def _account_listed(self, p: PrincipalInfo) -> bool:
        if not p.account:
            return False
        return (None, p.account) in self.accounts or (p.partition, p.account) in self.accounts

    def listed(self, p: PrincipalInfo, identity: str) -> bool:
        """Whether one identity of the principal's chain is named here."""
        if self.wildcard:
            return True
        if identity == "account":
            return self._account_listed(p)
        if identity == "service":
            return p.arn in self.services
        if identity == "role":
            return (
                p.account is not None
                and p.role_name is not None
                and (p.partition, p.account, p.role_name.lower()) in self.role_sessions
            )
        return p.arn in self.arns or p.arn in self.others  # "self" and "session"

    def not_principal_applies(self, p: PrincipalInfo, deny: bool) -> bool:
        listed = [self.listed(p, identity) for identity in p.identities]
        return not all(listed) if deny else not any(listed)


def compile_principals(principals: Principals) -> CompiledPrincipals:
    return _compile_principals(principals.wildcard, principals.entries)


@lru_cache(maxsize=8192)
def _compile_principals(wildcard: bool, entries: tuple[tuple[str, str], ...]) -> CompiledPrincipals:
    accounts: set[tuple[str | None, str]] = set()
    arns: set[str] = set()
    sessions: set[tuple[str, str, str]] = set()
    services: set[str] = set()
    others: set[str] = set()
    for kind, value in entries:
        if kind == "AWS":
            if value.isdigit() and len(value) == 12:
                accounts.add((None, value))
                continue
            parts = value.split(":", 5)
            if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
                accounts.add((parts[1], parts[4]))
                continue
            arns.add(value)
            if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
                sessions.add((parts[1], parts[4], parts[5].rsplit("/", 1)[-1].lower()))
        elif kind == "Service":
            services.add(value)  # service principals are case-sensitive (IAM API reference)
        else:
            others.add(value)
    return CompiledPrincipals(
        wildcard,
        frozenset(accounts),
        frozenset(arns),
        frozenset(sessions),
        frozenset(services),
        frozenset(others),
    )


class _AnyOf:
    """Matches when one of its (linear-time) wildcard patterns does."""

    __slots__ = ("_globs",)

    def __init__(self, globs: tuple[Glob, ...]) -> None:
        self._globs = globs

    def match(self, value: str) -> bool:
        return any(g.match(value) for g in self._globs)


class ActionSet:
    """An Action (or NotAction) list: lower-cased literals, then the wildcard patterns.
    :meth:`hit` remembers its answer per request action as written (at most
    ``ACTION_MEMO`` of them): statements with the same list share one ActionSet, and a
    batch asks it about a few dozen actions again and again."""

    __slots__ = ("literals", "memo", "wild")

    def __init__(self, literals: frozenset[str], wild: _AnyOf | None) -> None:
        self.literals = literals
        self.wild = wild
        self.memo: dict[str, bool] = {}

    def hit(self, action: str) -> bool:
        memo = self.memo
        found = memo.get(action)
        if found is None:
            lowered = action.lower()
            found = lowered in self.literals or (self.wild is not None and self.wild.match(lowered))
            if len(memo) >= ACTION_MEMO:
                memo.clear()
            memo[action] = found
        return found


@lru_cache(maxsize=4096)
def _actions_matcher(actions: tuple[str, ...]) -> ActionSet:
    literals: set[str] = set()
    wild: list[Glob] = []
    for a in actions:
        lowered = a.lower()
        if "*" in lowered or "?" in lowered:
            wild.append(glob(lowered))
        else:
            literals.add(lowered)
    return ActionSet(frozenset(literals), _AnyOf(tuple(wild)) if wild else None)


@record(frozen=True, slots=True)
class CompiledResources:
    all: bool  # a "*" among the patterns
    literals: frozenset[str]
    patterns: tuple[Matcher, ...]
    templates: tuple[Template, ...]

    def hit(self, resource: str, ctx: dict[str, ContextValue]) -> bool | None:
        """True / False, or None when a pattern's policy variable has no value."""
        if self.all or resource in self.literals:
            return True
        for m in self.patterns:
            if m.match(resource):
                return True
        unresolved = False
        for tpl in self.templates:
            segments = tpl.resolve(ctx)
            if segments is None:
                unresolved = True
                continue
            m2 = resource_segments_matcher(segments)
            if m2 is not None and m2.match(resource):
                return True
        return None if unresolved else False


@lru_cache(maxsize=8192)
def compile_resources(resources: tuple[str, ...], variables: bool) -> CompiledResources:
    literals: set[str] = set()
    patterns: list[Matcher] = []
    templates: list[Template] = []
    every = False
    for r in resources:
        tpl = parse_template(r) if variables else None
        if tpl is not None:
            templates.append(tpl)
        elif r == "*":
            every = True
        elif "*" not in r and "?" not in r:
            literals.add(r)
        else:
            m = resource_matcher(r)
            if m is not None:
                patterns.append(m)
    return CompiledResources(every, frozenset(literals), tuple(patterns), tuple(templates))


_NO_RESOURCES = CompiledResources(False, frozenset(), (), ())
_UNSET: Any = object()


class CompiledStatement:
    """A statement ready for matching. Only the action matcher is built up front; the
    principal, resource and condition matchers are built when a request first needs them
    (most statements of a policy are ruled out by the action alone)."""

    __slots__ = (
        "_conditions",
        "_principals",
        "_resources",
        "_variables",
        "actions",
        "actions_negated",
        "allow",
        "statement",
    )

    def __init__(self, statement: Statement, variables: bool) -> None:
        self.statement = statement
        self.allow = statement.effect == "Allow"
        self._variables = variables
        # None: no Action element (never applies)
        self.actions: ActionSet | None = (
            _actions_matcher(statement.actions) if statement.actions is not None else None
        )
        self.actions_negated = statement.actions_negated
        self._principals: Any = _UNSET
        self._resources: CompiledResources | None = None
        self._conditions: tuple[CompiledCondition, ...] | None = None

    @property
    def principals(self) -> CompiledPrincipals | None:
        if self._principals is _UNSET:
            p = self.statement.principal
            self._principals = compile_principals(p) if p is not None else None
        return self._principals  # type: ignore[no-any-return]

    @property
    def resources(self) -> CompiledResources:
        if self._resources is None:
            rs = self.statement.resources
            self._resources = (
                compile_resources(rs, self._variables) if rs is not None else _NO_RESOURCES
            )
        return self._resources

    @property
    def conditions(self) -> tuple[CompiledCondition, ...]:
        if self._conditions is None:
            self._conditions = tuple(
                compile_condition(c, self._variables) for c in self.statement.conditions
            )
        return self._conditions

    def principal_match(self, p: PrincipalInfo) -> PrincipalMatch:
        principals = self.principals
        if principals is None:
            return "direct"  # identity policies and SCPs: the principal is implied
        if self.statement.principal_negated:
            return "direct" if principals.not_principal_applies(p, not self.allow) else "none"
        return principals.match(p)

    def action_match(self, action: str) -> bool:
        actions = self.actions
        if actions is None:
            return False
        hit = actions.hit(action)
        return not hit if self.statement.actions_negated else hit

    def resource_hit(self, resource: str, ctx: dict[str, ContextValue]) -> bool | None:
        """True / False, or None when a pattern's policy variable has no value."""
        return self.resources.hit(resource, ctx)

    def resource_match(self, resource: str, ctx: dict[str, ContextValue]) -> bool:
        if self.statement.resources is None:
            return False
        hit = self.resources.hit(resource, ctx)
        if self.statement.resources_negated:
            # an unresolvable variable in NotResource makes the statement inapplicable
            return hit is False
        return hit is True

    def conditions_hold(self, ctx: dict[str, ContextValue]) -> bool:
        return all(c.test(ctx) for c in self.conditions)


#: how many request actions a compiled statement remembers its answer for
ACTION_MEMO = 64


def clear_shared_caches() -> None:
    """Empty the compile tables statements share (principals, actions, resources, condition
    values, wildcard patterns, request principals). They are bounded by count, and their
    keys are policy text of any length: a long batch empties them now and then so what they
    hold stays bounded in bytes too. Compiled statements keep what they use."""
    from copyguard.evaluate import conditions, patterns, request
    from copyguard.policy import wildcard

    for table in (
        _compile_principals,
        _actions_matcher,
        compile_resources,
        conditions._compile_parts,
        patterns.arn_pattern_matcher,
        patterns.resource_matcher,
        wildcard.glob,
        request.parse_principal,
        request.principal_and_action_ok,
    ):
        table.cache_clear()


#: :func:`note_compiled` empties the shared compile tables after this many bytes of newly
#: compiled policy text (and request principals): they then hold the compiled form of at
#: most that much text (about 12 bytes per byte of text: 12 MiB)
SHARED_CLEAR_BYTES = 1024 * 1024
_compiled_since_clear = 0


def note_compiled(size: int) -> None:
    """Count ``size`` bytes of text newly compiled (or a new principal parsed) through the
    shared tables, emptying them every :data:`SHARED_CLEAR_BYTES` (the batch path)."""
    global _compiled_since_clear
    _compiled_since_clear += size
    if _compiled_since_clear > SHARED_CLEAR_BYTES:
        _compiled_since_clear = 0
        clear_shared_caches()


def compile_statement(st: Statement, variables: bool) -> CompiledStatement:
    return CompiledStatement(st, variables)


def compiled(policy: Policy) -> tuple[CompiledStatement, ...]:
    cached = policy.compiled
    if cached is None:
        variables = policy.variables_enabled
        cached = tuple([CompiledStatement(s, variables) for s in policy.statements])
        policy.compiled = cached
    return cached  # type: ignore[no-any-return]


@record(slots=True)
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


@record(slots=True)
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
        if cs.statement.conditions and not cs.conditions_hold(ctx):
            continue
        if not cs.allow:
            out.deny.append(cs)
        elif pm == "direct":
            out.allow_direct.append(cs)
        else:
            out.allow_account.append(cs)
    return out


#: :func:`policy_effects` bits: a Deny applies, an Allow naming the principal (or everyone)
#: applies, an Allow naming only the principal's account applies
DENY, ALLOW_DIRECT, ALLOW_ACCOUNT = 1, 2, 4


def policy_effects(
    statements: tuple[CompiledStatement, ...],
    principal: PrincipalInfo,
    action: str,
    resource: str,
    ctx: dict[str, ContextValue],
) -> int:
    """What :func:`evaluate_policy` finds, as bits (``DENY | ALLOW_DIRECT | ALLOW_ACCOUNT``),
    without building the lists of statements: the decision-only batch path."""
    bits = 0
    for cs in statements:
        actions = cs.actions  # cs.action_match(action), inlined: the loop runs per statement
        if actions is None:
            continue
        hit = actions.memo.get(action)
        if hit is None:
            hit = actions.hit(action)
        if hit == cs.actions_negated:
            continue
        pm = cs.principal_match(principal)
        if pm == "none":
            continue
        if not cs.resource_match(resource, ctx):
            continue
        if cs.statement.conditions and not cs.conditions_hold(ctx):
            continue
        if not cs.allow:
            bits |= DENY
        elif pm == "direct":
            bits |= ALLOW_DIRECT
        else:
            bits |= ALLOW_ACCOUNT
    return bits


def _principal_reason(cs: CompiledStatement, principal: PrincipalInfo) -> str:
    st = cs.statement
    if not st.principal_negated:
        return f"Principal does not match {principal.arn}"
    if cs.allow:
        return f"NotPrincipal names {principal.arn} (or its role or account)"
    return (
        f"NotPrincipal names every identity of {principal.arn} "
        f"({', '.join(principal.identities)}), so the Deny exempts it"
    )


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
            reasons.append(_principal_reason(cs, principal))
        if st.actions is None:
            reasons.append("the statement has no Action element")
        elif not cs.action_match(action):
            elem = "NotAction" if st.actions_negated else "Action"
            reasons.append(f"{elem} does not match {action}")
        if st.resources is None:
            reasons.append("the statement has no Resource element")
        elif not cs.resource_match(resource, ctx):
            elem = "NotResource" if st.resources_negated else "Resource"
            if cs.resource_hit(resource, ctx) is None:
                reasons.append(
                    f"{elem}: a policy variable has no value in this request, so the "
                    "statement cannot apply"
                )
            elif st.resources_negated:
                reasons.append(f"NotResource covers {resource}")
            else:
                reasons.append(f"Resource does not match {resource}")
        if not reasons:
            for c in cs.conditions:
                if not c.test(ctx):
                    reasons.append(c.explain(ctx))
        results.append(StatementResult(policy.name, st, not reasons, pm, reasons))
    return results
