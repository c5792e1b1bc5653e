"""A package's public names imported from their submodules on first use (start-up time).

``copyguard.evaluate``, ``copyguard.knowledge`` and ``copyguard.scenario`` each list the
submodule every public name lives in, and set their module-level ``__getattr__`` (PEP 562) to
:func:`submodule_getattr`: ``from copyguard.scenario import Scenario`` then imports
``copyguard.scenario.model`` alone, and a command imports only the parts it uses (no scenario
file reader for a check of one key policy, no linter for a key policy that needs none). The
value found is stored in the package's namespace, so the hook runs once per name. Type
checkers see the names through imports under ``TYPE_CHECKING`` in each package. Standard
library only; every layer may use it.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping

__all__ = ["submodule_getattr"]


def submodule_getattr(
    package: str, homes: Mapping[str, str], namespace: MutableMapping[str, object]
) -> Callable[[str], object]:
    """The ``__getattr__`` of ``package``: a name of ``homes`` (name -> submodule, relative to
    the package) is imported from its submodule and kept in ``namespace`` (the package's
    ``globals()``); any other name is an AttributeError, as for a plain module."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name = f"{package}.{home}"
        # Always through the import system, never a look at sys.modules first: a submodule
        # another thread is still importing is already in sys.modules, half initialised, and
        # __import__ waits for it (a scan checks from several threads).
        __import__(module_name)
        value = getattr(sys.modules[module_name], name)
        namespace[name] = value
        return value

    return __getattr__
