"""What one infrastructure-as-code input says, as every code reader returns it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReaderInput:
    """One input read: the scenario document (spec section 3) and where each entry came from.

    ``positions`` maps a document path to the (line, column) in the input, ``addresses`` to the
    resource address (Terraform) or logical ID (CloudFormation), ``unknown_reasons`` to what is
    unknown there and why.
    """

    label: str
    doc: dict[str, Any]
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)
    unknown_reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
