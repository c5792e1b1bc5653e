"""The CloudFormation reader (copyguard.sources.cloudformation): parsing, intrinsics, types,
unknowns and input errors, one small template each."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from copyguard.scenario.load import ScenarioError
from copyguard.sources.cloudformation import (
    is_cloudformation,
    parse_template,
    read_cloudformation,
    read_parameters,
)

SRC, DST = "111122223333", "444455556666"
HEAD = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  Dest: {Type: String, Default: "444455556666"}
  NoDefault: {Type: String}
Mappings:
  Days: {dev: {Copy: 35}, prod: {Copy: 365}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Unsure: !Equals [!Ref NoDefault, "x"]
Resources:
  Vault:
    Type: AWS::Backup::BackupVault
    Properties: {BackupVaultName: local}
"""


def read(body: str, params: dict[str, str] | None = None, **kw: Any) -> Any:
    text = HEAD + textwrap.indent(textwrap.dedent(body), "  ")
    doc, pos = parse_template(text, "t.yaml")
    return read_cloudformation(
        doc, "t.yaml", pos, account=kw.get("account", SRC), region="eu-west-1", parameters=params
    )


def plan(dest: str, lifecycle: str = "{DeleteAfterDays: 35}") -> str:
    return f"""
    Plan:
      Type: AWS::Backup::BackupPlan
      Properties:
        BackupPlan:
          BackupPlanName: p
          BackupPlanRule:
            - RuleName: daily
              TargetBackupVault: !Ref Vault
              CopyActions:
                - DestinationBackupVaultArn: {dest}
                  Lifecycle: {lifecycle}
    """


def test_short_tags_become_long_form_and_timestamps_stay_strings() -> None:
    text = "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n"
    text += "        Version: 2012-10-17\n        Id: !Sub '${AWS::AccountId}'\n"
    text += "      Description: !GetAtt A.B\n"
    doc, pos = parse_template(text, "t.yaml")
    props = doc["Resources"]["K"]["Properties"]
    assert props["KeyPolicy"]["Version"] == "2012-10-17"
    assert props["KeyPolicy"]["Id"] == {"Fn::Sub": "${AWS::AccountId}"}
    assert props["Description"] == {"Fn::GetAtt": ["A", "B"]}
    assert pos["Resources.K"] == (2, 3)
    assert is_cloudformation(doc)


def test_sub_both_forms_findinmap_and_condition_decided() -> None:
    out = read(
        plan(
            "!Sub ['arn:${AWS::Partition}:backup:${AWS::Region}:${A}:backup-vault:${V}', "
            "{A: !Ref Dest, V: !Join ['-', [c, !Select [1, !Split [',', 'x,y']]]]}]",
            "{DeleteAfterDays: !FindInMap [Days, !Ref Env, Copy]}",
        ),
        {"Env": "prod"},
    )
    (copy,) = out.doc["copies"]
    assert copy["destination_vault"] == f"arn:aws:backup:eu-west-1:{DST}:backup-vault:c-y"
    assert copy["lifecycle"] == {"delete_after_days": 365}
    assert copy["source_vault"] == f"arn:aws:backup:eu-west-1:{SRC}:backup-vault:local"


def test_if_decided_from_parameters_and_undecidable_is_unknown() -> None:
    arn = f"arn:aws:backup:eu-west-1:{DST}:backup-vault:"
    out = read(plan(f"!If [IsProd, '{arn}prod', '{arn}dev']"), {"Env": "prod"})
    assert out.doc["copies"][0]["destination_vault"] == arn + "prod"
    out = read(plan(f"!If [Unsure, '{arn}a', '{arn}b']"))
    assert "destination_vault" not in out.doc["copies"][0]
    what, why = out.unknown_reasons["copies[0].destination_vault"]
    assert "Plan property DestinationBackupVaultArn" in what
    assert "condition Unsure" in why and "NoDefault" in why


def test_parameter_without_value_or_default_is_unknown() -> None:
    out = read(plan("!Sub 'arn:aws:backup:eu-west-1:${NoDefault}:backup-vault:c'"))
    assert "NoDefault has no value" in out.unknown_reasons["copies[0].destination_vault"][1]


