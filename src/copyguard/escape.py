"""Quoting for every target copyguard prints to: one helper per target.

Input strings (ARNs, vault names, file paths, policy text) are hostile until quoted by the
edge that prints them. Never build a command or a document by formatting input values
without one of these helpers:

- :func:`visible`: text for a terminal (or any human reader): control characters, BIDI
  overrides and isolates, zero-width and other invisible format characters become visible
  escapes (``\\x1b``, ``\\u202e``);
- :func:`shell_quote` / :func:`shell_join` / :func:`shell_comment`: POSIX shell (bash);
- :func:`hcl_string` / :func:`hcl_heredoc`: Terraform (HCL) string literals and heredocs;
- :func:`yaml_dump`: YAML (CloudFormation) through PyYAML's safe dumper;
- :func:`json_dumps`: JSON that always encodes to UTF-8 (lone surrogates escaped);
- :func:`md_text`, :func:`md_code`, :func:`md_cell`: Markdown prose, code spans, table cells;
- :func:`diff_path`: a file name in a unified diff header, as GNU patch reads it.

Pure and standard library only (PyYAML is imported lazily by :func:`yaml_dump`), so every
layer may use it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from json.encoder import encode_basestring

from copyguard.lazyre import lazy_compile

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

__all__ = [
    "diff_path",
    "hcl_heredoc",
    "hcl_string",
    "hcl_template",
    "is_unsafe",
    "json_dumps",
    "md_cell",
    "md_code",
    "md_text",
    "shell_comment",
    "shell_join",
    "shell_quote",
    "visible",
    "yaml_dump",
]

# Unicode general categories never shown raw: controls (C0, DEL, C1), format characters
# (BIDI embeddings, overrides and isolates, zero-width characters, the BOM, tag characters),
# line and paragraph separators, and surrogates (a lone one cannot be encoded).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def is_unsafe(ch: str) -> bool:
    """Whether the character ``ch`` must never reach a terminal or a document raw."""
    if " " <= ch <= "~":  # printable ASCII: the fast path
        return False
    import unicodedata  # only for text beyond printable ASCII (start-up time)

    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape_char(ch: str) -> str:
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def visible(text: str) -> str:
    """``text`` safe for a terminal: every unsafe character as a visible escape (``\\x1b``,
    ``\\r``-like controls as ``\\x0d``, ``\\u202e``). Printable text is unchanged."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape_char(c) if is_unsafe(c) else c for c in text)


# ----------------------------------------------------------------------------- shell

# the characters :func:`shlex.quote` leaves a word unquoted for (its ``[\w@%+=:,./-]`` with
# ``re.ASCII``): a word made only of them is returned as it is, without importing shlex
_SHELL_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def shell_quote(value: str) -> str:
    """One shell word that bash reads back as exactly ``value``.

    Printable values use POSIX single quotes (:func:`shlex.quote`); a value holding an unsafe
    character uses bash's ANSI-C quoting (``$'...'``) with that character's UTF-8 bytes as
    ``\\xHH`` escapes, so the printed command shows no raw control or BIDI character and
    still passes the exact value (whatever the locale)."""
    if value and _SHELL_PLAIN.issuperset(value):
        return value  # what shlex.quote returns for such a word
    if not any(is_unsafe(c) for c in value):
        import shlex  # only for a word that needs quoting (start-up time)

        return shlex.quote(value)
    out = ["$'"]
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif is_unsafe(ch):
            out.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    out.append("'")
    return "".join(out)


def shell_join(argv: Iterable[str]) -> str:
    """A command line whose words are ``argv``, each quoted by :func:`shell_quote`."""
    return " ".join(shell_quote(a) for a in argv)


def shell_comment(text: str) -> str:
    """``text`` as one ``#`` comment line (no newline can end the comment early)."""
    return "# " + visible(text)


# ----------------------------------------------------------------------------- Terraform

_TEMPLATE_INTRO = lazy_compile(r"([$%])\{")


def hcl_template(text: str) -> str:
    """``text`` with HCL's template sequences neutralised: ``${`` -> ``$${``, ``%{`` -> ``%%{``
    (the literal forms), so nothing in it is interpolated or run as a directive."""
    return _TEMPLATE_INTRO.sub(r"\1\1{", text)


