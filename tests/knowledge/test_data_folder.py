"""The knowledge data folder is read as the directory next to the package when it is installed
as files (no ``importlib.resources`` at start: it imports zip and temporary-file support; no
pathlib either), and through ``importlib.resources`` otherwise (a zipped package); both give
the same files."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

from copyguard.knowledge import _loader


def test_an_installed_package_reads_the_directory_next_to_it() -> None:
    folder = _loader._data_folder()
    assert os.fspath(folder) == str(Path(_loader.__file__).parent / "data")
    packaged = resources.files("copyguard.knowledge").joinpath("data")
    for name in _loader.DATA_FILES:
        assert folder.joinpath(name).read_text("utf-8") == packaged.joinpath(name).read_text(
            "utf-8"
        )
        twin = _loader.twin_name(name)
        assert folder.joinpath(twin).is_file()
        assert folder.joinpath(twin).read_text("utf-8") == (
            Path(_loader.__file__).parent / "data" / twin
        ).read_text("utf-8")
    assert not folder.joinpath("no-such-file.yaml").is_file()
    with pytest.raises(OSError):
        folder.joinpath("no-such-file.yaml").read_text("utf-8")


def test_without_a_directory_it_falls_back_to_importlib_resources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_isdir = os.path.isdir
    data = os.path.join(os.path.dirname(_loader.__file__), "data")
    monkeypatch.setattr(os.path, "isdir", lambda p: False if p == data else real_isdir(p))
    folder = _loader._data_folder()
    assert not isinstance(folder, _loader.LocalFile)
    kms = Path(data, "kms.yaml").read_text("utf-8")
    assert folder.joinpath("kms.yaml").read_text("utf-8") == kms
    assert folder.joinpath("kms.compiled.json").is_file()