def test_key_default_policy_pending_arn_alias_and_vault_link() -> None:
    out = read("""
    Key:
      Type: AWS::KMS::Key
      Properties: {Enabled: false}
    Alias:
      Type: AWS::KMS::Alias
      Properties: {AliasName: alias/app, TargetKeyId: !Ref Key}
    Other:
      Type: AWS::Backup::BackupVault
      Properties: {BackupVaultName: other, EncryptionKeyArn: !GetAtt Key.Arn,
                   LockConfiguration: {MinRetentionDays: 7, ChangeableForDays: 3}}
    """)
    key = out.doc["keys"][0]
    assert key["arn"] == f"arn:aws:kms:eu-west-1:{SRC}:key/pending:Key"
    assert key["state"] == "Disabled" and key["aliases"] == ["alias/app"]
    assert key["policy"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{SRC}:root"}
    local, other = out.doc["vaults"]
    assert local["key"] == f"arn:aws:kms:eu-west-1:{SRC}:alias/aws/backup"
    assert other["key"] == key["arn"]
    assert other["lock"] == {"min_retention_days": 7, "changeable_for_days": 3}
    assert out.addresses["vaults[1]"] == "Other"


def test_air_gapped_vault() -> None:
    out = read("""
    Lag:
      Type: AWS::Backup::LogicallyAirGappedBackupVault
      Properties: {BackupVaultName: lag, MinRetentionDays: 7, MaxRetentionDays: 30}
    """)
    lag = out.doc["vaults"][1]
    assert lag["vault_type"] == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
    assert lag["key"] == "aws-owned" and lag["lock"]["max_retention_days"] == 30


def selection(resources: str) -> str:
    return f"""
    Sel:
      Type: AWS::Backup::BackupSelection
      Properties:
        BackupPlanId: !Ref Plan
        BackupSelection:
          SelectionName: s
          IamRoleArn: arn:aws:iam::{SRC}:role/backup
          {resources}
    """


def test_protected_resources_decide_the_key() -> None:
    dest = f"arn:aws:backup:eu-west-1:{DST}:backup-vault:c"
    out = read(
        plan(dest)
        + selection("Resources: [!Ref Db, !Ref Cluster, !Ref Vol, !Ref Fs, !Ref Table]")
        + """
    Key: {Type: AWS::KMS::Key}
    Db: {Type: AWS::RDS::DBInstance, Properties: {StorageEncrypted: true}}
    Cluster: {Type: AWS::RDS::DBCluster, Properties: {StorageEncrypted: true, KmsKeyId: !Ref Key}}
    Vol: {Type: AWS::EC2::Volume, Properties: {Encrypted: true, KmsKeyId: alias/ebs-app}}
    Fs: {Type: AWS::EFS::FileSystem, Properties: {}}
    Table:
      Type: AWS::DynamoDB::Table
      Properties: {SSESpecification: {SSEEnabled: true}}
    """
    )
    by = {c["name"].rsplit("/", 1)[-1]: c for c in out.doc["copies"]}
    assert by["Db"]["resource_key"] == f"arn:aws:kms:eu-west-1:{SRC}:alias/aws/rds"
    assert by["Db"]["resource_type"] == "RDS" and by["Db"]["iam_role_arn"].endswith("/backup")
    assert by["Cluster"]["resource_key"].endswith(":key/pending:Key")
    assert by["Vol"]["resource_key"] == f"arn:aws:kms:eu-west-1:{SRC}:alias/ebs-app"
    assert by["Fs"]["resource_key"] is None  # not encrypted
    assert by["Table"]["resource_key"] == f"arn:aws:kms:eu-west-1:{SRC}:alias/aws/dynamodb"
    assert out.addresses["copies[0].resource_key"] == "Db"


def test_tag_only_selection_keeps_the_resource_unknown() -> None:
    dest = f"arn:aws:backup:eu-west-1:{DST}:backup-vault:c"
    out = read(plan(dest) + selection("ListOfTags: [{ConditionType: STRINGEQUALS}]"))
    assert "by tag" in out.unknown_reasons["copies[0].resource_type"][1]


def test_unexpandable_transform_makes_key_policies_unknown() -> None:
    text = "Transform: MyMacro\n" + HEAD.split("\n", 1)[1] + "  K: {Type: AWS::KMS::Key}\n"
    doc, pos = parse_template(text, "t.yaml")
    out = read_cloudformation(doc, "t.yaml", pos, account=SRC, region="eu-west-1")
    assert "policy" not in out.doc["keys"][0]
    assert "MyMacro" in out.unknown_reasons["keys[0].policy"][1]


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (plan("!GetAtt Missing.Arn"), "DestinationBackupVaultArn", "does not define"),
        (plan("!Ref Nowhere"), "DestinationBackupVaultArn", "neither a parameter"),
        (plan("!If [NoSuchCondition, a, b]"), "Fn::If", "not defined under Conditions"),
        ("Bad: {Properties: {}}\n", "Resources.Bad", "expected a resource with a Type"),
    ],
)
def test_bad_templates_are_input_errors(body: str, path: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        read(body)
    assert words in str(err.value) and path in err.value.path and "t.yaml" in str(err.value)


def test_no_account_is_an_input_error_naming_the_option() -> None:
    with pytest.raises(ScenarioError, match=r"--account t\.yaml=ACCOUNT_ID"):
        read("", account=None)


def test_parameters_file_both_shapes() -> None:
    assert read_parameters('[{"ParameterKey": "A", "ParameterValue": "1"}]', "p") == {"A": "1"}
    assert read_parameters('{"A": 1, "L": ["x", "y"]}', "p") == {"A": "1", "L": "x,y"}
    with pytest.raises(ScenarioError):
        read_parameters('[{"Key": "A"}]', "p")


def test_yaml_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    with pytest.raises(ScenarioError, match="too many"):
        parse_template(bomb, "t.yaml")


def test_conditions_in_a_loop_are_an_input_error() -> None:
    text = HEAD.replace(
        '  Unsure: !Equals [!Ref NoDefault, "x"]',
        "  Loop: !Equals [!If [Loop, a, b], a]",
    )
    doc, pos = parse_template(
        text + "  P: {Type: AWS::KMS::Key, Properties: {Enabled: !If [Loop, true, false]}}\n",
        "t.yaml",
    )
    with pytest.raises(ScenarioError, match="loop"):
        read_cloudformation(doc, "t.yaml", pos, account=SRC, region="eu-west-1")
