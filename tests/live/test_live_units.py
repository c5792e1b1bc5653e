"""The pure parts of the live commands (no emulator): AWS locations in words, the flags a
suggested command repeats, exit codes of failed applies, the permission documents."""

from __future__ import annotations

import json

import pytest

from copyguard.cli.common import EXIT_FAIL, EXIT_INPUT, EXIT_UNKNOWN
from copyguard.scenario import Copy, Scenario

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VAULT = "arn:aws:backup:us-east-1:444455556666:backup-vault:central"


@pytest.mark.parametrize(
    ("path", "lang", "expected"),
    [
        (f"keys[{KEY}].policy", "en", f"KMS key {KEY}: key policy"),
        (
            f"keys[{KEY}].policy.Statement[1].Condition",
            "en",
            f"KMS key {KEY}: key policy, Statement[1].Condition",
        ),
        (f"keys[{KEY}].state", "en", f"KMS key {KEY}: key state"),
        (f"vaults[{VAULT}].access_policy", "en", f"backup vault {VAULT}: access policy"),
        (f"vaults[{VAULT}].key", "zh", f"备份保管库 {VAULT}:加密密钥"),
        ("plans[abc]", "en", "backup plan abc"),
        (
            "organization.cross_account_backup_enabled",
            "en",
            "AWS Backup global settings: isCrossAccountBackupEnabled",
        ),
        ("organization.accounts", "en", "AWS Organizations: accounts"),
        ("copies[0].lifecycle", "en", "copy job-1: lifecycle (retention)"),
        ("copies[5].resource_key", "en", "copy #5: key of the recovery point"),
        ("something.else", "en", None),
        (None, "en", None),
    ],
)
def test_describe_path(path: str | None, lang: str, expected: str | None) -> None:
    from copyguard.sources.aws import describe_path

    scenario = Scenario(copies=[Copy(name="job-1", path="copies[0]")])
    assert describe_path(path, scenario, lang) == expected


def test_live_flags_repeat_the_run() -> None:
    from copyguard.cli.scan import live_flags

    kw = {
        "source_profile": "src",
        "destination_profile": "dst prof",
        "region": "eu-west-1",
        "plan_ids": ("p1", "p2"),
        "job_id": None,
    }
    assert live_flags(kw) == (
        "--source-profile src --destination-profile 'dst prof' --region eu-west-1 "
        "--plan-id p1 --plan-id p2"
    )


def test_iam_actions_of_client_methods() -> None:
    from copyguard.sources.aws import iam_action

    assert iam_action("kms", "get_key_policy") == "kms:GetKeyPolicy"
    assert iam_action("rds", "describe_db_cluster_snapshots") == "rds:DescribeDBClusterSnapshots"
    assert iam_action("backup", "list_recovery_points_by_backup_vault") == (
        "backup:ListRecoveryPointsByBackupVault"
    )
    assert iam_action("efs", "describe_file_systems") == "elasticfilesystem:DescribeFileSystems"


def test_exit_code_of_each_apply_failure() -> None:
    from copyguard.cli.live import _EXIT_OF_KIND
    from copyguard.sources.apply import ApplyError

    assert _EXIT_OF_KIND == {
        "rejected": EXIT_FAIL,
        "changed": EXIT_FAIL,
        "refused": EXIT_FAIL,
        "input": EXIT_INPUT,
        "stale": EXIT_UNKNOWN,
        "failed": EXIT_UNKNOWN,
        "conflict": EXIT_UNKNOWN,
        "uncertain": EXIT_UNKNOWN,
    }
    assert ApplyError("x", "uncertain").changed and not ApplyError("x", "rejected").changed
    assert ApplyError("x", "conflict").changed


def test_permission_documents() -> None:
    from copyguard.cli.scan import permissions_document

    for role in ("source", "destination", "management"):
        read_only = permissions_document(role, apply=False)
        actions = [a for s in read_only["Statement"] for a in _actions(s)]
        assert len(actions) == len(set(actions)), role
        assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in actions)
    source = permissions_document("source", apply=True)
    (extra,) = [s for s in source["Statement"] if s["Sid"] == "CopyguardApplyKeyPolicyFix"]
    assert extra["Action"] == ["kms:GetKeyPolicy", "kms:PutKeyPolicy"]
    assert extra["Resource"] == "arn:aws:kms:*:*:key/*"
    json.dumps(source)


def _actions(statement: dict[str, object]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)  # type: ignore[arg-type]


