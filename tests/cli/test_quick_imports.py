"""The quick form (``check --key-policy ... --format json``) imports only what it needs: no
YAML parser (the knowledge data and the rule catalogue are read from their compiled JSON
twins), no error-message catalogue (only ``explain`` uses it), no rich, no Jinja2 and no
other report format. A deterministic check of the module set, not a timing test (the
timing is bench/bench_quick_check.py's)."""

from __future__ import annotations

import subprocess
import sys

from cg_cli import QUICK, REPO, env

WRAPPER = """
import atexit, sys
def _report():
    sys.stderr.write("\\nMODULES:" + ",".join(sorted(sys.modules)) + "\\n")
atexit.register(_report)
sys.argv = ["copyguard", *{args!r}]
from copyguard.cli.main import main
main()
"""

NOT_NEEDED = (
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
)


def _modules(args: list[str]) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(args=args)],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the seed policy fails (CG101)
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


def test_a_scenario_file_still_reads_yaml() -> None:
    """The YAML parser is imported when the input is YAML: lazily, not removed."""
    modules = _modules(["check", "examples/seed-failing.yaml", "--format", "json"])
    assert "yaml" in modules
    assert not _loaded(modules, "copyguard.knowledge.errors")
