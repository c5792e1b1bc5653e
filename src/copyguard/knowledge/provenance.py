"""Provenance of the knowledge data files."""

from copyguard.knowledge._loader import DATA_FILES, Provenance, SourceRef, provenance

__all__ = ["DATA_FILES", "Provenance", "SourceRef", "provenance"]
