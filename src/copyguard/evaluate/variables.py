"""Policy variables: ``${aws:PrincipalAccount}``, ``${aws:username, 'default'}``, ``${*}``.

IAM User Guide, "IAM policy elements: Variables and tags":

* only documents with ``Version: 2012-10-17`` interpret variables (otherwise the text is
  literal);
* ``${*}``, ``${?}`` and ``${$}`` stand for the characters ``*``, ``?`` and ``$``, never
  for wildcards;
* a default is written after a comma and space, in single quotes: ``${key, 'default'}``;
* a variable whose key is absent from the request (and has no default) cannot be resolved:
  "any attempt to match it fails and causes the statement to be invalid";
* multivalued context keys cannot be used as variables.

A substituted value is literal text: wildcard characters that come from the request never
act as wildcards.
"""

from __future__ import annotations

from copyguard.evaluate.request import ContextValue
from copyguard.lazyre import lazy_compile
from copyguard.records import record

_VAR_RE = lazy_compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}

# one part of a template: (is_variable, text, default). For a variable, ``text`` is the
# lower-cased key name (None for the special characters, whose ``default`` is the character).
Part = tuple[bool, str | None, str | None]
# a resolved template: (is_literal_substitution, text) segments
Segments = list[tuple[bool, str]]


@record(frozen=True, slots=True)
class Template:
    """A value with variables."""

    raw: str
    parts: tuple[Part, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(text for is_var, text, _ in self.parts if is_var and text is not None)

    def resolve(self, ctx: dict[str, ContextValue]) -> Segments | None:
        """(is_substituted, text) segments, or None when a variable cannot be resolved."""
        out: Segments = []
        for is_var, text, default in self.parts:
            if not is_var:
                out.append((False, text or ""))
                continue
            value = ctx.get(text) if text is not None else None
            if not isinstance(value, str):  # absent, or a multivalued key
                if default is None:
                    return None
                value = default
            out.append((True, value))
        return out


def _variable_part(inner: str) -> Part:
    stripped = inner.strip()
    if stripped in _SPECIAL:
        return (True, None, _SPECIAL[stripped])
    if "," not in inner:
        return (True, stripped.lower(), None)
    name, _, rest = inner.partition(",")
    rest = rest.strip()
    if len(rest) >= 2 and rest[0] == rest[-1] == "'":
        return (True, name.strip().lower(), rest[1:-1])
    # a default not in quotes is not a default: the whole text names no key
    return (True, inner.lower(), None)


def parse_template(value: str) -> Template | None:
    """None when ``value`` has no variables (the common case)."""
    if "${" not in value:
        return None
    parts: list[Part] = []
    pos = 0
    for m in _VAR_RE.finditer(value):
        if m.start() > pos:
            parts.append((False, value[pos : m.start()], None))
        parts.append(_variable_part(m.group(1)))
        pos = m.end()
    if not parts:
        return None
    if pos < len(value):
        parts.append((False, value[pos:], None))
    return Template(value, tuple(parts))


def join_segments(segments: Segments) -> str:
    return "".join(text for _, text in segments)
