"""AWS facts as data, with provenance: KMS actions and condition keys, AWS Backup resource
types, the cross-account copy recipe and the error-message catalogue.

Importing this package reads no file: each data file is read on the first call that needs it
(and cached). Facts no primary source confirms carry ``confidence == "unconfirmed"`` and a
``note`` in plain words, so the product can show the uncertainty.
"""

from copyguard.knowledge._loader import (
    DATA_FILES,
    Confidence,
    KnowledgeDataError,
    Provenance,
    SourceRef,
    TriState,
    provenance,
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
from copyguard.knowledge.errors import (
    FINDING_CODES,
    ErrorCause,
    ErrorMatch,
    ErrorPattern,
    LocalizedText,
    PatternSpec,
    ReasonCodes,
    error_catalogue,
    match_error,
    normalize_message,
)
from copyguard.knowledge.kms import KmsAction, expand_action_pattern, kms_action, kms_actions
from copyguard.knowledge.resource_types import (
    DestinationVaultKeyRules,
    ResourceTypeInfo,
    classify_recovery_point_arn,
    resource_type,
    resource_types,
)

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
    "PatternSpec",
    "Provenance",
    "ReasonCodes",
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
    "copy_requirements",
    "error_catalogue",
    "expand_action_pattern",
    "kms_action",
    "kms_actions",
    "kms_condition_keys_for_action",
    "match_error",
    "normalize_message",
    "provenance",
    "resource_type",
    "resource_types",
]
