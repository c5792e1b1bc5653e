"""``copyguard schema``: the JSON Schemas of the public formats (GitHub issue 7).

Every schema is checked against the real thing: the scenario schema accepts every scenario
file of the repository and rejects malformed ones the loader rejects too; the report, fix and
batch schemas validate what the real commands print.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cg_cli import EXAMPLES, QUICK, REPO, SCENARIOS, run

NAMES = ("scenario", "report", "batch-request", "batch-result", "fix")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def schema(name: str) -> dict[str, Any]:
    result = run("schema", name)
    assert result.code == 0, str(result)
    doc: dict[str, Any] = json.loads(result.out)
    return doc


@pytest.fixture(scope="module")
def schemas() -> dict[str, jsonschema.Draft202012Validator]:
    out = {}
    for name in NAMES:
        doc = schema(name)
        assert doc["$schema"] == DRAFT
        jsonschema.Draft202012Validator.check_schema(doc)
        out[name] = jsonschema.Draft202012Validator(doc)
    return out


def errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_schema_lists_names_and_rejects_unknown() -> None:
    listing = run("schema")
    assert listing.code == 0
    assert [line.split()[0] for line in listing.out.splitlines()] == list(NAMES)
    bad = run("schema", "nope")
    assert bad.code == 2 and "nope" in bad.err and "scenario" in bad.err
    assert "Traceback" not in bad.err


def test_compact_is_the_same_schema() -> None:
    result = run("schema", "report", "--compact")
    assert result.code == 0 and result.out.count("\n") == 1
    assert json.loads(result.out) == schema("report")


def test_schemas_ship_as_package_data() -> None:
    for name in NAMES:
        path = REPO / "src" / "copyguard" / "schemas" / f"{name}.schema.json"
        assert json.loads(path.read_text(encoding="utf-8")) == schema(name)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schemas/*.json"' in pyproject


# ---------------------------------------------------------------------------- scenario


def scenario_files() -> list[Path]:
    files = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("*.json"))
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix in (".yaml", ".yml") or (
            path.suffix == ".json" and "Statement" not in path.read_text(encoding="utf-8")
        ):
            files.append(path)
    return files


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_scenario_schema_accepts_every_scenario_file(
    schemas: dict[str, jsonschema.Draft202012Validator], path: Path
) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert errors(schemas["scenario"], doc) == []


VAULT = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE: dict[str, Any] = {
    "version": 1,
    "organization": {"id": "o-exampleorg1", "accounts": ["111122223333", "444455556666"]},
    "keys": [{"arn": KEY, "manager": "CUSTOMER", "state": "Enabled", "policy": None}],
    "vaults": [{"arn": VAULT, "key": None, "access_policy": None, "vault_type": "BACKUP_VAULT"}],
    "copies": [
        {
            "name": "c",
            "resource_type": "EBS",
            "resource_key": KEY,
            "destination_vault": VAULT,
            "iam_role_arn": "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole",
            "status_message": "Access Denied trying to call AWS Backup service",
            "lifecycle": {"delete_after_days": 35},
        }
    ],
    "x-team": {"anything": [1, 2]},
    "description": "free text",
}


def mutate(path: str, value: Any, doc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``doc`` (default BASE) with the field at a dotted path (``vaults.0.key``)
    set to ``value``; ``...`` deletes it."""
    doc = copy.deepcopy(BASE if doc is None else doc)
    *parents, last = path.split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


GOOD_VARIANTS = [
    ("vaults.0.key", "aws-owned", "vaults.0.vault_type", "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"),
    ("keys.0.state", "pendingdeletion", "keys.0.manager", "aws"),
    ("organization.cross_account_backup_enabled", "True", "copies.0.resource_key", None),
    ("keys.0.policy", '{"Version": "2012-10-17", "Statement": []}', "vaults.0.lock", None),
]

BAD_VARIANTS = [
    ("version", 2),
    ("surprise", True),
    ("keys.0.colour", "blue"),
    ("keys.0.arn", "arn:aws:kms:us-east-1:1111:key/x"),
    ("keys.0.arn", ...),
    ("keys.0.state", "Broken"),
    ("keys.0.manager", "PARTNER"),
    ("keys.0.policy_file", "kp.json"),  # with policy: one or the other
    ("keys", {"arn": KEY}),
    ("organization.accounts.0", "11112222333"),
    ("organization.id", "org-1"),
    ("vaults.0.vault_type", "COLD_VAULT"),
    ("vaults.0.key", "aws-owned"),  # only for a logically air-gapped vault
    ("vaults.0.lock", {"min_retention_days": -1}),
    ("copies.0.iam_role_arn", "arn:aws:iam::111122223333:user/bob"),
    ("copies.0.status_message", ""),
    ("copies.0.lifecycle", {"delete_after_days": "35"}),
    ("copies.0.destination_vault", "central"),
]


@pytest.mark.parametrize("variant", GOOD_VARIANTS, ids=lambda v: f"{v[0]}={v[1]!r}")
def test_scenario_schema_accepts_what_the_loader_accepts(
    schemas: dict[str, jsonschema.Draft202012Validator], variant: tuple[Any, ...], tmp_path: Path
) -> None:
    doc = mutate(variant[2], variant[3], mutate(variant[0], variant[1]))
    assert errors(schemas["scenario"], doc) == []
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert run("check", str(path), "--format", "json").code in (0, 1, 3)


@pytest.mark.parametrize("variant", BAD_VARIANTS, ids=lambda v: f"{v[0]}={v[1]!r}")
def test_scenario_schema_rejects_what_the_loader_rejects(
    schemas: dict[str, jsonschema.Draft202012Validator], variant: tuple[str, Any], tmp_path: Path
) -> None:
    doc = mutate(*variant)
    assert errors(schemas["scenario"], doc), variant
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = run("check", str(path), "--format", "json")
    assert result.code == 2, str(result)


