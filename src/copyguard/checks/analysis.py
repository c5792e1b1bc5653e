"""Per-copy analysis shared by the checks: which key is the source key, and what the key
policy says to each request the copy makes, under every context AWS does not pin down."""

from __future__ import annotations

import itertools
from functools import cache

from copyguard.checks.facts import (
    ACTION_SPECIFIC_KEYS,
    GRANT_ACTIONS,
    REQUIRED_ACTIONS,
    TypeFacts,
    is_placeholder_key,
    slr_arn,
)
from copyguard.checks.model import Text, tr
from copyguard.evaluate import Decision, Request, evaluate_kms
from copyguard.policy import Policy, parse_policy
from copyguard.records import field, record
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ALLOW_ALL_IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
MAX_ALTERNATIVES = 64


@cache
def allow_all_identity() -> Policy:
    """Stands for the destination role's own IAM side, which is not the user's to change
    (parsed once: a Policy is not changed after parsing, and its compiled form is reused)."""
    return parse_policy(
        ALLOW_ALL_IDENTITY, name="destination IAM (assumed to allow)", kind="identity"
    )


@record(slots=True)
class Alternative:
    context: dict[str, str | list[str]]
    assumptions: list[Text]  # what this alternative assumes that others do not
    notes: list[Text] = field(default_factory=list)  # inferences it rests on regardless


