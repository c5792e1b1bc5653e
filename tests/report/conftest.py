"""Fixtures for the renderer tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from report_samples import SCHEMA_FILE


@pytest.fixture(scope="session")
def sarif_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.Draft4Validator
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)
