"""Field paths (``keys[3].policy.Statement[1].Principal``): the value that holds a path's,
the containers that may hold a set of paths, and a path's position or its nearest
ancestor's. Small on purpose: every run that points findings at a file uses it, the quick
form included (start-up time), while the position scanners of ``policy/locate.py`` are
imported only when a text must be scanned."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


def parent_path(path: str) -> str:
    """The path of the value that holds ``path``'s: cut at its last ``.`` or ``[``
    (``""``, the document, for a top-level field)."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def locate(positions: Mapping[str, tuple[int, int]], path: str) -> tuple[int, int] | None:
    """The position of ``path`` or of its nearest ancestor that has one."""
    while True:
        if path in positions:
            return positions[path]
        if not path:
            return None
        path = parent_path(path)


def path_ancestors(wanted: Iterable[str]) -> set[str]:
    """The paths whose values may hold a wanted path: each wanted path cut before each ``.``
    and ``[`` in it. A value inside the container at ``P`` has the path ``P.key`` or
    ``P[i]``, so a container whose path is not here holds nothing wanted (a key with a dot or
    a bracket in it only adds cuts: going into a container too many is harmless)."""
    out: set[str] = set()
    for path in wanted:
        for i, c in enumerate(path):
            if c == "." or c == "[":
                out.add(path[:i])
    return out