@record(frozen=True, slots=True)
class Verdict:
    """What an analysis keeps of one :class:`~copyguard.evaluate.Decision`: the decision, its
    summary, the deciding statements and the notes, without the request and the explanation.

    A check of a large scenario keeps every key's analysis until the report is written
    (about a dozen decisions per key), and the checks read only these four fields; the few
    explanations asked for (evidence) are evaluated again from the view
    (:meth:`SourceKeyView.decision`). Equal verdicts are one object per run (the same
    decision for many keys and actions): :func:`analyse_source_key` interns them."""

    decision: str  # allowed | implicit_deny | explicit_deny
    summary: str
    deciding: tuple[tuple[str, str, str | None], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def verdict_of(decision: Decision, interned: dict[tuple[Any, ...], Verdict] | None) -> Verdict:
    """``decision`` without its request and explanation; the one equal Verdict in
    ``interned`` (added when new), or a new one without it."""
    ident = (
        decision.decision,
        decision.summary,
        tuple(decision.deciding),
        tuple(decision.notes),
    )
    if interned is None:
        return Verdict(*ident)
    found = interned.get(ident)
    if found is None:
        found = interned[ident] = Verdict(*ident)
    return found


@record(slots=True)
class ActionResult:
    action: str
    decision: str  # allowed | implicit_deny | explicit_deny | depends
    decisions: list[tuple[Alternative, Verdict]]

    @property
    def worst(self) -> Verdict:
        order = {"explicit_deny": 0, "implicit_deny": 1, "allowed": 2}
        return min((d for _, d in self.decisions), key=lambda d: order[d.decision])

    def allowed_under(self) -> list[Alternative]:
        return [a for a, d in self.decisions if d.allowed]

    def denied_under(self) -> list[Alternative]:
        return [a for a, d in self.decisions if not d.allowed]


@record(slots=True)
class SourceKeyView:
    """What the source key policy says to the destination for one copy."""

    key_arn: str
    key: Key | None
    caller: str
    results: dict[str, ActionResult] = field(default_factory=dict)
    # what checks derive from this view alone (evidence, least-privilege probes), computed
    # once for every copy that shares the view (AnalysisCache)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)
    #: the key policy the results judge (what :meth:`decision` evaluates again)
    policy: Policy | None = field(default=None, repr=False, compare=False)

    def decision(self, action: str, index: int = 0) -> Decision:
        """The whole decision, with its explanation, of ``action`` under its alternative number
        ``index``: evaluated again (the view keeps a :class:`Verdict`), the same decision the
        analysis made (``tests/checks/test_compact_analysis.py``)."""
        if self.policy is None:
            raise ValueError("this view was built without its policy")
        alt, _verdict = self.results[action].decisions[index]
        return evaluate_kms(
            Request(self.caller, action, self.key_arn, alt.context),
            self.policy,
            [allow_all_identity()],
        )

    @property
    def failing(self) -> dict[str, ActionResult]:
        return {
            a: r
            for a, r in self.results.items()
            if r.decision in ("implicit_deny", "explicit_deny")
        }

    @property
    def depends(self) -> dict[str, ActionResult]:
        return {a: r for a, r in self.results.items() if r.decision == "depends"}

    @property
    def notes(self) -> list[Text]:
        """The inferences the decided results rest on (what every alternative of an action
        assumed, such as the kms:EncryptionContextKeys AWS's documented statements imply),
        once each; a "depends" result states its alternatives itself (CG902)."""
        out: list[Text] = []
        for result in self.results.values():
            if result.decision == "depends" or not result.decisions:
                continue
            shared = [n for n in result.decisions[0][0].notes]
            for alt, _d in result.decisions[1:]:
                shared = [n for n in shared if any(n.en == m.en for m in alt.notes)]
            out += [n for n in shared if all(n.en != o.en for o in out)]
        return out


def referenced_keys(policy: Policy) -> dict[str, list[str]]:
    """Lower-cased condition keys the policy tests, with the literal values it tests them for."""
    out: dict[str, list[str]] = {}
    for st in policy.statements:
        for cond in st.conditions:
            out.setdefault(cond.key.lower(), []).extend(v for v in cond.values if "${" not in v)
    return out


def _absent_for(action: str, key: str) -> bool:
    """True when a request for ``action`` can never carry condition key ``key`` (for example
    ``kms:GrantIsForAWSResource`` on ``kms:Decrypt``): no alternative is needed, it is absent."""
    known = ACTION_SPECIFIC_KEYS.get(key.lower())
    if known is not None:
        return action.lower() not in known
    if key.lower().startswith("aws:"):
        return False  # KMS supports every global key (each present only in some requests)
    try:
        from copyguard.knowledge import action_supports_condition_key
    except ImportError:  # pragma: no cover - the knowledge layer ships with the package
        return False
    return action_supports_condition_key(action, key) is False


def _sample(pattern: str) -> str:
    return pattern.replace("*", "x").replace("?", "x")


def source_key_arn(scenario: Scenario, copy: Copy, facts: TypeFacts) -> tuple[Any, str]:
    """(the source key ARN or UNKNOWN/None, "vault" | "resource" | "depends")."""
    if facts.fully_managed is True:
        vault = scenario.vault(copy.source_vault)
        if vault is None:
            return UNKNOWN, "vault"
        return vault.key, "vault"
    if facts.fully_managed is False:
        return copy.resource_key, "resource"
    return UNKNOWN, "depends"


@record(frozen=True, slots=True)
class _Option:
    """One value (or several, set together) of a request-context dimension AWS does not pin
    down: ``values`` maps keys to a value, or to None for "absent"; ``assumptions`` say it in
    words (the alternative rests on them); ``notes`` are inferences the result rests on
    whichever way the other dimensions go (shown even when the result does not depend on them)."""

    values: dict[str, Any]
    assumptions: tuple[Text, ...] = ()
    notes: tuple[Text, ...] = ()


def _one(key: str, value: Any, assumption: Text | None) -> _Option:
    return _Option({key: value}, (assumption,) if assumption is not None else ())


def build_alternatives(
    policy: Policy,
    copy_region: str | None,
    key_region: str | None,
    destination: str,
    caller: str,
    facts: TypeFacts | None,
    org_id: Any,
    org_paths: list[str] | None,
    action: str,
    overrides: dict[str, str | list[str]],
) -> list[Alternative]:
    refs = referenced_keys(policy)
    names = {c.key.lower(): c.key for st in reversed(policy.statements) for c in st.conditions}
    base: dict[str, str | list[str]] = {
        "kms:CallerAccount": destination,
        "aws:PrincipalAccount": destination,
        "aws:PrincipalArn": caller,
        "aws:PrincipalIsAWSService": "false",
        "aws:PrincipalType": "AssumedRole",
    }
    if action in GRANT_ACTIONS:
        base["kms:GrantIsForAWSResource"] = "true"
    choices: list[list[_Option]] = []
    covered: set[str] = set()  # lower-cased keys some dimension already decides

    if isinstance(org_id, str):
        base["aws:PrincipalOrgID"] = org_id
    elif "aws:principalorgid" in refs:
        vals = sorted(set(refs["aws:principalorgid"]))[:2]
        opts = [
            _one(
                "aws:PrincipalOrgID",
                v,
                tr(f"the destination account is in organization {v}", f"目标账户属于组织 {v}"),
            )
            for v in vals
        ]
        opts.append(
            _one(
                "aws:PrincipalOrgID",
                "o-notthisorg0",
                tr(
                    "the destination account is in a different organization than the policy names",
                    "目标账户所属组织不是策略中指定的组织",
                ),
            )
        )
        choices.append(opts)
    if org_paths:
        base["aws:PrincipalOrgPaths"] = list(org_paths)
    elif "aws:principalorgpaths" in refs:
        vals = sorted(set(refs["aws:principalorgpaths"]))[:2]
        opts = [
            _one(
                "aws:PrincipalOrgPaths",
                [_sample(v)],
                tr(
                    f"the destination account's organization path matches {v}",
                    f"目标账户的组织路径匹配 {v}",
                ),
            )
            for v in vals
        ]
        opts.append(
            _one(
                "aws:PrincipalOrgPaths",
                ["o-notthisorg0/r-x/"],
                tr(
                    "the destination account's organization path is outside the one the policy names",
                    "目标账户的组织路径不在策略指定的范围内",
                ),
            )
        )
        choices.append(opts)

    # kms:ViaService and kms:EncryptionContextKeys: from the knowledge layer (copy_contexts)
    # when it knows the resource type; otherwise the conservative spread below.
    known = _knowledge_choices(
        refs, facts, key_region, copy_region, destination, caller, org_id, action
    )
    if known is not None:
        if known:
            choices.append(known)
        covered |= {"kms:viaservice", "kms:encryptioncontextkeys"}
    elif "kms:viaservice" in refs:
        via_opts = _via_service_choices(
            refs["kms:viaservice"], facts, key_region, copy_region, base
        )
        if via_opts:
            choices.append([_one(*o) for o in via_opts])
        covered.add("kms:viaservice")

    covered |= {k.lower() for c in choices for o in c for k in o.values}
    for key, values in sorted(refs.items()):
        if key in {k.lower() for k in base} or key in covered:
            continue
        if _absent_for(action, key):
            continue  # KMS never puts this key in a request for this action
        if key in ("aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"):
            continue  # absent: the call comes from AWS, not from the customer's network
        if key.startswith("aws:principaltag/"):
            continue  # absent: AWSServiceRoleForBackup carries no tags
        if key in ("aws:viaawsservice",):
            choices.append(
                [
                    _one(
                        "aws:ViaAWSService",
                        "true",
                        tr(
                            "KMS sees the call as made through an AWS service",
                            "KMS 认为该调用经由 AWS 服务发出",
                        ),
                    ),
                    _one(
                        "aws:ViaAWSService",
                        "false",
                        tr(
                            "KMS sees the call as made by the role itself",
                            "KMS 认为该调用由角色本身发出",
                        ),
                    ),
                ]
            )
            continue
        name = names.get(key, key)
        opts = [
            _one(name, None, tr(f"the copy's requests carry no {name}", f"复制请求不带 {name}"))
        ]
        for v in sorted(set(values))[:2]:
            opts.append(
                _one(
                    name,
                    _sample(v),
                    tr(
                        f"the copy's requests carry {name} = {_sample(v)}",
                        f"复制请求带有 {name} = {_sample(v)}",
                    ),
                )
            )
        if key == "kms:encryptioncontextkeys":
            opts.append(_one(name, [_UNNAMED_CONTEXT_KEY], _unnamed_context_key(name)))
        choices.append(opts)

    pinned = {k.lower(): (k, v) for k, v in overrides.items()}  # the user's word wins
    choices = [c for c in (_pin(c, pinned) for c in choices) if c]

    alternatives: list[Alternative] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_ALTERNATIVES):
        ctx = dict(base)
        assumptions: list[Text] = []
        notes: list[Text] = []
        for option in combo:
            for key, value in option.values.items():
                if value is None:
                    ctx.pop(key, None)
                else:
                    ctx[key] = value
            assumptions += option.assumptions
            notes += option.notes
        for key, value in overrides.items():
            ctx[key] = value
        alternatives.append(Alternative(ctx, assumptions, notes))
    if not alternatives:
        ctx = dict(base)
        ctx.update(overrides)
        alternatives.append(Alternative(ctx, []))
    return alternatives


