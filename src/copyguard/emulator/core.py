"""The ``Emulator``: moto's server plus copyguard's Backup and KMS layers on one loopback port."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import logging
import os
import secrets
import sys
import threading
from pathlib import Path
from typing import Any

from copyguard.emulator import constants as c

log = logging.getLogger(__name__)

_ACTIVE_LOCK = threading.Lock()
_ACTIVE: list[Emulator] = []
DEFAULT_ORGANIZATION_ID = "o-copyguard01"
#: the file next to the written profiles that holds the control endpoints' token
TOKEN_FILE = "emulator-token"
#: seconds a connection may stay silent (a stalled body, an idle keep-alive) before it closes
SOCKET_TIMEOUT = 60.0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EmulatorError(Exception):
    """The emulator could not start, or was used wrongly."""


class Emulator:
    """A local AWS Backup cross-account copy emulator.

    >>> with Emulator(port=0) as emu:                       # doctest: +SKIP
    ...     kms = emu.session("source").client("kms")
    ...     emu.accounts["destination"]

    moto keeps its state per process, so one Emulator runs at a time in a process; starting
    one resets moto's state.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        region: str = c.DEFAULT_REGION,
        accounts: dict[str, str] | None = None,
        organization_id: str | None = None,
        members: list[str] | int | None = None,
        cross_account_backup_enabled: bool | None = None,
        scenario: Any = None,
        seed: int = 0,
        copy_jobs: bool = False,
    ) -> None:
        self.scenario = None
        self.loaded: Any = None
        #: members=N: how many member accounts to set up (``org_world``), and the result
        self.member_count: int | None = None
        self.org: Any = None
        self.seed = seed
        self.copy_jobs = copy_jobs
        if isinstance(members, bool):
            raise EmulatorError("members must be a number of accounts or a list of account IDs")
        if isinstance(members, int):
            from copyguard.emulator.org_world import MAX_MEMBERS

            if scenario is not None:
                raise EmulatorError("members=N and a scenario cannot be combined")
            if not 1 <= members <= MAX_MEMBERS:
                raise EmulatorError(f"members must be from 1 to {MAX_MEMBERS}, not {members}")
            self.member_count = members
            members = None
        if scenario is not None:
            from copyguard.emulator.scenario_loader import emulator_settings, read_scenario

            self.scenario = read_scenario(scenario)
            derived = emulator_settings(self.scenario)
            accounts = {**derived.get("accounts", {}), **(accounts or {})}
            if organization_id is None:
                organization_id = derived.get("organization_id")
            if members is None:
                members = derived.get("members")
            if cross_account_backup_enabled is None:
                cross_account_backup_enabled = derived.get("cross_account_backup_enabled")
        merged = dict(c.DEFAULT_ACCOUNTS)
        if accounts:
            unknown = set(accounts) - set(c.ACCOUNT_NAMES)
            if unknown:
                raise EmulatorError(f"unknown account names: {sorted(unknown)}")
            merged.update(accounts)
        for name, account in merged.items():
            if not (isinstance(account, str) and account.isdigit() and len(account) == 12):
                raise EmulatorError(f"account {name}: {account!r} is not a 12-digit account ID")
        if len(set(merged.values())) != len(merged):
            raise EmulatorError("the management, source and destination accounts must differ")
        self.host = host
        self.port = port
        self.region = region
        self.accounts: dict[str, str] = merged
        self.organization_id: str | None = organization_id or DEFAULT_ORGANIZATION_ID
        self.members = members
        self.cross_account_backup_enabled = (
            True if cross_account_backup_enabled is None else cross_account_backup_enabled
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._saved_config: Any = None
        self._saved_amis: str | None = None
        self._env_applied = False
        self.backup_state: Any = None
        self.backup_service: Any = None
        self.app: Any = None
        self._secrets: dict[str, str] = {}
        #: the secret the control endpoints (/copyguard/...) want, new for each start
        self.control_token = ""
        self._saved_cors: Any = None
        self._saved_kms_check: Any = None
        self._undo_iam_patch: Any = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise EmulatorError("the emulator is not running")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "", "::") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> Emulator:
        try:
            from moto.core.config import default_user_config
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmulatorError(
                "the emulator needs moto's server: pip install 'copyguard[emulator]'"
            ) from exc
        from copyguard.emulator import bootstrap
        from copyguard.emulator.authz import Authorizer
        from copyguard.emulator.backup_models import BackupState
        from copyguard.emulator.backup_service import BackupService
        from copyguard.emulator.kms_front import KmsFront
        from copyguard.emulator.wsgi import FrontApp

        if not is_loopback(self.host):
            sys.stderr.write(
                f"copyguard emulator: warning: listening on {self.host}, not on a loopback "
                "address: other machines can reach it. It is a test tool with test "
                "credentials; bind it to 127.0.0.1 unless you mean this.\n"
            )
        with _ACTIVE_LOCK:
            if _ACTIVE:
                raise EmulatorError("another Emulator is already running in this process")
            _ACTIVE.append(self)
        try:
            self._env_applied = True
            iam_config = default_user_config.setdefault("iam", {})
            self._saved_config = iam_config.get("load_aws_managed_policies")
            iam_config["load_aws_managed_policies"] = True
            # no stock AMIs (and their snapshots): each account starts empty, and faster
            self._saved_amis = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
            os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
            from moto.kms import responses as kms_responses
            from moto.moto_server import werkzeug_app

            # moto's own key-policy check (a substring test on Deny statements that ignores
            # their conditions) would second-guess KmsFront, which decides with copyguard's
            # evaluator
            self._saved_kms_check = getattr(kms_responses, "validate_policy", None)
            if self._saved_kms_check is not None:
                setattr(kms_responses, "validate_policy", _no_moto_key_policy_check)  # noqa: B010
            # moto's server would answer CORS preflights and add Access-Control headers
            self._saved_cors = getattr(werkzeug_app, "DISABLE_GLOBAL_CORS", None)
            setattr(werkzeug_app, "DISABLE_GLOBAL_CORS", True)  # noqa: B010
            bootstrap.reset_moto()
            self._undo_iam_patch = bootstrap.patch_moto()
            self._secrets = {acct: c.new_secret_key() for acct in self.accounts.values()}
            self.control_token = secrets.token_urlsafe(32)
            self.organization_id = bootstrap.bootstrap(
                self.accounts, self.region, self.organization_id, self.members, self._secrets
            )
            authz = Authorizer()
            self.backup_state = BackupState()
            self.backup_state.default_cross_account_enabled = self.cross_account_backup_enabled
            self.backup_service = BackupService(self.backup_state, authz)
            if self.member_count is not None:
                from copyguard.emulator.org_world import build_organization

                self.org = build_organization(
                    self, self.member_count, self.seed, copy_jobs=self.copy_jobs
                )
            self.app = FrontApp(
                DomainDispatcherApplication(create_backend_app),
                self.backup_service,
                KmsFront(authz),
                self.info,
                self.control_token,
            )
            # werkzeug reports a busy port on stderr and exits: turn that into an error
            err = io.StringIO()
            try:
                with contextlib.redirect_stderr(err):
                    self._server = make_server(
                        self.host,
                        self.port,
                        self.app,
                        threaded=True,
                        request_handler=_quiet_handler(),
                    )
            except (OSError, SystemExit) as exc:
                detail = err.getvalue().strip().splitlines() or [str(exc)]
                raise EmulatorError(
                    f"cannot listen on {self.host}:{self.port}: {detail[0]}"
                ) from None
            self.port = int(self._server.server_port)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="copyguard-emulator", daemon=True
            )
            self._thread.start()
        except BaseException:
            self._cleanup()
            raise
        log.info("copyguard emulator listening on %s", self.endpoint_url)
        if self.scenario is not None:
            try:
                self.loaded = self.load_scenario(self.scenario)
            except BaseException:
                self.stop()
                raise
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._cleanup()

    def _cleanup(self) -> None:
        self._server = None
        self._thread = None
        if self._env_applied:
            self._env_applied = False
            from moto.core.config import default_user_config
            from moto.moto_server import werkzeug_app

            if self._undo_iam_patch is not None:
                self._undo_iam_patch()
                self._undo_iam_patch = None
            if self._saved_kms_check is not None:
                from moto.kms import responses as kms_responses

                setattr(kms_responses, "validate_policy", self._saved_kms_check)  # noqa: B010
                self._saved_kms_check = None
            if self._saved_cors is not None:
                setattr(werkzeug_app, "DISABLE_GLOBAL_CORS", self._saved_cors)  # noqa: B010
                self._saved_cors = None
            iam_config = default_user_config.setdefault("iam", {})
            if self._saved_config is None:
                iam_config.pop("load_aws_managed_policies", None)
            else:
                iam_config["load_aws_managed_policies"] = self._saved_config
            if self._saved_amis is None:
                os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)
            else:
                os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = self._saved_amis
        with _ACTIVE_LOCK:
            if self in _ACTIVE:
                _ACTIVE.remove(self)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until interrupted (Ctrl-C), then stop."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    @property
    def faults(self) -> Any:
        """Fault injection (``copyguard.emulator.faults.Faults``): make chosen calls fail."""
        if self.app is None:
            raise EmulatorError("the emulator is not running")
        return self.app.faults

    # -- identities --------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "endpoint_url": self.endpoint_url if self.running else None,
            "region": self.region,
            "organization_id": self.organization_id,
            "accounts": dict(self.accounts),
        }
        if self.org is not None:
            data["organization"] = self.org.summary()
        return data

    def credentials(self, name: str) -> tuple[str, str]:
        """The static access key ID and secret key of profile ``name``."""
        account = self._account(name)
        secret = self._secrets.get(account)
        if secret is None:
            raise EmulatorError("the credentials are issued when the emulator starts")
        return c.access_key_for(account), secret

    def _account(self, name: str) -> str:
        if name in self.accounts:
            return self.accounts[name]
        if name in self.accounts.values():
            return name
        raise EmulatorError(f"unknown account {name!r}; use one of {list(self.accounts)}")

    def session(self, name: str, region: str | None = None) -> Any:
        """A boto3 Session acting as account ``name``, whose clients use the emulator."""
        key, secret = self.credentials(name)
        return make_session(self.endpoint_url, key, secret, region or self.region)

    def client(self, name: str, service: str, region: str | None = None) -> Any:
        return self.session(name, region).client(service)

    def write_aws_config(self, directory: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``config`` and ``credentials`` with the three profiles, and the control token
        in ``emulator-token`` (owner-only, like ``credentials``); returns the first two paths."""
        paths = write_aws_config(
            directory,
            self.endpoint_url,
            {name: self.credentials(name) for name in self.accounts},
            self.region,
        )
        token = Path(directory) / TOKEN_FILE
        token.write_text(self.control_token + "\n", encoding="utf-8")
        with contextlib.suppress(OSError):
            token.chmod(0o600)
        return paths

    def control_headers(self) -> dict[str, str]:
        """The header the control endpoints (``/copyguard/health``, ``/copyguard/faults``)
        want."""
        return {"Authorization": f"Bearer {self.control_token}"}

    def environment(self, directory: str | os.PathLike[str]) -> dict[str, str]:
        d = Path(directory).resolve()
        return {
            "AWS_CONFIG_FILE": str(d / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(d / "credentials"),
        }

    # -- scenarios -------------------------------------------------------------------------------

    def load_scenario(self, scenario: Any) -> Any:
        """Create a scenario's keys, vaults, settings and ready-to-copy recovery points."""
        from copyguard.emulator.scenario_loader import load_into

        if not self.running:
            raise EmulatorError("start the emulator before loading a scenario")
        with self.app.lock:
            return load_into(self, scenario)


def _no_moto_key_policy_check(key: Any, action: str) -> None:
    """Stands in for moto's KMS key-policy check while an emulator runs (KmsFront decides)."""


def _quiet_handler() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """Log requests through ``logging`` (debug) instead of stderr; a connection that stays
        silent for SOCKET_TIMEOUT seconds is closed, so a stalled client holds one thread only.
        """

        timeout = SOCKET_TIMEOUT

        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            log.debug("%s %s %s", self.command, self.path, code)

    return QuietHandler


def make_session(endpoint_url: str, key: str, secret: str, region: str) -> Any:
    import boto3

    class EmulatorSession(boto3.session.Session):  # type: ignore[misc]
        """A boto3 Session whose clients and resources default to the emulator's endpoint."""

        def client(self, *args: Any, **kwargs: Any) -> Any:
            if len(args) < 6 and kwargs.get("endpoint_url") is None:
                kwargs["endpoint_url"] = endpoint_url
            return super().client(*args, **kwargs)

        def resource(self, *args: Any, **kwargs: Any) -> Any:
            if len(args) < 6 and kwargs.get("endpoint_url") is None:
                kwargs["endpoint_url"] = endpoint_url
            return super().resource(*args, **kwargs)

    return EmulatorSession(aws_access_key_id=key, aws_secret_access_key=secret, region_name=region)


def write_aws_config(
    directory: str | os.PathLike[str],
    endpoint_url: str,
    credentials: dict[str, tuple[str, str]],
    region: str,
) -> tuple[Path, Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    config_lines: list[str] = []
    cred_lines: list[str] = []
    for name, (key, secret) in credentials.items():
        config_lines += [
            f"[profile {name}]",
            f"region = {region}",
            f"endpoint_url = {endpoint_url}",
            "output = json",
            "",
        ]
        cred_lines += [
            f"[{name}]",
            f"aws_access_key_id = {key}",
            f"aws_secret_access_key = {secret}",
            "",
        ]
    config = d / "config"
    creds = d / "credentials"
    config.write_text("\n".join(config_lines), encoding="utf-8")
    creds.write_text("\n".join(cred_lines), encoding="utf-8")
    with contextlib.suppress(OSError):  # e.g. some Windows file systems
        creds.chmod(0o600)
    return config, creds
