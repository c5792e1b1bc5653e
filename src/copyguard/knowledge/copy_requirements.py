"""What an AWS Backup cross-account copy needs on the source key, and its request context."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from types import MappingProxyType

from copyguard.knowledge._loader import (
    Confidence,
    KnowledgeDataError,
    boolean,
    confidence,
    load_data,
    mapping,
    mappings,
    optional_string,
    string,
    strings,
)
from copyguard.knowledge.kms import kms_action
from copyguard.knowledge.resource_types import ResourceTypeInfo, resource_type
from copyguard.records import record

__all__ = [
    "Caveat",
    "ContextAlternative",
    "ContextKeyRule",
    "CopyRequirements",
    "RequiredAction",
    "ViaServiceAlternative",
    "copy_contexts",
    "copy_requirements",
]

_FILE = "copy_requirements.yaml"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Minimum = Literal["required", "probable", "probably_unused"]
ContextValue = str | list[str]


@record(frozen=True, slots=True)
class RequiredAction:
    """One KMS action of AWS's cross-account copy recipe for the source key.

    ``statement`` tells which recipe statement holds it: ``use`` (no condition) or ``grant``
    (with ``kms:GrantIsForAWSResource`` = true). ``minimum`` is what the evidence says a copy
    of the types in ``minimum_for`` (not fully managed) really uses; it is an inference (see
    ``confidence``). ``recommended`` is true for every action AWS's KC recipe covers.
    """

    action: str
    statement: Literal["use", "grant"]
    in_kc_list: bool
    in_kc_template: bool
    minimum: Minimum
    minimum_for: tuple[str, ...]
    confidence: Confidence
    note: str
    sources: tuple[str, ...]

    @property
    def recommended(self) -> bool:
        return self.in_kc_list or self.in_kc_template


@record(frozen=True, slots=True)
class ContextKeyRule:
    """A key of the request context a copy presents to KMS (``value`` is a template)."""

    key: str
    value: str
    applies_to: tuple[str, ...]  # ("*",) for every action, else lower-cased action names
    when: str | None
    confidence: Confidence
    note: str
    sources: tuple[str, ...]

    def applies(self, action: str) -> bool:
        return self.applies_to == ("*",) or action.lower() in self.applies_to


@record(frozen=True, slots=True)
class ViaServiceAlternative:
    """One possible kms:ViaService of a copy call: ``service``, ``backup`` or ``absent``."""

    via: Literal["service", "backup", "absent"]
    assumption: str


@record(frozen=True, slots=True)
class Caveat:
    """An uncertainty the product must keep visible."""

    id: str
    text: str
    confidence: Confidence
    sources: tuple[str, ...]


@record(frozen=True, slots=True)
class ContextAlternative:
    """One request context a copy call may present, with the assumption it rests on.

    ``assumption`` is ``""`` when AWS pins every value down. ``encryption_context`` says
    where the request's ``kms:EncryptionContextKeys`` come from: the inference it rests on
    when the context carries them, or that AWS does not document them (and the request is
    assumed to carry none).
    """

    context: dict[str, ContextValue]
    assumption: str
    encryption_context: str = ""


@record(frozen=True, slots=True)
class CopyRequirements:
    """The cross-account copy recipe (``copy_requirements.yaml``).

    Policy documents are stored as JSON text; the properties return fresh ``dict`` copies,
    so callers may change them freely.
    """

    destination_slr_arn_template: str
    destination_root_arn_template: str
    default_principal: str
    principal_note: str
    slr_via_services: tuple[str, ...]
    actions: tuple[RequiredAction, ...]
    context_keys: tuple[ContextKeyRule, ...]
    via_service_alternatives: Mapping[str, Mapping[str, tuple[ViaServiceAlternative, ...]]]
    caveats: tuple[Caveat, ...]
    grant_condition_json: str
    key_policy_template_json: str
    destination_slr_policy_json: str
    source_copy_role_policy_json: str

    def destination_slr_arn(self, destination_account: str) -> str:
        """``arn:aws:iam::DEST:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup``."""
        return self.destination_slr_arn_template.format(destination_account=destination_account)

    def destination_root_arn(self, destination_account: str) -> str:
        return self.destination_root_arn_template.format(destination_account=destination_account)

    @property
    def grant_condition(self) -> dict[str, Any]:
        """``{"Bool": {"kms:GrantIsForAWSResource": "true"}}``."""
        return dict(json.loads(self.grant_condition_json))

    @property
    def key_policy_template(self) -> list[dict[str, Any]]:
        """AWS's two KC statements; ``Principal.AWS`` is the placeholder ``{principal}``."""
        return list(json.loads(self.key_policy_template_json))

    def key_policy_statements(self, principal: str | list[str]) -> list[dict[str, Any]]:
        """AWS's two KC statements for ``principal`` (an ARN, account ID or list of them)."""
        statements = self.key_policy_template
        for statement in statements:
            statement["Principal"] = {"AWS": principal}
        return statements

    @property
    def destination_slr_policy(self) -> dict[str, Any]:
        """The KMS statements of ``AWSBackupServiceLinkedRolePolicyForBackup`` (v31)."""
        return dict(json.loads(self.destination_slr_policy_json))

    @property
    def source_copy_role_policy(self) -> dict[str, Any]:
        """The copy-relevant statements of ``AWSBackupServiceRolePolicyForBackup``."""
        return dict(json.loads(self.source_copy_role_policy_json))

    def action(self, name: str) -> RequiredAction | None:
        wanted = name.strip().lower()
        for item in self.actions:
            if item.action.lower() == wanted:
                return item
        return None

    @property
    def use_actions(self) -> tuple[str, ...]:
        return tuple(a.action for a in self.actions if a.statement == "use")

    @property
    def grant_actions(self) -> tuple[str, ...]:
        return tuple(a.action for a in self.actions if a.statement == "grant")

    @property
    def recommended_actions(self) -> tuple[str, ...]:
        return tuple(a.action for a in self.actions if a.recommended)

    def minimum_actions(self, resource_type_name: str) -> tuple[RequiredAction, ...]:
        """The evidenced minimum (required and probable) for a type; () if none is known."""
        info = resource_type(resource_type_name)
        if info is None:
            return ()
        return tuple(
            a for a in self.actions if a.minimum != "probably_unused" and info.name in a.minimum_for
        )


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=False, ensure_ascii=False)


@functools.cache
def copy_requirements() -> CopyRequirements:
    """The cross-account copy recipe (reads ``copy_requirements.yaml`` on first call)."""
    data = load_data(_FILE)
    principal = mapping(data, "destination_principal", _FILE)
    where = f"{_FILE}: destination_principal"
    actions = []
    for row in mappings(data, "actions", _FILE):
        name = string(row, "action", f"{_FILE}: actions")
        aw = f"{_FILE}: actions.{name}"
        if kms_action(name) is None:
            raise KnowledgeDataError(f"{aw}: unknown KMS action")
        statement = string(row, "statement", aw)
        minimum = string(row, "minimum", aw)
        if statement not in ("use", "grant") or minimum not in (
            "required",
            "probable",
            "probably_unused",
        ):
            raise KnowledgeDataError(f"{aw}: bad statement or minimum")
        actions.append(
            RequiredAction(
                action=name,
                statement=statement,  # type: ignore[arg-type]
                in_kc_list=boolean(row, "in_kc_list", aw),
                in_kc_template=boolean(row, "in_kc_template", aw),
                minimum=minimum,  # type: ignore[arg-type]
                minimum_for=strings(row, "minimum_for", aw, ()),
                confidence=confidence(row, aw),
                note=string(row, "note", aw, ""),
                sources=strings(row, "sources", aw, ()),
            )
        )
    rules = []
    for row in mappings(data, "context_keys", _FILE):
        key = string(row, "key", f"{_FILE}: context_keys")
        cw = f"{_FILE}: context_keys.{key}"
        applies = row.get("applies_to", "all")
        rules.append(
            ContextKeyRule(
                key=key,
                value=string(row, "value", cw),
                applies_to=("*",)
                if applies == "all"
                else tuple(a.lower() for a in strings(row, "applies_to", cw)),
                when=optional_string(row, "when", cw),
                confidence=confidence(row, cw),
                note=string(row, "note", cw, ""),
                sources=strings(row, "sources", cw, ()),
            )
        )
    alternatives: dict[str, Mapping[str, tuple[ViaServiceAlternative, ...]]] = {}
    for path, per_action in mapping(data, "via_service_alternatives", _FILE).items():
        pw = f"{_FILE}: via_service_alternatives.{path}"
        table: dict[str, tuple[ViaServiceAlternative, ...]] = {}
        for action, items in dict(per_action).items():
            alts = []
            for item in mappings({"items": items}, "items", pw):
                via = string(item, "via", pw)
                if via not in ("service", "backup", "absent"):
                    raise KnowledgeDataError(f"{pw}: via must be service, backup or absent")
                alts.append(
                    ViaServiceAlternative(
                        via=via,  # type: ignore[arg-type]
                        assumption=" ".join(string(item, "assumption", pw, "").split()),
                    )
                )
            table[str(action).lower()] = tuple(alts)
        if "default" not in table:
            raise KnowledgeDataError(f"{pw}: needs a default list")
        alternatives[str(path)] = MappingProxyType(table)
    caveats = tuple(
        Caveat(
            id=string(row, "id", f"{_FILE}: caveats"),
            text=" ".join(string(row, "text", f"{_FILE}: caveats").split()),
            confidence=confidence(row, f"{_FILE}: caveats"),
            sources=strings(row, "sources", f"{_FILE}: caveats", ()),
        )
        for row in mappings(data, "caveats", _FILE)
    )
    return CopyRequirements(
        destination_slr_arn_template=string(principal, "slr_arn", where),
        destination_root_arn_template=string(principal, "root_arn", where),
        default_principal=string(principal, "default", where),
        principal_note=" ".join(string(principal, "note", where, "").split()),
        slr_via_services=strings(data, "slr_via_services", _FILE),
        actions=tuple(actions),
        context_keys=tuple(rules),
        via_service_alternatives=MappingProxyType(alternatives),
        caveats=caveats,
        grant_condition_json=_json(mapping(data, "grant_condition", _FILE)),
        key_policy_template_json=_json(list(mappings(data, "key_policy_template", _FILE))),
        destination_slr_policy_json=_json(mapping(data, "destination_slr_policy", _FILE)),
        source_copy_role_policy_json=_json(mapping(data, "source_copy_role_policy", _FILE)),
    )