#: Stands for an encryption context key the policy does not name (AWS documents none here).
_UNNAMED_CONTEXT_KEY = "copyguard:unnamed-key"


def _unnamed_context_key(name: str) -> Text:
    return tr(
        f"the copy's requests carry {name} with a key the policy does not name",
        f"复制请求带有策略未列出的 {name} 键",
    )


def _pin(options: list[_Option], pinned: dict[str, tuple[str, Any]]) -> list[_Option]:
    """A dimension with the keys the user pinned (--context) taken out: the options that
    agree with the pinned values (all of them if none does), and nothing left when every
    key of the dimension is pinned."""
    if not pinned or not options:
        return options
    keys = {k.lower() for o in options for k in o.values}
    if keys <= set(pinned):
        return []
    agree = [
        o
        for o in options
        if all(_same(v, pinned[k.lower()][1]) for k, v in o.values.items() if k.lower() in pinned)
    ]
    return agree or options


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, list):
            return sorted(str(x).lower() for x in v)
        return None if v is None else str(v).lower()

    return bool(norm(a) == norm(b))


def _candidate_regions(
    values: list[str], key_region: str | None, copy_region: str | None
) -> tuple[list[str], bool]:
    """The Regions the key may be in, and whether that is known. Without a known Region (the
    quick form without --key-arn) every Region the policy's kms:ViaService values name is
    tried, plus one they do not name."""
    regions = sorted({r for r in (key_region, copy_region) if r})
    if regions:
        return regions, True
    named = _regions_named(values)
    return [*named, next(r for r in ("us-east-1", "eu-west-1") if r not in named)], False


