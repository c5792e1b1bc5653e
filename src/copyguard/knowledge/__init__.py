"""AWS facts as data, with provenance: KMS actions and condition keys, AWS Backup resource
types, the cross-account copy recipe and the error-message catalogue.

Importing this package reads no file: each data file is read on the first call that needs it
(and cached). Facts no primary source confirms carry ``confidence == "unconfirmed"`` and a
``note`` in plain words, so the product can show the uncertainty.
"""

from typing import TYPE_CHECKING, Any

from copyguard.knowledge._loader import (
    DATA_FILES,
    Confidence,
    KnowledgeDataError,
    Provenance,
    SourceRef,
    TriState,
    provenance,
    row_sources,
    rows,
)
from copyguard.knowledge.conditions import (
    CONDITION_TYPES,
    ConditionKeyInfo,
    action_supports_condition_key,
    condition_key,
    condition_keys,
    kms_condition_keys_for_action,
)
from copyguard.knowledge.copy_requirements import (
    Caveat,
    ContextAlternative,
    ContextKeyRule,
    CopyRequirements,
    RequiredAction,
    ViaServiceAlternative,
    copy_contexts,
    copy_requirements,
)
from copyguard.knowledge.kms import (
    KmsAction,
    expand_action_pattern,
    iam_only_condition_key,
    kms_action,
    kms_actions,
)
from copyguard.knowledge.regions import (
    RegionGroup,
    RegionLimit,
    copy_region_limits,
    region_group,
    region_groups,
)
from copyguard.knowledge.resource_types import (
    DestinationVaultKeyRules,
    ResourceTypeInfo,
    classify_recovery_point_arn,
    resource_type,
    resource_type_variant,
    resource_types,
)

if TYPE_CHECKING:  # imported on first use (explain): check and fix never need it
    from copyguard.knowledge.errors import (
        FINDING_CODES,
        ErrorCause,
        ErrorMatch,
        ErrorPattern,
        LocalizedText,
        MatchConfidence,
        PatternSpec,
        ReasonCodes,
        error_catalogue,
        fuzzy_match_error,
        match_error,
        normalize_message,
    )

_LAZY_ERRORS = frozenset(
    {
        "FINDING_CODES",
        "ErrorCause",
        "ErrorMatch",
        "ErrorPattern",
        "LocalizedText",
        "MatchConfidence",
        "PatternSpec",
        "ReasonCodes",
        "error_catalogue",
        "fuzzy_match_error",
        "match_error",
        "normalize_message",
    }
)


def __getattr__(name: str) -> Any:
    """The error-message catalogue's names, imported on first use (start-up time)."""
    if name in _LAZY_ERRORS:
        from copyguard.knowledge import errors

        value = getattr(errors, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONDITION_TYPES",
    "DATA_FILES",
    "FINDING_CODES",
    "Caveat",
    "ConditionKeyInfo",
    "Confidence",
    "ContextAlternative",
    "ContextKeyRule",
    "CopyRequirements",
    "DestinationVaultKeyRules",
    "ErrorCause",
    "ErrorMatch",
    "ErrorPattern",
    "KmsAction",
    "KnowledgeDataError",
    "LocalizedText",
    "MatchConfidence",
    "PatternSpec",
    "Provenance",
    "ReasonCodes",
    "RegionGroup",
    "RegionLimit",
    "RequiredAction",
    "ResourceTypeInfo",
    "SourceRef",
    "TriState",
    "ViaServiceAlternative",
    "action_supports_condition_key",
    "classify_recovery_point_arn",
    "condition_key",
    "condition_keys",
    "copy_contexts",
    "copy_region_limits",
    "copy_requirements",
    "error_catalogue",
    "expand_action_pattern",
    "fuzzy_match_error",
    "iam_only_condition_key",
    "kms_action",
    "kms_actions",
    "kms_condition_keys_for_action",
    "match_error",
    "normalize_message",
    "provenance",
    "region_group",
    "region_groups",
    "resource_type",
    "resource_type_variant",
    "resource_types",
    "row_sources",
    "rows",
]
