"""The positions of a scenario, mapped when they are needed.

A scenario keeps ``{field path: (line, column)}`` to point findings (and input errors) at
the file. Built while reading, for every value of the document, that map was more than a
quarter of everything a ``check`` keeps: about 150 paths per key of the scale bench's key
policies (JSON: 28 KB per key; YAML: 192 bytes a path, half of what reading a YAML
scenario kept). A report needs the positions of its findings only, so a scenario read from
a file keeps what lets it find positions again, and:

- :meth:`LazyPositions.fill` maps just the paths asked for, in one pass (what
  ``checks.runner`` does once for all the findings of a run);
- anything else a dict does (``get``, ``[]``, ``in``, iteration, ``len``, ``==``...) maps
  every path first, then answers as the full map would, so every reader sees the same
  positions as before.

:class:`JsonPositions` keeps the text (a sixth of the map's size) and scans it again
(``policy.locate.json_positions``). :class:`YamlPositions` keeps, from the parser's events
(``scenario/load.py``, ``_plain_yaml_document``), one packed mark and one subtree size per
value, 16 bytes, and walks the document as constructed (which the scenario keeps anyway)
alongside them: the order, and which position wins when two fields have one path, are
those of the node graph's walk (``_yaml_document``), which maps a YAML file the events path
does not take, into a plain dict.
"""

from __future__ import annotations

from copyguard.policy.paths import path_ancestors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from array import array
    from typing import Any

Position = tuple[int, int]


class LazyPositions(dict[str, Position]):
    """``{path: (line, column)}``, mapped on demand (module docstring). A subclass keeps its
    source in ``_source`` (None once the full map is made) and maps paths in :meth:`_map`."""

    __slots__ = ("_known", "_source")

    def __init__(self, source: Any) -> None:
        super().__init__()
        self._source: Any = source
        self._known: set[str] = set()  # paths already looked for (found or not)

    def _map(self, wanted: set[str] | None) -> dict[str, Position]:
        """The positions of the ``wanted`` paths that exist (None: of every path)."""
        raise NotImplementedError

    @property
    def pending(self) -> bool:
        """Whether the whole map is still to be made."""
        return self._source is not None

    def fill(self, paths: Any) -> None:
        """Map these paths (an iterable of field paths): afterwards ``get(path)`` answers for
        them without mapping the rest."""
        if self._source is None:
            return
        wanted = {p for p in paths if p not in self._known}
        if wanted:
            dict.update(self, self._map(wanted))
            self._known |= wanted

    def _full(self) -> None:
        if self._source is not None:
            dict.update(self, self._map(None))
            self._source = None
            self._known = set()

    def _has(self, key: object) -> None:
        if self._source is not None and key not in self._known:
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
        return self._source is not None or dict.__len__(self) > 0

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
        if isinstance(other, LazyPositions):
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
        self._source = None
        self._known = set()
        dict.clear(self)


class JsonPositions(LazyPositions):
    """The positions of a JSON text (module docstring)."""

    __slots__ = ()

    def __init__(self, text: str) -> None:
        super().__init__(text)

    def _map(self, wanted: set[str] | None) -> dict[str, Position]:
        from copyguard.policy.locate import json_positions  # the JSON scanner: JSON's only

        return json_positions(self._source, wanted)


class YamlPositions(LazyPositions):
    """The positions of a YAML document read from its events (module docstring).

    ``marks[i]``: the ``i``-th value's position, ``line << 32 | column`` (both from 0), in
    the order the node graph's walk meets them: the document, then for a mapping each key
    (a field's path starts at its key), for a list each element, each followed by what is
    inside it; an alias repeats what its anchor holds. ``spans[i]``: how many of them the
    ``i``-th and what is inside it take. ``names``: the key as written where it is not the
    constructed key itself (``0x1: ...`` is the key 1, its path's field ``0x1``).
    """

    __slots__ = ()

    def __init__(self, doc: Any, marks: array[int], spans: array[int], names: dict[int, str]):
        super().__init__((doc, marks, spans, names))

    def _map(self, wanted: set[str] | None) -> dict[str, Position]:
        doc, marks, spans, names = self._source
        return yaml_positions(doc, marks, spans, names, wanted)


def yaml_positions(
    doc: Any,
    marks: array[int],
    spans: array[int],
    names: dict[int, str],
    wanted: set[str] | None = None,
) -> dict[str, Position]:
    """``{path: (line, column)}`` of the ``wanted`` paths (None: every path) of ``doc``, as
    ``scenario/load.py``'s ``_yaml_document`` maps it from the node graph: the same walk,
    first position of a path kept, over the constructed document and the marks
    (:class:`YamlPositions`). With ``wanted``, a list or mapping whose path holds none of
    them is stepped over. A list or mapping that no longer has what was read (changed since)
    is stepped over too: nothing inside it gets a position."""
    out: dict[str, Position] = {}
    within = None if wanted is None else path_ancestors(wanted)

    def at(i: int) -> Position:
        m = marks[i]
        return ((m >> 32) + 1, (m & 0xFFFFFFFF) + 1)

    stack: list[tuple[Any, str, int, bool]] = [(doc, "", 0, False)]
    while stack:
        value, path, i, keyed = stack.pop()
        if not keyed and (wanted is None or path in wanted) and path not in out:
            out[path] = at(i)  # a field's own path got its key's position already
        if within is not None and path and path not in within:
            continue  # nothing wanted inside
        kind = type(value)
        if kind is not dict and kind is not list:
            continue
        end = i + spans[i]
        k = i + 1
        children: list[tuple[Any, str, int]] = []
        if kind is dict:
            for key, item in value.items():
                if k >= end:
                    break
                name = names.get(k, key) if names else key
                children.append((item, f"{path}.{name}" if path else name, k))
                k += spans[k]
        else:
            for n, item in enumerate(value):
                if k >= end:
                    break
                children.append((item, f"{path}[{n}]", k))
                k += spans[k]
        if k != end or len(children) != len(value):
            continue  # not the value that was read
        for item, sub, k in reversed(children):
            if kind is dict and (wanted is None or sub in wanted) and sub not in out:
                out[sub] = at(k)
            if within is None or sub in within or sub in wanted:  # type: ignore[operator]
                stack.append((item, sub, k, kind is dict))
    return out
