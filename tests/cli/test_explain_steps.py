"""``explain`` puts what the pasted message says (principal, action, key) into its next steps,
shell-quoted, so the command it suggests runs as printed."""

from __future__ import annotations

import shlex

from cg_cli import invoke

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SLR = "arn:aws:iam::444455556666:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"


def _steps(message: str, *extra: str) -> list[str]:
    result = invoke("explain", message, "--format", "json", *extra)
    assert result.code == 0, str(result)
    return list(result.json()["causes"][0]["next_steps"])


def test_the_slr_session_becomes_the_role_and_the_accounts_are_filled() -> None:
    message = (
        "User: arn:aws:sts::444455556666:assumed-role/AWSServiceRoleForBackup/AWSBackup-x is not "
        f"authorized to perform: kms:CreateGrant on resource: {KEY} because no resource-based "
        "policy allows the kms:CreateGrant action"
    )
    simulate, check = _steps(message)
    argv = shlex.split(simulate.split(": ", 1)[1])
    assert argv[argv.index("--principal") + 1] == SLR
    assert argv[argv.index("--action") + 1] == "kms:CreateGrant"
    assert "kms:CallerAccount=444455556666" in argv
    argv = shlex.split(check.split(": ", 1)[1])
    assert argv[argv.index("--source-account") + 1] == "111122223333"
    assert argv[argv.index("--destination-account") + 1] == "444455556666"
    assert argv[argv.index("--key-arn") + 1] == KEY


def test_a_hostile_principal_is_quoted_not_run() -> None:
    principal = "arn:aws:sts::444455556666:assumed-role/$(touch${IFS}PWNED)/x"
    message = (
        f"User: {principal} is not authorized to perform: kms:Decrypt on this resource because "
        "no identity-based policy allows the kms:Decrypt action"
    )
    simulate = _steps(message)[0]
    command = simulate.split(": ", 1)[1]
    argv = shlex.split(command)
    assert argv[argv.index("--principal") + 1] == principal
    assert "'" + principal + "'" in command


def test_without_values_the_placeholders_stay() -> None:
    steps = _steps("Given key ID is not accessible")
    assert steps, "the seed message has next steps"
    assert not any("$(" in s for s in steps)


def test_chinese_steps_are_filled_too() -> None:
    message = (
        "User: arn:aws:sts::444455556666:assumed-role/AWSServiceRoleForBackup/s is not authorized "
        f"to perform: kms:DescribeKey on resource: {KEY} because no resource-based policy allows "
        "the kms:DescribeKey action"
    )
    simulate = _steps(message, "--lang", "zh")[0]
    assert SLR in simulate and "kms:DescribeKey" in simulate
    assert "主体ARN" not in simulate


def test_backslashes_and_group_references_are_kept_as_written() -> None:
    principal = r"arn:aws:sts::444455556666:assumed-role/a\g<0>\1b/x"
    message = (
        f"User: {principal} is not authorized to perform: kms:Decrypt on this resource because "
        "no identity-based policy allows the kms:Decrypt action"
    )
    argv = shlex.split(_steps(message)[0].split(": ", 1)[1])
    assert argv[argv.index("--principal") + 1] == principal
