"""CloudFormation conditions that cannot be decided before deploy are evaluated both ways
(bounded), and a finding says under which assignment it holds (examples/iac/stacks)."""

from __future__ import annotations

import pytest
from cg_cli import FORMATS, REPO, assert_clean, iac_golden, invoke

from copyguard.checks.model import Finding, Report, tr
from copyguard.sources.cfn_variants import describe, merge_reports
from copyguard.sources.cloudformation import MAX_VARIANTS, parse_template, read_cloudformation

SRC, REGION = "111122223333", "us-east-1"
STACKS = REPO / "src" / "copyguard" / "examples" / "iac" / "stacks"
ARGS = (
    "keys.yaml",
    "app.yaml",
    "../cloudformation/central-account.json",
    "../cloudformation/organization.yaml",
    "--account",
    SRC,
    "--account",
    "../cloudformation/central-account.json=444455556666",
    "--region",
    REGION,
)


def read(body: str, **params: str):
    tpl, pos = parse_template(body, "t.yaml")
    return read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION, parameters=params)


KEYS = """
Parameters:
  Env: {Type: String}
  Tier: {Type: String}
  Known: {Type: String, Default: "no"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Gold: !Equals [!Ref Tier, gold]
  ProdGold: !And [!Condition IsProd, !Condition Gold]
  Never: !And [!Condition IsProd, !Equals [!Ref Known, "yes"]]
  Unused: !Equals [!Ref Tier, silver]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Enabled: !If [IsDev, false, true]
      MultiRegion: !If [Never, true, false]
  GoldKey:
    Type: AWS::KMS::Key
    Condition: ProdGold
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !If [Unused, a, b]
"""


def test_each_undecidable_condition_that_matters_is_evaluated_both_ways() -> None:
    cfn = read(KEYS)
    # IsDev follows IsProd; ProdGold is decided by IsProd and Gold; Never is false whatever
    # IsProd is (Known is "no"); Unused only concerns a resource copyguard does not read.
    assert [v.conditions for v in cfn.variants] == [
        {"IsProd": True, "Gold": True},
        {"IsProd": True, "Gold": False},
        {"IsProd": False},
    ]
    states = [[k.get("state") for k in v.doc["keys"]] for v in cfn.variants]
    assert states == [["Enabled", "Enabled"], ["Enabled"], ["Disabled"]]
    assert all(v.doc["keys"][0]["multi_region"] is False for v in cfn.variants)
    # the reading itself (for readers that ignore variants) keeps them unknown, named
    what, why = cfn.unknown_reasons["keys[0].state"]
    assert what == "t.yaml: Key property Enabled"
    assert "the condition IsProd cannot be decided" in why


def test_a_resource_whose_condition_is_false_is_left_out() -> None:
    cfn = read(KEYS, Env="prod", Tier="bronze")
    assert cfn.variants == []
    assert [k["arn"].rsplit("/", 1)[-1] for k in cfn.doc["keys"]] == ["pending:Key"]


def test_decided_conditions_need_no_variants() -> None:
    cfn = read(KEYS, Env="dev", Tier="gold")
    assert cfn.variants == [] and cfn.doc["keys"][0]["state"] == "Disabled"


def test_beyond_the_cap_conditions_stay_unknown_named() -> None:
    n = 6  # 2^6 assignments: only MAX_VARIANTS are checked
    params = "\n".join(f"  P{i}: {{Type: String}}" for i in range(n))
    conds = "\n".join(f"  C{i}: !Equals [!Ref P{i}, x]" for i in range(n))
    props = "\n".join(f"      Tag{i}: !If [C{i}, a, b]" for i in range(n - 1))
    body = (
        f"Parameters:\n{params}\nConditions:\n{conds}\nResources:\n"
        f"  Key:\n    Type: AWS::KMS::Key\n    Properties:\n{props}\n"
        f"      Enabled: !If [C{n - 1}, true, false]\n"
    )
    cfn = read(body)
    assert len(cfn.variants) == MAX_VARIANTS
    assert {frozenset(v.conditions) for v in cfn.variants} == {frozenset(f"C{i}" for i in range(4))}
    # C4 and C5 were not branched: the key's state (C5) stays unknown, naming the cap
    for v in cfn.variants:
        why = v.unknown_reasons["keys[0].state"][1]
        assert "the condition C5 cannot be decided" in why and str(MAX_VARIANTS) in why


def _finding(code: str, message: str, severity: str = "error") -> Finding:
    return Finding(code, severity, tr(message, message), copy="c", evidence={"address": "K"})  # type: ignore[arg-type]


def test_merge_reports_keeps_common_findings_plain_and_qualifies_the_rest() -> None:
    runs = [
        ({"IsProd": True}, Report(findings=[_finding("CG204", "same")])),
        (
            {"IsProd": False},
            Report(findings=[_finding("CG204", "same"), _finding("CG101", "only dev")]),
        ),
    ]
    merged = merge_reports(runs)
    by = {f.code: f for f in merged.findings}
    assert by["CG204"].message.en == "same" and "conditions" not in by["CG204"].evidence
    assert by["CG101"].message.en == "only dev (fails when condition IsProd is false)"
    assert by["CG101"].evidence["conditions"] == [{"IsProd": False}]
    assert merged.verdict == "fail"
    assert any("IsProd" in a.en for a in merged.assumptions)


def test_describe_finds_the_fewest_conditions() -> None:
    every = [{"A": True, "B": True}, {"A": True, "B": False}, {"A": False}]
    assert describe(every[:2], every) == [{"A": True}]
    assert describe([every[0]], every) == [{"B": True}]
    assert describe([every[0], every[2]], every) == [every[0], every[2]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_stacks_example_fails_only_when_the_condition_is_false(fmt: str) -> None:
    r = invoke("check", *ARGS, "--format", fmt, cwd=STACKS)
    assert r.code == 1, r
    assert_clean(r.out)
    iac_golden(f"check-stacks.{fmt}", r.out)


def test_stacks_example_json_says_the_assignment() -> None:
    r = invoke("check", *ARGS, "--format", "json", cwd=STACKS)
    found = {f["code"]: f for f in r.json()["findings"]}
    assert found["CG101"]["evidence"]["conditions"] == [{"IsProd": False}]
    assert found["CG101"]["message"].endswith("(fails when condition IsProd is false)")
    assert found["CG101"]["location"]["file"] == "keys.yaml"
    lines = (STACKS / "keys.yaml").read_text().splitlines()
    assert lines[found["CG101"]["location"]["line"] - 1].strip() == "EbsKey:"
    # the production reading shares the key: the only error is the one qualified above
    assert [f["code"] for f in r.json()["findings"] if f["severity"] == "error"] == ["CG101"]


def test_given_the_parameter_there_is_one_reading(tmp_path) -> None:
    params = tmp_path / "p.json"
    params.write_text('{"Environment": "prod"}')
    r = invoke(
        "check", *ARGS, "--parameters", f"keys.yaml={params}", "--format", "json", cwd=STACKS
    )
    assert r.code == 0, r
    assert all("conditions" not in f["evidence"] for f in r.json()["findings"])
