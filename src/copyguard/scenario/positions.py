"""The positions of a JSON scenario, mapped when they are needed.

A scenario keeps ``{field path: (line, column)}`` to point findings (and input errors) at
the file. For a JSON scenario that map was built while reading, for every value of the
document: about 150 paths per key of the scale bench's key policies, 28 KB per key, more
than a quarter of everything a ``check`` keeps (bench/README.md, ``bench_check_scale.py``).
A report needs the positions of its findings only, and JSON text can be scanned again
cheaply, so :class:`JsonPositions` keeps the text (a sixth of the map's size) and:

- :meth:`JsonPositions.fill` maps just the paths asked for, in one pass (what
  ``checks.runner`` does once for all the findings of a run);
- anything else a dict does (``get``, ``[]``, ``in``, iteration, ``len``, ``==``...) maps
  every path first, then answers as the full map would, so every reader sees the same
  positions as before.

A YAML scenario's positions are made while it is read (from the parser's events, or from
the node graph for what the events path does not take: ``scenario/load.py``) and stay a
plain dict.
"""

from __future__ import annotations

from copyguard.policy.locate import json_positions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Position = tuple[int, int]


class JsonPositions(dict[str, Position]):
    """``{path: (line, column)}`` of a JSON text, mapped on demand (module docstring)."""

    __slots__ = ("_known", "_text")

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text: str | None = text
        self._known: set[str] = set()  # paths already looked for (found or not)

    @property
    def pending(self) -> bool:
        """Whether the whole map is still to be made."""
        return self._text is not None

    def fill(self, paths: Any) -> None:
        """Map these paths (an iterable of field paths): afterwards ``get(path)`` answers for
        them without mapping the rest."""
        text = self._text
        if text is None:
            return
        wanted = {p for p in paths if p not in self._known}
        if wanted:
            dict.update(self, json_positions(text, wanted))
            self._known |= wanted

    def _full(self) -> None:
        text = self._text
        if text is not None:
            dict.update(self, json_positions(text))
            self._text = None
            self._known = set()

    def _has(self, key: object) -> None:
        if self._text is not None and key not in self._known:
            self._full()

    # -- a dict's reading, on the full map unless the path was filled ----------------------

    def get(self, key: str, default: Any = None) -> Any:
        self._has(key)
        return dict.get(self, key, default)

    def __getitem__(self, key: str) -> Position:
        self._has(key)
        return dict.__getitem__(self, key)

    def __contains__(self, key: object) -> bool:
        self._has(key)
        return dict.__contains__(self, key)

    def __bool__(self) -> bool:
        return self._text is not None or dict.__len__(self) > 0

    def __len__(self) -> int:
        self._full()
        return dict.__len__(self)

    def __iter__(self) -> Any:
        self._full()
        return dict.__iter__(self)

    def keys(self) -> Any:
        self._full()
        return dict.keys(self)

    def values(self) -> Any:
        self._full()
        return dict.values(self)

    def items(self) -> Any:
        self._full()
        return dict.items(self)

    def copy(self) -> dict[str, Position]:
        self._full()
        return dict(dict.items(self))

    def __eq__(self, other: object) -> bool:
        self._full()
        if isinstance(other, JsonPositions):
            other._full()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def __repr__(self) -> str:
        self._full()
        return dict.__repr__(self)

    def __reduce__(self) -> Any:  # pickling and copy.deepcopy: the full map, as a dict
        self._full()
        return (dict, (dict(dict.items(self)),))

    # writing maps the rest first, so nothing written is overwritten later
    def __setitem__(self, key: str, value: Position) -> None:
        self._full()
        dict.__setitem__(self, key, value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._full()
        return dict.setdefault(self, key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._full()
        dict.update(self, *args, **kwargs)

    def __delitem__(self, key: str) -> None:
        self._full()
        dict.__delitem__(self, key)

    def pop(self, key: str, *default: Any) -> Any:
        self._full()
        return dict.pop(self, key, *default)

    def clear(self) -> None:
        self._text = None
        self._known = set()
        dict.clear(self)
