"""``Emulator(members=N)`` start-up: deterministic by seed, bounded work for 200 members,
and the ``copyguard emulator --members N`` summary. Each test starts its own emulator (so
no module-wide one may run here)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.emulator


def _stable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without what differs from run to run (job IDs)."""
    data = json.loads(json.dumps(summary))
    for job in data.get("copy_jobs", []):
        job.pop("copy_job_id", None)
    return data


def test_same_seed_same_organization_other_seed_other_breakage() -> None:
    from copyguard.emulator import Emulator

    with Emulator(port=0, members=24, seed=7) as first:
        one = _stable(first.org.summary())
        one_ids = {k: v for k, v in first.info().items() if k != "endpoint_url"}
    with Emulator(port=0, members=24, seed=7) as second:
        two = _stable(second.org.summary())
        two_ids = {k: v for k, v in second.info().items() if k != "endpoint_url"}
    with Emulator(port=0, members=24, seed=8) as third:
        three = _stable(third.org.summary())
    assert one == two
    assert one_ids["organization"]["broken"] == two_ids["organization"]["broken"]
    assert one["broken"] != three["broken"]


def test_two_hundred_members_start_with_bounded_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted, not timed: moto's AWS managed policies are parsed once (not once per
    account), one RSA key pair serves every symmetric key, and each account has one IAM
    backend (no backends for other partitions)."""
    from moto.iam import models as iam_models
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import iam_backends
    from moto.kms import models as kms_models

    from copyguard.emulator import Emulator

    parsed = {"policies": 0, "rsa": 0}
    real_from_data = iam_models.AWSManagedPolicy.from_data.__func__  # type: ignore[attr-defined]

    def counting_from_data(cls: Any, *args: Any, **kwargs: Any) -> Any:
        parsed["policies"] += 1
        return real_from_data(cls, *args, **kwargs)

    real_rsa = kms_models.generate_private_key  # type: ignore[attr-defined]

    def counting_rsa(spec: str) -> Any:
        parsed["rsa"] += 1
        return real_rsa(spec)

    monkeypatch.setattr(iam_models.AWSManagedPolicy, "from_data", classmethod(counting_from_data))
    monkeypatch.setattr(kms_models, "generate_private_key", counting_rsa)
    with Emulator(port=0, members=200, seed=1) as emu:
        created = emu.org.counts
        assert created["accounts"] == 199  # the source account is member 1
        assert created["backup_plans"] >= 200
        assert created["kms_keys"] >= 200
        one_set = len(json.loads(aws_managed_policies_data))
        assert parsed["policies"] <= one_set  # one template, copied for each account
        assert parsed["rsa"] <= 2  # not one per key
        assert len(iam_backends) == 203
        assert all(len(by_partition) == 1 for by_partition in iam_backends.values())
        # a request does not create the other partitions' backends either
        emu.client("management", "organizations").list_accounts()
        assert all(len(by_partition) == 1 for by_partition in iam_backends.values())


def test_cli_members_summary_lists_the_broken_members(tmp_path: Any) -> None:
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
            "--members",
            "8",
            "--seed",
            "3",
            "--write-aws-config",
            str(tmp_path / "aws"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        summary = json.loads(line)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    org = summary["organization"]
    assert org["members"] == 8 and org["seed"] == 3
    assert {b["kind"] for b in org["broken"]} == {
        "missing-role",
        "org-policy",
        "source-key",
        "vault-policy",
    }
    assert all(b["code"].startswith("CG") and b["account"].isdigit() for b in org["broken"])
    assert set(summary["profiles"]) == {"management", "source", "destination"}


def test_cli_members_refuses_bad_combinations(tmp_path: Any) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("copies: []\n")
    for args in (
        ["--members", "0"],
        ["--seed", "4"],
        ["--members", "3", "--scenario", str(scenario)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "copyguard", "emulator", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
