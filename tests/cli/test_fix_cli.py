"""``copyguard fix`` through the real CLI: every output form for every failing example and
scenario (goldens in ``tests/golden/fix/``), each form parsed back, and the fixed policy
re-checked."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import (
    DST,
    EXAMPLES,
    GOLDEN,
    QUICK,
    SCENARIOS,
    SRC,
    assert_clean,
    compare_golden,
    golden_name,
    invoke,
    rel,
    run,
)

AS = ("json", "diff", "cli", "terraform", "cloudformation", "policy")
EXT = {
    "json": "json",
    "diff": "diff",
    "cli": "sh",
    "terraform": "tf",
    "cloudformation": "yaml",
    "policy": "policy.json",
}


def _with_fixes(keep: Any) -> list[Path]:
    """The examples and scenarios whose report has a fix ``keep`` accepts."""
    out = []
    for path in sorted(EXAMPLES.glob("*.yaml")) + sorted(SCENARIOS.glob("*.yaml")):
        golden = GOLDEN / "check" / f"{golden_name(path)}.json"
        report = (
            json.loads(golden.read_text(encoding="utf-8"))
            if golden.exists()
            else run("check", rel(path), "--format", "json").json()
        )
        if any(keep(f) for f in report["fixes"]):
            out.append(path)
    return out


FIXABLE = _with_fixes(lambda f: True)
POLICY_FIXABLE = _with_fixes(lambda f: f["policy"] is not None and f["applicability"] == "safe")
KEY_FIXABLE = _with_fixes(lambda f: f["kind"] == "key-policy" and f["applicability"] == "safe")


def _fixes(path: Path, *extra: str) -> list[dict[str, Any]]:
    result = invoke("fix", rel(path), "--as", "json", *extra)
    fixes: list[dict[str, Any]] = result.json()["fixes"]
    return fixes


def apply_unified_diff(original: str, diff: str) -> str:
    """Apply a unified diff (as ``difflib`` writes it) to ``original``; checks every context line."""
    src = original.splitlines(keepends=True)
    out: list[str] = []
    pos = 0
    lines = diff.splitlines(keepends=True)
    i = 0
    while i < len(lines) and not lines[i].startswith("@@"):
        i += 1
    while i < len(lines):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", lines[i])
        assert m, lines[i]
        start = int(m.group(1)) - (0 if m.group(2) == "0" else 1)
        out += src[pos:start]
        pos = start
        i += 1
        while i < len(lines) and not lines[i].startswith("@@"):
            tag, text = lines[i][0], lines[i][1:]
            if tag == " ":
                assert src[pos] == text, (src[pos], text)
                out.append(text)
                pos += 1
            elif tag == "-":
                assert src[pos] == text, (src[pos], text)
                pos += 1
            elif tag == "+":
                out.append(text)
            i += 1
    out += src[pos:]
    return "".join(out)


@pytest.mark.parametrize("path", FIXABLE, ids=[golden_name(p) for p in FIXABLE])
@pytest.mark.parametrize("as_", AS)
def test_fix_output_golden(path: Path, as_: str, update_golden: bool) -> None:
    runner = run if path.parent == EXAMPLES else invoke
    result = runner("fix", rel(path), "--as", as_)
    assert result.code == 0, str(result)
    assert "Traceback" not in result.err
    assert_clean(result.out)
    compare_golden(f"fix/{golden_name(path)}.{EXT[as_]}", result.out, update_golden)


@pytest.mark.parametrize("path", POLICY_FIXABLE, ids=[golden_name(p) for p in POLICY_FIXABLE])
def test_fix_forms_parse_back_to_the_same_policy(path: Path) -> None:
    fixes = [f for f in _fixes(path) if f["policy"] is not None]
    assert fixes
    # cli: aws kms put-key-policy / aws backup put-backup-vault-access-policy with the policy JSON
    cli = invoke("fix", rel(path), "--as", "cli").out
    commands = [line for line in cli.splitlines() if line.startswith("aws ")]
    for fx in fixes:
        verb = (
            "aws kms put-key-policy"
            if fx["kind"] == "key-policy"
            else "aws backup put-backup-vault-access-policy"
        )
        (cmd,) = [
            c
            for c in commands
            if c.startswith(verb)
            and (fx["resource"] in c or fx["resource"].rsplit(":", 1)[-1] in c)
        ]
        argv = shlex.split(cmd)
        assert json.loads(argv[argv.index("--policy") + 1]) == fx["policy"]
        if fx["kind"] == "key-policy":
            assert argv[argv.index("--key-id") + 1] == fx["resource"]
            assert argv[argv.index("--policy-name") + 1] == "default"
    # terraform: balanced braces, the resource, the policy in the heredoc
    tf = invoke("fix", rel(path), "--as", "terraform").out
    assert tf.count("{") == tf.count("}")
    for fx in fixes:
        kind = "aws_kms_key_policy" if fx["kind"] == "key-policy" else "aws_backup_vault_policy"
        assert f'resource "{kind}"' in tf
    heredocs = re.findall(r"<<-POLICY\n(.*?)\n\s*POLICY", tf, re.S)
    assert [json.loads(h) for h in heredocs] == [fx["policy"] for fx in fixes]
    # cloudformation: YAML with KeyPolicy / AccessPolicy
    cfn = invoke("fix", rel(path), "--as", "cloudformation").out
    docs = [d for d in yaml.safe_load_all(cfn) if d]
    props = [r["Properties"] for d in docs for r in d["Resources"].values()]
    found = [p.get("KeyPolicy", p.get("AccessPolicy")) for p in props]
    assert found == [fx["policy"] for fx in fixes]
    # diff: applying it to the current policy gives the fixed one
    for fx in fixes:
        original = _original(path, fx)
        before = (
            json.dumps(json.loads(original), indent=2, ensure_ascii=False) + "\n"
            if original
            else ""
        )
        assert json.loads(apply_unified_diff(before, fx["diff"])) == fx["policy"]


def _original(path: Path, fx: dict[str, Any]) -> str:
    """The current policy of the fix's resource, as the scenario gives it."""
    from copyguard.scenario import load_scenario

    sc = load_scenario(path)
    if fx["kind"] == "key-policy":
        key = sc.key(fx["resource"])
        assert key is not None
        return json.dumps(key.policy.document) if key.policy else ""  # type: ignore[union-attr]
    vault = sc.vault(fx["resource"])
    assert vault is not None
    return json.dumps(vault.access_policy.document) if vault.access_policy else ""  # type: ignore[union-attr]


