"""Field-path helpers (``policy/paths.py``): the holder of a path, the nearest located
ancestor, the containers that may hold a set of paths."""

from __future__ import annotations

import pytest

from copyguard.policy.paths import locate, parent_path, path_ancestors


@pytest.mark.parametrize(
    ("path", "parent"),
    [
        ("keys[3].policy.Statement[1].Principal", "keys[3].policy.Statement[1]"),
        ("keys[3].policy.Statement[1]", "keys[3].policy.Statement"),
        ("keys[3]", "keys"),
        ("keys", ""),
        ("", ""),
        ("[0].a", "[0]"),
        ("[0]", ""),  # a list at the top: its element's holder is the document
        ("a.b[2][1]", "a.b[2]"),
    ],
)
def test_parent_path(path: str, parent: str) -> None:
    assert parent_path(path) == parent


def test_locate_walks_up_to_the_nearest_located_ancestor() -> None:
    positions = {"": (1, 1), "copies": (4, 1), "copies[0].name": (5, 5)}
    assert locate(positions, "copies[0].name") == (5, 5)
    assert locate(positions, "copies[0].lifecycle.delete_after_days") == (4, 1)
    assert locate(positions, "keys[2]") == (1, 1)
    assert locate({}, "keys[2]") is None


def test_path_ancestors_cut_before_every_separator() -> None:
    assert path_ancestors({"keys[3].policy.Statement[1]", "copies"}) == {
        "keys",
        "keys[3]",
        "keys[3].policy",
        "keys[3].policy.Statement",
    }
    assert path_ancestors(["a.b.c", "a.b"]) == {"a", "a.b"}
    assert path_ancestors([]) == set()
