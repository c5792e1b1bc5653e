"""Hostile input for the newer reader paths (conditions both ways, exports and imports, replica
keys, instances, FSx, .tf lines): a ScenarioError naming the field, or a result; never another
exception, never unbounded work."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
from tfplan import REGION, SRC, Plan, const, source_plan

from copyguard.scenario import ScenarioError
from copyguard.scenario.load import build_scenario
from copyguard.sources.cloudformation import (
    link_imports,
    parse_template,
    read_cloudformation,
)
from copyguard.sources.terraform import read_terraform

STACKS = Path(__file__).resolve().parents[2] / "src" / "copyguard" / "examples" / "iac" / "stacks"
VALUES: list[Any] = [None, 1, "x", [], {}, [1], {"a": 1}, True, -5, "a\nb", [None], {"Ref": 1}]


def _paths(d: object, p: tuple = ()) -> list[tuple]:
    out = [p]
    if isinstance(d, dict):
        for k, v in d.items():
            out += _paths(v, (*p, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += _paths(v, (*p, i))
    return out


def _mutate(base: Any, rng: random.Random, every: list[tuple]) -> Any:
    doc = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        p = rng.choice(every)
        target = doc
        try:
            for k in p[:-1]:
                target = target[k]
            target[p[-1]] = rng.choice(VALUES)
        except (KeyError, IndexError, TypeError):
            pass
    return doc


@pytest.mark.parametrize("name", ["keys.yaml", "app.yaml"])
def test_mutated_templates_are_input_errors_never_crashes(name: str) -> None:
    base, pos = parse_template((STACKS / name).read_text(), name)
    every = [p for p in _paths(base) if p]
    rng = random.Random(11)
    for _ in range(300):
        doc = _mutate(base, rng, every)
        try:
            read = read_cloudformation(doc, name, pos, account=SRC, region=REGION)
            link_imports({0: read})
            for one in [read, *read.variants]:
                build_scenario(one.doc, None, pending_keys=True)
            assert len(read.variants) <= 16
        except ScenarioError:
            pass


def test_mutated_instance_and_replica_plans_never_crash() -> None:
    p = source_plan()
    p.resource(
        "aws_instance",
        "app",
        {
            "root_block_device": [{"encrypted": True, "kms_key_id": "alias/x"}],
            "ebs_block_device": [{"device_name": "/dev/sdf", "encrypted": False}],
        },
        {"arn": True},
        {"root_block_device": [{"encrypted": const(True)}]},
    )
    p.resource(
        "aws_kms_replica_key",
        "r",
        {
            "primary_key_arn": "arn:aws:kms:eu-west-1:"
            f"{SRC}:key/mrk-1234abcd12ab34cd56ef1234567890ab"
        },
        {"arn": True},
    )
    p.resource("aws_fsx_lustre_file_system", "fs", {"kms_key_id": None}, {"arn": True})
    base = p.doc()
    every = [q for q in _paths(base) if q and q[0] in ("resource_changes", "configuration")]
    rng = random.Random(12)
    for _ in range(300):
        doc = _mutate(base, rng, every)
        try:
            tf = read_terraform(doc, "x.json", account=SRC, region=REGION)
            build_scenario(tf.doc, None, pending_keys=True)
        except ScenarioError:
            pass


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("Outputs: [1]\nResources: {K: {Type: AWS::KMS::Key}}", "Outputs"),
        (
            "Resources:\n  K: {Type: AWS::KMS::Key}\nOutputs:\n  O: {Value: x, Export: {Name: [1]}}",
            "Outputs.O.Export.Name",
        ),
        (
            "Resources:\n  K:\n    Type: AWS::KMS::Key\n"
            "    Properties: {Enabled: !ImportValue [a, b]}\n",
            "Resources.K.Properties.Enabled.Fn::ImportValue",
        ),
        (
            "Conditions:\n  A: !Condition A\nResources:\n  K:\n    Type: AWS::KMS::Key\n"
            "    Condition: A\n",
            "Conditions.A",
        ),
        (
            "Resources:\n  I:\n    Type: AWS::EC2::Instance\n"
            "    Properties: {BlockDeviceMappings: {a: 1}}\n"
            + "  P:\n    Type: AWS::Backup::BackupPlan\n"
            "    Properties:\n      BackupPlan:\n        BackupPlanRule:\n          - RuleName: r\n"
            "            TargetBackupVault: v\n            CopyActions:\n"
            "              - DestinationBackupVaultArn: arn:aws:backup:us-east-1:444455556666:backup-vault:c\n"
            "  S:\n    Type: AWS::Backup::BackupSelection\n    Properties:\n"
            "      BackupPlanId: !Ref P\n      BackupSelection:\n        IamRoleArn: x\n"
            "        Resources: [!Sub 'arn:aws:ec2:us-east-1:111122223333:instance/${I}']\n",
            "Resources.I.Properties.BlockDeviceMappings",
        ),
    ],
)
def test_malformed_new_fields_name_the_field(body: str, field: str) -> None:
    tpl, pos = parse_template(body, "t.yaml")
    with pytest.raises(ScenarioError) as exc:
        read = read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION)
        link_imports({0: read})
    assert field in str(exc.value) and "t.yaml" in str(exc.value)


def test_many_undecidable_conditions_stay_bounded() -> None:
    n = 40
    params = "\n".join(f"  P{i}: {{Type: String}}" for i in range(n))
    conds = "\n".join(f"  C{i}: !Equals [!Ref P{i}, x]" for i in range(n))
    chain = "\n".join(f"  D{i}: !And [!Condition C{i}, !Condition D{i - 1}]" for i in range(1, n))
    body = (
        f"Parameters:\n{params}\nConditions:\n{conds}\n  D0: !Condition C0\n{chain}\n"
        f"Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n"
        f"      Enabled: !If [D{n - 1}, true, false]\n"
    )
    tpl, pos = parse_template(body, "t.yaml")
    read = read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION)
    assert 1 < len(read.variants) <= 16
    json.dumps([v.conditions for v in read.variants])


def test_plan_json_alone_under_a_tf_named_directory(tmp_path: Path) -> None:
    (tmp_path / "main.tf").mkdir()
    plan = Plan().datasource("aws_caller_identity", "me", {"account_id": SRC})
    path = plan.write(tmp_path / "plan.json")
    tf = read_terraform(json.loads(path.read_text()), str(path), path.read_text())
    assert tf.source_lines == {}
