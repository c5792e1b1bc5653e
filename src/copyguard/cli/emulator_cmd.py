"""``copyguard emulator``: run the local AWS Backup cross-account copy emulator."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from copyguard.cli.common import InputError

DEFAULT_PORT = 4599


def _start(options: dict[str, Any]) -> Any:
    try:
        import moto  # noqa: F401
        import werkzeug  # noqa: F401
    except ImportError as exc:
        raise InputError(
            f"'copyguard emulator' needs the Python package {exc.name!r}: "
            "pip install 'copyguard[emulator]'"
        ) from exc
    from copyguard.emulator import Emulator, EmulatorError
    from copyguard.emulator.scenario_loader import ScenarioLoadError

    scenario = options.pop("scenario_file")
    try:
        return Emulator(**options).start()
    except EmulatorError as exc:
        raise InputError(str(exc)) from exc
    except ScenarioLoadError as exc:
        raise InputError(f"{scenario}: {exc}") from exc


def _load_scenario(path: str) -> Any:
    """The scenario of ``--scenario FILE``, read (bounded, README "Input limits") and checked
    before anything is imported or bound."""
    from copyguard.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        raise InputError(str(exc)) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read scenario: {exc}") from exc


def _read_faults(path: str) -> list[dict[str, Any]]:
    """The fault definitions of ``--faults FILE``, checked before the emulator starts."""
    from copyguard.cli.inputs import FAULTS_LIMIT, read_input_bytes
    from copyguard.emulator.faults import FaultError, parse_faults

    text = read_input_bytes(path, FAULTS_LIMIT, "fault file")  # InputError: exit 2
    try:
        return parse_faults(text)
    except FaultError as exc:
        where = f" at {exc.field}" if exc.field else ""
        detail = str(exc).split(": ", 1)[-1] if exc.field else str(exc)
        raise InputError(f"{path}: bad fault definition{where}: {detail}") from exc


def _summary(emu: Any, config_dir: str | None, scenario: str | None) -> dict[str, Any]:
    data: dict[str, Any] = dict(emu.info())
    data["control_token"] = emu.control_token
    data["profiles"] = {
        name: {
            "account": account,
            "aws_access_key_id": emu.credentials(name)[0],
            "aws_secret_access_key": emu.credentials(name)[1],
        }
        for name, account in emu.accounts.items()
    }
    if config_dir is not None:
        config, creds = emu.write_aws_config(config_dir)
        data["config_file"] = str(config.resolve())
        data["credentials_file"] = str(creds.resolve())
        data["control_token_file"] = str((Path(config_dir) / "emulator-token").resolve())
        data["env"] = {
            "AWS_CONFIG_FILE": data["config_file"],
            "AWS_SHARED_CREDENTIALS_FILE": data["credentials_file"],
        }
    if scenario is not None and emu.loaded is not None:
        loaded = emu.loaded
        data["scenario"] = {
            "file": scenario,
            "keys": loaded.keys,
            "vaults": loaded.vaults,
            "copies": [
                {
                    "name": cp.name,
                    "resource_type": cp.resource_type,
                    "resource_arn": cp.resource_arn,
                    "recovery_point_arn": cp.recovery_point_arn,
                    "start_copy_job": cp.start_copy_job_args(),
                    "cli": cp.cli_command(),
                }
                for cp in loaded.copies
            ],
            "warnings": loaded.warnings,
        }
    return data


def _print_text(data: dict[str, Any]) -> None:
    echo = click.echo
    echo(f"copyguard emulator: listening on {data['endpoint_url']} (Region {data['region']})")
    mgmt = data["accounts"]["management"]
    echo(f"organization {data['organization_id']} (management account {mgmt})")
    for name, account in data["accounts"].items():
        echo(f"  {name:<12} {account}")
    if "env" in data:
        echo("")
        echo(f"AWS profiles written to {data['config_file']} and {data['credentials_file']}.")
        echo("Use them with:")
        for key, value in data["env"].items():
            echo(f"  export {key}={value}")
        echo("  aws sts get-caller-identity --profile source")
    else:
        echo("")
        echo("Credentials (use --write-aws-config DIR to get profiles):")
        for name, profile in data["profiles"].items():
            echo(
                f"  {name:<12} AWS_ACCESS_KEY_ID={profile['aws_access_key_id']} "
                f"AWS_SECRET_ACCESS_KEY={profile['aws_secret_access_key']}"
            )
        echo(f"  and --endpoint-url {data['endpoint_url']}")
    echo("")
    if "control_token_file" in data:
        echo(
            f"Control endpoints token (/copyguard/faults, /copyguard/health) in "
            f"{data['control_token_file']}:"
        )
        echo("  send it as the header 'Authorization: Bearer TOKEN'")
    else:
        echo(
            "Control endpoints (/copyguard/faults, /copyguard/health): header "
            f"'Authorization: Bearer {data['control_token']}'"
        )
    org = data.get("organization")
    if org:
        echo("")
        echo(
            f"{org['members']} member accounts (seed {org['seed']}), central backup account "
            f"{org['central_backup_account']}, Regions {', '.join(org['regions'])}; reach a "
            "member by assuming its OrganizationAccountAccessRole from the management profile."
        )
        echo(f"Broken on purpose ({len(org['broken'])}):")
        for item in org["broken"]:
            echo(f"  {item['account']} {item['kind']:<13} {item['code']}  {item['detail']}")
    sc = data.get("scenario")
    if sc:
        echo("")
        echo(
            f"Scenario {sc['file']}: {len(sc['keys'])} keys, {len(sc['vaults'])} vaults, "
            f"{len(sc['copies'])} copies ready to run:"
        )
        for cp in sc["copies"]:
            echo(f"  {cp['name']} ({cp['resource_type']}): {cp['cli']}")
        for warning in sc["warnings"]:
            echo(f"  warning: {warning}")
    echo("")
    echo("Press Ctrl-C to stop.")


@click.command("emulator")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0 picks a free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--region", default="us-east-1", show_default=True, help="Region of the profiles.")
@click.option(
    "--write-aws-config",
    "config_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write DIR/config and DIR/credentials with the profiles management, source and "
    "destination.",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    default=None,
    help="Load a scenario file (keys, vaults, settings, recovery points ready to copy).",
)
@click.option(
    "--cross-account-backup/--no-cross-account-backup",
    "cross_account",
    default=None,
    help="The organization's isCrossAccountBackupEnabled at start (default: enabled, or as "
    "the scenario says).",
)
@click.option(
    "--faults",
    "faults_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Inject faults from a JSON file (one fault object or a list; fields service, "
    "operation, code, message, status, times, account).",
)
@click.option(
    "--members",
    type=click.IntRange(1, 5000),
    default=None,
    help="Start an organization with N member accounts already set up (keys, vaults, plans "
    "copying into the central backup account, OUs, organization backup policies), some "
    "broken on purpose; the JSON summary lists them under organization.broken.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="With --members: which members are broken, their OUs and Regions (same seed, same "
    "organization).",
)
@click.option(
    "--copy-jobs/--no-copy-jobs",
    "copy_jobs",
    default=False,
    help="With --members: run each member's copy once at start, so failed copy jobs exist.",
)
@click.option(
    "--latency",
    "latency_ms",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    metavar="MS",
    help="Make every AWS request wait MS milliseconds before it is served (no lock held), "
    "like a real endpoint's round trip, so a client's concurrency shows in benchmarks.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the start-up summary.",
)
def emulator(
    port: int,
    host: str,
    region: str,
    config_dir: str | None,
    scenario: str | None,
    cross_account: bool | None,
    faults_file: str | None,
    members: int | None,
    seed: int,
    copy_jobs: bool,
    latency_ms: int,
    fmt: str,
) -> int:
    """Run the local AWS Backup cross-account copy emulator until Ctrl-C.

    One loopback endpoint serves KMS, STS, IAM, Organizations, EC2, RDS and EFS (moto) and
    copyguard's AWS Backup layer, for an organization with a management, a source and a
    destination account. Copy jobs are checked as AWS checks them and fail with AWS's
    messages.
    """
    if members is not None and scenario is not None:
        raise InputError("--members and --scenario cannot be combined")
    if members is None and (seed != 0 or copy_jobs):
        raise InputError("--seed and --copy-jobs need --members N")
    loaded = _load_scenario(scenario) if scenario is not None else None
    faults = _read_faults(faults_file) if faults_file is not None else []
    options: dict[str, Any] = {
        "port": port,
        "host": host,
        "region": region,
        "cross_account_backup_enabled": cross_account,
        "scenario": loaded,
        "scenario_file": scenario,
    }
    if members is not None:
        options.update(members=members, seed=seed, copy_jobs=copy_jobs)
    emu = _start(options)

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        emu.app.latency = latency_ms / 1000
        for fault in faults:
            emu.faults.add(**fault)
        data = _summary(emu, config_dir, scenario)
        if fmt == "json":
            click.echo(json.dumps(data, indent=None, ensure_ascii=False))
        else:
            _print_text(data)
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):
            emu.serve_forever()
    finally:
        emu.stop()
        signal.signal(signal.SIGTERM, previous)
        click.echo("copyguard emulator: stopped", err=True)
    return 0
