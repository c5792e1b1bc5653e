"""The console entry point's quick path (``cli/quick.py``) against the click command.

Every case runs ``copyguard`` twice as a whole process: once as a user does (the quick path
takes the quick form) and once with ``COPYGUARD_QUICK_PATH=0`` (every command line through
click). Standard output, standard error and the exit code must be byte for byte the same, over
a corpus of key policies (the examples, the key policies of the test scenarios, hostile and
broken files) and option combinations (every format the quick path serves, both languages,
colour, the ``--opt=value`` form, standard input, and the input errors that exit 2). Each run
also reports whether click was imported, so the test knows which path answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cg_cli import DST, EXAMPLES, REPO, SCENARIOS, SRC, env, run_entry_point

from copyguard.cli import quick

SEED = str(EXAMPLES / "seed-key-policy.json")
FIXED = str(EXAMPLES / "seed-key-policy-fixed.json")
RDS = str(REPO / "tests" / "data" / "policies" / "rds-orders-key-policy.json")
ARN = f"arn:aws:kms:eu-west-1:{SRC}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASE = ["--source-account", SRC, "--destination-account", DST]


def _run(args: list[str], tmp_path: Path, *, click: bool, stdin: bytes | None, lang: str) -> Any:
    return run_entry_point(
        args, tmp_path, env(lang), click=click, stdin=stdin if stdin is not None else b""
    )


def _compare(
    args: list[str],
    tmp_path: Path,
    *,
    stdin: bytes | None = None,
    lang: str = "en",
    expect_quick: bool = True,
) -> tuple[int, bytes, bytes]:
    fast = _run(args, tmp_path, click=False, stdin=stdin, lang=lang)
    slow = _run(args, tmp_path, click=True, stdin=stdin, lang=lang)
    assert slow[3] == "click"
    assert fast[3] == ("quick" if expect_quick else "click"), args
    assert b"Traceback" not in fast[2], fast[2].decode(errors="replace")
    assert fast[0] == slow[0], (args, fast[2], slow[2])
    assert fast[2] == slow[2], args
    assert fast[1] == slow[1], args
    return fast[0], fast[1], fast[2]


# (id, arguments after "check", expected exit code, text expected on stdout or stderr)
CASES: list[tuple[str, list[str], int, str]] = [
    ("seed-text", ["--key-policy", SEED, *BASE], 1, "CG101"),
    ("seed-json", ["--key-policy", SEED, *BASE, "--format", "json"], 1, '"verdict": "fail"'),
    ("seed-sarif", ["--key-policy", SEED, *BASE, "--format", "sarif"], 1, '"ruleId": "CG101"'),
    ("seed-markdown", ["--key-policy", SEED, *BASE, "--format", "markdown"], 1, "CG101"),
    ("seed-zh", ["--key-policy", SEED, *BASE, "--lang", "zh"], 1, "CG101"),
    (
        "seed-md-zh",
        ["--key-policy", SEED, *BASE, "--format", "markdown", "--lang", "zh"],
        1,
        "CG101",
    ),
    ("seed-color", ["--key-policy", SEED, *BASE, "--color"], 1, "\x1b["),
    ("seed-no-color", ["--key-policy", SEED, *BASE, "--no-color"], 1, "CG101"),
    (
        "seed-equals-form",
        [
            f"--key-policy={SEED}",
            f"--source-account={SRC}",
            f"--destination-account={DST}",
            "--format=json",
        ],
        1,
        '"verdict"',
    ),
    (
        "seed-all-options",
        [
            "--key-state",
            "Enabled",
            "--key-manager",
            "customer",
            "--resource-type",
            "EBS",
            "--key-arn",
            ARN,
            *BASE,
            "--key-policy",
            SEED,
        ],
        1,
        "--key-manager CUSTOMER",
    ),
    (
        "seed-aws-managed",
        ["--key-policy", SEED, *BASE, "--key-manager", "AWS", "--resource-type", "EBS"],
        1,
        "CG102",
    ),
    (
        "seed-s3-aws-key",
        ["--key-policy", SEED, *BASE, "--key-manager", "aws", "--resource-type", "S3"],
        0,  # S3 is fully managed by AWS Backup: an AWS managed key can be shared
        "PASS",
    ),
    (
        "seed-disabled",
        ["--key-policy", SEED, *BASE, "--key-state", "disabled", "--format", "json"],
        1,
        "CG103",
    ),
    (
        "seed-unknown-type",
        ["--key-policy", SEED, *BASE, "--resource-type", "NotAType"],
        1,
        "NotAType",
    ),
    ("fixed-text", ["--key-policy", FIXED, *BASE], 0, "PASS"),
    (
        "fixed-sarif",
        ["--key-policy", FIXED, *BASE, "--format", "sarif", "--key-arn", ARN],
        0,
        "sarif",
    ),
    (
        "rds-json",
        ["--key-policy", RDS, *BASE, "--resource-type", "RDS", "--format", "json"],
        1,
        '"verdict"',
    ),
    # input errors: the same message, exit 2
    ("missing-file", ["--key-policy", "does-not-exist.json", *BASE], 2, "does-not-exist.json"),
    ("directory", ["--key-policy", "examples", *BASE], 2, "copyguard: error:"),
    (
        "bad-account",
        ["--key-policy", SEED, "--source-account", "12345", "--destination-account", DST],
        2,
        "12-digit",
    ),
    (
        "same-account",
        ["--key-policy", SEED, "--source-account", SRC, "--destination-account", SRC],
        2,
        "cross-account",
    ),
    ("no-destination", ["--key-policy", SEED, "--source-account", SRC], 2, "--destination-account"),
    ("bad-key-arn", ["--key-policy", SEED, *BASE, "--key-arn", "arn:aws:kms:x"], 2, "--key-arn"),
    (
        "key-arn-other-account",
        ["--key-policy", SEED, *BASE, "--key-arn", ARN.replace(SRC, DST)],
        2,
        "--key-arn",
    ),
    ("bad-key-state", ["--key-policy", SEED, *BASE, "--key-state", "Sleeping"], 2, "--key-state"),
    (
        "hostile-account",
        [
            "--key-policy",
            SEED,
            "--source-account",
            "1111\x1b[31m22223333",
            "--destination-account",
            DST,
        ],
        2,
        "copyguard: error:",
    ),
    # not the quick form: click answers in both runs (usage errors, help, other options)
    ("help", ["--help"], 0, "--key-policy"),
    ("html", ["--key-policy", SEED, *BASE, "--format", "html"], 1, "<html"),
    ("bad-format", ["--key-policy", SEED, *BASE, "--format", "yaml"], 2, "Invalid value"),
    ("repeated", ["--key-policy", SEED, "--key-policy", SEED, *BASE], 1, "CG101"),
    (
        "principal",
        ["--key-policy", SEED, *BASE, "--principal", "slr"],
        1,
        "AWSServiceRoleForBackup",
    ),
    (
        "dash-value",
        ["--key-policy", SEED, "--source-account", "-x", "--destination-account", DST],
        2,
        "copyguard: error:",
    ),
    ("unknown-option", ["--key-policy", SEED, *BASE, "--bogus"], 2, "No such option"),
    ("missing-value", ["--key-policy", SEED, *BASE, "--key-arn"], 2, "requires an argument"),
    ("bad-key-manager", ["--key-policy", SEED, *BASE, "--key-manager", "BOTH"], 2, "Invalid value"),
]
NOT_QUICK = {
    "help",
    "html",
    "bad-format",
    "repeated",
    "principal",
    "dash-value",
    "unknown-option",
    "missing-value",
    "bad-key-manager",
}


@pytest.mark.parametrize(
    ("args", "code", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_quick_path_matches_click(
    args: list[str], code: int, needle: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    case = request.node.callspec.id
    lang = "zh" if case.endswith("zh") else "en"
    rc, out, err = _compare(
        ["check", *args], tmp_path, lang=lang, expect_quick=case not in NOT_QUICK
    )
    assert rc == code, err.decode(errors="replace")
    assert needle.encode() in out + err


def _hostile_policies(tmp_path: Path) -> dict[str, bytes]:
    seed = json.loads(Path(SEED).read_text(encoding="utf-8"))
    control = json.loads(json.dumps(seed))
    control["Statement"][1]["Sid"] = "Allow\x1b[2Juse\u202eof the key"  # escapes, bidi override
    deny = json.loads(Path(FIXED).read_text(encoding="utf-8"))
    deny["Statement"].append(
        {
            "Sid": "DenyOthers",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": [f"arn:aws:iam::{SRC}:root"]},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    conditioned = json.loads(Path(FIXED).read_text(encoding="utf-8"))
    for st in conditioned["Statement"][1:]:
        st["Condition"] = {"StringEquals": {"kms:ViaService": "backup.eu-west-1.amazonaws.com"}}
    iam_only = json.loads(Path(FIXED).read_text(encoding="utf-8"))
    iam_only["Statement"][1]["Condition"] = {"StringEquals": {"iam:PassedToService": "backup"}}
    return {
        "control-chars.json": json.dumps(control).encode(),
        "deny-notprincipal.json": json.dumps(deny, indent=2).encode(),
        "via-service.json": json.dumps(conditioned, indent=1).encode(),
        "iam-only-condition.json": json.dumps(iam_only).encode(),
        "not-json.json": b'{"Version": "2012-10-17", "Statement": [',
        "not-utf8.json": b'{"Version": "2012-10-17", "Statement": [], "Id": "\xff\xfe"}',
        "empty.json": b"",
        "wrong-types.json": b'{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps", "Principal": 7, "Action": []}]}',
        "bom.json": b"\xef\xbb\xbf" + Path(SEED).read_bytes(),
        "too-big.json": b'{"Id": "' + b"x" * (40 * 1024) + b'"}',
    }


@pytest.mark.parametrize("name", sorted(_hostile_policies(Path("."))))
def test_hostile_and_broken_key_policies(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(_hostile_policies(tmp_path)[name])
    for fmt in ("text", "json"):
        rc, _, err = _compare(
            ["check", "--key-policy", str(path), *BASE, "--format", fmt], tmp_path
        )
        assert rc in (0, 1, 2, 3)
        if name in ("not-json.json", "not-utf8.json", "empty.json", "too-big.json"):
            assert rc == 2 and err.startswith(b"copyguard: error:"), err


def test_key_policy_from_standard_input(tmp_path: Path) -> None:
    data = Path(SEED).read_bytes()
    rc, out, _ = _compare(
        ["check", "--key-policy", "-", *BASE, "--format", "json"], tmp_path, stdin=data
    )
    assert rc == 1 and b"CG101" in out
    rc, _, err = _compare(["check", "--key-policy", "-", *BASE], tmp_path, stdin=b"\xff")
    assert rc == 2 and b"<stdin>" in err


def _scenario_key_policies() -> list[tuple[str, dict[str, Any]]]:
    """The inline key policies of the test scenarios (one per distinct document)."""
    seen: set[str] = set()
    found: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, key in enumerate((doc or {}).get("keys") or []):
            policy = key.get("policy") if isinstance(key, dict) else None
            text = json.dumps(policy, sort_keys=True)
            if isinstance(policy, dict) and text not in seen:
                seen.add(text)
                found.append((f"{path.stem}-{i}", policy))
    return found


SCENARIO_POLICIES = _scenario_key_policies()


def test_the_scenario_corpus_is_not_empty() -> None:
    assert len(SCENARIO_POLICIES) >= 10


@pytest.mark.parametrize(
    ("name", "policy"), SCENARIO_POLICIES, ids=[n for n, _ in SCENARIO_POLICIES]
)
def test_scenario_key_policies(name: str, policy: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(policy, indent=2), encoding="utf-8")
    fmt = ("text", "json", "sarif", "markdown")[len(name) % 4]
    extra = ["--resource-type", "EBS", "--key-manager", "CUSTOMER"] if len(name) % 2 else []
    rc, _, _ = _compare(
        ["check", "--key-policy", str(path), *BASE, "--format", fmt, *extra], tmp_path
    )
    assert rc in (0, 1, 2, 3)


# --- the hand-check of the command line, without processes ---------------------------------


def test_fix_options_follow_the_click_commands_parameter_order() -> None:
    """The ``copyguard fix`` line a report names lists options in ``check``'s order."""
    import click

    from copyguard.cli.check import check
    from copyguard.cli.fix import fix

    fix_opts = {p.name for p in fix.params if isinstance(p, click.Option)}
    names = [p.name for p in check.params if p.name in dict(quick.FIX_OPTIONS)]
    assert names == [name for name, _ in quick.FIX_OPTIONS]
    assert set(names) <= fix_opts
    flags = {p.name: p.opts for p in check.params}
    for name, flag in quick.FIX_OPTIONS:
        assert flags[name] == [flag]
    for flag, name in quick.VALUE_OPTIONS.items():
        assert flag in flags[name]


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["fix", "--key-policy", "k.json"],
        ["check"],
        ["check", "scenario.yaml"],
        ["check", "--source-account", SRC],
        ["check", "--key-policy", "k.json", "--help"],
        ["check", "--key-policy", "k.json", "-o", "out.txt"],
        ["check", "--key-policy", "k.json", "--output", "out.txt"],
        ["check", "--key-policy", "k.json", "--format", "html"],
        ["check", "--key-policy", "k.json", "--format", "JSON"],
        ["check", "--key-policy", "k.json", "--lang", "fr"],
        ["check", "--key-policy", "k.json", "--key-manager", "CUſTOMER"],
        ["check", "--key-policy", "k.json", "--key-policy", "k.json"],
        ["check", "--key-policy", "k.json", "--color", "--no-color"],
        ["check", "--key-policy", "k.json", "--color=yes"],
        ["check", "--key-policy", "k.json", "--key-arn"],
        ["check", "--key-policy", "k.json", "--key-arn", ""],
        ["check", "--key-policy="],
        ["check", "--key-policy", "--format"],
        ["check", "--key-policy", "k.json", "--round-trip"],
        ["check", "--key-policy", "k.json", "--context", "a=b"],
        ["check", "--key-policy", "k.json", "--max-input-size", "1M"],
        ["check", "--key-policy", "k.json", "--", "x"],
        ["check", "--key-policy", "k.json", "--key"],
    ],
)
def test_anything_but_the_quick_form_goes_to_click(args: list[str]) -> None:
    assert quick.parse_quick(args) is None


