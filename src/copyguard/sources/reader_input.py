"""What one infrastructure-as-code input says, as every code reader returns it."""

from __future__ import annotations

from typing import Any

from copyguard.records import field, record

#: why a copy's resource stays unknown when its backup selection picks resources by tag
TAG_SELECTION_WHY = (
    "the selection chooses resources by tag or condition, so which resources (and their keys) "
    "it copies is known only when the plan runs"
)


@record
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
    #: the assignment of undecidable CloudFormation conditions this reading assumed (name ->
    #: value); empty when it assumed none
    conditions: dict[str, bool] = field(default_factory=dict)
    #: the readings of the same input under each assignment of its undecidable conditions
    #: (each with ``conditions``); empty when no condition that matters is undecidable. This
    #: reading itself then leaves those conditions unknown (named), as a reader that ignores
    #: variants would.
    variants: list[ReaderInput] = field(default_factory=list)
    #: CloudFormation exports (``Outputs.*.Export.Name``): (account, Region, name) -> (value or
    #: None when unknown, the output's field path, why unknown)
    exports: dict[tuple[str, str, str], tuple[Any, str, str]] = field(default_factory=dict)
    #: the exports its ``Fn::ImportValue`` calls need: (account, Region, name)
    imports: list[tuple[str, str, str]] = field(default_factory=list)
    #: Terraform: resource address -> (the ``.tf`` file, line) of its block, when found
    source_lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: read the same input again with the values of other inputs' exports (``{name: value}``)
    reread: Any = field(default=None, repr=False, compare=False)