def _via_path(info: ResourceTypeInfo, req: CopyRequirements) -> tuple[str, str]:
    """Which via_service_alternatives table applies, and an assumption every alternative shares."""
    if info.fully_managed is True:
        return "fully_managed", ""
    if info.fully_managed == "depends":
        setting = info.management_setting or "an AWS Backup setting"
        return "fully_managed", (
            f"Assumes {info.name} is fully managed by AWS Backup here (decided by {setting}); "
            f"otherwise it cannot be copied across accounts."
        )
    if info.fully_managed == "unconfirmed":
        return "fully_managed", f"Assumes {info.name} is fully managed by AWS Backup (UNCONFIRMED)."
    pinned = info.via_service in req.slr_via_services and not info.is_unconfirmed("via_service")
    return ("pinned" if pinned else "inferred"), ""


def copy_contexts(
    resource_type: str,
    action: str,
    source_region: str,
    destination_account: str,
    org_id: str | None,
    principal_arn: str,
) -> list[ContextAlternative]:
    """The request contexts a cross-account copy's call of ``action`` on the source key may carry.

    One alternative per value AWS does not pin down (mostly kms:ViaService), each with its
    assumption in plain words; checks evaluate every alternative and report "depends" when
    they disagree. Raises ValueError for an unknown resource type or KMS action.
    """
    info = _resource_type(resource_type)
    found = kms_action(action)
    if found is None:
        raise ValueError(f"unknown KMS action {action!r}")
    if not source_region.strip() or not destination_account.strip():
        raise ValueError("source_region and destination_account must not be empty")
    req = copy_requirements()
    values = {
        "destination_account": destination_account.strip(),
        "principal_arn": principal_arn.strip(),
        "org_id": (org_id or "").strip(),
        "region": source_region.strip(),
    }
    base: dict[str, ContextValue] = {}
    for rule in req.context_keys:
        if rule.key.lower() in _PER_ALTERNATIVE or not rule.applies(found.name):
            continue
        if rule.when == "org_id_known" and not values["org_id"]:
            continue
        base[rule.key] = rule.value.format(**values)
    path, shared = _via_path(info, req)
    table = req.via_service_alternatives[path]
    chosen = table.get(found.name.lower(), table["default"])
    host = info.via_service_host(values["region"])
    out: list[ContextAlternative] = []
    for alt in chosen:
        context = dict(base)
        via: str | None = None
        if alt.via == "service":
            if host is None:
                continue
            context["kms:ViaService"] = host
            via = info.via_service
        elif alt.via == "backup":
            context["kms:ViaService"] = f"backup.{values['region']}.amazonaws.com"
            via = "backup"
        text = alt.assumption.format(service_host=host or "", region=values["region"])
        assumption = " ".join(part for part in (shared, text) if part)
        keys, why = _encryption_context_keys(req, found.name, via)
        if keys:
            context["kms:EncryptionContextKeys"] = keys
        out.append(
            ContextAlternative(context=context, assumption=assumption, encryption_context=why)
        )
    return out


#: Context keys whose value depends on the alternative (the service in between), not the copy.
_PER_ALTERNATIVE = frozenset({"kms:viaservice", "kms:encryptioncontextkeys"})

_UNDOCUMENTED_CONTEXT = (
    "AWS does not document the encryption context keys of this request; copyguard assumes it "
    "carries no kms:EncryptionContextKeys (a condition that requires one then does not hold)."
)


def _encryption_context_keys(
    req: CopyRequirements, action: str, via: str | None
) -> tuple[list[str], str]:
    """The kms:EncryptionContextKeys a call of ``action`` through ``via`` carries, and why."""
    keys: list[str] = []
    notes: list[str] = []
    for rule in req.context_keys:
        if rule.key.lower() != "kms:encryptioncontextkeys" or not rule.applies(action):
            continue
        if rule.when is not None and rule.when != f"via:{via}":
            continue
        keys.append(rule.value)
        notes.append(rule.note)
    if not keys:
        return [], _UNDOCUMENTED_CONTEXT
    return keys, " ".join(notes)


def _resource_type(name: str) -> ResourceTypeInfo:
    info = resource_type(name)
    if info is None:
        raise ValueError(f"unknown AWS Backup resource type {name!r}")
    return info
