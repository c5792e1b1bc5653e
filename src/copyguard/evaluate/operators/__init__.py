"""Condition operator families: one module each, one shape each.

Each family module has ``VARIABLES`` (whether policy variables are interpreted in its
values), ``prepare(base, text, literal_segments)`` turning a policy value into what
``match(base, prepared, context_value)`` compares against (``INVALID`` for a policy value
that can never be compared; ``match`` returns None for a request value it cannot compare),
and optionally ``compile_static(base, prepared_values)``, a fast matcher. Negation,
``IfExists``, ``ForAnyValue:``/``ForAllValues:``, missing keys and variables are handled
once, in :mod:`copyguard.evaluate.conditions`, never here.
"""

from __future__ import annotations

import sys
from types import ModuleType

# each family's module, imported by the first condition of the family (start-up time: most
# policies use two or three families)
_MODULES = {
    "String": "string",
    "Numeric": "numeric",
    "Date": "date",
    "Bool": "boolean",
    "Binary": "binary",
    "IpAddress": "ip",
    "Arn": "arn",
}


class _Families(dict[str, ModuleType]):
    """Family name -> module, each module imported on first use; an unknown family is a
    ``KeyError``."""

    def __missing__(self, family: str) -> ModuleType:
        name = f"{__name__}.{_MODULES[family]}"
        __import__(name)
        module = sys.modules[name]
        self[family] = module
        return module


FAMILIES: dict[str, ModuleType] = _Families()

# the positive operator each negated one is the complement of
POSITIVE_OF = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}

__all__ = ["FAMILIES", "POSITIVE_OF"]
