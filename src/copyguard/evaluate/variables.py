"""Policy variables: ``${aws:PrincipalAccount}``, ``${aws:username, 'default'}``, ``${*}``.

Only documents with Version 2012-10-17 interpret them. A substituted value is literal text:
wildcard characters that come from the request never act as wildcards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from copyguard.evaluate.request import ContextValue

_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Template:
    """A value with variables: parts are (is_variable, text, default)."""

    raw: str
    parts: tuple[tuple[bool, str, str | None], ...]

    def resolve(self, ctx: dict[str, ContextValue]) -> list[tuple[bool, str]] | None:
        """(is_literal, text) segments, or None when a variable has no single value."""
        out: list[tuple[bool, str]] = []
        for is_var, text, default in self.parts:
            if not is_var:
                out.append((False, text))
                continue
            value = ctx.get(text.lower())
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else None
            if value is None:
                if default is None:
                    return None
                value = default
            out.append((True, value))
        return out


def parse_template(value: str) -> Template | None:
    """None when ``value`` has no variables (the common case)."""
    if "${" not in value:
        return None
    parts: list[tuple[bool, str, str | None]] = []
    pos = 0
    found = False
    for m in _VAR_RE.finditer(value):
        inner = m.group(1).strip()
        if m.start() > pos:
            parts.append((False, value[pos : m.start()], None))
        if inner in _SPECIAL:
            # ${*}, ${?}, ${$}: the character itself, never a wildcard
            parts.append((True, "\x00special", _SPECIAL[inner]))
        else:
            default: str | None = None
            name = inner
            if "," in inner:
                name, _, rest = inner.partition(",")
                name = name.strip()
                rest = rest.strip()
                if len(rest) >= 2 and rest[0] == rest[-1] == "'":
                    default = rest[1:-1]
                else:
                    default = rest
            parts.append((True, name, default))
        found = True
        pos = m.end()
    if not found:
        return None
    if pos < len(value):
        parts.append((False, value[pos:], None))
    return Template(value, tuple(parts))


def join_segments(segments: list[tuple[bool, str]]) -> str:
    return "".join(text for _, text in segments)
