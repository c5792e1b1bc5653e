"""The report's "How to apply" command for IaC inputs carries the options the run used
(``--account``, ``--region``, ``--parameters``), shell-quoted; running it as printed works."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from cg_cli import REPO, invoke, run

CFN = REPO / "src" / "copyguard" / "examples" / "iac" / "cloudformation"


def _command(markdown: str) -> str:
    m = re.search(r"How to apply: `([^`]*)` prints", markdown)
    assert m, markdown
    return m.group(1)


def test_printed_fix_command_runs_with_the_same_options(tmp_path: Path) -> None:
    # file names that need quoting: a space, a quote, a dollar sign
    names = {
        "source-account.yaml": "source account's $HOME.yaml",
        "central-account.json": "central account.json",
        "organization.yaml": "organization.yaml",
        "source-parameters.json": "params; rm -rf x.json",
    }
    for old, new in names.items():
        shutil.copy(CFN / old, tmp_path / new)
    src, central, org, params = names.values()
    args = (
        src,
        central,
        org,
        "--account",
        f"{src}=111122223333",
        "--account",
        f"{central}=444455556666",
        "--region",
        "us-east-1",
        "--parameters",
        f"{src}={params}",
    )
    r = invoke("check", *args, "--format", "markdown", cwd=tmp_path)
    assert r.code == 1, r
    command = _command(r.out)
    argv = shlex.split(command)
    assert argv[:2] == ["copyguard", "fix"]
    assert argv[-2:] == ["--as", "cli"]
    assert "--region" in argv and "--parameters" in argv
    assert f"{src}={params}" in argv and f"{central}=444455556666" in argv
    assert "'source account'\"'\"'s $HOME.yaml'" in command  # quoted, nothing expands
    done = run(*argv[1:], cwd=tmp_path)
    assert done.code == 0, done
    assert "aws kms put-key-policy" in done.out or "KEY_ARN" in done.out, done.out
    # and it is the same fix as the one made directly
    direct = run("fix", *args, "--as", "cli", cwd=tmp_path)
    assert direct.out == done.out


def test_without_parameters_the_printed_command_fails_like_the_old_one(tmp_path: Path) -> None:
    """The old hint (no --region, no --parameters) does not even read the templates."""
    shutil.copytree(CFN, tmp_path / "cfn")
    old = run(
        "fix",
        "source-account.yaml",
        "central-account.json",
        "organization.yaml",
        "--account",
        "source-account.yaml=111122223333",
        "--account",
        "central-account.json=444455556666",
        "--as",
        "cli",
        cwd=tmp_path / "cfn",
    )
    assert old.code == 2 and "--region" in old.err, old


def test_several_regions_give_no_wrong_command(tmp_path: Path) -> None:
    """fix takes one --region: two different Regions have no exact command, so the report
    names fix in general words rather than a command that would read another set-up."""
    r = invoke(
        "check",
        "source-account.yaml",
        "central-account.json",
        "organization.yaml",
        "--account",
        "source-account.yaml=111122223333",
        "--account",
        "central-account.json=444455556666",
        "--region",
        "source-account.yaml=us-east-1",
        "--region",
        "central-account.json=eu-west-1",
        "--parameters",
        "source-account.yaml=source-parameters.json",
        "--format",
        "markdown",
        cwd=CFN,
    )
    assert "copyguard fix source-account.yaml" not in r.out, r.out