@pytest.mark.parametrize("path", KEY_FIXABLE, ids=[golden_name(p) for p in KEY_FIXABLE])
def test_the_fixed_key_policy_passes_the_check(path: Path, tmp_path: Path) -> None:
    """Substitute every safe key-policy fix into the scenario: the key findings are gone."""
    fixes = [f for f in _fixes(path) if f["kind"] == "key-policy" and f["applicability"] == "safe"]
    assert fixes
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for fx in fixes:
        for key in doc["keys"]:
            if key["arn"] == fx["resource"]:
                key.pop("policy_file", None)
                key["policy"] = fx["policy"]
    fixed = tmp_path / path.name
    fixed.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    report = run("check", str(fixed), "--format", "json").json()
    assert not {"CG101", "CG105"} & {f["code"] for f in report["findings"]}, report["findings"]
    # and a second fix on the fixed scenario changes nothing (idempotent)
    again = run("fix", str(fixed), "--as", "json").json()["fixes"]
    assert not [f for f in again if f["kind"] == "key-policy" and f["applicability"] == "safe"]


def test_fix_on_an_already_fixed_policy_is_a_no_op() -> None:
    result = run("fix", rel(EXAMPLES / "seed-fixed.yaml"))
    assert result.code == 0
    assert result.out == ""
    assert "nothing to fix" in result.err
    assert run("fix", rel(EXAMPLES / "seed-fixed.yaml"), "--as", "json").json() == {"fixes": []}
    quick = run(
        "fix", "--key-policy", "examples/seed-key-policy-fixed.json", *QUICK, "--as", "diff"
    )
    assert quick.code == 0 and quick.out == ""


def test_quick_form_check_fails_with_cg101_and_lists_checks_not_run() -> None:
    result = run(
        "check", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--format", "json"
    )
    assert result.code == 1, str(result)
    report = result.json()
    assert report["verdict"] == "fail"
    assert [f["code"] for f in report["findings"]] == ["CG101"]
    not_run = {n["code"] for n in report["checks_not_run"]}
    assert {
        "CG201",
        "CG202",
        "CG203",
        "CG204",
        "CG301",
        "CG302",
        "CG401",
        "CG402",
        "CG103",
    } <= not_run
    assert all(n["reason"] for n in report["checks_not_run"])


def test_quick_form_with_the_fixed_policy_passes() -> None:
    result = run(
        "check", "--key-policy", "examples/seed-key-policy-fixed.json", *QUICK, "--format", "json"
    )
    assert result.code == 0, str(result)
    report = result.json()
    assert report["verdict"] == "pass"
    assert {f["code"] for f in report["findings"]} <= {"CG106"}
    assert report["checks_not_run"]


