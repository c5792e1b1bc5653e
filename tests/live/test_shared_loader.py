"""A scan's clients share one botocore data loader: service models are read once.

Client creation used to read and parse each service model once per account session (a
scan has three), which cost most of its client creation time.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("boto3")

import boto3
import botocore.loaders

from copyguard.sources.aws import Reader, iam_action, shared_loader

ROLES = ("source", "destination", "management")
SERVICES = ("backup", "kms", "organizations")


def _sessions() -> dict[str, Any]:
    return {
        role: boto3.Session(
            aws_access_key_id=f"AKIA{role.upper():0<16}"[:20],
            aws_secret_access_key="not-a-secret",
            region_name="us-east-1",
        )
        for role in ROLES
    }


def test_every_client_of_a_reader_uses_one_loader() -> None:
    reader = Reader(_sessions(), region="us-east-1", endpoint_url="http://127.0.0.1:9")
    clients = [reader.client(role, service) for role in ROLES for service in SERVICES]
    loaders = {id(client._loader) for client in clients}
    assert len(loaders) == 1
    assert clients[0]._loader is shared_loader(None)


def test_a_service_model_is_read_once_for_all_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    original = botocore.loaders.JSONFileLoader.load_file

    def counting(self: Any, file_path: str) -> Any:
        reads.append(str(file_path))
        return original(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counting)
    # a loader of its own for this test, so that files read by other tests do not count
    monkeypatch.setattr("copyguard.sources.aws._LOADERS", {})
    reader = Reader(_sessions(), region="us-east-1", endpoint_url="http://127.0.0.1:9")
    for role in ROLES:
        reader.client(role, "kms")
        reader.client(role, "backup")
    models = [path for path in reads if path.endswith(("service-2", "service-2.json"))]
    kms_reads = [path for path in models if "/kms/" in path]
    assert len(kms_reads) == 1, models
    assert len(models) == 2, models


def test_operation_names_come_from_the_shared_loader() -> None:
    assert iam_action("kms", "get_key_policy") == "kms:GetKeyPolicy"
    assert iam_action("backup", "list_backup_plans") == "backup:ListBackupPlans"
