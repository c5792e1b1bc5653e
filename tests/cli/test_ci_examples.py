"""The CI examples (``examples/ci/``, README "Before deploy"): valid YAML whose copyguard
commands run as written, against the example Terraform plans and CloudFormation templates
laid out where the workflow expects them, and write the SARIF files the workflow uploads."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import EXAMPLES, run

CI = EXAMPLES / "ci"
IAC = EXAMPLES / "iac"


def _github() -> dict[Any, Any]:
    doc = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _steps() -> list[dict[str, Any]]:
    jobs = _github()["jobs"]
    assert list(jobs) == ["copyguard"]
    steps: list[dict[str, Any]] = jobs["copyguard"]["steps"]
    return steps


def _copyguard_lines(script: str) -> list[list[str]]:
    out = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("copyguard "):
            out.append(shlex.split(line.split(" || ")[0]))
    return out


def _github_commands() -> list[list[str]]:
    return [cmd for step in _steps() for cmd in _copyguard_lines(step.get("run", ""))]


def _gitlab_commands() -> list[list[str]]:
    doc = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))
    return [cmd for line in doc["copyguard"]["script"] for cmd in _copyguard_lines(line)]


def _output(cmd: list[str]) -> str:
    return cmd[cmd.index("-o") + 1]


def _lay_out(folder: Path) -> None:
    """The repository the workflow expects, made of the bundled examples."""
    (folder / "backup").mkdir()
    shutil.copy(IAC / "terraform" / "organization.yaml", folder / "backup" / "organization.yaml")
    for side in ("source", "central"):
        shutil.copy(IAC / "terraform" / f"{side}-plan.json", folder / f"{side}-plan.json")
    shutil.copytree(IAC / "cloudformation", folder / "cloudformation")


def test_the_github_workflow_runs_on_pull_requests_and_may_upload_sarif() -> None:
    doc = _github()
    trigger = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in trigger
    assert doc["permissions"]["security-events"] == "write"


def test_every_sarif_file_written_is_uploaded_even_when_the_check_fails() -> None:
    steps = _steps()
    written = {_output(cmd) for cmd in _github_commands()}
    uploads = [
        s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    ]
    assert {s["with"]["sarif_file"] for s in uploads} == written
    assert len({s["with"]["category"] for s in uploads}) == len(uploads)
    for step in uploads:
        assert "!cancelled()" in step["if"]  # runs after a failed step too
    checks = [s for s in steps if _copyguard_lines(s.get("run", ""))]
    for step in checks:
        # the exit code is kept for the last step, not allowed to stop the job before upload
        assert step["run"].lstrip().startswith("set +e"), step
        assert 'echo "code=$?" >> "$GITHUB_OUTPUT"' in step["run"], step
        assert steps.index(step) < min(steps.index(u) for u in uploads)
    last = steps[-1]
    assert "!cancelled()" in last["if"]
    for step in checks:
        assert f"steps.{step['id']}.outputs.code" in json.dumps(last["env"])


def test_the_plans_copyguard_reads_are_the_ones_terraform_show_writes() -> None:
    script = next(s["run"] for s in _steps() if "terraform" in s.get("run", ""))
    sides = re.search(r"for side in ([a-z ]+); do", script)
    assert sides and "plan -input=false -lock=false -out=tfplan" in script
    assert "show -json tfplan > $side-plan.json" in script
    made = {f"{side}-plan.json" for side in sides.group(1).split()}
    read = {a for cmd in _github_commands() for a in cmd if a.endswith("-plan.json")}
    assert read == made


@pytest.mark.parametrize("where", ["github", "gitlab"])
def test_the_copyguard_commands_run_as_written(tmp_path: Path, where: str) -> None:
    commands = _github_commands() if where == "github" else _gitlab_commands()
    assert len(commands) == 2  # Terraform, CloudFormation
    _lay_out(tmp_path)
    for cmd in commands:
        assert cmd[:2] == ["copyguard", "check"]
        result = run(*cmd[1:], cwd=tmp_path)
        # the examples' copies fail (CG101): exit 1, with the report written, not printed
        assert result.code == 1, result
        assert result.out == ""
        sarif = json.loads((tmp_path / _output(cmd)).read_text(encoding="utf-8"))
        assert sarif["version"] == "2.1.0"
        results = sarif["runs"][0]["results"]
        assert any(r["ruleId"] == "CG101" for r in results), results
        located = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in results
            for loc in r.get("locations", [])
        }
        inputs = {a for a in cmd[2:] if a.endswith((".json", ".yaml")) and "=" not in a}
        assert located and located <= inputs | {_output(cmd)}, (located, inputs)


def test_the_two_examples_run_the_same_checks() -> None:
    assert _github_commands() == _gitlab_commands()