def test_quick_form_fix_cli_prints_a_key_arn_placeholder() -> None:
    result = run("fix", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--as", "cli")
    assert result.code == 0, str(result)
    assert "00000000" not in result.out
    (cmd,) = [line for line in result.out.splitlines() if line.startswith("aws kms put-key-policy")]
    argv = shlex.split(cmd)
    assert argv[argv.index("--key-id") + 1] == "KEY_ARN"
    assert "--region" not in argv  # the Region is not known either
    assert any(
        line.startswith("#") and "replace KEY_ARN" in line for line in result.out.splitlines()
    )
    fixed = json.loads(Path(EXAMPLES / "seed-key-policy-fixed.json").read_text(encoding="utf-8"))
    assert json.loads(argv[argv.index("--policy") + 1]) == fixed
    tf = run(
        "fix", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--as", "terraform"
    ).out
    assert 'key_id = "KEY_ARN"' in tf and "replace KEY_ARN" in tf


def test_quick_form_fix_with_key_arn_names_it() -> None:
    arn = f"arn:aws:kms:eu-west-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = run(
        "fix",
        "--key-policy",
        "examples/seed-key-policy.json",
        *QUICK,
        "--key-arn",
        arn,
        "--as",
        "cli",
    )
    (cmd,) = [line for line in result.out.splitlines() if line.startswith("aws kms put-key-policy")]
    argv = shlex.split(cmd)
    assert argv[argv.index("--key-id") + 1] == arn
    assert argv[argv.index("--region") + 1] == "eu-west-1"
    assert "KEY_ARN" not in result.out


def test_quick_form_fix_policy_is_the_seed_articles_fix() -> None:
    result = run("fix", "--key-policy", "examples/seed-key-policy.json", *QUICK)
    assert json.loads(result.out) == json.loads(
        (EXAMPLES / "seed-key-policy-fixed.json").read_text(encoding="utf-8")
    )


def test_fix_principal_slr_merges_every_destination_of_a_shared_key() -> None:
    path = SCENARIOS / "cg101-shared-key-two-destinations.yaml"
    fixes = run("fix", rel(path), "--principal", "slr", "--as", "json").json()["fixes"]
    key_fixes = [f for f in fixes if f["kind"] == "key-policy"]
    assert len(key_fixes) == 1, "one merged fix for the one key"
    (fx,) = key_fixes
    slrs = [
        f"arn:aws:iam::{acct}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
        for acct in (DST, "555566667777")
    ]
    text = json.dumps(fx["policy"])
    for slr in slrs:
        assert slr in text
        assert slr in fx["principal"]
    assert DST in fx["description"] and "555566667777" in fx["description"]
    assert fx["verification"]["copies_verified"] == 2
    # the two statements are extended, not duplicated
    sids = [s.get("Sid") for s in fx["policy"]["Statement"]]
    assert len(sids) == len(set(sids)) == 3


def test_fix_unsafe_is_opt_in() -> None:
    path = rel(SCENARIOS / "cg104-deny-notprincipal.yaml")
    held = run("fix", path, "--as", "json")
    assert held.json() == {"fixes": []}
    assert "--unsafe" in held.err
    shown = run("fix", path, "--as", "json", "--unsafe").json()["fixes"]
    (fx,) = shown
    assert fx["applicability"] == "unsafe"
    assert "UNSAFE" in fx["description"]
    assert fx["resolves"] == ["CG104"]


def test_vault_policy_deny_fix_is_unsafe_and_adds_the_source_account() -> None:
    path = rel(SCENARIOS / "cg201-vault-policy-deny.yaml")
    assert run("fix", path, "--as", "json").json() == {"fixes": []}
    (fx,) = run("fix", path, "--as", "json", "--unsafe").json()["fixes"]
    assert fx["kind"] == "vault-access-policy" and fx["applicability"] == "unsafe"
    deny = fx["policy"]["Statement"][1]
    assert SRC in deny["Condition"]["StringNotEquals"]["aws:PrincipalAccount"]


def test_vault_policy_fix_for_the_organization() -> None:
    path = rel(SCENARIOS / "cg201-missing-vault-access-policy.yaml")
    (fx,) = [
        f
        for f in run("fix", path, "--as", "json", "--vault-principal", "org").json()["fixes"]
        if f["kind"] == "vault-access-policy"
    ]
    (stmt,) = fx["policy"]["Statement"]
    assert stmt["Principal"] == "*"
    assert stmt["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorg1"}}


def test_fix_in_chinese() -> None:
    result = run("fix", rel(EXAMPLES / "rds-aws-managed-key.yaml"), "--as", "cli", "--lang", "zh")
    assert re.search(r"[\u4e00-\u9fff]", result.out)
    assert "aws rds copy-db-snapshot" in result.out


def test_fix_playbook_for_cg302_is_the_update_global_settings_call() -> None:
    result = run("fix", rel(EXAMPLES / "org-cross-account-disabled.yaml"), "--as", "cli")
    assert (
        "aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true"
        in result.out
    )
