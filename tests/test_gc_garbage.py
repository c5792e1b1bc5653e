"""What makes it safe for a command-line check to switch the cyclic collector off
(``copyguard._gcpolicy.hold_for_process``): reading its input, checking it, building its fixes
and writing the report in any format make no cyclic garbage that grows with the input. Only
reference counting frees memory in such a process; a reference cycle made per copy, key or
finding would stay until the process exits.

One child process runs the command lines (``check`` in every format and ``fix`` in every kind
on a JSON scenario, YAML scenarios read from the parser's events and through the node graph,
Terraform plans, the quick form) through the console entry point, each three times: on
a scenario of 100 copies (what is made once per process is made there: modules imported on
first use, and the generic methods of record classes, replaced by their compiled form on their
first call here: ``records.SPECIALISE_AFTER`` set to 1), on one of 20 copies and on the one of
100 again; after each run it counts what the collector finds unreachable (``gc.collect()``).
The last two counts must be equal. CloudFormation templates and a CDK cloud assembly, which
no generator here grows, are checked three times each: the last two runs leave nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from copyguard.cli.fix import AS_CHOICES
from repo_scripts import check_scale_bench, repo_script

REPO = Path(__file__).resolve().parent.parent
CFN = REPO / "examples" / "iac" / "cloudformation"
CDK = REPO / "examples" / "iac" / "cdk"

CHILD = """
import contextlib, gc, io, json, sys
from copyguard import records
from copyguard.cli.quick import main
records.SPECIALISE_AFTER = records.METHOD_SPECIALISE_AFTER = 1
runs = json.loads(sys.argv[1])
counts, codes = [], []
for args in runs:
    code = 0
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
    codes.append(code)
    counts.append(gc.collect())
print(json.dumps([gc.isenabled(), counts, codes]))
"""

FORMATS = ("json", "sarif", "text", "markdown", "html")
SIZE = ["--max-input-size", "10M"]


def _merged_yaml(doc: dict[str, Any], path: Path) -> None:
    """The scenario in YAML, every copy's lifecycle merged (``<<``) from the first copy's:
    read through PyYAML's node graph, not the parser's events."""
    lifecycle = doc["copies"][0]["lifecycle"]
    for i, copy in enumerate(doc["copies"]):
        copy["lifecycle"] = lifecycle if i == 0 else {"<<": lifecycle}
    text = yaml.safe_dump(doc, sort_keys=False).replace("'<<': *", "<<: *")  # a merge key
    assert text.count("<<: *") == len(doc["copies"]) - 1
    path.write_text(text, encoding="utf-8")


def _commands(tmp: Path, n: int) -> list[list[str]]:
    """Every input kind a command-line check reads, at a size of ``n`` copies (``n`` key
    policy statements for the quick form)."""
    bench = check_scale_bench()
    doc = bench.generate(n, 5, "copies")
    scenario, events, merged = tmp / f"s{n}.json", tmp / f"s{n}.yaml", tmp / f"m{n}.yaml"
    bench.write(doc, scenario)
    bench.write(doc, events)
    _merged_yaml(doc, merged)
    plans, _ = repo_script("bench/bench_iac.py").write_inputs(n, 5, 3, tmp / f"iac{n}")
    policy = tmp / f"p{n}.json"
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::111122223333:role/app-{i}"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
        for i in range(n)
    ]
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    out = [["check", str(scenario), "--format", fmt, *SIZE] for fmt in FORMATS]
    out += [["fix", str(scenario), "--as", kind, *SIZE] for kind in AS_CHOICES]
    out += [["check", str(path), "--format", "json", *SIZE] for path in (events, merged)]
    out += [["check", *map(str, plans), "--format", "json", *SIZE]]
    accounts = ["--source-account", "111122223333", "--destination-account", "444455556666"]
    out += [["check", "--key-policy", str(policy), *accounts, "--format", "json"]]
    return out


def _child(runs: list[list[str]], prelude: str = "") -> tuple[bool, list[int], list[int]]:
    """Run ``runs`` in one child process (``CHILD``, after ``prelude``): whether the collector
    was on at the end, the unreachable objects after each run, and each run's exit code."""
    done = subprocess.run(
        [sys.executable, "-c", prelude + CHILD, json.dumps(runs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    enabled, counts, codes = json.loads(done.stdout)
    return enabled, counts, codes


def test_no_cyclic_garbage_grows_with_the_input(tmp_path: Path) -> None:
    small, big = _commands(tmp_path, 20), _commands(tmp_path, 100)
    enabled, counts, codes = _child(big + small + big)
    assert enabled is False  # the runs held the process: the collector was off throughout
    # every run checked its input (verdict fail, or a fix written), none stopped at reading it
    assert all(code in (0, 1) for code in codes), list(zip(codes, big + small + big))
    assert codes.count(1) >= 3 * (len(FORMATS) + 4)
    k = len(small)
    smaller, larger = counts[k : 2 * k], counts[2 * k :]
    for args, a, b in zip(small, smaller, larger, strict=True):
        assert b == a, f"{args[:2]} {args[2:4]}: {a} unreachable at 20 copies, {b} at 100"


def test_the_measure_sees_a_cycle_made_per_fix(tmp_path: Path) -> None:
    """The count above is not blind: a cycle made for every fix the report proves (a closure
    that refers to itself, as ``fixes.key_policy.copy_document`` once was) shows in it."""
    bench = check_scale_bench()
    runs = []
    for n in (20, 100):
        path = tmp_path / f"s{n}.json"
        bench.write(bench.generate(n, 5, "copies"), path)
        runs.append(["fix", str(path), "--as", "json", "--max-input-size", "10M"])
    leak = (
        "import copyguard.fixes.key_policy as kp\n"
        "real = kp.copy_document\n"
        "def copy_document(doc):\n"
        "    def again(v):\n"
        "        return again\n"
        "    again.doc = real(doc)\n"
        "    return again.doc\n"
        "kp.copy_document = copy_document\n"
    )
    _, (_, small, big), codes = _child([runs[1], runs[0], runs[1]], leak)
    assert codes == [0, 0, 0]
    assert big > small


def test_templates_and_a_cloud_assembly_leave_nothing_behind() -> None:
    """The IaC inputs the bench cannot grow (``examples/iac``: CloudFormation templates with
    their parameters, a CDK cloud assembly): checked again in the same process, a run leaves
    nothing for the collector at all."""
    source, central = CFN / "source-account.yaml", CFN / "central-account.json"
    cfn = ["check", str(source), str(central), str(CFN / "organization.yaml")]
    cfn += ["--account", f"{source}=111122223333", "--account", f"{central}=444455556666"]
    cfn += ["--region", "us-east-1", "--parameters", f"{source}={CFN / 'source-parameters.json'}"]
    cdk = ["check", str(CDK / "cdk.out"), str(CDK / "organization.yaml")]
    runs = [cfn, cdk] * 3
    enabled, counts, codes = _child([[*args, "--format", "json"] for args in runs])
    assert enabled is False
    assert codes == [1, 1] * 3  # both checked: verdict fail
    assert counts[2:] == [0, 0, 0, 0]
