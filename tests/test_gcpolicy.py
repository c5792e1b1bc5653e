"""The garbage-collector policy of a check (``copyguard._gcpolicy``) and the lazy explainer of
a decision (``copyguard.evaluate.explainer``): applied during ``api.check_scenario``, restored
after it however it ends, and without effect on the report."""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from copyguard import _gcpolicy, api, checks
from copyguard.evaluate.engine import explain_policy
from copyguard.evaluate.explainer import Explainer
from copyguard.evaluate.request import Request, build_context, parse_principal
from copyguard.evaluate.services.kms import evaluate_kms
from copyguard.evaluate.services.resource import evaluate_resource_policy
from copyguard.policy import parse_policy
from copyguard.report import render
from copyguard.scenario.load import parse_scenario_text
from repo_scripts import check_scale_bench

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


pytestmark = pytest.mark.usefixtures("clean_gc")

#: at most this many frozen objects freed between freezing and reading the count
_FREED_MEANWHILE = 10_000


def _spy(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    real = checks.run_checks

    def run_checks(*args: Any, **kwargs: Any) -> Any:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        if fail:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "run_checks", run_checks)
    return seen


def _seed() -> Any:
    path = REPO / "examples" / "seed-failing.yaml"
    return parse_scenario_text(path.read_text(encoding="utf-8"), str(path), path.parent)


def test_applied_during_the_check_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    seen = _spy(monkeypatch)
    report = api.check_scenario(_seed())
    assert report.verdict == "fail"
    (thresholds, frozen) = seen[0]
    assert thresholds[:2] == before[:2]
    # the count read in the check may be a little below the one the threshold came from
    # (frozen objects freed meanwhile by pytest-xdist's thread; none added)
    lowest = max(before[2], _gcpolicy.full_threshold(frozen))
    assert (
        lowest
        <= thresholds[2]
        <= max(before[2], _gcpolicy.full_threshold(frozen + _FREED_MEANWHILE))
    )
    assert thresholds[2] >= _gcpolicy.FULL_THRESHOLD
    assert frozen > 1000  # the scenario and everything alive before the check
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_restored_when_the_check_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_threshold()
    seen = _spy(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="boom"):
        api.check_scenario(_seed())
    assert seen and seen[0][1] > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_callers_freeze_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    seen = _spy(monkeypatch)
    api.check_scenario(_seed())
    # frozen objects can be freed meanwhile (pytest-xdist's thread), never added but by a
    # freeze: a second freeze would add the scenario just read, a thaw would leave none
    assert 0 < frozen - _FREED_MEANWHILE < seen[0][1] <= frozen  # not frozen again
    assert (
        0 < frozen - _FREED_MEANWHILE < gc.get_freeze_count() <= frozen
    )  # and not thawed on the way out


def test_nested_runs_restore_once() -> None:
    before = gc.get_threshold()
    with _gcpolicy.check_run():
        raised = gc.get_threshold()
        with _gcpolicy.check_run():
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised  # the inner exit does not restore
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def _scenarios() -> list[tuple[str, str]]:
    out = [(p.name, p.read_text(encoding="utf-8")) for p in EXAMPLES]
    bench = check_scale_bench()
    for shape in ("keys", "vaults", "copies"):
        out.append((f"bench-{shape}", json.dumps(bench.generate(40, 3, shape), indent=1)))
    return out


@pytest.mark.parametrize(("name", "text"), _scenarios(), ids=lambda v: v[:30])
def test_same_report_with_and_without_the_policy(
    name: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def report_json() -> str:
        scenario = parse_scenario_text(text, name, REPO / "examples")
        report = api.check_scenario(scenario)
        return render(report, "json", "en", tool_version="test")

    with_policy = report_json()
    monkeypatch.setattr(api, "check_run", contextlib.nullcontext)
    without = report_json()
    assert with_policy == without
    assert json.loads(with_policy)["findings"] or "pass" in with_policy


# -- the explainer a decision keeps -------------------------------------------------------

SRC, DST = "111122223333", "444455556666"
KEY = f"arn:aws:kms:us-east-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _policy(doc: dict[str, Any], kind: Any) -> Any:
    return parse_policy(json.dumps(doc), name=kind, kind=kind)


KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
            "Action": ["kms:Decrypt", "kms:CreateGrant"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": DST}},
        },
    ],
}
IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
}
SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": DST}},
        }
    ],
}


def _expected(policies: list[Any], request: Request) -> list[dict[str, Any]]:
    principal = parse_principal(request.principal)
    ctx = build_context(request, principal)
    out = []
    for p in policies:
        out += explain_policy(p, principal, request.action, request.resource, ctx)
    return [r.to_dict() for r in out]


@pytest.mark.parametrize(
    "caller",
    [
        f"arn:aws:iam::{DST}:role/copy",
        f"arn:aws:iam::{DST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
    ],
)
def test_kms_explanation_is_every_policy_consulted_in_order(caller: str) -> None:
    key = _policy(KEY_POLICY, "key")
    identity = _policy(IDENTITY, "identity")
    scp = _policy(SCP, "scp")
    request = Request(
        caller, "kms:Decrypt", KEY, {"kms:ViaService": "backup.us-east-1.amazonaws.com"}
    )
    decision = evaluate_kms(request, key, [identity], [scp])
    # the SCP applies to the role, not to the service-linked role
    consulted = [key, identity, scp] if "aws-service-role" not in caller else [key, identity]
    assert [r.to_dict() for r in decision.statements()] == _expected(consulted, request)
    assert len(decision.statements()) == 2 + 1 + (len(consulted) == 3)
    # what the decision keeps for it: the policies and the request, not a context dict
    explainer = decision._explainer
    assert isinstance(explainer, Explainer)
    assert explainer.request is request
    assert not any(isinstance(o, dict) for o in gc.get_referents(explainer))


def test_resource_policy_explanation() -> None:
    vault = _policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ],
        },
        "resource",
    )
    identity = _policy(IDENTITY, "identity")
    request = Request(
        f"arn:aws:iam::{SRC}:role/copy",
        "backup:CopyIntoBackupVault",
        f"arn:aws:backup:us-east-1:{DST}:backup-vault:central",
    )
    decision = evaluate_resource_policy(request, vault, [identity])
    assert [r.to_dict() for r in decision.statements()] == _expected([vault, identity], request)
    alone = evaluate_resource_policy(request, None, [identity])
    assert [r.to_dict() for r in alone.statements()] == _expected([identity], request)


def test_a_command_line_check_switches_the_collector_off() -> None:
    """`copyguard check` checks once and exits: the collector is off from before reading the
    scenario to the process's exit, after the report is written, and nothing is left
    frozen."""
    import subprocess

    code = (
        "import atexit, gc, sys\n"
        "from copyguard.cli.quick import main\n"
        "import copyguard.scenario.load as load\n"
        "real_read = load._parse_scenario_text\n"
        "def read(*a, **k):\n"
        "    sys.stderr.write(f'read:{gc.isenabled()}\\n')\n"
        "    return real_read(*a, **k)\n"
        "load._parse_scenario_text = read\n"
        "atexit.register(lambda: sys.stderr.write("
        "f'exit:{gc.isenabled()}:{gc.get_freeze_count()}\\n'))\n"
        "main(['check', 'examples/seed-failing.yaml', '--format', 'json'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "read:False" in done.stderr
    assert "exit:False:0" in done.stderr  # after rendering: still off, nothing frozen
    assert json.loads(done.stdout)["verdict"] == "fail"
