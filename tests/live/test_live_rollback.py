"""``fix --rollback FILE`` against the in-process emulator: the backup is verified (checksum,
key ARN, account, the key exists), the diff is shown, confirmation is required as for
``--apply``, the policy copyguard wrote must still be there (``--force``), and a broader policy
is not restored without ``--allow-broader``. Backups are private files, written once."""

from __future__ import annotations

import io
import json
import shlex
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest

from emulator_fixtures import (
    LIVE_FLAGS,
    PROFILES,
    CliResult,
    Lab,
    canonical,
    profile_session,
    run_main,
)

pytestmark = pytest.mark.emulator


@pytest.fixture
def lab(local: tuple[Any, Lab], monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The emulator's lab; the in-process command line acts through the profiles it names."""
    _, lab = local
    assert lab.config_dir is not None
    config_dir = lab.config_dir
    monkeypatch.setattr(
        "copyguard.sources.aws.sessions_from",
        lambda profiles, *a, **k: {
            role: profile_session(config_dir, str(name))
            for role, name in profiles.items()
            if name in PROFILES
        },
    )
    return lab


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliResult:
    result = run_main(list(argv), capsys)
    assert result.code in (0, 1, 2, 3), result
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err
    return result


def rollback(capsys: pytest.CaptureFixture[str], backup: Path, *extra: str) -> CliResult:
    return cli(capsys, "fix", "--rollback", str(backup), "--source-profile", "source", *extra)


def extra_statement(principal: str, sid: str = "Colleague") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }


def backed_up(
    lab: Lab, directory: Path, before: dict[str, Any], now: dict[str, Any]
) -> tuple[str, Path]:
    """A key whose policy copyguard changed from ``before`` to ``now``, with its backup."""
    from copyguard.sources.apply import backup_record, write_backup

    key = lab.cmk("source", now)
    written = lab.key_policy(key)
    path = write_backup(directory, backup_record(key, json.dumps(before), written, "fix"))
    return key, path


def rewrite(path: Path, change: Any, checksum: bool = True) -> None:
    """Edit a backup file; with ``checksum``, seal it again (as a forger could)."""
    from copyguard.sources.apply import checksum as seal

    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    if checksum and "checksum" in record:
        record["checksum"] = seal(record)
    path.chmod(0o600)
    path.write_text(json.dumps(record), encoding="utf-8")


def fixed(lab: Lab) -> dict[str, Any]:
    doc = lab.seed_policy()
    doc["Statement"] += lab.destination_statements(f"arn:aws:iam::{lab.destination}:root")
    return doc


# -- the backup file ------------------------------------------------------------------------------