_HCL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_string(value: str) -> str:
    """A quoted HCL string literal whose value is exactly ``value``: backslash, quote and
    line breaks escaped, other unsafe characters as ``\\uNNNN``, templates neutralised."""
    out = []
    for ch in hcl_template(value):
        if ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif is_unsafe(ch):
            n = ord(ch)
            out.append(f"\\u{n:04X}" if n < 0x10000 else f"\\U{n:08X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def hcl_heredoc(body: str, tag: str = "POLICY", indent: str = "  ") -> str:
    """An indented heredoc (``<<-TAG``) whose value is ``body``. HCL does not interpret
    backslashes in heredocs, so only templates are neutralised; the delimiter is chosen so
    that no line of ``body`` can close it early."""
    lines = hcl_template(body).split("\n")
    while any(ln.strip() == tag for ln in lines):
        tag += "_"
    return f"<<-{tag}\n" + "\n".join(lines) + f"\n{indent}{tag}"


# ----------------------------------------------------------------------------- JSON and YAML


def _json_escape(ch: str) -> str:
    n = ord(ch)
    if n < 0x10000:
        return f"\\u{n:04x}"
    n -= 0x10000
    return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"


def json_dumps(value: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` with non-ASCII text kept readable, but every unsafe character
    (controls, BIDI, invisible format characters, lone surrogates) as a ``\\u`` escape: the
    text always encodes to UTF-8, parses back to the same value and shows nothing hidden.
    With ``indent=2`` (and at most ``default``) the same text comes from
    :func:`json_indented`, without json's pure-Python indented encoder."""
    indent = kwargs.get("indent")
    if type(indent) is int and indent == 2 and kwargs.keys() <= {"indent", "default"}:
        return json_indented(value, default=kwargs.get("default"))
    kwargs.setdefault("ensure_ascii", False)
    return _json_visible(json.dumps(value, **kwargs))


def json_string(text: str) -> str:
    """``json_dumps(text)`` for one string, without :func:`json.dumps`'s set-up per call (the
    encoder ``json.dumps`` itself uses for a string)."""
    out = encode_basestring(text)
    return out if out.isascii() and "\x7f" not in out else _json_visible(out)


#: how deep :func:`json_indented` lays out mappings and lists itself; below, ``json`` does (so
#: a cycle is json's ValueError, not a RecursionError here)
_LAYOUT_DEPTH = 32


def json_indented(
    value: Any,
    *,
    depth: int = 0,
    visible: bool = True,
    default: Callable[[Any], Any] | None = None,
    shared: dict[int, tuple[int, str] | None] | None = None,
) -> str:
    """``json_dumps(value, indent=2, default=default)`` (``visible`` False: ``json.dumps(value,
    indent=2, ensure_ascii=False, default=default)``), nested ``depth`` levels deep (every
    line after the first indented by ``depth`` more levels), the same text byte for byte.

    ``json``'s indented encoder is pure Python, a generator call per value; here strings go
    to json's own string encoder and mappings (non-empty, string keys) and lists are laid out
    line for line as it lays them out; anything else (a float, a tuple, a set through
    ``default``, a mapping with other keys) and whatever is more than 32 levels deep goes to
    ``json`` whole. ``shared``: ``{id(obj): None}`` for objects met more than once: each is
    encoded once per depth, its text kept there (the caller keeps the objects alive)."""
    kind = type(value)
    if kind is str:
        return json_string(value) if visible else encode_basestring(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)  # what json writes for an int
    ident = id(value)
    if shared is not None and ident in shared:
        hit = shared[ident]
        if hit is not None and hit[0] == depth:
            return hit[1]
    if depth < _LAYOUT_DEPTH and (
        (kind is dict and value and all(type(k) is str for k in value)) or (kind is list and value)
    ):
        pad = "\n" + "  " * (depth + 1)
        inner = depth + 1
        if kind is dict:
            key = _visible_key if visible else _raw_key
            parts = [
                f"{pad}{key(k)}: "
                + json_indented(v, depth=inner, visible=visible, default=default, shared=shared)
                for k, v in value.items()
            ]
            text = "{" + ",".join(parts) + "\n" + "  " * depth + "}"
        else:
            parts = [
                pad + json_indented(v, depth=inner, visible=visible, default=default, shared=shared)
                for v in value
            ]
            text = "[" + ",".join(parts) + "\n" + "  " * depth + "]"
    else:
        whole = json.dumps(value, indent=2, ensure_ascii=False, default=default)
        if visible:
            whole = _json_visible(whole)
        text = whole.replace("\n", "\n" + "  " * depth) if depth else whole
    if shared is not None and ident in shared and shared[ident] is None:
        shared[ident] = (depth, text)
    return text


def _json_visible(text: str) -> str:
    if text.isascii() and "\x7f" not in text:  # json escapes C0 controls, not DEL
        return text
    # JSON's structure is ASCII, and json escapes every C0 control inside strings itself: a
    # raw line break or tab is layout (indent), any other unsafe character is in a string
    return "".join(_json_escape(c) if c not in "\n\t" and is_unsafe(c) else c for c in text)


def yaml_dump(value: Any, **kwargs: Any) -> str:
    """YAML through PyYAML's safe dumper: any string is quoted as YAML needs. Non-ASCII
    characters are written as escapes (``allow_unicode=False``), so no hidden character
    reaches the document."""
    import yaml

    kwargs.setdefault("sort_keys", False)
    kwargs.setdefault("allow_unicode", False)
    kwargs.setdefault("default_flow_style", False)
    return str(yaml.safe_dump(value, **kwargs))


# ----------------------------------------------------------------------------- Markdown

_MD_SPECIAL = lazy_compile(r"([\\`*_|~]|(?<=\])[(\[])")
_MD_BLOCK_START = lazy_compile(r"^(\s*)([#>+=\[-]|\d+[.)])")


def md_text(text: str) -> str:
    """``text`` as literal Markdown prose (inline, or at the start of a paragraph): emphasis,
    code and table punctuation backslash-escaped, links made impossible (``](`` and ``][``
    escaped; a leading ``[`` too, so no link definition), a leading block marker (heading,
    quote, list) escaped, ``&``, ``<`` and ``>`` as entities (no HTML, links or images can be
    injected), unsafe characters visible."""
    escaped = _MD_SPECIAL.sub(r"\\\1", visible(text))
    # "&" first: the entities the others become are not escaped again
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_BLOCK_START.sub(_escape_marker, escaped, count=1)


def _escape_marker(m: re.Match[str]) -> str:
    marker = m.group(2)
    return m.group(1) + marker[:-1] + "\\" + marker[-1]


def md_code(text: str, *, in_table: bool = False) -> str:
    """``text`` as an inline code span that survives backticks inside it (the fence is longer
    than any backtick run in ``text``); line breaks become spaces. ``in_table``: ``|`` is
    escaped as GitHub's tables require even inside code spans."""
    text = visible(" ".join(text.splitlines()) if "\n" in text or "\r" in text else text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    out = f"{fence}{pad}{text}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def md_cell(text: str) -> str:
    """Prose inside a Markdown table cell: one line, escaped like :func:`md_text`."""
    return md_text(" ".join(text.split()))


# ----------------------------------------------------------------------------- diffs

_DIFF_PLAIN = lazy_compile(r"^[A-Za-z0-9._/+@%=,:~-]+$")
_C_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def diff_path(path: str) -> str:
    """A file name for a ``---``/``+++`` header, as GNU diff writes it: plain names as they
    are, any other in double quotes with C escapes (which GNU patch reads back)."""
    if _DIFF_PLAIN.match(path):
        return path
    out = []
    for ch in path:
        if ch in _C_ESCAPES:
            out.append(_C_ESCAPES[ch])
        elif is_unsafe(ch) or not ch.isascii():
            out.append("".join(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# a mapping key as JSON: the same few keys recur in every finding and policy
_visible_key = lru_cache(maxsize=1024)(json_string)
_raw_key = lru_cache(maxsize=1024)(encode_basestring)
