"""Create the emulated world in moto: an organization, its accounts, their credentials and
the IAM roles AWS Backup relies on."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from unittest import mock

from moto.iam.models import iam_backends
from moto.organizations import utils as org_utils
from moto.organizations.models import organizations_backends

from copyguard.emulator import constants as c
from copyguard.emulator import moto_view

PARTITION = "aws"


def reset_moto() -> None:
    """Forget every moto resource in this process.

    Like moto's own reset, but the backends are dropped rather than re-initialised one by
    one first (they are created again lazily), which is much faster after a busy run.
    """
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data

    try:
        from moto.core.base_backend import backend_lock
    except ImportError:  # pragma: no cover - older moto
        import threading

        backend_lock = threading.RLock()
    with backend_lock:
        instances: list[Any] = BackendDict._instances  # type: ignore[misc]
        for backend in list(instances):
            backend.clear()
        instances.clear()
    reset_model_data()
    organizations_backends.master_accounts.clear()


def _admin_user(account: str, region: str, secret: str) -> None:
    iam = iam_backends[account][PARTITION]
    if c.ADMIN_USER not in iam.users:
        iam.create_user(region, c.ADMIN_USER, path="/")
    iam.put_user_policy(c.ADMIN_USER, c.ADMIN_POLICY_NAME, json.dumps(c.ADMIN_POLICY))
    wanted = c.access_key_for(account)
    if wanted in iam.access_keys:
        iam.access_keys[wanted].secret_access_key = secret
        return
    key = iam.create_access_key(c.ADMIN_USER)
    iam.access_keys.pop(key.access_key_id, None)
    key.access_key_id = wanted
    key.secret_access_key = secret
    iam.access_keys[wanted] = key


def fix_service_linked_role_names() -> None:
    """moto names the Backup SLR ``AWSServiceRoleForbackup``; AWS says ``...ForBackup``."""
    from moto.iam import models as iam_models

    iam_models.SERVICE_NAME_CONVERSION.setdefault("backup", "Backup")


def _backup_roles(account: str) -> None:
    fix_service_linked_role_names()
    iam = iam_backends[account][PARTITION]
    try:
        iam.get_role(c.SLR_NAME)
    except Exception:
        iam.create_service_linked_role(c.SLR_SERVICE, "Provides access to AWS Backup", "")
    try:
        iam.get_role(c.DEFAULT_BACKUP_ROLE)
        return
    except Exception:
        pass
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "backup.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        c.DEFAULT_BACKUP_ROLE,
        json.dumps(trust),
        c.DEFAULT_BACKUP_ROLE_PATH,
        permissions_boundary=None,
        description="Default role for the AWS Backup service",
        tags=[],
        max_session_duration="3600",
    )
    arn = f"arn:aws:iam::aws:policy/service-role/{c.BACKUP_ROLE_MANAGED_POLICY}"
    try:
        iam.attach_role_policy(arn, c.DEFAULT_BACKUP_ROLE)
    except Exception:  # AWS managed policies not loaded: keep the same rules inline
        doc = moto_view.aws_managed_policy_document(c.BACKUP_ROLE_MANAGED_POLICY)
        if doc is not None:
            iam.put_role_policy(
                c.DEFAULT_BACKUP_ROLE, c.BACKUP_ROLE_MANAGED_POLICY, json.dumps(doc)
            )


def bootstrap(
    accounts: dict[str, str],
    region: str,
    organization_id: str | None,
    members: Iterable[str] | None = None,
    secrets: dict[str, str] | None = None,
) -> str:
    """Create the organization and the accounts; returns the organization ID.

    ``members``: the accounts (besides the management account) that belong to the
    organization; default all. The others exist, with credentials, outside any organization.
    ``secrets``: the secret access key of each account's profile (default: a new random one).
    """
    management = accounts["management"]
    member_set = set(accounts.values()) if members is None else set(members)
    org_backend = organizations_backends[management][PARTITION]
    patches = []
    if organization_id:
        patches.append(mock.patch.object(org_utils, "make_random_org_id", lambda: organization_id))
    for p in patches:
        p.start()
    try:
        org_backend.create_organization(region=region, FeatureSet="ALL")
    finally:
        for p in patches:
            p.stop()
    assert org_backend.org is not None
    for name, account in accounts.items():
        if name == "management" or account == management:
            continue
        if account not in member_set:
            continue
        with mock.patch.object(org_utils, "make_random_account_id", lambda a=account: a):
            org_backend.create_account(AccountName=name, Email=f"{name}@copyguard.example")
    for name, account in accounts.items():
        secret = (secrets or {}).get(account) or c.new_secret_key()
        _admin_user(account, region, secret)
        if name != "management":
            _backup_roles(account)
    return str(org_backend.org.id)
