"""Reading the packaged YAML data files (lazily, once) and typed field access.

Nothing here runs at import time: every data file is read on the first call that needs it
and cached for the life of the process.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

from copyguard.lazyre import lazy_compile
from copyguard.records import field, record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, TypeAlias

__all__ = [
    "DATA_FILES",
    "Confidence",
    "KnowledgeDataError",
    "Provenance",
    "SourceRef",
    "TriState",
    "file_provenance",
    "load_data",
    "provenance",
    "row_sources",
    "rows",
]

#: The data files of the knowledge layer, in ``copyguard/knowledge/data/``.
DATA_FILES: tuple[str, ...] = (
    "kms.yaml",
    "global_condition_keys.yaml",
    "resource_types.yaml",
    "copy_requirements.yaml",
    "errors.yaml",
    "regions.yaml",
    "lag.yaml",
)

if TYPE_CHECKING:
    #: How sure we are of a fact: ``confirmed`` (a primary source says so), ``inference``
    #: (derived by us from cited facts) or ``unconfirmed`` (no primary source was found).
    Confidence: TypeAlias = Literal["confirmed", "inference", "unconfirmed"]

    #: A yes/no fact that may also be decided by a setting (``depends``) or not known
    #: (``unconfirmed``).
    TriState: TypeAlias = bool | Literal["depends", "unconfirmed"]
else:  # the aliases' stand-ins at run time (typing is not imported: start-up time)
    Confidence = str
    TriState = bool | str

_CONFIDENCES: frozenset[str] = frozenset({"confirmed", "inference", "unconfirmed"})


class KnowledgeDataError(ValueError):
    """A packaged data file is missing or does not have the expected shape."""


@record(frozen=True, slots=True)
class SourceRef:
    """One source a data file was compiled from: where (``url``) and when it was read
    (``read``, ``YYYY-MM`` or ``YYYY-MM-DD``)."""

    id: str
    url: str
    read: str
    note: str = ""


@record(frozen=True, slots=True)
class Provenance:
    """The ``provenance:`` block of a data file.

    ``default_sources`` back every row and section of the file that names no ``sources`` of
    its own; ``section_sources`` back whole top-level sections (policy documents, templates)
    that cannot carry a ``sources`` field.
    """

    file: str
    compiled: str
    sources: tuple[SourceRef, ...]
    notes: str
    default_sources: tuple[str, ...] = ()
    section_sources: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def source(self, source_id: str) -> SourceRef | None:
        """The source with this id, or None."""
        for ref in self.sources:
            if ref.id == source_id:
                return ref
        return None


class YamlDataError(ValueError):
    """A packaged YAML file does not parse."""


def twin_name(yaml_name: str) -> str:
    """The compiled twin of a packaged YAML file: ``kms.yaml`` -> ``kms.compiled.json``."""
    return yaml_name.rsplit(".", 1)[0] + ".compiled.json"


def yaml_digest(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8), in hex: what a twin's ``yaml_sha256`` holds."""
    return sha256_hex(text.encode("utf-8"))


def sha256_hex(data: bytes) -> str:
    """The SHA-256 digest of ``data``, in hex (also a finding's fingerprint)."""
    # CPython 3.11's own SHA-256 module imports ten times faster than hashlib (which loads
    # OpenSSL); the digest is the same. Other versions and builds: hashlib.
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from hashlib import sha256
    digest: str = sha256(data).hexdigest()
    return digest


