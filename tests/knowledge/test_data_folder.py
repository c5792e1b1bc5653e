"""The knowledge data folder is read as the directory next to the package when it is installed
as files (no ``importlib.resources`` at start: it imports zip and temporary-file support),
and through ``importlib.resources`` otherwise (a zipped package); both give the same files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from copyguard.knowledge import _loader


def test_an_installed_package_reads_the_directory_next_to_it() -> None:
    folder = _loader._data_folder()
    assert isinstance(folder, Path)
    assert folder == Path(_loader.__file__).parent / "data"
    packaged = resources.files("copyguard.knowledge").joinpath("data")
    for name in _loader.DATA_FILES:
        assert (folder / name).read_text("utf-8") == packaged.joinpath(name).read_text("utf-8")


def test_without_a_directory_it_falls_back_to_importlib_resources(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_is_dir = Path.is_dir
    data = Path(_loader.__file__).parent / "data"
    monkeypatch.setattr(Path, "is_dir", lambda self: False if self == data else real_is_dir(self))
    folder = _loader._data_folder()
    assert folder.joinpath("kms.yaml").read_text("utf-8") == (data / "kms.yaml").read_text("utf-8")
    assert folder.joinpath("kms.compiled.json").is_file()
