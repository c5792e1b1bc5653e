"""Multi-Region replica keys (Terraform ``aws_kms_replica_key``, CloudFormation
``AWS::KMS::ReplicaKey``): a replica keeps its own key policy, in its own Region."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_terraform_reader import ALLOW_SRC, central_plan
from tfplan import DST, REGION, SRC, const, ref, source_plan

from copyguard import api
from copyguard.scenario import ScenarioError
from copyguard.sources.cloudformation import parse_template, read_cloudformation
from copyguard.sources.merge import load_inputs
from copyguard.sources.terraform import read_terraform

MRK = "mrk-1234abcd12ab34cd56ef1234567890ab"
PRIMARY = f"arn:aws:kms:eu-west-1:{SRC}:key/{MRK}"
REPLICA = f"arn:aws:kms:{REGION}:{SRC}:key/{MRK}"


def _policy(*accounts: str) -> str:
    """A key policy: the owner administers it; each account in ``accounts`` may use it."""
    stmts = [
        {
            "Sid": "Admin",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    for a in accounts:
        stmts.append(
            {
                "Sid": f"Share{a}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{a}:root"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "kms:CreateGrant",
                    "kms:ListGrants",
                    "kms:RevokeGrant",
                ],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": stmts})


def _plan(policy: str | None, primary: dict | None = None, enabled: bool | None = None):
    p = source_plan()
    after: dict = {"primary_key_arn": PRIMARY}
    exprs: dict = {"primary_key_arn": primary or const(PRIMARY)}
    if policy is not None:
        after["policy"] = policy
        exprs["policy"] = const(policy)
    if enabled is not None:
        after["enabled"] = enabled
        exprs["enabled"] = const(enabled)
    p.resource("aws_kms_replica_key", "rep", after, {"arn": True, "key_id": True}, exprs)
    vol = next(r for r in p.root["resources"] if r["type"] == "aws_ebs_volume")
    vol["expressions"]["kms_key_id"] = ref("aws_kms_replica_key.rep.arn", "aws_kms_replica_key.rep")
    return p


def test_terraform_replica_has_its_primary_key_id_in_its_own_region() -> None:
    tf = read_terraform(_plan(_policy(DST), enabled=False).doc(), "plan.json")
    key = next(k for k in tf.doc["keys"] if k["arn"] == REPLICA)
    assert key["multi_region"] is True and key["state"] == "Disabled"
    assert json.loads(key["policy"])["Statement"][1]["Sid"] == f"Share{DST}"
    assert tf.doc["copies"][0]["resource_key"] == REPLICA  # the volume's key, by reference
    assert tf.addresses[f"keys[{tf.doc['keys'].index(key)}]"] == "aws_kms_replica_key.rep"


def test_terraform_replica_of_an_unknown_primary_is_named_by_its_address() -> None:
    p = _plan(None, primary=ref("var.primary"))
    p.changes[-1]["change"]["after"].pop("primary_key_arn")
    p.changes[-1]["change"]["after_unknown"]["primary_key_arn"] = True
    keys = read_terraform(p.doc(), "plan.json").doc["keys"]
    rep = keys[-1]
    assert rep["arn"] == f"arn:aws:kms:{REGION}:{SRC}:key/pending:aws_kms_replica_key.rep"
    assert rep["policy"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{SRC}:root"
    assert rep["state"] == "Enabled"


def test_the_replica_policy_decides_not_the_primary_policy(tmp_path: Path) -> None:
    central = str(central_plan(ALLOW_SRC).write(tmp_path / "b.json"))
    # the replica does not share with the destination: the copy fails on the replica
    bad = load_inputs((str(_plan(_policy()).write(tmp_path / "a.json")), central))
    report = api.check_scenario(bad.scenario)
    assert report.verdict == "fail"
    assert any(f.code == "CG101" and f.resource == REPLICA for f in report.findings)
    good = load_inputs((str(_plan(_policy(DST)).write(tmp_path / "c.json")), central))
    report = api.check_scenario(good.scenario)
    assert not any(f.code == "CG101" for f in report.findings), report.findings


def test_terraform_replica_in_another_account_is_an_input_error() -> None:
    other = f"arn:aws:kms:eu-west-1:{DST}:key/{MRK}"
    p = _plan(None, primary=const(other))
    p.changes[-1]["change"]["after"]["primary_key_arn"] = other
    with pytest.raises(ScenarioError, match="primary key's account"):
        read_terraform(p.doc(), "plan.json")


TEMPLATE = """
Parameters:
  Primary:
    Type: String
Resources:
  Replica:
    Type: AWS::KMS::ReplicaKey
    Properties:
      PrimaryKeyArn: !Ref Primary
      Enabled: false
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
  Vol:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: us-east-1a, Size: 8, Encrypted: true, KmsKeyId: !Ref Replica}
"""


def _read(params: dict[str, str]):
    tpl, pos = parse_template(TEMPLATE, "t.yaml")
    return read_cloudformation(tpl, "t.yaml", pos, account=SRC, region=REGION, parameters=params)


def test_cloudformation_replica_key() -> None:
    cfn = _read({"Primary": PRIMARY})
    (key,) = cfn.doc["keys"]
    assert key["arn"] == REPLICA and key["multi_region"] is True
    assert key["state"] == "Disabled"
    assert key["policy"]["Statement"][0]["Principal"]["AWS"] == f"arn:aws:iam::{SRC}:root"
    assert cfn.addresses["keys[0]"] == "Replica"
    assert cfn.positions["keys[0]"][0] == TEMPLATE.splitlines().index("  Replica:") + 1


def test_cloudformation_replica_without_primary_value_is_pending() -> None:
    key = _read({}).doc["keys"][0]
    assert key["arn"] == f"arn:aws:kms:{REGION}:{SRC}:key/pending:Replica"


def test_cloudformation_replica_of_another_account_is_an_input_error() -> None:
    with pytest.raises(ScenarioError, match="primary key's account") as exc:
        _read({"Primary": f"arn:aws:kms:eu-west-1:{DST}:key/{MRK}"})
    assert "Resources.Replica.Properties.PrimaryKeyArn" in str(exc.value)