def _knowledge_choices(
    refs: dict[str, list[str]],
    facts: TypeFacts | None,
    key_region: str | None,
    copy_region: str | None,
    destination: str,
    caller: str,
    org_id: Any,
    action: str,
) -> list[_Option] | None:
    """kms:ViaService and kms:EncryptionContextKeys of the copy's ``action`` request, as the
    knowledge layer's ``copy_contexts`` gives them (one option per distinct alternative, with
    its assumption), or None when the knowledge layer does not know the resource type.

    An alternative whose encryption context keys AWS does not document is spread when the
    policy tests kms:EncryptionContextKeys (none, each value the policy names, one it does
    not name): assuming "none" would make a ForAllValues condition hold vacuously."""
    if facts is None or not facts.known:
        return None
    try:
        from copyguard.knowledge import copy_contexts
    except ImportError:  # pragma: no cover - the knowledge layer ships with the package
        return None
    via_tested = "kms:viaservice" in refs
    ec_tested = "kms:encryptioncontextkeys" in refs and not _absent_for(
        action, "kms:EncryptionContextKeys"
    )
    regions, region_known = _candidate_regions(
        refs.get("kms:viaservice", []), key_region, copy_region
    )
    if not via_tested:
        regions = regions[:1]  # the Region only shows in kms:ViaService
    org = org_id if isinstance(org_id, str) else None
    options: list[_Option] = []
    seen: set[str] = set()
    for region in regions:
        try:
            alternatives = copy_contexts(facts.name, action, region, destination, org, caller)
        except ValueError:
            return None
        for alt in alternatives:
            via = alt.context.get("kms:ViaService")
            keys = alt.context.get("kms:EncryptionContextKeys")
            values: dict[str, Any] = dict(alt.context)  # the whole request, as AWS makes it
            values.setdefault("kms:ViaService", None)
            values.setdefault("kms:EncryptionContextKeys", None)
            assumptions: list[Text] = []
            notes: list[Text] = []
            if via_tested:
                words = _via_words(alt.assumption, via, region, region_known, len(regions) > 1)
                if words is not None:
                    assumptions.append(words)
            if ec_tested and keys:
                notes.append(_context_keys_note(action, via, keys, alt.encryption_context))
            spread = [_Option(values)]
            if ec_tested and not keys:
                spread = _undocumented_context_keys(values, refs["kms:encryptioncontextkeys"])
            for option in spread:
                merged = _Option(option.values, (*assumptions, *option.assumptions), tuple(notes))
                # alternatives the policy cannot tell apart are evaluated once
                ident = repr(
                    (
                        merged.values["kms:ViaService"] if via_tested else None,
                        merged.values["kms:EncryptionContextKeys"] if ec_tested else None,
                    )
                )
                if ident not in seen:
                    seen.add(ident)
                    options.append(merged)
    if len(options) == 1:
        # a single alternative: the result rests on its assumptions, whatever it is
        only = options[0]
        return [_Option(only.values, (), (*only.assumptions, *only.notes))]
    return options


