"""Create the emulated world in moto: an organization, its accounts, their credentials and
the IAM roles AWS Backup relies on."""

from __future__ import annotations

import hashlib
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
    moto_view.forget_org_views()


_TEMPLATES: dict[str, list[Any]] = {}


def share_aws_managed_policies() -> Any:
    """Make each new IAM backend copy AWS's managed policies from one parsed set.

    moto parses its ~1,600 AWS managed policies again for every account's IAM backend
    (about 0.2 s each), which dominates the start of an organization of hundreds of
    accounts. Shallow copies of one template per partition behave the same: AWS managed
    policies cannot be changed, and each copy keeps its own attachment count. Returns the
    function that undoes the patch.
    """
    from moto.iam import models as iam_models

    original = iam_models.IAMBackend._init_aws_policies

    def shared(self: Any) -> list[Any]:
        if not getattr(iam_models, "load_iam_aws_managed_policies")():  # noqa: B009
            return []
        template = _TEMPLATES.get(self.partition)
        if template is None:
            template = original(self)
            _TEMPLATES[self.partition] = template
        out = []
        for policy in template:
            # object.__new__ rather than copy.copy: moto's BaseModel.__new__ would register
            # every copy in its model registry (the slow part, and never needed here)
            mine = object.__new__(type(policy))
            mine.__dict__.update(policy.__dict__)
            mine.account_id = self.account_id
            out.append(mine)
        return out

    iam_models.IAMBackend._init_aws_policies = shared  # type: ignore[method-assign]

    def undo() -> None:
        iam_models.IAMBackend._init_aws_policies = original  # type: ignore[method-assign]
        _TEMPLATES.clear()

    return undo


BACKUP_POLICY_ARN_FORMAT = "arn:{0}:organizations::{1}:policy/{2}/backup_policy/{3}"


def support_backup_policies() -> Any:
    """Let moto's Organizations hold policies of type BACKUP_POLICY (it lists the type as
    supported, then refuses to create one); the emulator answers DescribeEffectivePolicy
    itself (``org_policies``). Returns the function that undoes the patch."""
    from moto.organizations import models as org_models

    original = org_models.FakePolicy.__init__

    def init(self: Any, organization: Any, **kwargs: Any) -> None:
        if kwargs.get("Type") != "BACKUP_POLICY":
            original(self, organization, **kwargs)
            return
        original(self, organization, **{**kwargs, "Type": "TAG_POLICY"})
        self.type = "BACKUP_POLICY"
        self._arn_format = BACKUP_POLICY_ARN_FORMAT

    org_models.FakePolicy.__init__ = init  # type: ignore[method-assign]

    def undo() -> None:
        org_models.FakePolicy.__init__ = original  # type: ignore[method-assign]

    return undo


def patch_moto() -> Any:
    """The emulator's changes to moto for one run; returns the function that undoes them."""
    undo_iam = share_aws_managed_policies()
    undo_org = support_backup_policies()

    def undo() -> None:
        undo_org()
        undo_iam()

    return undo


#: the role AWS Organizations creates in each account it creates
ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMIN_MANAGED_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def org_access_trust(management: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{management}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def complete_member_account(
    account: str, management: str, role_name: str = ORG_ACCESS_ROLE, with_role: bool = True
) -> None:
    """What AWS gives an account made by organizations:CreateAccount, that moto lacks.

    moto creates the access role with the management account in its trust policy but with
    no permissions; AWS attaches the AWS managed ``AdministratorAccess`` policy. The
    account also gets AWS Backup's roles, as the emulator's other accounts have.
    ``with_role=False`` removes the role (a member whose role was deleted).
    """
    iam = iam_backends[account][PARTITION]
    role = next((r for r in iam.roles.values() if r.name == role_name), None)
    if not with_role:
        if role is not None:
            for arn in list(role.managed_policies):
                iam.detach_role_policy(arn, role_name)
            iam.delete_role(role_name)
    else:
        if role is None:
            role = iam.create_role(
                role_name,
                json.dumps(org_access_trust(management)),
                "/",
                permissions_boundary=None,
                description="",
                tags=[],
                max_session_duration="3600",
            )
        if ADMIN_MANAGED_POLICY_ARN not in role.managed_policies:
            try:
                iam.attach_role_policy(ADMIN_MANAGED_POLICY_ARN, role_name)
            except Exception:  # AWS managed policies not loaded: the same rule inline
                iam.put_role_policy(role_name, c.ADMIN_POLICY_NAME, json.dumps(c.ADMIN_POLICY))
    _backup_roles(account)


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
        # the same organization ID gives the same root ID (stable names for --members)
        root = "r-" + hashlib.sha256(organization_id.encode()).hexdigest()[:4]
        patches.append(mock.patch.object(org_utils, "make_random_root_id", lambda: root))
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
        complete_member_account(account, management)
    for name, account in accounts.items():
        secret = (secrets or {}).get(account) or c.new_secret_key()
        _admin_user(account, region, secret)
        if name != "management":
            _backup_roles(account)
    return str(org_backend.org.id)