def test_read_backup_refuses_what_is_not_a_backup(tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    from copyguard.sources.apply import ApplyError, read_backup

    base = Path(str(tmp_path))
    cases = {
        "missing.json": None,
        "text.json": "not json",
        "other.json": json.dumps({"kind": "other"}),
        "nopolicy.json": json.dumps({"kind": "kms-key-policy-backup", "key_arn": KEY}),
        "badpolicy.json": json.dumps(
            {"kind": "kms-key-policy-backup", "key_arn": KEY, "policy": "not a policy"}
        ),
    }
    for name, text in cases.items():
        if text is not None:
            (base / name).write_text(text, encoding="utf-8")
        with pytest.raises(ApplyError) as info:
            read_backup(base / name)
        assert info.value.kind == "input"
        assert name in str(info.value)


def test_default_backup_dir_falls_back_when_not_writable(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from copyguard.cli import live

    state = Path(str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    assert live._backup_dir("copyguard-backups") == Path("copyguard-backups")
    monkeypatch.setattr(live, "_writable", lambda directory: False)
    assert live._backup_dir("copyguard-backups") == state / "copyguard" / "backups"
    assert "backups go to" in capsys.readouterr().err


def test_policy_text_stays_within_the_kms_limit() -> None:
    from copyguard.sources.apply import MAX_POLICY_BYTES, policy_text

    small = {"Version": "2012-10-17", "Statement": []}
    assert policy_text(small) == json.dumps(small, indent=2)
    statement = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    big = {"Version": "2012-10-17", "Statement": [dict(statement, Sid=f"s{i}") for i in range(300)]}
    assert len(json.dumps(big, indent=2)) > MAX_POLICY_BYTES
    assert len(policy_text(big)) <= MAX_POLICY_BYTES
    assert json.loads(policy_text(big)) == big


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(principal: str, action: object) -> dict[str, object]:
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}


def test_broader_requests_names_what_the_restored_policy_would_add() -> None:
    from copyguard.sources.apply import broader_requests

    root = "arn:aws:iam::111122223333:root"
    outsider = "arn:aws:iam::999988887777:root"
    current = _policy(_allow(root, "kms:*"))
    wider = _policy(_allow(root, "kms:*"), _allow(outsider, ["kms:Decrypt", "kms:Encrypt"]))
    found = broader_requests(current, wider, KEY)
    assert found and all(line.startswith(f"{outsider} kms:") for line in found)
    assert {line.split()[1] for line in found} == {"kms:Decrypt", "kms:Encrypt"}
    # narrower or equal is not broader; a restored Allow for everyone is
    assert broader_requests(wider, current, KEY) == []
    assert broader_requests(current, current, KEY) == []
    everyone = _policy(_allow(root, "kms:*"), _allow("*", "kms:DescribeKey"))
    assert any("kms:DescribeKey" in line for line in broader_requests(current, everyone, KEY))
    # a removed Deny makes the policy broader too
    deny = dict(_allow(root, "kms:ScheduleKeyDeletion"), Effect="Deny")
    assert any(
        "kms:ScheduleKeyDeletion" in line
        for line in broader_requests(_policy(_allow(root, "kms:*"), deny), current, KEY)
    )


def test_backups_are_private_sealed_and_never_overwritten(tmp_path: object) -> None:
    import os
    import stat
    from pathlib import Path

    from copyguard.sources.apply import backup_record, checksum, read_backup, write_backup

    old = os.umask(0)  # the mode must not depend on the umask
    try:
        base = Path(str(tmp_path)) / "b"
        record = backup_record(KEY, _policy(), _policy(_allow("*", "kms:Decrypt")), "fix")
        first = write_backup(base, record)
        second = write_backup(base, record)
    finally:
        os.umask(old)
    assert first != second  # a second backup never replaces the first
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    for path in (first, second):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        loaded = read_backup(path)
        assert loaded == record and loaded["checksum"] == checksum(record)
    assert record["checksum"].startswith("sha256:") and len(record["checksum"]) == 71


def test_write_backup_does_not_follow_a_planted_link(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link planted at the backup's name is neither followed nor replaced."""
    from pathlib import Path

    from copyguard.sources import apply

    base = Path(str(tmp_path))
    target = base / "victim"
    target.write_text("untouched", encoding="utf-8")

    class Frozen(apply.datetime):  # type: ignore[misc,name-defined]
        @classmethod
        def now(cls, tz: object = None) -> Frozen:
            return cls(2026, 1, 2, 3, 4, 5, 6, tzinfo=apply.UTC)

    monkeypatch.setattr(apply, "datetime", Frozen)
    key_id = KEY.rsplit("/", 1)[-1]
    link = base / f"copyguard-backup-{key_id}-20260102T030405000006Z.json"
    link.symlink_to(target)
    path = apply.write_backup(base, apply.backup_record(KEY, _policy(), _policy(), "fix"))
    assert path != link and path.exists()
    assert target.read_text(encoding="utf-8") == "untouched"


def test_fix_and_live_commands_do_not_import_each_other_in_a_circle() -> None:
    """cli/fix.py starts cli/live.py; what both need lives in a module both import, so
    cli/live.py never imports cli/fix.py (not even inside a function)."""
    grimp = pytest.importorskip("grimp")

    graph = grimp.build_graph("copyguard")
    assert graph.direct_import_exists(importer="copyguard.cli.fix", imported="copyguard.cli.live")
    assert not graph.direct_import_exists(
        importer="copyguard.cli.live", imported="copyguard.cli.fix"
    )
    for module in ("copyguard.cli.fix", "copyguard.cli.live"):
        assert "copyguard.cli.fix_select" in graph.find_modules_directly_imported_by(module)