def test_apply_writes_a_private_verifiable_backup(lab: Lab, tmp_path: Path, capsys: Any) -> None:
    from copyguard.sources.apply import checksum

    seed = lab.seed()
    before = lab.key_policy(seed.key)
    backups = tmp_path / "new" / "backups"
    done = cli(
        capsys,
        "fix",
        "--live",
        *LIVE_FLAGS,
        "--job-id",
        seed.job_id,
        "--apply",
        "--yes",
        "--backup-dir",
        str(backups),
    )
    assert done.code == 0, done
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    (path,) = backups.glob("*.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["checksum"] == checksum(record)
    assert record["key_arn"] == seed.key
    assert (record["account"], record["region"]) == (lab.source, "us-east-1")
    assert record["saved_at"].endswith("Z") and record["purpose"] == "fix"
    assert record["policy"] == before
    assert canonical(record["written"]) == lab.key_policy_doc(seed.key)
    assert record["fix"]["codes"] == ["CG101"]


def test_rollback_hint_is_shell_quoted(lab: Lab, tmp_path: Path, capsys: Any) -> None:
    seed = lab.seed()
    backups = tmp_path / "it's $(not run) `here`"
    done = cli(
        capsys,
        "fix",
        "--live",
        *LIVE_FLAGS,
        "--job-id",
        seed.job_id,
        "--apply",
        "--yes",
        "--backup-dir",
        str(backups),
    )
    assert done.code == 0, done
    (path,) = backups.glob("*.json")
    hints = [
        line.split("copyguard fix --rollback ", 1)[1]
        for line in done.err.splitlines()
        if "copyguard fix --rollback " in line
    ]
    assert hints, done.err
    for hint in hints:
        argv = shlex.split(hint)
        assert argv[0] == str(path), hint
        assert argv[1:] == ["--source-profile", "source"], hint


# -- verifying the file ---------------------------------------------------------------------------


def test_rollback_needs_yes_or_a_terminal(lab: Lab, tmp_path: Path, capsys: Any) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    now = lab.key_policy(key)
    refused = rollback(capsys, path)
    assert refused.code == 2, refused
    assert "--yes" in refused.err and "Nothing was changed" in refused.err
    assert lab.key_policy(key) == now


def test_rollback_shows_the_diff_then_restores(lab: Lab, tmp_path: Path, capsys: Any) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    done = rollback(capsys, path, "--yes")
    assert done.code == 0, done
    assert "--- key policy (now)" in done.out and f"+++ {path}" in done.out
    removed = [line for line in done.out.splitlines() if line.startswith("-")]
    assert any(f"arn:aws:iam::{lab.destination}:root" in line for line in removed), done.out
    assert lab.key_policy_doc(key) == lab.seed_policy()
    safety = [p for p in tmp_path.glob("*.json") if p != path]
    assert len(safety) == 1 and stat.S_IMODE(safety[0].stat().st_mode) == 0o600


def test_tampered_backup_is_refused(lab: Lab, tmp_path: Path, capsys: Any) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    now = lab.key_policy(key)
    wide = lab.seed_policy()
    wide["Statement"].append(extra_statement("*"))
    rewrite(path, lambda r: r.update(policy=json.dumps(wide)), checksum=False)
    result = rollback(capsys, path, "--yes")
    assert result.code == 2, result
    assert "checksum does not match" in result.err
    assert lab.key_policy(key) == now


def test_backup_without_checksum_needs_allow_unverified_and_force(
    lab: Lab, tmp_path: Path, capsys: Any
) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    now = lab.key_policy(key)

    def old_format(record: dict[str, Any]) -> None:
        for name in ("checksum", "written", "format", "purpose"):
            record.pop(name)

    rewrite(path, old_format)
    plain = rollback(capsys, path, "--yes")
    assert plain.code == 2 and "--allow-unverified" in plain.err, plain
    unverified = rollback(capsys, path, "--yes", "--allow-unverified")
    assert unverified.code == 1 and "--force" in unverified.err, unverified
    assert lab.key_policy(key) == now
    forced = rollback(capsys, path, "--yes", "--allow-unverified", "--force")
    assert forced.code == 0, forced
    assert lab.key_policy_doc(key) == lab.seed_policy()


@pytest.mark.parametrize("case", ["other-account", "missing-key", "account-field"])
def test_backup_of_a_key_the_profile_cannot_have_written(
    case: str, lab: Lab, tmp_path: Path, capsys: Any
) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    now = lab.key_policy(key)
    if case == "other-account":
        other = key.replace(f":{lab.source}:", f":{lab.destination}:")
        rewrite(path, lambda r: r.update(key_arn=other, account=lab.destination))
        expected = f"a key in account {lab.destination}"
    elif case == "missing-key":
        gone = key.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
        rewrite(path, lambda r: r.update(key_arn=gone))
        expected = "cannot find the key"
    else:
        rewrite(path, lambda r: r.update(account=lab.destination))
        expected = "but the key ARN says"
    result = rollback(capsys, path, "--yes")
    assert result.code == 2, result
    assert expected in result.err
    assert lab.key_policy(key) == now


# -- the guards of the write ----------------------------------------------------------------------


def test_rollback_does_not_undo_someone_elses_change_without_force(
    lab: Lab, tmp_path: Path, capsys: Any
) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    theirs = lab.key_policy_doc(key)
    theirs["Statement"].append(extra_statement(f"arn:aws:iam::{lab.source}:root"))
    lab.put_key_policy(key, theirs)
    refused = rollback(capsys, path, "--yes")
    assert refused.code == 1, refused
    assert "no longer the one copyguard wrote" in refused.err and "--force" in refused.err
    assert lab.key_policy_doc(key) == theirs
    forced = rollback(capsys, path, "--yes", "--force")
    assert forced.code == 0, forced
    assert lab.key_policy_doc(key) == lab.seed_policy()


def test_rollback_to_a_broader_policy_needs_allow_broader(
    lab: Lab, tmp_path: Path, capsys: Any
) -> None:
    outsider = "arn:aws:iam::999988887777:root"
    broad = lab.seed_policy()
    broad["Statement"].append(extra_statement(outsider))
    key, path = backed_up(lab, tmp_path, broad, fixed(lab))
    now = lab.key_policy(key)
    refused = rollback(capsys, path, "--yes")
    assert refused.code == 1, refused
    assert "allows requests the current policy denies" in refused.err
    assert f"{outsider} kms:Decrypt" in refused.err and "--allow-broader" in refused.err
    assert lab.key_policy(key) == now
    allowed = rollback(capsys, path, "--yes", "--allow-broader")
    assert allowed.code == 0, allowed
    assert lab.key_policy_doc(key) == broad


def test_rollback_flags_need_rollback(capsys: Any) -> None:
    result = cli(capsys, "fix", "--live", *LIVE_FLAGS, "--job-id", "x", "--force")
    assert result.code == 2 and "--force works only with --rollback" in result.err, result


class Terminal(io.StringIO):
    """Standard input that is a terminal, with the user's answers typed in."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("answer", ["n", "y"])
def test_rollback_asks_on_a_terminal_after_showing_the_diff(
    answer: str, lab: Lab, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, path = backed_up(lab, tmp_path, lab.seed_policy(), fixed(lab))
    now = lab.key_policy(key)
    monkeypatch.setattr("sys.stdin", Terminal(f"{answer}\n"))
    result = rollback(capsys, path)
    question = f"Restore the key policy of {key} from {path}?"
    assert question in result.err, result
    assert "--- key policy (now)" in result.out
    if answer == "n":
        assert result.code == 1 and "declined" in result.err, result
        assert lab.key_policy(key) == now
        assert list(tmp_path.glob("*.json")) == [path]  # nothing saved, nothing written
    else:
        assert result.code == 0, result
        assert lab.key_policy_doc(key) == lab.seed_policy()
