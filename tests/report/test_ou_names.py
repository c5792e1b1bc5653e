"""Accounts labelled and grouped by OU name in the HTML picture when the scenario has the names
(``organization.ou_names``, written by an organization scan), the organization path otherwise;
the names are read from scenario files with their field paths checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from report_samples import cg101

from copyguard.checks.model import Report
from copyguard.report.html import layout, ou_label
from copyguard.scenario.model import Copy, Key, Organization, Scenario, Vault

ROOT, PROD, PAY = "r-ab12", "ou-ab12-prod0001", "ou-ab12-paym0001"
NAMES = {ROOT: "Root", PROD: "Production", PAY: "Payments"}


def test_label_is_the_names_below_the_root() -> None:
    assert ou_label(f"o-abcdefghij/{ROOT}/{PROD}/{PAY}/", NAMES) == "Production / Payments"
    assert ou_label(f"o-abcdefghij/{ROOT}/{PROD}/", NAMES) == "Production"
    assert ou_label(f"o-abcdefghij/{ROOT}/", NAMES) == "Root"  # an account at the root
    # an OU whose name was not read keeps its ID beside the named ones
    assert ou_label(f"o-abcdefghij/{ROOT}/ou-ab12-unknown1/", NAMES) == "ou-ab12-unknown1"
    # no names at all: the path, as before
    path = f"o-abcdefghij/{ROOT}/{PROD}/"
    assert ou_label(path, {}) == path


def _organization(n: int, names: dict[str, str]) -> tuple[Scenario, Report]:
    central = "999999999999"
    dst = f"arn:aws:backup:us-east-1:{central}:backup-vault:central"
    vaults = {dst: Vault(arn=dst, path="vaults[0]")}
    keys: dict[str, Key] = {}
    copies: list[Copy] = []
    findings = []
    paths: dict[str, list[str]] = {}
    for i in range(n):
        acct = f"{100000000000 + i:012d}"
        src = f"arn:aws:backup:us-east-1:{acct}:backup-vault:v{i}"
        key = f"arn:aws:kms:us-east-1:{acct}:key/k{i}"
        keys[key] = Key(arn=key, path=f"keys[{i}]")
        vaults[src] = Vault(arn=src, path=f"vaults[{i + 1}]")
        name = f"copy-{i}"
        copies.append(Copy(name=name, path=f"copies[{i}]", source_vault=src, destination_vault=dst))
        if i == 0:
            findings.append(cg101(copy=name, resource=key))
        ou = PAY if i % 2 else PROD
        paths[acct] = [f"o-abcdefghij/{ROOT}/{PROD}/" + (f"{PAY}/" if ou == PAY else "")]
    org = Organization(id="o-abcdefghij", paths=paths, ou_names=names)
    sc = Scenario(organization=org, keys=keys, vaults=vaults, copies=copies)
    return sc, Report(findings=findings, copies=[c.name for c in copies])


def test_lanes_and_groups_carry_the_names() -> None:
    pic = layout(*_organization(40, NAMES), "en")
    titles = {lane.title for lane in pic.lanes if lane.grouped}
    assert {"Production", "Production / Payments"} <= titles
    failing = next(lane for lane in pic.lanes if "100000000000" in lane.accounts)
    assert failing.subtitle == "Production"
    # without names the same organization shows its paths
    bare = layout(*_organization(40, {}), "en")
    assert any(lane.title.startswith("o-abcdefghij/") for lane in bare.lanes if lane.grouped)


def _scenario(tmp_path: Path, ou_names: object) -> Path:
    doc = {
        "version": 1,
        "organization": {
            "id": "o-abcdefghij",
            "paths": {"111122223333": [f"o-abcdefghij/{ROOT}/{PROD}/"]},
            "ou_names": ou_names,
        },
        "keys": [],
        "vaults": [],
        "copies": [],
    }
    path = tmp_path / "org.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_scenario_file_names_are_read(tmp_path: Path) -> None:
    from copyguard.scenario.load import load_scenario

    sc = load_scenario(str(_scenario(tmp_path, {ROOT: "Root", PROD: "Production"})))
    assert sc.organization.ou_names == {ROOT: "Root", PROD: "Production"}


@pytest.mark.parametrize(
    ("names", "field", "expected"),
    [
        ({"prod": "Production"}, "organization.ou_names.prod", "root ID"),
        ({PROD: 7}, f"organization.ou_names.{PROD}", "the OU's name"),
        ({PROD: "x" * 129}, f"organization.ou_names.{PROD}", "at most 128"),
        (["Production"], "organization.ou_names", "expected"),
    ],
)
def test_bad_names_are_input_errors(
    tmp_path: Path, names: object, field: str, expected: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "copyguard", "check", str(_scenario(tmp_path, names))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result
    assert field in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr
