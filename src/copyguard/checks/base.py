"""What a check receives, and the helpers every check uses to say "unknown"."""

from __future__ import annotations

from copyguard.checks.analysis import AnalysisCache, SourceKeyView, source_key_arn
from copyguard.checks.facts import TypeFacts, slr_arn, type_facts
from copyguard.checks.model import Finding, Text, tr
from copyguard.policy import Policy
from copyguard.records import field, record
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


@record(slots=True)
class Options:
    principal: str = "root"  # root | slr | an ARN: whom the fix names
    context: dict[str, str | list[str]] = field(default_factory=dict)  # user overrides
    vault_principal: str = "account"  # account | org: whom the vault policy fix names
    quick: bool = False  # quick form: judge only what was given
    round_trip: bool = False  # also judge (and fix) the way back of every copy (CG211)


@record(slots=True)
class CheckContext:
    scenario: Scenario
    copy: Copy
    options: Options
    _cache: dict[str, Any] = field(default_factory=dict)
    #: the run's shared source-key analyses (run_checks passes one cache to every copy and
    #: hands it to build_fixes on the Report)
    analyses: AnalysisCache = field(default_factory=AnalysisCache)

    @property
    def facts(self) -> TypeFacts | None:
        rt = self.copy.resource_type
        return type_facts(rt) if isinstance(rt, str) else None

    # the copy's accounts, read from its ARNs once per context (every check asks for them)
    @property
    def destination(self) -> str | None:
        cache = self._cache
        if "destination" not in cache:
            cache["destination"] = self.copy.destination_account
        result: str | None = cache["destination"]
        return result

    @property
    def source(self) -> str | None:
        cache = self._cache
        if "source" not in cache:
            cache["source"] = self.copy.source_account
        result: str | None = cache["source"]
        return result

    @property
    def cross_account(self) -> bool:
        source, destination = self.source, self.destination
        return bool(source and destination and source != destination)

    def source_key(self) -> tuple[Any, str, Key | None]:
        """(key ARN | None | UNKNOWN, role, Key model when the scenario describes it)."""
        if "source_key" not in self._cache:
            facts = self.facts
            if facts is None or self.options.quick:
                # the quick form and type-less copies: the key given is the source key
                arn: Any = self.copy.resource_key
                if not isinstance(arn, str):
                    vault = self.scenario.vault(self.copy.source_vault)
                    arn = vault.key if vault is not None else UNKNOWN
                role = "given"
            else:
                arn, role = source_key_arn(self.scenario, self.copy, facts)
            self._cache["source_key"] = (arn, role, self.scenario.key(arn))
        result: tuple[Any, str, Key | None] = self._cache["source_key"]
        return result

    def source_view(self) -> SourceKeyView | None:
        """The source key policy's answers for the destination, or None if unknowable."""
        if "view" not in self._cache:
            arn, _role, key = self.source_key()
            view = None
            dest = self.destination
            if isinstance(arn, str) and key is not None and isinstance(key.policy, Policy) and dest:
                view = self.analyses.view(
                    self.scenario,
                    self.copy,
                    key.arn,
                    key,
                    key.policy,
                    self.facts,
                    dest,
                    self.options.context,
                )
            self._cache["view"] = view
        result: SourceKeyView | None = self._cache["view"]
        return result

    def assumptions(self) -> list[Text]:
        """The inferences the source key's verdict rests on, named by copy (empty unless
        a check analysed the source key policy)."""
        view = self._cache.get("view")
        if not isinstance(view, SourceKeyView):
            return []
        name = self.copy.name
        return [tr(f"{name}: {n.en}", f"{name}:{n.zh}") for n in view.notes]

    def fix_principal(self) -> str:
        dest = self.destination or "DESTINATION_ACCOUNT"
        p = self.options.principal
        if p == "root":
            return f"arn:aws:iam::{dest}:root"
        if p == "slr":
            return slr_arn(dest)
        return p


def unknown(
    ctx: CheckContext | None,
    what: Text,
    needed_for: str,
    path: str | None,
    resource: str | None = None,
    notes: Iterable[Text] = (),
) -> Finding:
    """CG902: something the verdict needs is unknown."""
    return Finding(
        code="CG902",
        severity="warning",
        message=what,
        copy=ctx.copy.name if ctx else None,
        resource=resource,
        path=path,
        evidence={"needed_for": needed_for},
        notes=list(notes),
    )


def source_unknown(ctx: CheckContext, needed_for: str) -> Finding:
    """CG902: the destination is known but not the source account, so whether the copy is
    cross-account (and everything that follows from it) cannot be judged."""
    return unknown(
        ctx,
        tr(
            "The source account is unknown: give the copy's source_vault (or a resource_arn or "
            "resource_key with an account ID).",
            "源账户未知:请提供复制的 source_vault(或带账户 ID 的 resource_arn 或 resource_key)。",
        ),
        needed_for,
        f"{ctx.copy.path}.source_vault",
    )


if TYPE_CHECKING:
    CheckFn = Callable[[CheckContext], Iterable[Finding]]


@record(frozen=True, slots=True)
class Check:
    name: str
    codes: tuple[str, ...]
    run: CheckFn
    quick: bool  # runs in the quick form
    needs: str = ""  # what the quick form lacks for it (shown in "checks not run")


def short(arn: str | None) -> str:
    return arn or "?"
