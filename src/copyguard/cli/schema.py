"""``copyguard schema``: print the JSON Schema (draft 2020-12) of a public format.

The schemas are package data (``copyguard/schemas/NAME.schema.json``); ``docs/formats.md``
describes each format with examples and how to hook the scenario schema up to an editor.
"""

from __future__ import annotations

import json
from importlib import resources

import click

from copyguard.cli.common import EXIT_PASS, fail_input

#: name -> what the format is (the order of ``copyguard schema`` without a name)
SCHEMAS: dict[str, str] = {
    "scenario": "scenario files (YAML or JSON) that check and fix read (spec section 3)",
    "report": "the JSON report of check, scan and fix (--format json, spec section 4)",
    "batch-request": "one input line of simulate --batch (spec section 2)",
    "batch-result": "one output line of simulate --batch (spec section 2)",
    "fix": "the output of fix --as json",
}


def schema_text(name: str) -> str:
    """The schema ``name`` as JSON text (KeyError for an unknown name)."""
    if name not in SCHEMAS:
        raise KeyError(name)
    path = resources.files("copyguard").joinpath("schemas", f"{name}.schema.json")
    return path.read_text(encoding="utf-8")


@click.command("schema")
@click.argument("name", required=False, metavar="[" + "|".join(SCHEMAS) + "]")
@click.option("--compact", is_flag=True, help="Print the schema on one line instead of indented.")
def schema(name: str | None, compact: bool) -> int:
    """Print the JSON Schema (draft 2020-12) of a format copyguard reads or writes.

    Without NAME, list the schemas. Save one for your editor, e.g.
    `copyguard schema scenario > scenario.schema.json` (see docs/formats.md).
    """
    if name is None:
        width = max(len(n) for n in SCHEMAS)
        for key, what in SCHEMAS.items():
            click.echo(f"{key.ljust(width)}  {what}")
        return EXIT_PASS
    if name not in SCHEMAS:
        fail_input(f"unknown schema {name!r}; expected one of: {', '.join(SCHEMAS)}")
    text = schema_text(name)
    if compact:
        text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
    click.echo(text.rstrip("\n"))
    return EXIT_PASS
