"""``copyguard emulator`` as a user runs it: a subprocess, profiles on disk, the AWS CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.emulator

DATA = Path(__file__).parent / "data"


class Running:
    def __init__(self, proc: subprocess.Popen[str], summary: dict[str, Any], env: dict[str, str]):
        self.proc = proc
        self.summary = summary
        self.env = env


def _launch(tmp: Path, *extra: str) -> Running:
    config_dir = tmp / "aws"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "copyguard",
            "emulator",
            "--port",
            "0",
            "--format",
            "json",
            "--write-aws-config",
            str(config_dir),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the summary is printed once the server listens
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"emulator did not start: {proc.stderr.read() if proc.stderr else ''}")
    summary = json.loads(line)
    env = dict(os.environ)
    env.update(summary["env"])
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        env.pop(var, None)
    return Running(proc, summary, env)


def _stop(run: Running) -> int:
    run.proc.send_signal(signal.SIGTERM)
    try:
        return run.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        run.proc.kill()
        raise


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    run = _launch(tmp_path_factory.mktemp("cli"), "--scenario", str(DATA / "scenario.yaml"))
    yield run
    assert _stop(run) == 0


def test_summary_and_profiles(running: Running) -> None:
    summary = running.summary
    assert summary["accounts"] == {
        "management": "999988887777",
        "source": "111122223333",
        "destination": "444455556666",
    }
    assert summary["organization_id"] == "o-exampleorg1"
    assert Path(summary["config_file"]).read_text().count("endpoint_url = http://127.0.0.1:") == 3


def test_boto3_with_profiles_from_the_environment(running: Running) -> None:
    code = (
        "import boto3, json\n"
        "out = {}\n"
        "for p in ('management', 'source', 'destination'):\n"
        "    s = boto3.Session(profile_name=p)\n"
        "    out[p] = s.client('sts').get_caller_identity()['Account']\n"
        "out['keys'] = [k['KeyId'] for k in boto3.Session(profile_name='source')"
        ".client('kms').list_keys()['Keys']]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=running.env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["source"] == "111122223333"
    assert out["destination"] == "444455556666"
    assert "1234abcd-12ab-34cd-56ef-1234567890ab" in out["keys"]


def test_scenario_copy_fails_like_aws_then_completes(running: Running) -> None:
    copies = running.summary["scenario"]["copies"]
    assert [c["name"] for c in copies] == ["ebs-to-central"]
    code = (
        "import boto3, json, sys\n"
        "args = json.loads(sys.argv[1])\n"
        "src = boto3.Session(profile_name='source')\n"
        "b = src.client('backup')\n"
        "def run():\n"
        "    job = b.start_copy_job(**args)['CopyJobId']\n"
        "    return b.describe_copy_job(CopyJobId=job)['CopyJob']\n"
        "first = run()\n"
        "kms = src.client('kms')\n"
        "key = '1234abcd-12ab-34cd-56ef-1234567890ab'\n"
        "pol = json.loads(kms.get_key_policy(KeyId=key, PolicyName='default')['Policy'])\n"
        "pol['Statement'].append({'Effect': 'Allow', 'Principal': {'AWS': "
        "'arn:aws:iam::444455556666:root'}, 'Action': ['kms:DescribeKey', 'kms:CreateGrant', "
        "'kms:ListGrants', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Decrypt'], "
        "'Resource': '*'})\n"
        "kms.put_key_policy(KeyId=key, PolicyName='default', Policy=json.dumps(pol))\n"
        "second = run()\n"
        "print(json.dumps([first.get('StatusMessage'), second['State']]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(copies[0]["start_copy_job"])],
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["Given key ID is not accessible", "COMPLETED"]


@pytest.mark.skipif(shutil.which("aws") is None, reason="AWS CLI not installed")
def test_aws_cli_smoke(running: Running) -> None:
    def aws(*args: str) -> Any:
        result = subprocess.run(
            ["aws", *args, "--output", "json"],
            env=running.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    assert aws("sts", "get-caller-identity", "--profile", "destination")["Account"] == (
        "444455556666"
    )
    vaults = aws("backup", "list-backup-vaults", "--profile", "destination")["BackupVaultList"]
    central = next(v for v in vaults if v["BackupVaultName"] == "central")
    assert (central["Locked"], central["MinRetentionDays"]) == (True, 7)
    settings = aws("backup", "describe-global-settings", "--profile", "management")
    assert settings["GlobalSettings"]["isCrossAccountBackupEnabled"] == "true"
    copy = running.summary["scenario"]["copies"][0]["start_copy_job"]
    # share the source key with the destination through the CLI, so only the lock is wrong
    key = "1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = json.loads(
        aws(
            "kms",
            "get-key-policy",
            "--profile",
            "source",
            "--key-id",
            key,
            "--policy-name",
            "default",
        )["Policy"]
    )
    policy["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": [
                "kms:DescribeKey",
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Decrypt",
            ],
            "Resource": "*",
        }
    )
    aws(
        "kms",
        "put-key-policy",
        "--profile",
        "source",
        "--key-id",
        key,
        "--policy-name",
        "default",
        "--policy",
        json.dumps(policy),
    )
    started = aws(
        "backup",
        "start-copy-job",
        "--profile",
        "source",
        "--recovery-point-arn",
        copy["RecoveryPointArn"],
        "--source-backup-vault-name",
        copy["SourceBackupVaultName"],
        "--destination-backup-vault-arn",
        copy["DestinationBackupVaultArn"],
        "--iam-role-arn",
        copy["IamRoleArn"],
        "--lifecycle",
        "DeleteAfterDays=1",
    )
    job = aws(
        "backup", "describe-copy-job", "--profile", "source", "--copy-job-id", started["CopyJobId"]
    )["CopyJob"]
    assert job["State"] == "FAILED"
    assert job["StatusMessage"].startswith("Copy job failed. The retention specified")
    listed = aws("backup", "list-copy-jobs", "--profile", "source", "--by-state", "FAILED")
    assert started["CopyJobId"] in {j["CopyJobId"] for j in listed["CopyJobs"]}


def test_bad_scenario_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nkeys: 7\n")
    result = subprocess.run(
        [sys.executable, "-m", "copyguard", "emulator", "--port", "0", "--scenario", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "bad.yaml" in result.stderr


def test_port_in_use_is_an_input_error(running: Running) -> None:
    port = running.summary["endpoint_url"].rsplit(":", 1)[-1]
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "copyguard", "emulator", "--port", port],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "cannot listen" in result.stderr
    assert time.monotonic() - start < 30