def _via_words(
    assumption: str, via: Any, region: str, region_known: bool, several_regions: bool
) -> Text | None:
    """The knowledge layer's kms:ViaService assumption in both languages."""
    if not assumption and not several_regions:
        return None  # AWS pins the value down
    where = via if isinstance(via, str) else None
    zh = f"复制对源密钥的调用经由 {where}" if where else "复制对源密钥的调用不带 kms:ViaService"
    if "UNCONFIRMED" in assumption:
        zh += "(AWS 未确认)"
    elif "INFERENCE" in assumption:
        zh += "(推断)"
    en = assumption.rstrip(".") or (
        f"the copy's calls on the source key come through {where}"
        if where
        else "the copy's calls on the source key carry no kms:ViaService"
    )
    if not region_known:
        en += f" (assuming the key is in {region}; its Region is not given: pass --key-arn)"
        zh += f"(假设密钥位于 {region};未提供其区域:可用 --key-arn 指定)"
    return tr(en, zh)


def _context_keys_note(action: str, via: Any, keys: Any, why: str) -> Text:
    listed = ", ".join(keys) if isinstance(keys, list) else str(keys)
    through = f" through {via}" if isinstance(via, str) else ""
    through_zh = f"经由 {via} 的" if isinstance(via, str) else ""
    return tr(
        f"{action}{through}: copyguard takes the request to carry kms:EncryptionContextKeys = "
        f"{listed}. {why}",
        f"{action}:copyguard 假定{through_zh}请求带有 kms:EncryptionContextKeys = {listed}"
        "(推断:AWS 记录的是策略语句,而非请求本身)。",
    )