def test_base_scenario_is_valid_for_both(
    schemas: dict[str, jsonschema.Draft202012Validator], tmp_path: Path
) -> None:
    assert errors(schemas["scenario"], BASE) == []
    path = tmp_path / "s.json"
    path.write_text(json.dumps(BASE), encoding="utf-8")
    assert run("check", str(path), "--format", "json").code in (0, 1, 3)


# ------------------------------------------------------------------------- report, fix


def report_runs() -> list[tuple[str, ...]]:
    runs = [
        ("check", str(p.relative_to(REPO)))
        for p in sorted(EXAMPLES.iterdir())
        if p.suffix in (".yaml", ".yml")
    ]
    runs.append(("check", "--key-policy", "examples/seed-key-policy.json", *QUICK))
    runs.append(("check", "--key-policy", "examples/seed-key-policy-fixed.json", *QUICK))
    runs += [
        ("check", f"tests/data/scenarios/{name}.yaml")
        for name in ("cg901-malformed-key-policy", "unknown-minimal-copy", "cg204-vault-lock-range")
    ]
    return runs


@pytest.mark.parametrize("args", report_runs(), ids=lambda a: a[-1] if len(a) == 2 else a[2])
def test_report_and_fix_schemas_validate_real_output(
    schemas: dict[str, jsonschema.Draft202012Validator], args: tuple[str, ...]
) -> None:
    result = run(*args, "--format", "json")
    assert result.code in (0, 1, 2, 3), str(result)  # 2: an invalid policy (CG901)
    report = result.json()
    assert errors(schemas["report"], report) == []
    fixed = run("fix", *args[1:], "--as", "json")
    if result.code == 2:  # nothing to fix from: fix refuses the invalid input
        assert fixed.code == 2 and fixed.out == "", str(fixed)
    else:
        assert fixed.code in (0, 1, 3), str(fixed)
        assert errors(schemas["fix"], fixed.json()) == []
    broken = copy.deepcopy(report)
    broken["verdict"] = "maybe"
    assert errors(schemas["report"], broken)
    if report["findings"]:
        broken = copy.deepcopy(report)
        broken["findings"][0]["code"] = "E101"
        del broken["findings"][0]["severity"]
        assert len(errors(schemas["report"], broken)) == 2


# ------------------------------------------------------------------------------ batch


def batch_requests() -> list[dict[str, Any]]:
    cases = []
    for path in sorted((REPO / "tests" / "evaluate" / "cases").glob("*.json")):
        cases += [c["request"] for c in json.loads(path.read_text(encoding="utf-8"))["cases"]]
    return cases


def test_batch_schemas_validate_real_input_and_output(
    schemas: dict[str, jsonschema.Draft202012Validator], tmp_path: Path
) -> None:
    requests = batch_requests()
    assert len(requests) > 50
    for req in requests:
        assert errors(schemas["batch-request"], req) == [], req.get("id")
    bad_lines = ["{broken", "", "[1]", json.dumps({"id": "no-principal", "action": "kms:Decrypt"})]
    lines = [json.dumps(r) for r in requests] + bad_lines
    batch = tmp_path / "b.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--explain", "--lint"]):
        result = run("simulate", "--batch", str(batch), *extra)
        assert result.code == 2, str(result)
        out = [json.loads(line) for line in result.out.splitlines()]
        assert len(out) == len(lines)
        for line in out:
            assert errors(schemas["batch-result"], line) == [], line
        assert sum("error" in line for line in out) == len(bad_lines)
    for req in (
        {"principal": "p", "action": "kms:Decrypt", "resource": "r"},  # no key_policy
        {**requests[0], "action": "kms:*"},
        {**requests[0], "context": {"k:K": 5}},
        {**requests[0], "key_policy": {"Statement": [{"Effect": "allow"}]}},
    ):
        assert errors(schemas["batch-request"], req), req
    for res in (
        {"id": "x", "decision": "maybe"},
        {"id": "x"},
        {"id": "x", "decision": "allowed", "error": "both"},
        {"id": None, "error": "no line number"},
        {"decision": "allowed"},
    ):
        assert errors(schemas["batch-result"], res), res


def test_differential_corpus_requests_match_the_schema(
    schemas: dict[str, jsonschema.Draft202012Validator],
) -> None:
    sys.path.insert(0, str(REPO / "tests" / "differential"))
    try:
        import generate  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    for req in generate.generate(7, 300):
        assert errors(schemas["batch-request"], req) == [], req.get("id")


def test_docs_examples_match_the_schemas(
    schemas: dict[str, jsonschema.Draft202012Validator],
) -> None:
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    blocks = text.split("```")
    yaml_blocks = [b[len("yaml\n") :] for b in blocks if b.startswith("yaml\n")]
    json_blocks = [b[len("json\n") :] for b in blocks if b.startswith("json\n")]
    assert errors(schemas["scenario"], yaml.safe_load(yaml_blocks[0])) == []
    report = next(json.loads(b) for b in json_blocks if b.lstrip().startswith('{"tool"'))
    assert errors(schemas["report"], report) == []
    request = next(json.loads(b) for b in json_blocks if b.lstrip().startswith('{"id": "c1"'))
    assert errors(schemas["batch-request"], request) == []
    results = next(b for b in json_blocks if b.lstrip().startswith('{"id": "c1", "decision"'))
    for line in results.strip().splitlines():
        assert errors(schemas["batch-result"], json.loads(line)) == [], line