def parse_packaged_yaml(text: str, twin: Any | None) -> Any:
    """The document of a packaged YAML file whose text is ``text``.

    ``twin`` (a path or an ``importlib.resources`` file, or None) is its compiled JSON twin, written
    by ``scripts/compile_data.py``: ``{"yaml_sha256": ..., "data": ...}``. When the twin
    exists and was compiled from exactly this text, its data is returned (a JSON parse,
    about 40 times faster than libyaml); otherwise (no twin, a stale one) the YAML itself
    is parsed, so an edited data file is never read through an old twin. The compiler only
    writes a twin whose data equals the YAML document (JSON types only), and
    tests/knowledge/test_compiled_twins.py keeps every twin in sync.
    """
    raw: str | None = None
    if twin is not None:
        try:
            raw = twin.read_text("utf-8")
        except (OSError, ValueError):
            raw = None
    if raw is not None:
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and "data" in doc and doc.get("yaml_sha256") == yaml_digest(text):
            return doc["data"]
    import yaml  # only when there is no up-to-date twin

    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise YamlDataError(str(exc)) from exc


class LocalFile:
    """A file or folder on disk with the part of ``pathlib.Path`` the loader uses
    (``joinpath``, ``read_text``, ``is_file``), read the same way; pathlib itself is not
    imported (start-up time)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"LocalFile({self.path!r})"

    def joinpath(self, name: str) -> LocalFile:
        return LocalFile(os.path.join(self.path, name))

    def read_text(self, encoding: str) -> str:
        with open(self.path, encoding=encoding) as handle:
            return handle.read()

    def is_file(self) -> bool:
        return os.path.isfile(self.path)


def _data_folder() -> Any:
    """The packaged ``data`` folder: the directory next to this module when the package is
    installed as files (as ``importlib.resources`` would give it, without importing its zip
    and temporary-file support at every start), else ``importlib.resources``' view of it
    (a zipped package)."""
    folder = os.path.join(os.path.dirname(__file__), "data")
    if os.path.isdir(folder):
        return LocalFile(folder)
    from importlib import resources

    return resources.files(__package__).joinpath("data")


@functools.cache
def load_data(name: str) -> Mapping[str, Any]:
    """Parse one packaged data file (cached; the first call reads the file)."""
    if name not in DATA_FILES:
        raise KnowledgeDataError(f"unknown knowledge data file {name!r}")
    folder = _data_folder()
    try:
        text = folder.joinpath(name).read_text("utf-8")
    except (OSError, ModuleNotFoundError) as exc:  # pragma: no cover - packaging error
        raise KnowledgeDataError(f"cannot read knowledge data file {name}: {exc}") from exc
    try:
        data = parse_packaged_yaml(text, folder.joinpath(twin_name(name)))
    except YamlDataError as exc:
        raise KnowledgeDataError(f"{name}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise KnowledgeDataError(f"{name}: the top level must be a mapping")
    return data


def rows(name: str) -> Iterator[tuple[str, str, Any]]:
    """Every fact of one data file as ``(section, where, value)``.

    A top-level section that is a list of mappings yields one item per row
    (``where`` = ``section[i]``); any other section (a policy document, a template, a list of
    names) is one fact as a whole.
    """
    data = load_data(name)
    for section, value in data.items():
        if section == "provenance":
            continue
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, row in enumerate(value):
                yield str(section), f"{section}[{index}]", row
        else:
            yield str(section), str(section), value


def row_sources(name: str, section: str, value: Any) -> tuple[SourceRef | None, ...]:
    """The sources backing one fact: its own ``sources``, else its section's, else the file's
    defaults. An id that names no source of the file comes back as ``None``."""
    prov = provenance()[name]
    ids: tuple[str, ...] = ()
    own = value.get("sources") if isinstance(value, Mapping) else None
    if isinstance(own, str):
        ids = (own,)
    elif isinstance(own, list):
        ids = tuple(str(i) for i in own)
    if not ids:
        ids = prov.section_sources.get(section, ()) or prov.default_sources
    return tuple(prov.source(i) for i in ids)


def provenance() -> Mapping[str, Provenance]:
    """Every data file's provenance block, keyed by file name (reads all data files)."""
    return {name: _provenance(name) for name in DATA_FILES}


def file_provenance(name: str) -> Provenance:
    """One data file's provenance block (cached; reads only that file)."""
    return _provenance(name)