def _undocumented_context_keys(values: dict[str, Any], named: list[str]) -> list[_Option]:
    """The encryption context keys of a request AWS does not document, spread out."""
    name = "kms:EncryptionContextKeys"
    why = tr(
        "AWS does not document the encryption context keys of this request",
        "AWS 未记录该请求的加密上下文键",
    )
    out = [
        _Option(
            {**values, name: None},
            (tr(f"the copy's requests carry no {name}", f"复制请求不带 {name}"),),
            (why,),
        )
    ]
    for v in sorted(set(named))[:2]:
        out.append(
            _Option(
                {**values, name: [_sample(v)]},
                (
                    tr(
                        f"the copy's requests carry {name} = {_sample(v)}",
                        f"复制请求带有 {name} = {_sample(v)}",
                    ),
                ),
                (why,),
            )
        )
    out.append(
        _Option({**values, name: [_UNNAMED_CONTEXT_KEY]}, (_unnamed_context_key(name),), (why,))
    )
    return out


def _regions_named(values: list[str]) -> list[str]:
    """The Regions named by kms:ViaService values such as ``ec2.eu-west-1.amazonaws.com``."""
    out = []
    for v in values:
        parts = v.lower().split(".")
        if (
            len(parts) == 4
            and parts[2:] == ["amazonaws", "com"]
            and "*" not in parts[1]
            and "?" not in parts[1]
        ):
            out.append(parts[1])
    return sorted(set(out))


def _via_service_choices(
    values: list[str],
    facts: TypeFacts | None,
    key_region: str | None,
    copy_region: str | None,
    base: dict[str, str | list[str]],
) -> list[tuple[str, Any, Text | None]]:
    """The kms:ViaService values the copy's requests may carry (pinned into ``base`` when
    there is only one). Without a known Region (the quick form without --key-arn) every
    Region the policy names is tried, plus one it does not name, each stated as an assumption."""
    regions = sorted({r for r in (key_region, copy_region) if r})
    region_known = bool(regions)
    if not region_known:
        named = _regions_named(values)
        regions = [*named, next(r for r in ("us-east-1", "eu-west-1") if r not in named)]

    def note(en: str, zh: str, region: str) -> Text:
        if region_known:
            return tr(en, zh)
        return tr(
            f"{en}, assuming the key is in {region} (its Region is not given: pass --key-arn)",
            f"{zh},假设密钥位于 {region}(未提供其区域:可用 --key-arn 指定)",
        )

    via = facts.via_service if facts else None
    opts: list[tuple[str, Any, Text | None]] = []
    if facts is None or not facts.known or via is None:
        for svc in ("ec2", "rds", "fsx", "backup"):
            for r in regions:
                opts.append(
                    (
                        "kms:ViaService",
                        f"{svc}.{r}.amazonaws.com",
                        note(
                            f"the copy's calls come through {svc}.{r}.amazonaws.com (the resource type is not known)",
                            f"复制调用经由 {svc}.{r}.amazonaws.com(资源类型未知)",
                            r,
                        ),
                    )
                )
        opts.append(
            (
                "kms:ViaService",
                None,
                tr("the copy's calls carry no kms:ViaService", "复制调用不带 kms:ViaService"),
            )
        )
    elif facts.fully_managed is not False and via in ("backup", None):
        for r in regions:
            opts.append(
                (
                    "kms:ViaService",
                    f"backup.{r}.amazonaws.com",
                    note(
                        f"AWS Backup calls the key through backup.{r}.amazonaws.com (UNCONFIRMED by AWS)",
                        f"AWS Backup 经由 backup.{r}.amazonaws.com 调用密钥(AWS 未确认)",
                        r,
                    ),
                )
            )
        opts.append(
            (
                "kms:ViaService",
                None,
                tr(
                    "AWS Backup's calls on the vault key carry no kms:ViaService (UNCONFIRMED by AWS)",
                    "AWS Backup 对保管库密钥的调用不带 kms:ViaService(AWS 未确认)",
                ),
            )
        )
    elif len(regions) == 1 and region_known:
        base["kms:ViaService"] = f"{via}.{regions[0]}.amazonaws.com"
    else:
        for r in regions:
            opts.append(
                (
                    "kms:ViaService",
                    f"{via}.{r}.amazonaws.com",
                    note(
                        f"the copy's calls on the source key come through {via}.{r}.amazonaws.com",
                        f"对源密钥的调用经由 {via}.{r}.amazonaws.com",
                        r,
                    ),
                )
            )
    return opts


