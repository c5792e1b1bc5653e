"""The quick form (``check --key-policy ... --format json``) imports only what it needs: no
click (the console entry point's quick path, ``cli/quick.py``, answers it), no YAML parser
(the knowledge data and the rule catalogue are read from their compiled JSON twins), no
error-message catalogue (only ``explain`` uses it), no rich, no Jinja2 and no other report
format; no ``typing``, ``dataclasses`` (nor the ``inspect`` it brings), ``hashlib``
(OpenSSL) or ``pathlib`` from the standard library (issue 11: types only under
``TYPE_CHECKING``, ``copyguard.records`` for the value classes, the built-in SHA-256, paths as
strings); none of the checks, fixes and renderers it never runs (the logically air-gapped
vault checks and fixes with their facts, the way back, the organization and resource-type
checks, playbooks, vault-policy fixes, the ``fix --as`` renderers, the rule documentation).
A deterministic check of the module set, not a timing test (the timing is
bench/bench_quick_check.py's)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cg_cli import QUICK, REPO, env

KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

WRAPPER = """
import atexit, sys
def _report():
    sys.stderr.write("\\nMODULES:" + ",".join(sorted(sys.modules)) + "\\n")
atexit.register(_report)
sys.argv = ["copyguard", *{args!r}]
from copyguard.cli.quick import main  # the console entry point (pyproject's [project.scripts])
main()
"""

NOT_NEEDED = (
    "click",  # the quick path of the console entry point (cli/quick.py)
    "copyguard.cli.main",  # the click command group
    "copyguard.cli.check",
    "yaml",  # knowledge data and rules.yaml come from their compiled twins
    "copyguard.knowledge.errors",  # the error-message catalogue: explain only
    "copyguard.report.sarif",
    "copyguard.report.markdown",
    "copyguard.report.html",
    "copyguard.evaluate.batch",  # the batch engine: simulate only
    "copyguard.cli.simulate",
    "rich",
    "jinja2",
    "boto3",
    "botocore",
    "moto",
    # the standard library (issue 11: each costs milliseconds at every start)
    "typing",
    "dataclasses",
    "inspect",
    "hashlib",
    "_hashlib",
    "pathlib",
    "ipaddress",
    "datetime",
    "unicodedata",  # text layout only
    # what the quick form never runs: imported on first use
    "copyguard.checks.lag",
    "copyguard.knowledge.lag",
    "copyguard.checks.round_trip",
    "copyguard.checks.organization",
    "copyguard.checks.resource_type",
    "copyguard.fixes.lag",
    "copyguard.fixes.round_trip",
    "copyguard.fixes.playbooks",
    "copyguard.fixes.vault_policy",
    "copyguard.fixes.render",
    "copyguard.fixes.textedit",
    "copyguard.report.rules_doc",
    "copyguard.report.text",
    "copyguard.report.labels",  # the fixed strings of the text and Markdown reports
    "copyguard.evaluate.lint",  # KMS's rejection lint: only for a policy with an IAM-only key
)


def _modules(args: list[str], expected: int = 1) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(args=args)],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == expected, done.stderr  # the seed policy fails (CG101)
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES:"))
    return set(line[len("MODULES:") :].split(","))


def _loaded(modules: set[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_the_quick_form_imports_only_what_it_needs() -> None:
    modules = _modules(
        ["check", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--format", "json"]
    )
    assert "copyguard.checks.runner" in modules  # the probe saw the real run
    assert "copyguard.fixes.key_policy" in modules
    extra = [name for name in NOT_NEEDED if _loaded(modules, name)]
    assert extra == []


@pytest.mark.parametrize(
    "extra",
    [
        ["--format", "text", "--lang", "zh"],
        ["--format", "sarif", "--key-arn", KEY_ARN],
        ["--format=markdown", "--resource-type", "EBS", "--key-manager", "CUSTOMER"],
        ["--no-color", "--key-state", "Enabled"],
    ],
)
def test_no_click_rich_or_yaml_in_any_format_of_the_quick_form(extra: list[str]) -> None:
    modules = _modules(["check", "--key-policy", "examples/seed-key-policy.json", *QUICK, *extra])
    assert "copyguard.checks.runner" in modules
    heavy = [n for n in ("click", "rich", "yaml", "jinja2", "boto3", "moto") if _loaded(modules, n)]
    assert heavy == []


def test_a_passing_policy_renders_no_diff_and_lints_nothing() -> None:
    """The fixed seed policy passes: no fix, so no diff (``difflib``); it has no IAM-only
    condition key, so KMS's rejection lint does not run (no condition-key catalogue)."""
    modules = _modules(
        [
            "check",
            "--key-policy",
            "examples/seed-key-policy-fixed.json",
            *QUICK,
            "--format",
            "json",
        ],
        expected=0,
    )
    assert "copyguard.checks.runner" in modules
    assert "copyguard.fixes.key_policy" in modules
    extra = [name for name in (*NOT_NEEDED, "difflib") if _loaded(modules, name)]
    assert extra == []


def test_colour_asked_for_brings_rich_but_not_click() -> None:
    """``--color``: the text renderer colours through rich (imported only then); still no click."""
    modules = _modules(
        ["check", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--color"]
    )
    assert _loaded(modules, "rich")
    assert not _loaded(modules, "click")
    assert not _loaded(modules, "yaml")


def test_a_scenario_file_still_reads_yaml() -> None:
    """The YAML parser is imported when the input is YAML: lazily, not removed."""
    modules = _modules(["check", "examples/seed-failing.yaml", "--format", "json"])
    assert "yaml" in modules
    assert "click" in modules  # not the quick form: the click command answers
    assert not _loaded(modules, "copyguard.knowledge.errors")
