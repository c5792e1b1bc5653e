"""AWS facts as data, with provenance: KMS actions and condition keys, AWS Backup resource
types, the cross-account copy recipe and the error-message catalogue.

Importing this package reads no file and imports no submodule: each submodule is imported on
first use of one of its names, each data file read on the first call that needs it (and
cached). Facts no primary source confirms carry ``confidence == "unconfirmed"`` and a
``note`` in plain words, so the product can show the uncertainty.
"""

import sys
from types import ModuleType

from copyguard.lazyload import submodule_getattr

TYPE_CHECKING = False
if TYPE_CHECKING:  # every name is imported on first use (start-up time): see __getattr__
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
    from copyguard.knowledge.kms import (
        KmsAction,
        expand_action_pattern,
        iam_only_condition_key,
        kms_action,
        kms_action_names,
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


#: the submodule each public name comes from (the error catalogue's names: ``_LAZY_ERRORS``)
_HOMES: dict[str, str] = {
    "DATA_FILES": "_loader",
    "Confidence": "_loader",
    "KnowledgeDataError": "_loader",
    "Provenance": "_loader",
    "SourceRef": "_loader",
    "TriState": "_loader",
    "provenance": "_loader",
    "row_sources": "_loader",
    "rows": "_loader",
    "CONDITION_TYPES": "conditions",
    "ConditionKeyInfo": "conditions",
    "action_supports_condition_key": "conditions",
    "condition_key": "conditions",
    "condition_keys": "conditions",
    "kms_condition_keys_for_action": "conditions",
    "Caveat": "copy_requirements",
    "ContextAlternative": "copy_requirements",
    "ContextKeyRule": "copy_requirements",
    "CopyRequirements": "copy_requirements",
    "RequiredAction": "copy_requirements",
    "ViaServiceAlternative": "copy_requirements",
    "copy_contexts": "copy_requirements",
    "copy_requirements": "copy_requirements",
    "KmsAction": "kms",
    "expand_action_pattern": "kms",
    "iam_only_condition_key": "kms",
    "kms_action": "kms",
    "kms_action_names": "kms",
    "kms_actions": "kms",
    "RegionGroup": "regions",
    "RegionLimit": "regions",
    "copy_region_limits": "regions",
    "region_group": "regions",
    "region_groups": "regions",
    "DestinationVaultKeyRules": "resource_types",
    "ResourceTypeInfo": "resource_types",
    "classify_recovery_point_arn": "resource_types",
    "resource_type": "resource_types",
    "resource_type_variant": "resource_types",
    "resource_types": "resource_types",
}
_HOMES.update(dict.fromkeys(_LAZY_ERRORS, "errors"))

#: functions named like the submodule that defines them
_SHADOWING = frozenset({"copy_requirements", "resource_types"})


# a public name is imported from its submodule on first use: a command imports only the
# submodules it uses (the error catalogue, for one, only ``explain`` needs): lazyload.py
__getattr__ = submodule_getattr(__name__, _HOMES, globals())


class _Package(ModuleType):
    """This package's module type. Importing a submodule sets an attribute of the same name
    on its package; for ``copy_requirements`` and ``resource_types`` the package's attribute
    stays the function (as ``from copyguard.knowledge import copy_requirements`` expects),
    read on first use through the package's ``__getattr__``."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWING and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


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
    "kms_action_names",
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