def test_the_quick_form_is_recognised() -> None:
    got = quick.parse_quick(
        [
            "check",
            "--key-policy=-",
            "--source-account",
            SRC,
            "--key-manager",
            "aws",
            "--format",
            "sarif",
            "--no-color",
            "--lang",
            "zh",
        ]
    )
    assert got == {
        "key_policy": "-",
        "source_account": SRC,
        "key_manager": "AWS",
        "fmt": "sarif",
        "color": False,
        "lang": "zh",
    }
    assert quick.fix_command_line(got) == (
        f"copyguard fix --key-policy - --source-account {SRC} --key-manager AWS --as cli"
    )


def test_the_environment_can_turn_the_quick_path_off() -> None:
    assert not quick.quick_allowed({quick.FORCE_CLICK_ENV: "0"})
    assert not quick.quick_allowed({"_COPYGUARD_COMPLETE": "bash_complete"})
    assert quick.quick_allowed({}) == (
        os.name != "nt"
        and quick._plain_text_stream(sys.stdout)
        and quick._plain_text_stream(sys.stderr)
    )


def test_a_reader_that_goes_away_gets_the_same_exit_on_both_paths() -> None:
    """A closed pipe on standard output: click's main turns it into exit 1, quietly."""
    results = []
    for click in (False, True):
        environ = env()
        if click:
            environ[quick.FORCE_CLICK_ENV] = "0"
        proc = subprocess.Popen(
            [sys.executable, "-m", "copyguard", "check", "--key-policy", SEED, *BASE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=environ,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before the report is written
        err = proc.stderr.read()
        proc.stderr.close()
        results.append((proc.wait(timeout=120), err))
    assert results[0] == results[1]
    assert results[0][0] == 1 and b"Traceback" not in results[0][1]
