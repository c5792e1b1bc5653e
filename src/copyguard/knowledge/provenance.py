"""Provenance of the knowledge data files: which source (URL, date read) backs each row.

(Import these from :mod:`copyguard.knowledge`; importing this submodule by name would shadow
the package's ``provenance`` function.)
"""

from copyguard.knowledge._loader import (
    DATA_FILES,
    Provenance,
    SourceRef,
    provenance,
    row_sources,
    rows,
)

__all__ = ["DATA_FILES", "Provenance", "SourceRef", "provenance", "row_sources", "rows"]
