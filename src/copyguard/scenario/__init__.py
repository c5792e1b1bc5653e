"""The normalised model of a cross-account copy set-up (spec section 3)."""

from copyguard.lazyload import submodule_getattr

TYPE_CHECKING = False
if TYPE_CHECKING:  # every name is imported from its submodule on first use: see __getattr__
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

#: the submodule each public name comes from
_HOMES = {
    "ScenarioError": "load",
    "build_scenario": "load",
    "load_scenario": "load",
    "parse_scenario_text": "load",
    "AWS_OWNED_KEY": "model",
    "UNKNOWN": "model",
    "VAULT_TYPE_LAG": "model",
    "VAULT_TYPE_STANDARD": "model",
    "Copy": "model",
    "Key": "model",
    "Lifecycle": "model",
    "Organization": "model",
    "Scenario": "model",
    "Vault": "model",
    "VaultLock": "model",
    "known": "model",
}


# a public name is imported from its submodule on first use (start-up time: a check of one
# key policy builds its scenario without the scenario file reader): copyguard/lazyload.py
__getattr__ = submodule_getattr(__name__, _HOMES, globals())


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