def analyse_source_key(
    scenario: Scenario,
    copy: Copy,
    key_arn: str,
    key: Key | None,
    policy: Policy,
    facts: TypeFacts | None,
    destination: str,
    overrides: dict[str, str | list[str]],
    actions: tuple[str, ...] = REQUIRED_ACTIONS,
    caller: str | None = None,
    parts: SharedParts | None = None,
) -> SourceKeyView:
    """What ``policy`` says to the destination's ``caller`` for each of ``actions`` under every
    alternative context (:func:`build_alternatives`). ``parts``: the run's shared
    alternatives, verdicts and results (:class:`SharedParts`; AnalysisCache passes its own),
    so that views of keys whose policies test the same condition keys share them."""
    caller = caller or slr_arn(destination)
    identity = [allow_all_identity()]
    org = scenario.organization
    org_id = getattr(org, "id", UNKNOWN) if org is not UNKNOWN else UNKNOWN
    paths = getattr(org, "paths", {}).get(destination) if org is not UNKNOWN else None
    key_region: str | None = key_arn.split(":")[3] if key_arn.count(":") >= 5 else None
    copy_region = copy.destination_region
    if is_placeholder_key(key_arn):  # the quick form without --key-arn: the Region is unknown
        key_region = copy_region = None
    view = SourceKeyView(key_arn, key, caller, policy=policy)
    # build_alternatives's arguments between the policy and the action, once for the call
    # and, made hashable, for the cache key (with the policy as its condition keys)
    common = (copy_region, key_region, destination, caller, facts, org_id)
    inputs = (
        condition_signature(policy),
        *common,
        tuple(paths) if isinstance(paths, list) else paths,
        _frozen(overrides),
    )
    for action in actions:
        alts: list[Alternative] | None = None
        if parts is not None:
            alts = parts.alternatives.get((inputs, action))
        if alts is None:
            alts = build_alternatives(policy, *common, paths, action, overrides)
            if parts is not None:
                parts.alternatives[(inputs, action)] = alts
        verdicts = parts.verdicts if parts is not None else None
        decisions = [
            (
                a,
                verdict_of(
                    evaluate_kms(Request(caller, action, key_arn, a.context), policy, identity),
                    verdicts,
                ),
            )
            for a in alts
        ]
        kinds = {d.decision for _, d in decisions}
        value: str
        if len(kinds) == 1:
            value = kinds.pop()
        elif "allowed" in kinds:
            value = "depends"
        else:
            value = "explicit_deny" if "explicit_deny" in kinds else "implicit_deny"
        if parts is None:
            view.results[action] = ActionResult(action, value, decisions)
            continue
        # the alternatives and verdicts are kept alive by ``parts``: their ids identify them
        ident = (action, value, tuple((id(a), id(v)) for a, v in decisions))
        result = parts.results.get(ident)
        if result is None:
            result = parts.results[ident] = ActionResult(action, value, decisions)
        view.results[action] = result
    return view


def condition_signature(policy: Policy) -> tuple[Any, ...]:
    """What :func:`build_alternatives` reads of ``policy``, as a value: each condition key
    it tests (lower-cased, sorted) with the set of literal values tested (it reads them as a
    set) and the spelling of its first use from the end (``names``)."""
    refs = referenced_keys(policy)
    names = {c.key.lower(): c.key for st in reversed(policy.statements) for c in st.conditions}
    return (
        tuple(sorted((k, tuple(sorted(set(v)))) for k, v in refs.items())),
        tuple(sorted(names.items())),
    )


