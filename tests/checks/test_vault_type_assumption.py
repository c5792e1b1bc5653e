"""A vault whose vault_type is omitted is checked as a standard vault, and the report says so
(once per vault), instead of assuming it silently."""

from __future__ import annotations

from pathlib import Path

import yaml

from copyguard import api

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "copyguard" / "examples"


def _assumptions(path: Path) -> list[str]:
    report = api.check_file(path)
    return [a.get("en") for a in report.assumptions]


def test_an_untyped_destination_vault_is_named_as_assumed_standard() -> None:
    notes = [a for a in _assumptions(EXAMPLES / "seed-fixed.yaml") if "vault_type" in a]
    assert len(notes) == 1
    assert "backup-vault:central" in notes[0] and "BACKUP_VAULT" in notes[0]


def test_a_typed_vault_carries_no_assumption(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "seed-fixed.yaml").read_text("utf-8"))
    for vault in data["vaults"]:
        vault["vault_type"] = "BACKUP_VAULT"
    for name in ("seed-key-policy-fixed.json",):
        (tmp_path / name).write_bytes((EXAMPLES / name).read_bytes())
    path = tmp_path / "typed.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert not [a for a in _assumptions(path) if "vault_type" in a]
    # and the verdict does not depend on the note
    assert api.check_file(path).verdict == api.check_file(EXAMPLES / "seed-fixed.yaml").verdict


def test_one_note_per_vault_however_many_copies(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLES / "seed-fixed.yaml").read_text("utf-8"))
    first = data["copies"][0]
    data["copies"] = [dict(first, name=f"copy-{i}") for i in range(5)]
    (tmp_path / "seed-key-policy-fixed.json").write_bytes(
        (EXAMPLES / "seed-key-policy-fixed.json").read_bytes()
    )
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len([a for a in _assumptions(path) if "vault_type" in a]) == 1
