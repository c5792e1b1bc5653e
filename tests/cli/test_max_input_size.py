"""``check``/``fix --max-input-size SIZE`` (GitHub issue 11): a scenario or IaC input larger
than the default 16 MiB is read when the user raises the bound, refused with exit 2 naming the
option when not; a bad SIZE exits 2 naming the option; the bound lasts one command only and
never loosens the limits of policy documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cg_cli import EXAMPLES, invoke, run

from copyguard.policy.files import (
    MAX_INPUT_SIZE_CEILING,
    SCENARIO_LIMIT,
    parse_size,
    scenario_limit,
    scenario_limit_set,
)

MIB = 1024 * 1024


def _padded_scenario(tmp_path: Path, size: int) -> Path:
    """The failing seed scenario, padded with a YAML comment to ``size`` bytes (its policy
    file copied beside it): the same findings at any size."""
    shutil.copy(EXAMPLES / "seed-key-policy.json", tmp_path / "seed-key-policy.json")
    text = (EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8")
    head = "# " + "x" * 98 + "\n"
    body = text.encode("utf-8")
    need = size - len(body)
    pad = head * (need // len(head)) + "#" * (need % len(head) - 1) + "\n" if need > 0 else ""
    path = tmp_path / "big.yaml"
    path.write_bytes(pad.encode("ascii") + body)
    assert path.stat().st_size == size
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _padded_scenario(tmp_path_factory.mktemp("big"), SCENARIO_LIMIT + 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64M", 64 * MIB),
        ("64m", 64 * MIB),
        ("64MiB", 64 * MIB),
        ("64MB", 64 * MIB),
        ("1G", 1024 * MIB),
        ("512K", 512 * 1024),
        ("20000000", 20_000_000),
        ("100B", 100),
        (" 2G ", 2048 * MIB),
    ],
)
def test_sizes_are_read_in_binary_units(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "0", "0M", "-1", "64X", "1.5G", "M", "64 M B", "65G", "1T"])
def test_sizes_that_are_not_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a size such as 64M"):
        parse_size(text)


def test_the_ceiling_is_a_size_that_parses() -> None:
    assert parse_size("64G") == MAX_INPUT_SIZE_CEILING


def test_the_bound_is_scoped_to_its_block() -> None:
    assert scenario_limit() == SCENARIO_LIMIT
    with scenario_limit_set(64 * MIB):
        assert scenario_limit() == 64 * MIB
    assert scenario_limit() == SCENARIO_LIMIT
    with pytest.raises(ValueError), scenario_limit_set(0):
        pass
    assert scenario_limit() == SCENARIO_LIMIT


@pytest.mark.parametrize("command", ["check", "fix"])
def test_a_scenario_over_the_default_limit_is_refused_naming_the_option(
    big: Path, command: str
) -> None:
    result = run(command, str(big))
    assert result.code == 2, result
    assert "larger than the limit of 16 MiB" in result.err, result
    assert "--max-input-size" in result.err, result
    assert "Traceback" not in result.err


def test_check_reads_it_when_the_bound_is_raised(big: Path) -> None:
    result = run("check", str(big), "--format", "json", "--max-input-size", "32M")
    assert result.code == 1, result  # the seed's verdict: fail with CG101
    assert {f["code"] for f in result.json()["findings"]} == {"CG101"}


def test_fix_reads_it_when_the_bound_is_raised(big: Path) -> None:
    result = run("fix", str(big), "--as", "json", "--max-input-size", "1G")
    assert result.code == 0, result
    fixes = result.json()["fixes"]
    assert fixes and all("CG101" in f["resolves"] for f in fixes if f["kind"] == "key_policy")


def test_standard_input_is_bounded_by_the_option_too(big: Path) -> None:
    data = big.read_text(encoding="utf-8")
    refused = run("check", "-", "--format", "json", stdin=data, cwd=big.parent)
    assert refused.code == 2 and "<stdin>" in refused.err, refused
    read = run(
        "check", "-", "--format", "json", "--max-input-size", "17M", stdin=data, cwd=big.parent
    )
    assert read.code == 1, read


def test_a_lower_bound_refuses_a_small_scenario(tmp_path: Path) -> None:
    small = _padded_scenario(tmp_path, 4096)
    result = run("check", str(small), "--max-input-size", "2K")
    assert result.code == 2, result
    assert "larger than the limit of 2 KiB" in result.err, result


def test_it_bounds_terraform_inputs(tmp_path: Path) -> None:
    tf = EXAMPLES / "iac" / "terraform"
    args = [
        str(tf / "source-plan.json"),
        str(tf / "central-plan.json"),
        str(tf / "organization.yaml"),
    ]
    assert run("check", *args, "--format", "json").code == 1
    for command in ("check", "fix"):
        result = run(command, *args, "--max-input-size", "1K")
        assert result.code == 2, result
        assert "source-plan.json" in result.err and "1 KiB" in result.err, result


@pytest.mark.parametrize("command", ["check", "fix"])
@pytest.mark.parametrize("value", ["64X", "0", "-5M", "1.5G", "99999G", ""])
def test_a_bad_size_exits_2_naming_the_option(command: str, value: str) -> None:
    result = run(command, str(EXAMPLES / "seed-failing.yaml"), "--max-input-size", value)
    assert result.code == 2, result
    assert "Invalid value for '--max-input-size'" in result.err, result
    assert "Traceback" not in result.err


def test_the_bound_does_not_outlive_its_command(big: Path) -> None:
    """Two commands in one process (as a library embedding the CLI would run them): the
    second, without the option, has the default bound again."""
    first = invoke("check", str(big), "--format", "json", "--max-input-size", "32M")
    assert first.code == 1, first
    second = invoke("check", str(big), "--format", "json")
    assert second.code == 2, second
    assert scenario_limit() == SCENARIO_LIMIT


def test_policy_documents_keep_their_own_limits(tmp_path: Path) -> None:
    """A key policy file over KMS's 32 KiB stays refused whatever --max-input-size says."""
    policy = (EXAMPLES / "seed-key-policy.json").read_text(encoding="utf-8")
    padded = policy.rstrip().rstrip("}") + "," + '"Id": "' + "p" * 40_000 + '"}\n'
    (tmp_path / "seed-key-policy.json").write_text(padded, encoding="utf-8")
    text = (EXAMPLES / "seed-failing.yaml").read_text(encoding="utf-8")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    result = run("check", str(tmp_path / "s.yaml"), "--max-input-size", "1G")
    assert result.code == 2, result
    assert "32 KiB" in result.err, result


def test_the_fix_command_a_report_names_keeps_the_bound(big: Path) -> None:
    result = run("check", str(big), "--max-input-size", "32M")
    assert result.code == 1, result
    line = next(x for x in result.out.splitlines() if "copyguard fix" in x)
    assert "--max-input-size 32M" in line, result
    fixed = run("fix", str(big), "--max-input-size", "32M", "--as", "cli")
    assert fixed.code == 0, fixed