class SharedParts:
    """The parts of the analyses of one run that many views have alike (AnalysisCache): the
    alternatives of an action (by everything :func:`build_alternatives` reads), the verdicts
    (:func:`verdict_of`) and the action results made of the same alternatives and verdicts.
    A view is then mostly references to shared objects (bench/README.md, "Figures, fifth
    round"). Shared objects are read, never changed."""

    __slots__ = ("alternatives", "results", "verdicts")

    def __init__(self) -> None:
        self.alternatives: dict[tuple[Any, ...], list[Alternative]] = {}
        self.verdicts: dict[tuple[Any, ...], Verdict] = {}
        self.results: dict[tuple[Any, ...], ActionResult] = {}


def _frozen(overrides: dict[str, str | list[str]]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()))


class AnalysisCache:
    """The source-key analyses of one run, computed once and shared by the checks and the
    fixes (``Report.analyses`` carries it from ``run_checks`` to ``build_fixes``).

    An entry is keyed by the identity of the scenario, the policy object and the type
    facts, and by the value of everything else :func:`analyse_source_key` reads (of the copy,
    only its destination Region), so the copies that share a key share its analysis. It
    keeps those objects alive, so an ``id`` is never reused while its entry exists; a
    patched policy is a new object and is analysed afresh. The ``key`` argument is not part
    of the key (it is carried on the view, the results do not read it): a view handed back
    may carry the Key model where the caller passed ``None``.
    """

    __slots__ = ("_entries", "_parts", "_shared", "computed", "shared_computed")

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[tuple[object, ...], SourceKeyView]] = {}
        self._parts = SharedParts()  # what the views have alike (analyse_source_key)
        self.computed = 0  # how many analyses this cache computed (the rest were reused)
        self._shared: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = {}
        self.shared_computed = 0  # how many shared() results were computed (not reused)

    def shared(
        self,
        kind: str,
        anchors: tuple[object, ...],
        values: tuple[Any, ...],
        compute: Callable[[], Any],
    ) -> Any:
        """``compute()``, once per run for each distinct input: a check's result that depends
        only on ``anchors`` (objects, compared by identity and kept alive with the entry, so an
        ``id`` is never reused while its entry exists: a patched policy is a new object) and
        ``values`` (hashable, compared by value), whichever copy asks. For what the copies of
        one vault or one key share, such as the destination key's probes (``destination.py``).
        The result is shared: callers must not change it."""
        ident = (kind, tuple(id(a) for a in anchors), values)
        hit = self._shared.get(ident)
        if hit is not None and all(a is b for a, b in zip(hit[0], anchors, strict=True)):
            return hit[1]
        result = compute()
        self.shared_computed += 1
        self._shared[ident] = (anchors, result)
        return result

    def view(
        self,
        scenario: Scenario,
        copy: Copy,
        key_arn: str,
        key: Key | None,
        policy: Policy,
        facts: TypeFacts | None,
        destination: str,
        overrides: dict[str, str | list[str]],
        actions: tuple[str, ...] = REQUIRED_ACTIONS,
        caller: str | None = None,
    ) -> SourceKeyView:
        """:func:`analyse_source_key`, computed once per distinct input."""
        # the analysis reads one thing of the copy, its destination Region: copies that
        # share it (and the key, destination and options) share one analysis
        anchors: tuple[object, ...] = (scenario, policy, facts)
        ident = (
            tuple(id(a) for a in anchors),
            copy.destination_region,
            key_arn,
            destination,
            _frozen(overrides),
            tuple(actions),
            caller,
        )
        hit = self._entries.get(ident)
        if hit is not None and all(a is b for a, b in zip(hit[0], anchors, strict=True)):
            return hit[1]
        view = analyse_source_key(
            scenario,
            copy,
            key_arn,
            key,
            policy,
            facts,
            destination,
            overrides,
            actions,
            caller,
            self._parts,
        )
        self.computed += 1
        self._entries[ident] = (anchors, view)
        return view
