"""Regular expressions compiled on first use, not at import (start-up time).

``PATTERN = lazy_compile(r"...")`` stands where ``PATTERN = re.compile(r"...")`` stood: the
first attribute read (``PATTERN.fullmatch``...) compiles the expression and copies the
compiled pattern's methods and attributes onto the object, so every later call goes straight
to them. Compiling a dozen expressions a module costs about a millisecond at every start,
most of them never used by a given command.

Use it only for patterns used through their methods (``match``, ``fullmatch``, ``search``,
``sub``, ``split``, ``findall``, ``finditer``...) and attributes; it is not an ``re.Pattern``
(``re.sub(PATTERN, ...)`` and ``isinstance`` checks need the real one). Type checkers see an
``re.Pattern[str]``. Standard library only; every layer may use it.
"""

from __future__ import annotations

import re

__all__ = ["lazy_compile"]

TYPE_CHECKING = False
if TYPE_CHECKING:

    def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]: ...

else:
    # what the first use copies from the compiled pattern (a module name, not a class
    # attribute: a thread still inside __getattr__ when another has turned the object into a
    # _Compiled must find it)
    _COPIED = (
        "match",
        "fullmatch",
        "search",
        "sub",
        "subn",
        "split",
        "findall",
        "finditer",
        "scanner",
        "pattern",
        "flags",
        "groups",
        "groupindex",
    )

    class lazy_compile:  # lower case: it stands for the function re.compile
        """``re.compile(pattern, flags)``, done on first use (see the module's text). Two
        threads may both compile on first use: each copies the same attributes."""

        def __init__(self, pattern: str, flags: int = 0) -> None:
            self._source = (pattern, flags)

        def __getattr__(self, name: str) -> object:
            # only called for a name not set yet: the first use compiles
            if name.startswith("__") or "_source" not in self.__dict__:
                raise AttributeError(name)
            compiled = re.compile(*self._source)
            for attr in _COPIED:
                setattr(self, attr, getattr(compiled, attr))
            # from now on a plain object: no __getattr__ hook on every attribute read
            self.__class__ = _Compiled
            return getattr(compiled, name)

        def __repr__(self) -> str:
            return f"lazy_compile({self._source[0]!r})"

    class _Compiled:
        """A :class:`lazy_compile` once compiled: its attributes are the pattern's."""

        def __repr__(self) -> str:
            return f"lazy_compile({self.pattern!r})"