@functools.cache
def _provenance(name: str) -> Provenance:
    block = mapping(load_data(name), "provenance", name)
    where = f"{name}: provenance"
    sources = tuple(
        SourceRef(
            id=string(item, "id", where),
            url=string(item, "url", where),
            read=_date(string(item, "read", where), f"{where}: {item.get('id')}"),
            note=string(item, "note", where, ""),
        )
        for item in mappings(block, "sources", where)
    )
    known = {ref.id for ref in sources}
    defaults = strings(block, "default_sources", where, ())
    sections_raw = block.get("section_sources") or {}
    if not isinstance(sections_raw, Mapping):
        raise KnowledgeDataError(f"{where}: section_sources must be a mapping")
    sections = {
        str(section): strings(sections_raw, str(section), f"{where}: section_sources")
        for section in sections_raw
    }
    for ref_id in (*defaults, *(i for ids in sections.values() for i in ids)):
        if ref_id not in known:
            raise KnowledgeDataError(f"{where}: unknown source id {ref_id!r}")
    return Provenance(
        file=name,
        compiled=string(block, "compiled", where),
        sources=sources,
        notes=string(block, "notes", where, ""),
        default_sources=defaults,
        section_sources=MappingProxyType(sections),
    )


_DATE = lazy_compile(r"^\d{4}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?$")


def _date(value: str, where: str) -> str:
    if not _DATE.match(value):
        raise KnowledgeDataError(f"{where}: read must be YYYY-MM or YYYY-MM-DD, not {value!r}")
    return value


# --- typed access to parsed YAML --------------------------------------------------------

_MISSING: Any = object()


def _get(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    if key in data and data[key] is not None:
        return data[key]
    if key in data and default is _MISSING:
        return None
    if default is _MISSING:
        raise KnowledgeDataError(f"{where}: missing field {key!r}")
    return default


def string(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> str:
    value = _get(data, key, where, default)
    if not isinstance(value, str):
        raise KnowledgeDataError(f"{where}: field {key!r} must be a string, not {value!r}")
    return value.strip()


def optional_string(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise KnowledgeDataError(f"{where}: field {key!r} must be a string or null")
    return value.strip()


def boolean(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> bool:
    value = _get(data, key, where, default)
    if not isinstance(value, bool):
        raise KnowledgeDataError(f"{where}: field {key!r} must be true or false, not {value!r}")
    return value


def tristate(data: Mapping[str, Any], key: str, where: str) -> TriState:
    value = _get(data, key, where, _MISSING)
    if isinstance(value, bool):
        return value
    if value == "depends":
        return "depends"
    if value == "unconfirmed":
        return "unconfirmed"
    raise KnowledgeDataError(
        f"{where}: field {key!r} must be true, false, depends or unconfirmed, not {value!r}"
    )


def confidence(
    data: Mapping[str, Any], where: str, default: Confidence = "confirmed"
) -> Confidence:
    value = data.get("confidence", default)
    if value not in _CONFIDENCES:
        raise KnowledgeDataError(f"{where}: confidence must be one of {sorted(_CONFIDENCES)}")
    checked: Confidence = value
    return checked


def strings(
    data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING
) -> tuple[str, ...]:
    value = _get(data, key, where, default)
    if isinstance(value, str):
        return (value.strip(),)
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise KnowledgeDataError(f"{where}: field {key!r} must be a list of strings")
    return tuple(v.strip() for v in value)


def mapping(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = _get(data, key, where, _MISSING)
    if not isinstance(value, Mapping):
        raise KnowledgeDataError(f"{where}: field {key!r} must be a mapping")
    return value


def mappings(data: Mapping[str, Any], key: str, where: str) -> tuple[Mapping[str, Any], ...]:
    value = _get(data, key, where, ())
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise KnowledgeDataError(f"{where}: field {key!r} must be a list")
    items: list[Mapping[str, Any]] = []
    for item in value:
        if not isinstance(item, Mapping):
            raise KnowledgeDataError(f"{where}: every item of {key!r} must be a mapping")
        items.append(item)
    return tuple(items)
