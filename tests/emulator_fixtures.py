"""One emulator fixture module for the emulator tests (``tests/emulator``) and the live
end-to-end tests (``tests/live``): a running emulator seen from outside, through the AWS
profiles it writes (``--write-aws-config DIR``), with plain boto3 clients.

- :class:`Profiles`: the three accounts' sessions and clients, and what every situation needs
  (identities, the destination's cross-account key statements, the vault access policy);
- :class:`World` (emulator tests): building blocks answering the API's raw values
  (``cmk`` returns the key metadata, ``copy`` the copy job as first described);
- :class:`Lab` (live tests): whole situations (``seed`` builds the AWS article's failed copy)
  that wait for their jobs to finish;
- the emulator in this process (:func:`start_world`, :func:`in_process_emulator`) or as a
  child process (:func:`start_emulator_process`), and the real ``copyguard`` command
  (:func:`run_cli` in a subprocess, :func:`run_main` in this process, :func:`start_to_interrupt`
  to send it Ctrl-C).

Importable from any test directory (``tests/conftest.py`` puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from copyguard.cli.demo import seed_policy

REGION = "us-east-1"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})
PROFILES = ("management", "source", "destination")
LIVE_FLAGS = (
    "--source-profile",
    "source",
    "--destination-profile",
    "destination",
    "--management-profile",
    "management",
)

MSG_KEY = "Given key ID is not accessible"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any] | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the emulator exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def clean_env(config_dir: Path) -> dict[str, str]:
    """This process's environment without any AWS identity, plus the emulator's profiles."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in ("COPYGUARD_LANG", "LC_ALL", "LANG")
    }
    env["AWS_CONFIG_FILE"] = str(config_dir / "config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(config_dir / "credentials")
    env["COPYGUARD_LANG"] = "en"
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_codes(self) -> set[str]:
        return {f["code"] for f in self.json()["findings"] if f["severity"] == "error"}

    @property
    def codes(self) -> set[str]:
        return {f["code"] for f in self.json()["findings"]}


def copyguard_cmd() -> list[str]:
    return [sys.executable, "-m", "copyguard"]


def start_to_interrupt(
    args: list[str], env: dict[str, str], stdin: int = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """``copyguard ARGS`` in a child process with its output piped, to be sent SIGINT: it
    starts with SIGINT at its default, as a shell leaves it (an ignored SIGINT is inherited,
    a process started from one that ignores it never sees Ctrl-C, and the test process may
    have inherited one)."""
    return subprocess.Popen(
        [*copyguard_cmd(), *args],
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_ctrl_c,
    )


def _default_ctrl_c() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_cli(
    env: dict[str, str],
    *args: str,
    stdin: str | None = "",
    timeout: float = 120.0,
    cwd: Path | None = None,
) -> CliResult:
    """The real command line, in a subprocess (stdin is a pipe: never a terminal)."""
    proc = subprocess.run(
        [*copyguard_cmd(), *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def assert_clean(result: CliResult) -> None:
    """No traceback, no internal error, an exit code of the spec."""
    assert result.code in (0, 1, 2, 3), result
    assert "Traceback" not in result.err, result.err
    assert "copyguard: internal error" not in result.err, result.err


class Profiles:
    """The three accounts' sessions (one per profile) and what every situation needs."""

    def __init__(
        self,
        sessions: dict[str, Any],
        config_dir: Path | None = None,
        accounts: dict[str, str] | None = None,
    ) -> None:
        self.sessions = sessions
        self.config_dir = config_dir
        self.accounts = accounts or {
            p: str(self.client(p, "sts").get_caller_identity()["Account"]) for p in sessions
        }
        self.source = self.accounts["source"]
        self.destination = self.accounts["destination"]
        self.management = self.accounts["management"]

    @property
    def env(self) -> dict[str, str]:
        """The environment of a ``copyguard`` child process acting through these profiles."""
        assert self.config_dir is not None
        return clean_env(self.config_dir)

    def session(self, profile: str) -> Any:
        return self.sessions[profile]

    def client(self, profile: str, service: str, region: str | None = None) -> Any:
        """A client without botocore retries (a test sees every error the emulator sends)."""
        kwargs: dict[str, Any] = {"config": NO_RETRY}
        if region:
            kwargs["region_name"] = region
        return self.sessions[profile].client(service, **kwargs)

    # -- identities ---------------------------------------------------------------------------

    def role(self, account: str | None = None) -> str:
        """AWS Backup's default service role in ``account`` (the source by default)."""
        acct = account or self.source
        return f"arn:aws:iam::{acct}:role/service-role/AWSBackupDefaultServiceRole"

    def slr(self, account: str | None = None) -> str:
        """AWSServiceRoleForBackup in ``account`` (the destination by default)."""
        acct = account or self.destination
        return (
            f"arn:aws:iam::{acct}:role/aws-service-role/backup.amazonaws.com/"
            "AWSServiceRoleForBackup"
        )

    # -- policies -------------------------------------------------------------------------------

    @staticmethod
    def destination_statements(principal: str) -> list[dict[str, Any]]:
        """AWS's two cross-account key policy statements for ``principal``."""
        return [
            {
                "Sid": "Allow use of the key by the destination",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": [
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
            },
            {
                "Sid": "Allow grants for the destination",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]

    def vault_policy(self) -> dict[str, Any]:
        """A destination vault access policy that lets the source account copy in."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Allow copies from the source account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.source}:root"},
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ],
        }


class Lab(Profiles):
    """Whole cross-account copy situations (the live tests): jobs are waited for."""

    @classmethod
    def from_config(cls, config_dir: Path) -> Lab:
        return cls({p: profile_session(config_dir, p) for p in PROFILES}, config_dir)

    # -- keys ---------------------------------------------------------------------------------

    def seed_policy(self) -> dict[str, Any]:
        """The AWS article's key policy before the fix: only the source account."""
        return seed_policy(self.source)

    def cmk(self, profile: str = "source", policy: dict[str, Any] | None = None) -> str:
        kms = self.client(profile, "kms")
        kwargs: dict[str, Any] = {"Description": f"test key {uuid.uuid4()}"}
        if policy is not None:
            kwargs["Policy"] = json.dumps(policy)
        return str(kms.create_key(**kwargs)["KeyMetadata"]["Arn"])

    def seed_key(self) -> str:
        return self.cmk("source", self.seed_policy())

    def key_policy(self, key_arn: str, profile: str = "source") -> str:
        kms = self.client(profile, "kms")
        return str(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])

    def key_policy_doc(self, key_arn: str, profile: str = "source") -> Any:
        return json.loads(self.key_policy(key_arn, profile))

    def put_key_policy(self, key_arn: str, policy: Any, profile: str = "source") -> None:
        text = policy if isinstance(policy, str) else json.dumps(policy)
        self.client(profile, "kms").put_key_policy(KeyId=key_arn, PolicyName="default", Policy=text)

    def share_key(self, key_arn: str, who: str | None = None) -> None:
        """Add AWS's two cross-account statements for the destination root (or ``who``)."""
        policy = self.key_policy_doc(key_arn)
        policy["Statement"] += self.destination_statements(
            who or f"arn:aws:iam::{self.destination}:root"
        )
        self.put_key_policy(key_arn, policy)

    def shared_key(self) -> str:
        key = self.seed_key()
        self.share_key(key)
        return key

    # -- vaults ---------------------------------------------------------------------------------

    def vault(
        self,
        profile: str,
        key_arn: str | None = None,
        allow_source: bool = True,
        name: str | None = None,
    ) -> str:
        backup = self.client(profile, "backup")
        name = name or f"v-{uuid.uuid4().hex[:12]}"
        kwargs: dict[str, Any] = {"BackupVaultName": name}
        if key_arn:
            kwargs["EncryptionKeyArn"] = key_arn
        arn = str(backup.create_backup_vault(**kwargs)["BackupVaultArn"])
        if allow_source and profile == "destination":
            self.put_vault_policy(arn, self.vault_policy())
        return arn

    def put_vault_policy(self, vault_arn: str, policy: dict[str, Any]) -> None:
        self.client("destination", "backup").put_backup_vault_access_policy(
            BackupVaultName=vault_name(vault_arn), Policy=json.dumps(policy)
        )

    def destination_vault(self, **kwargs: Any) -> str:
        return self.vault("destination", self.cmk("destination"), **kwargs)

    # -- recovery points ----------------------------------------------------------------------

    def backup(self, vault: str, resource_arn: str) -> str:
        backup = self.client("source", "backup")
        job = backup.start_backup_job(
            BackupVaultName=vault, ResourceArn=resource_arn, IamRoleArn=self.role()
        )
        deadline = time.monotonic() + 30
        while True:
            done = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
            if done["State"] in ("COMPLETED", "FAILED", "ABORTED", "PARTIAL", "EXPIRED"):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"backup job {job['BackupJobId']} did not finish")
            time.sleep(0.1)
        assert done["State"] == "COMPLETED", done.get("StatusMessage")
        return str(done["RecoveryPointArn"])

    def ebs_volume(self, key_arn: str | None, default_key: bool = False) -> str:
        ec2 = self.client("source", "ec2")
        kwargs: dict[str, Any] = {"Size": 8, "AvailabilityZone": f"{REGION}a"}
        if key_arn or default_key:
            kwargs["Encrypted"] = True
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        volume = ec2.create_volume(**kwargs)["VolumeId"]
        return f"arn:aws:ec2:{REGION}:{self.source}:volume/{volume}"

    def ebs_recovery_point(
        self, key_arn: str | None, default_key: bool = False, vault: str | None = None
    ) -> tuple[str, str]:
        """An EBS volume under ``key_arn`` backed up into ``vault`` (a new one by default)."""
        name = vault or vault_name(self.vault("source"))
        return self.backup(name, self.ebs_volume(key_arn, default_key)), name

    def rds_recovery_point(self, key_arn: str | None) -> tuple[str, str]:
        rds = self.client("source", "rds")
        db = f"db-{uuid.uuid4().hex[:8]}"
        kwargs: dict[str, Any] = {
            "DBInstanceIdentifier": db,
            "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres",
            "AllocatedStorage": 20,
            "MasterUsername": "admin",
            "MasterUserPassword": "password-1234",
            "StorageEncrypted": True,
        }
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        rds.create_db_instance(**kwargs)
        name = vault_name(self.vault("source"))
        return self.backup(name, f"arn:aws:rds:{REGION}:{self.source}:db:{db}"), name

    def efs_recovery_point(self, vault_key: str | None) -> tuple[str, str]:
        efs = self.client("source", "efs")
        fs = efs.create_file_system(CreationToken=uuid.uuid4().hex, Encrypted=True)
        arn = f"arn:aws:elasticfilesystem:{REGION}:{self.source}:file-system/{fs['FileSystemId']}"
        name = vault_name(self.vault("source", vault_key))
        return self.backup(name, arn), name

    # -- copies ---------------------------------------------------------------------------------

    def start_copy(
        self,
        rp: str,
        source_vault: str,
        destination_vault_arn: str,
        lifecycle: dict[str, Any] | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {
            "RecoveryPointArn": rp,
            "SourceBackupVaultName": source_vault,
            "DestinationBackupVaultArn": destination_vault_arn,
            "IamRoleArn": self.role(),
        }
        if lifecycle:
            kwargs["Lifecycle"] = lifecycle
        return str(self.client("source", "backup").start_copy_job(**kwargs)["CopyJobId"])

    def wait_copy(self, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
        backup = self.client("source", "backup")
        deadline = time.monotonic() + timeout
        while True:
            job = dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])
            if job["State"] in ("COMPLETED", "FAILED", "PARTIAL", "ABORTED"):
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"copy job {job_id} did not finish ({job['State']})")
            time.sleep(0.1)

    def copy(
        self,
        rp: str,
        source_vault: str,
        destination_vault_arn: str,
        lifecycle: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return self.wait_copy(self.start_copy(rp, source_vault, destination_vault_arn, lifecycle))

    def failed_copy(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        job = self.copy(*args, **kwargs)
        assert job["State"] == "FAILED", job
        return job

    # -- the seed article's situation -----------------------------------------------------------

    def seed(self) -> Seed:
        key = self.seed_key()
        rp, vault = self.ebs_recovery_point(key)
        dest = self.destination_vault()
        job = self.failed_copy(rp, vault, dest, lifecycle={"DeleteAfterDays": 35})
        assert job["StatusMessage"] == MSG_KEY
        return Seed(key, rp, vault, dest, job["CopyJobId"])


@dataclass
class Seed:
    key: str
    recovery_point: str
    source_vault: str
    destination_vault: str
    job_id: str


def vault_name(arn: str) -> str:
    return arn.split(":backup-vault:", 1)[-1]


def profile_session(config_dir: Path, profile: str) -> Any:
    core = botocore.session.Session()
    core.set_config_variable("config_file", str(config_dir / "config"))
    core.set_config_variable("credentials_file", str(config_dir / "credentials"))
    return boto3.Session(botocore_session=core, profile_name=profile)


def canonical(text: str) -> Any:
    return json.loads(text)


class World(Profiles):
    """One running in-process emulator (the emulator tests): building blocks that answer the
    API's raw values, without waiting for jobs."""

    def __init__(self, emu: Any, config_dir: Path) -> None:
        super().__init__(
            {p: profile_session(config_dir, p) for p in PROFILES}, config_dir, dict(emu.accounts)
        )
        self.emu = emu
        self.config_file = config_dir / "config"
        self.credentials_file = config_dir / "credentials"

    def cmk(self, profile: str = "source", region: str | None = None) -> dict[str, Any]:
        kms = self.client(profile, "kms", region)
        return dict(kms.create_key(Description=f"test key {uuid.uuid4()}")["KeyMetadata"])

    def share_key(
        self, key: dict[str, Any], principal: str = "root", region: str | None = None
    ) -> None:
        """Add AWS's two cross-account statements for the destination (root or slr)."""
        kms = self.client("source", "kms", region)
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        who = f"arn:aws:iam::{self.destination}:root" if principal == "root" else self.slr()
        policy["Statement"] += self.destination_statements(who)
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))

    def vault(
        self,
        profile: str,
        key_arn: str | None,
        region: str | None = None,
        allow_source: bool = True,
    ) -> str:
        backup = self.client(profile, "backup", region)
        name = f"v-{uuid.uuid4().hex[:12]}"
        kwargs: dict[str, Any] = {"BackupVaultName": name}
        if key_arn:
            kwargs["EncryptionKeyArn"] = key_arn
        arn = str(backup.create_backup_vault(**kwargs)["BackupVaultArn"])
        if allow_source and profile == "destination":
            backup.put_backup_vault_access_policy(
                BackupVaultName=name, Policy=json.dumps(self.vault_policy())
            )
        return arn

    def destination_vault(self, region: str | None = None, **kwargs: Any) -> str:
        key = self.cmk("destination", region)
        return self.vault("destination", key["Arn"], region, **kwargs)

    def _backup_job(self, vault: str, resource_arn: str) -> str:
        job = self.client("source", "backup").start_backup_job(
            BackupVaultName=vault, ResourceArn=resource_arn, IamRoleArn=self.role()
        )
        return str(job["RecoveryPointArn"])

    def ebs_recovery_point(self, key_arn: str | None, default_key: bool = False) -> tuple[str, str]:
        """An EBS volume (encrypted with ``key_arn``) backed up into a new source vault."""
        ec2 = self.client("source", "ec2")
        kwargs: dict[str, Any] = {"Size": 8, "AvailabilityZone": f"{REGION}a"}
        if key_arn or default_key:
            kwargs["Encrypted"] = True
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        volume = ec2.create_volume(**kwargs)
        name = vault_name(self.vault("source", None))
        arn = f"arn:aws:ec2:{REGION}:{self.source}:volume/{volume['VolumeId']}"
        return self._backup_job(name, arn), name

    def rds_recovery_point(self, key_arn: str | None) -> tuple[str, str]:
        rds = self.client("source", "rds")
        db = f"db-{uuid.uuid4().hex[:8]}"
        kwargs: dict[str, Any] = {
            "DBInstanceIdentifier": db,
            "DBInstanceClass": "db.t3.micro",
            "Engine": "postgres",
            "AllocatedStorage": 20,
            "MasterUsername": "admin",
            "MasterUserPassword": "password-1234",
            "StorageEncrypted": True,
        }
        if key_arn:
            kwargs["KmsKeyId"] = key_arn
        rds.create_db_instance(**kwargs)
        name = vault_name(self.vault("source", None))
        return self._backup_job(name, f"arn:aws:rds:{REGION}:{self.source}:db:{db}"), name

    def copy(
        self,
        rp: str,
        source_vault: str,
        destination_vault_arn: str,
        lifecycle: dict[str, Any] | None = None,
        role: str | None = None,
    ) -> dict[str, Any]:
        """Start a copy job and return it as first described (not waited for)."""
        backup = self.client("source", "backup")
        kwargs: dict[str, Any] = {
            "RecoveryPointArn": rp,
            "SourceBackupVaultName": source_vault,
            "DestinationBackupVaultArn": destination_vault_arn,
            "IamRoleArn": role or self.role(),
        }
        if lifecycle:
            kwargs["Lifecycle"] = lifecycle
        job_id = backup.start_copy_job(**kwargs)["CopyJobId"]
        return dict(backup.describe_copy_job(CopyJobId=job_id)["CopyJob"])


def start_world(tmp_path_factory: Any, **kwargs: Any) -> Iterator[World]:
    """An in-process Emulator (``Emulator(port=0, **kwargs)``) seen as a World."""
    from copyguard.emulator import Emulator

    with Emulator(port=0, **kwargs) as emu:
        config_dir = tmp_path_factory.mktemp("aws")
        emu.write_aws_config(config_dir)
        yield World(emu, config_dir)


@dataclass
class EmulatorProcess:
    """``copyguard emulator --port P --write-aws-config DIR`` as a child process."""

    proc: subprocess.Popen[str]
    port: int
    config_dir: Path

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return clean_env(self.config_dir)


def start_emulator_process(config_dir: Path, log_file: Path) -> Iterator[EmulatorProcess]:
    port = free_port()
    with open(log_file, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [
                *copyguard_cmd(),
                "emulator",
                "--port",
                str(port),
                "--write-aws-config",
                str(config_dir),
            ],
            env=clean_env(config_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            wait_for_port(port, proc)
            deadline = time.monotonic() + 30
            # the profiles are written once the server listens
            while not (config_dir / "credentials").exists() or "Ctrl-C" not in _read(log_file):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start:\n{_read(log_file)}")
                time.sleep(0.05)
            yield EmulatorProcess(proc, port, config_dir)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def in_process_emulator(config_dir: Path, **kwargs: Any) -> Iterator[tuple[Any, Lab]]:
    """An in-process Emulator (faster to reach), its profiles written to ``config_dir``."""
    from copyguard.emulator import Emulator

    with Emulator(port=0, **kwargs) as emu:
        emu.write_aws_config(config_dir)
        yield emu, Lab.from_config(config_dir)


def run_main(argv: list[str], capsys: Any) -> CliResult:
    """The command line in this process (the sessions it builds can be patched)."""
    from copyguard.cli.main import main

    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return CliResult(code, out, err)
