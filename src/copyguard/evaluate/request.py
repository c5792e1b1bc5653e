"""The request being authorized, and who its principal is.

A request's principal is one identity, but AWS evaluates some policy elements against the
whole chain of identities behind it: the account, then the role or user, then the session
(IAM User Guide, "AWS JSON policy elements: NotPrincipal"). :class:`PrincipalInfo` keeps
that chain (:attr:`PrincipalInfo.identities`).
"""

from __future__ import annotations

from functools import lru_cache

from copyguard.lazyre import lazy_compile
from copyguard.policy.ids import account_problem, is_account, text_problem
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ContextValue = str | list[str]
# a request names one concrete action: service:Action, no wildcards
_REQUEST_ACTION_RE = lazy_compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Service-linked role names are "AWSServiceRoleFor..." (IAM User Guide, "Using
# service-linked roles"); a session ARN loses the role's /aws-service-role/ path.
_SLR_NAME_PREFIX = "awsservicerolefor"


@record(frozen=True, slots=True)
class PrincipalInfo:
    """What evaluation needs to know about the calling principal."""

    arn: str
    kind: str  # "root", "user", "role", "assumed-role", "service", "federated", "other"
    account: str | None
    role_name: str | None = None  # for roles and assumed-role sessions
    role_path: str | None = None  # for roles (not knowable from a session ARN)
    partition: str = "aws"

    @property
    def is_service(self) -> bool:
        return self.kind == "service"

    @property
    def is_service_linked_role(self) -> bool:
        if self.kind == "role":
            return (self.role_path or "").startswith("/aws-service-role/")
        if self.kind == "assumed-role":
            return (self.role_name or "").lower().startswith(_SLR_NAME_PREFIX)
        return False

    @property
    def role_arn(self) -> str | None:
        """The IAM role ARN behind a role or a session (sessions lose the role's path)."""
        if self.kind == "role":
            return self.arn
        if self.kind == "assumed-role" and self.account and self.role_name:
            return f"arn:{self.partition}:iam::{self.account}:role/{self.role_name}"
        return None

    @property
    def identities(self) -> tuple[str, ...]:
        """The identity chain AWS may check, broadest first: ``("account", "role",
        "session")`` for a role session, ``("account", "user")`` for an IAM user,
        ``("account",)`` for the root user, ``("service",)`` for a service principal."""
        if self.kind == "service":
            return ("service",)
        if self.kind == "root":
            return ("account",)
        if self.kind == "assumed-role":
            return ("account", "role", "session")
        if self.account:
            return ("account", "self")
        return ("self",)


@lru_cache(maxsize=4096)
def parse_principal(principal: str) -> PrincipalInfo:
    """Classify a request principal: an ARN, a bare account ID (the root user) or a service."""
    if is_account(principal):  # 12 ASCII digits, nothing after them
        return PrincipalInfo(f"arn:aws:iam::{principal}:root", "root", principal)
    if not principal.startswith("arn:"):
        if principal.endswith((".amazonaws.com", ".amazonaws.com.cn")):
            return PrincipalInfo(principal, "service", None)
        return PrincipalInfo(principal, "other", None)
    parts = principal.split(":", 5)
    if len(parts) != 6:
        return PrincipalInfo(principal, "other", None)
    _, partition, service, _region, account, resource = parts
    account_id = account or None
    if service == "iam":
        if resource == "root":
            return PrincipalInfo(principal, "root", account_id, partition=partition)
        if resource.startswith("role/"):
            path_and_name = resource[len("role/") :]
            path, _, name = path_and_name.rpartition("/")
            return PrincipalInfo(
                principal, "role", account_id, name, "/" + path + "/" if path else "/", partition
            )
        if resource.startswith("user/"):
            return PrincipalInfo(principal, "user", account_id, partition=partition)
        return PrincipalInfo(principal, "other", account_id, partition=partition)
    if service == "sts":
        if resource.startswith("assumed-role/"):
            pieces = resource.split("/")
            role_name = pieces[1] if len(pieces) >= 3 and pieces[1] else None
            return PrincipalInfo(principal, "assumed-role", account_id, role_name, None, partition)
        if resource.startswith("federated-user/"):
            return PrincipalInfo(principal, "federated", account_id, partition=partition)
    return PrincipalInfo(principal, "other", account_id, partition=partition)


def account_of_arn(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def region_of_arn(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return None


def checked_lowered_context(context: Any) -> dict[str, ContextValue]:
    """``context`` with its keys lower-cased (as :func:`context_for`, without the derived
    keys), or ValueError unless it is what :class:`Request` accepts: an object of non-empty
    keys to strings or lists of strings. One pass (the batch's decision path checks every
    line's context)."""
    if not isinstance(context, dict):
        raise ValueError("context must be an object of key -> string or list of strings")
    ctx: dict[str, ContextValue] = {}
    for key, value in context.items():
        # (``type(x) is str`` first: the usual case, cheaper than isinstance)
        if (type(key) is not str and not isinstance(key, str)) or not key:
            raise ValueError("context keys must be non-empty strings")
        if type(value) is str:
            pass
        elif isinstance(value, list):
            for item in value:
                if type(item) is not str and not isinstance(item, str):
                    raise ValueError(
                        f"context value for {key!r} must be a string or a list of strings"
                    )
        elif not isinstance(value, str):
            raise ValueError(f"context value for {key!r} must be a string or a list of strings")
        ctx[key.lower()] = value
    return ctx


def _principal_problem(principal: str) -> str | None:
    # a line break, a control character or a lone surrogate is never part of a principal;
    # digits only (any script) must be an account ID: 12 ASCII digits
    problem = text_problem(principal)
    if problem is None and principal.isdigit():
        problem = account_problem(principal)
    return problem


@lru_cache(maxsize=4096)
def principal_and_action_ok(principal: str, action: str) -> bool:
    """Whether :class:`Request` accepts this (non-empty) principal and this action; the
    batch asks about the same few again and again."""
    return _principal_problem(principal) is None and bool(_REQUEST_ACTION_RE.match(action))


@record(slots=True)
class Request:
    """One authorization question. ``context`` keys are matched case-insensitively."""

    principal: str
    action: str
    resource: str
    context: dict[str, ContextValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.principal, str) or not self.principal:
            raise ValueError("principal must be a non-empty string")
        problem = _principal_problem(self.principal)
        if problem is not None:
            raise ValueError(f"principal: {problem}")
        if not isinstance(self.action, str) or not _REQUEST_ACTION_RE.match(self.action):
            raise ValueError(
                f"action must be one service:Action without wildcards, got {self.action!r}"
            )
        if not isinstance(self.resource, str) or not self.resource:
            raise ValueError("resource must be a non-empty string")
        checked_lowered_context(self.context)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Request:
        return cls(
            principal=data.get("principal"),  # type: ignore[arg-type]
            action=data.get("action"),  # type: ignore[arg-type]
            resource=data.get("resource"),  # type: ignore[arg-type]
            context=dict(data.get("context") or {}),
        )


def build_context(request: Request, principal: PrincipalInfo) -> dict[str, ContextValue]:
    """The lower-cased request context, with the three derivable keys added when missing.

    Spec section 2: the tool may derive ``aws:PrincipalArn``, ``aws:PrincipalAccount`` and
    ``kms:CallerAccount`` from the principal when the request omits them (AWS sets them on
    every signed request); nothing else is invented.
    """
    return context_for(request.context, principal)


def context_for(
    context: dict[str, ContextValue], principal: PrincipalInfo
) -> dict[str, ContextValue]:
    """:func:`build_context` from a request's (checked) context and its principal."""
    ctx: dict[str, ContextValue] = {k.lower(): v for k, v in context.items()}
    add_derived_keys(ctx, principal)
    return ctx


def add_derived_keys(ctx: dict[str, ContextValue], principal: PrincipalInfo) -> None:
    """Add to a lower-cased context the keys :func:`build_context` derives from the
    principal when the request omits them."""
    if principal.account and not principal.is_service:
        ctx.setdefault("aws:principalaccount", principal.account)
        ctx.setdefault("kms:calleraccount", principal.account)
        ctx.setdefault("aws:principalarn", principal.role_arn or principal.arn)
