"""``Fn::ImportValue`` against another input's exports (same account and Region), and exports
defined twice (examples/iac/stacks)."""

from __future__ import annotations

import pytest
from cg_cli import REPO, invoke

from copyguard.scenario import ScenarioError
from copyguard.sources.merge import load_inputs

SRC, DST, REGION = "111122223333", "444455556666", "us-east-1"
STACKS = REPO / "src" / "copyguard" / "examples" / "iac" / "stacks"

EXPORTER = """
Resources:
  Key:
    Type: AWS::KMS::Key
  Vault:
    Type: AWS::Backup::BackupVault
    Properties: {BackupVaultName: central}
Outputs:
  KeyArn:
    Value: !GetAtt Key.Arn
    Export: {Name: shared-key}
  VaultArn:
    Value: !GetAtt Vault.BackupVaultArn
    Export: {Name: !Sub "${AWS::Region}-vault"}
  Later:
    Value: !GetAtt Key.KeyId
    Export: {Name: key-id}
"""

IMPORTER = """
Resources:
  Vol:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: us-east-1a, Size: 8, Encrypted: true,
                 KmsKeyId: !ImportValue shared-key}
  Other:
    Type: AWS::EC2::Volume
    Properties: {AvailabilityZone: us-east-1a, Size: 8, Encrypted: true,
                 KmsKeyId: !ImportValue key-id}
  Plan:
    Type: AWS::Backup::BackupPlan
    Properties:
      BackupPlan:
        BackupPlanName: p
        BackupPlanRule:
          - RuleName: r
            TargetBackupVault: local
            CopyActions:
              - DestinationBackupVaultArn: !ImportValue us-east-1-vault
  Sel:
    Type: AWS::Backup::BackupSelection
    Properties:
      BackupPlanId: !Ref Plan
      BackupSelection:
        SelectionName: s
        IamRoleArn: arn:aws:iam::111122223333:role/backup
        Resources:
          - !Sub arn:aws:ec2:us-east-1:111122223333:volume/${Vol}
          - !Sub arn:aws:ec2:us-east-1:111122223333:volume/${Other}
"""


def _write(tmp_path, **files: str) -> list[str]:
    out = []
    for name, body in files.items():
        (tmp_path / f"{name}.yaml").write_text(body)
        out.append(str(tmp_path / f"{name}.yaml"))
    return out


def test_imports_resolve_against_exports_of_the_same_account_and_region(tmp_path) -> None:
    a, b = _write(tmp_path, exporter=EXPORTER, importer=IMPORTER)
    loaded = load_inputs((a, b), accounts=(SRC,), regions=(REGION,))
    sc = loaded.scenario
    key = f"arn:aws:kms:{REGION}:{SRC}:key/pending:Key"
    vault = f"arn:aws:backup:{REGION}:{SRC}:backup-vault:central"
    first, second = sc.copies
    assert first.resource_key == key  # the exported key, by reference
    assert first.destination_vault == vault  # the export's name was resolved with Fn::Sub
    # an export whose value is known only at deploy: unknown, naming the export and why
    what, why = sc.unknown_reasons[f"{second.path}.resource_key"]
    assert "Other" in what and "key-id" in why and a in why and "deploy" in why


def test_an_export_of_another_account_or_region_does_not_satisfy_an_import(tmp_path) -> None:
    a, b = _write(tmp_path, exporter=EXPORTER, importer=IMPORTER)
    loaded = load_inputs((a, b), accounts=(f"{a}={DST}", f"{b}={SRC}"), regions=(REGION,))
    first = loaded.scenario.copies[0]
    _, why = loaded.scenario.unknown_reasons[f"{first.path}.resource_key"]
    assert "no input exports shared-key in account 111122223333 Region us-east-1" in why
    loaded = load_inputs((a, b), accounts=(SRC,), regions=(f"{a}=eu-west-1", f"{b}={REGION}"))
    assert f"{loaded.scenario.copies[0].path}.resource_key" in loaded.scenario.unknown_reasons


def test_an_export_defined_twice_is_an_input_error_naming_both(tmp_path) -> None:
    a, b, c = _write(tmp_path, one=EXPORTER, two=EXPORTER, importer=IMPORTER)
    with pytest.raises(ScenarioError) as exc:
        load_inputs((a, b, c), accounts=(SRC,), regions=(REGION,))
    text = str(exc.value)
    assert a in text and b in text and "shared-key" in text and "Outputs.KeyArn" in text
    # in other accounts the same name is no conflict
    load_inputs((a, b, c), accounts=(SRC, f"{b}={DST}"), regions=(REGION,))


def test_two_outputs_exporting_one_name_in_one_template(tmp_path) -> None:
    body = EXPORTER.replace("{Name: key-id}", "{Name: shared-key}")
    (a,) = _write(tmp_path, bad=body)
    with pytest.raises(ScenarioError, match=r"also defined by Outputs\.KeyArn"):
        load_inputs((a,), accounts=(SRC,), regions=(REGION,))


def test_cli_without_the_exporting_stack_names_the_missing_export() -> None:
    r = invoke(
        "check",
        "app.yaml",
        "../cloudformation/central-account.json",
        "../cloudformation/organization.yaml",
        "--account",
        SRC,
        "--account",
        f"../cloudformation/central-account.json={DST}",
        "--region",
        REGION,
        "--format",
        "json",
        cwd=STACKS,
    )
    assert r.code == 3, r
    messages = [f["message"] for f in r.json()["findings"] if f["code"] == "CG902"]
    assert any(
        "Fn::ImportValue platform-ebs-key-arn: no input exports platform-ebs-key-arn" in m
        for m in messages
    ), messages
