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

from types import ModuleType

from copyguard.evaluate.operators import arn, binary, boolean, date, ip, numeric, string

FAMILIES: dict[str, ModuleType] = {
    "String": string,
    "Numeric": numeric,
    "Date": date,
    "Bool": boolean,
    "Binary": binary,
    "IpAddress": ip,
    "Arn": arn,
}

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
