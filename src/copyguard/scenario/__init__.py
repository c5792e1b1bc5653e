"""The normalised model of a cross-account copy set-up (spec section 3)."""

from copyguard.scenario.load import (
    ScenarioError,
    build_scenario,
    load_scenario,
    parse_scenario_text,
)
from copyguard.scenario.model import (
    AWS_OWNED_KEY,
    UNKNOWN,
    VAULT_TYPE_LAG,
    VAULT_TYPE_STANDARD,
    Copy,
    Key,
    Lifecycle,
    Organization,
    Scenario,
    Vault,
    VaultLock,
    known,
)

__all__ = [
    "AWS_OWNED_KEY",
    "UNKNOWN",
    "VAULT_TYPE_LAG",
    "VAULT_TYPE_STANDARD",
    "Copy",
    "Key",
    "Lifecycle",
    "Organization",
    "Scenario",
    "ScenarioError",
    "Vault",
    "VaultLock",
    "build_scenario",
    "known",
    "load_scenario",
    "parse_scenario_text",
]
