"""``copyguard simulate`` through the real command line (subprocess), both forms.

Spec section 2 (batch) and section 1 (exit codes: 0 allowed, 1 denied, 2 bad input; a
traceback is never the answer to bad input).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

KEY_ACCT, DEST = "111122223333", "444455556666"
KEY = f"arn:aws:kms:us-east-1:{KEY_ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEST_ROLE = f"arn:aws:iam::{DEST}:role/BackupCopyRole"
KEY_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{KEY_ACCT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "AllowDestination",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DEST}:root"},
            "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": DEST}},
        },
        {
            "Sid": "DenyDeletion",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:ScheduleKeyDeletion",
            "Resource": "*",
        },
    ],
}
IDENTITY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
}


def run(
    args: list[str],
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", "simulate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 2), (proc.returncode, proc.stderr)
    return proc


def request(rid: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rid,
        "principal": DEST_ROLE,
        "action": "kms:Decrypt",
        "resource": KEY,
        "context": {"kms:CallerAccount": DEST},
        "key_policy": KEY_POLICY,
        "identity_policies": [IDENTITY],
        "scps": [],
        "rcps": [],
    }
    out.update(extra)
    return out


def lines_of(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


# ---------------------------------------------------------------------------- batch

BAD_LINES: list[tuple[str, str]] = [
    ('{"id": "broken", "principal": ', "invalid JSON"),
    ("[1, 2, 3]", "expected a JSON object per line"),
    ('"just a string"', "expected a JSON object per line"),
    ("null", "expected a JSON object per line"),
    (json.dumps(request("no-principal", principal=None)), "principal: expected a non-empty string"),
    (json.dumps(request("empty-action", action="")), "action: expected a non-empty string"),
    (json.dumps(request("wildcard-action", action="kms:*")), "without wildcards"),
    (json.dumps(request("no-colon-action", action="Decrypt")), "service:Action"),
    (json.dumps(request("resource-number", resource=5)), "resource: expected a non-empty string"),
    (
        json.dumps({k: v for k, v in request("no-key-policy").items() if k != "key_policy"}),
        "key_policy: missing",
    ),
    (json.dumps(request("key-policy-null", key_policy=None)), "expected a policy document"),
    (json.dumps(request("key-policy-list", key_policy=[1])), "expected a policy document"),
    (
        json.dumps(
            request(
                "bad-effect",
                key_policy={
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}
                    ],
                },
            )
        ),
        "key_policy: Statement[0].Effect",
    ),
    (json.dumps(request("key-policy-text-broken", key_policy='{"Version": ')), "invalid JSON"),
    (json.dumps(request("context-list", context=["a"])), "context: expected an object"),
    (
        json.dumps(request("context-number", context={"aws:SourceIp": 5})),
        "must be a string or a list",
    ),
    (
        json.dumps(request("context-nested", context={"k:K": ["a", ["b"]]})),
        "must be a string or a list",
    ),
    (
        json.dumps(request("identity-not-list", identity_policies={"Statement": []})),
        "identity_policies: expected a list",
    ),
    (
        json.dumps(
            request(
                "identity-bad", identity_policies=[IDENTITY, {"Statement": [{"Effect": "Allow"}]}]
            )
        ),
        "identity_policies[1]",
    ),
    (
        json.dumps(request("identity-with-principal", identity_policies=[KEY_POLICY])),
        "identity policy cannot contain Principal",
    ),
    (json.dumps(request("scp-null-item", scps=[None])), "scps[0]: expected a policy document"),
    (json.dumps(request("rcp-allow", rcps=[IDENTITY])), "rcps[0]"),
    (json.dumps(request("manager", key_manager="PARTNER")), "key_manager"),
    ("[" * 50000 + "]" * 50000, "nested too deeply"),
    ('{"id": "dup", "id": "dup2", "principal": 1}', "principal"),
]


def test_batch_with_bad_lines_keeps_going_in_order(tmp_path: Path) -> None:
    good = [
        request("good-1"),
        request(
            "good-2",
            action="kms:ScheduleKeyDeletion",
            principal=f"arn:aws:iam::{KEY_ACCT}:role/Admin",
            context={},
        ),
    ]
    text_lines = [json.dumps(good[0])]
    for bad, _ in BAD_LINES:
        text_lines.append(bad)
        text_lines.append("")  # blank lines are skipped
    text_lines.append(json.dumps(good[1]))
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    proc = run(["--batch", str(batch)])
    assert proc.returncode == 2
    out = lines_of(proc)
    assert len(out) == len(BAD_LINES) + 2
    assert out[0] == {"id": "good-1", "decision": "allowed"}
    assert out[-1] == {"id": "good-2", "decision": "explicit_deny"}
    for result, (bad, words) in zip(out[1:-1], BAD_LINES):
        assert "decision" not in result
        assert words in result["error"], (bad[:80], result)
        if result["id"] is None:
            assert isinstance(result["line"], int)
    ids = [r["id"] for r in out]
    assert "no-principal" in ids and "bad-effect" in ids


def test_batch_all_good_exit_zero_and_exact_shape(tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    reqs = [request("a"), request("b", action="kms:Encrypt"), request("c", context={})]
    batch.write_text("".join(json.dumps(r) + "\n" for r in reqs), encoding="utf-8")
    proc = run(["--batch", str(batch)])
    assert proc.returncode == 0 and proc.stderr == ""
    assert lines_of(proc) == [
        {"id": "a", "decision": "allowed"},
        {"id": "b", "decision": "implicit_deny"},  # kms:Encrypt is not in AllowDestination
        {"id": "c", "decision": "allowed"},  # kms:CallerAccount derived from the principal
    ]


def test_derived_caller_account(tmp_path: Path) -> None:
    # kms:CallerAccount is derived from the principal when the request omits it
    proc = run(["--batch", "-"], stdin=json.dumps(request("derived", context={})) + "\n")
    assert lines_of(proc) == [{"id": "derived", "decision": "allowed"}]


def test_batch_from_stdin_with_crlf_and_bom() -> None:
    text = "\ufeff" + "\r\n".join(json.dumps(request(f"r{i}")) for i in range(3)) + "\r\n"
    proc = run(["--batch", "-"], stdin=text)
    assert proc.returncode == 0
    assert [r["id"] for r in lines_of(proc)] == ["r0", "r1", "r2"]


def test_batch_bom_in_file(tmp_path: Path) -> None:
    batch = tmp_path / "bom.jsonl"
    batch.write_bytes(b"\xef\xbb\xbf" + json.dumps(request("x")).encode() + b"\n")
    assert lines_of(run(["--batch", str(batch)])) == [{"id": "x", "decision": "allowed"}]


def test_batch_ids_of_any_json_type_are_echoed() -> None:
    reqs = [
        request(""),
        {**request("x"), "id": 7},
        {**request("x"), "id": None},
        {**request("x"), "id": {"a": [1]}},
        request('\u00e9t\u00e9 "quoted"'),
    ]
    proc = run(["--batch", "-"], stdin="".join(json.dumps(r) + "\n" for r in reqs))
    assert [r["id"] for r in lines_of(proc)] == ["", 7, None, {"a": [1]}, '\u00e9t\u00e9 "quoted"']


def test_batch_explain_and_lint() -> None:
    line = json.dumps(
        request(
            "e",
            key_policy={
                **KEY_POLICY,
                "Statement": [
                    *KEY_POLICY["Statement"],
                    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrpyt", "Resource": "*"},
                ],
            },
        )
    )
    proc = run(["--batch", "-", "--explain", "--lint"], stdin=line + "\n")
    (result,) = lines_of(proc)
    assert result["decision"] == "allowed"
    assert result["summary"] and result["explanation"]["statements"]
    assert result["explanation"]["deciding_statements"]
    assert any(w["code"] == "unknown-action" for w in result["warnings"])


def test_batch_missing_file_and_directory(tmp_path: Path) -> None:
    proc = run(["--batch", str(tmp_path / "nope.jsonl")])
    assert proc.returncode == 2 and "not found" in proc.stderr
    proc = run(["--batch", str(tmp_path)])
    assert proc.returncode == 2 and "directory" in proc.stderr


def test_batch_not_utf8(tmp_path: Path) -> None:
    batch = tmp_path / "latin1.jsonl"
    batch.write_bytes(b'{"id": "\xff"}\n')
    proc = run(["--batch", str(batch)])
    assert proc.returncode == 2 and "UTF-8" in proc.stderr


def test_batch_cannot_mix_with_single_form() -> None:
    proc = run(["--batch", "-", "--key-policy", "x.json"], stdin="")
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr


def test_empty_batch() -> None:
    proc = run(["--batch", "-"], stdin="\n\n")
    assert proc.returncode == 0 and proc.stdout == ""


@pytest.mark.parametrize("workers", ["1", "3"])
def test_parallel_batch_matches_serial(tmp_path: Path, workers: str) -> None:
    lines = []
    for i in range(40):
        if i % 7 == 3:
            lines.append('{"id": "broken"')
        elif i % 11 == 5:
            lines.append(json.dumps(request(f"r{i}", action="kms:Nope*")))
        else:
            action = ["kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "kms:ScheduleKeyDeletion"][
                i % 4
            ]
            lines.append(json.dumps(request(f"r{i}", action=action)))
    batch = tmp_path / "p.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    serial = run(["--batch", str(batch)], env={"COPYGUARD_BATCH_WORKERS": "1"})
    parallel = run(["--batch", str(batch)], env={"COPYGUARD_BATCH_WORKERS": workers})
    assert parallel.stdout == serial.stdout
    assert parallel.returncode == serial.returncode == 2
    out = lines_of(parallel)
    assert len(out) == 40
    assert [r.get("line") for r in out if r.get("id") is None] == [
        i + 1 for i in range(40) if i % 7 == 3
    ]


# --------------------------------------------------------------------------- single


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    kp = tmp_path / "key-policy.json"
    kp.write_text(json.dumps(KEY_POLICY, indent=2), encoding="utf-8")
    ident = tmp_path / "identity.json"
    ident.write_text(json.dumps(IDENTITY), encoding="utf-8")
    return {"kp": kp, "id": ident, "dir": tmp_path}


def single(
    files: dict[str, Path], *extra: str, principal: str = DEST_ROLE, action: str = "kms:Decrypt"
) -> subprocess.CompletedProcess[str]:
    return run(
        [
            "--key-policy",
            str(files["kp"]),
            "--principal",
            principal,
            "--action",
            action,
            "--key-arn",
            KEY,
            *extra,
        ]
    )


def test_single_allowed_text(files: dict[str, Path]) -> None:
    proc = single(
        files, "--identity-policy", str(files["id"]), "--context", f"kms:CallerAccount={DEST}"
    )
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"ALLOWED: {DEST_ROLE} kms:Decrypt on {KEY}")
    assert "why:" in proc.stdout and "AllowDestination" in proc.stdout


def test_single_implicit_deny_text(files: dict[str, Path]) -> None:
    proc = single(files)  # no identity policy: cross-account needs one
    assert proc.returncode == 1
    assert proc.stdout.startswith("DENIED (implicit)")


def test_single_explicit_deny_text(files: dict[str, Path]) -> None:
    proc = single(
        files, principal=f"arn:aws:iam::{KEY_ACCT}:role/Admin", action="kms:ScheduleKeyDeletion"
    )
    assert proc.returncode == 1
    assert proc.stdout.startswith("DENIED (explicit)")
    assert "DenyDeletion" in proc.stdout


def test_single_json(files: dict[str, Path]) -> None:
    proc = single(files, "--identity-policy", str(files["id"]), "--format", "json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["decision"] == "allowed"
    assert out["request"] == {
        "principal": DEST_ROLE,
        "action": "kms:Decrypt",
        "resource": KEY,
        "context": {},
    }
    assert {s["statement"] for s in out["statements"]} >= {
        "Statement[0]",
        "Statement[1]",
        "Statement[2]",
    }
    assert out["warnings"] == [] and isinstance(out["notes"], list)
    assert out["deciding_statements"][0]["sid"] == "AllowDestination"


def test_single_without_key_arn_assumes_the_key_account(files: dict[str, Path]) -> None:
    proc = run(
        [
            "--key-policy",
            str(files["kp"]),
            "--principal",
            f"arn:aws:iam::{KEY_ACCT}:root",
            "--action",
            "kms:Decrypt",
            "--format",
            "json",
        ]
    )
    out = json.loads(proc.stdout)
    assert KEY_ACCT in out["request"]["resource"] and out["decision"] == "allowed"
    assert any("no --key-arn" in n for n in out["notes"])


def test_context_repeated_and_json_list(files: dict[str, Path]) -> None:
    proc = single(
        files,
        "--format",
        "json",
        "--context",
        "aws:PrincipalOrgPaths=o-1/r-1/",
        "--context",
        "aws:PrincipalOrgPaths=o-1/r-2/",
        "--context",
        'kms:EncryptionContextKeys=["a","b"]',
        "--context",
        "kms:CallerAccount=1=2",
    )
    ctx = json.loads(proc.stdout)["request"]["context"]
    assert ctx == {
        "aws:PrincipalOrgPaths": ["o-1/r-1/", "o-1/r-2/"],
        "kms:EncryptionContextKeys": ["a", "b"],
        "kms:CallerAccount": "1=2",
    }


@pytest.mark.parametrize("bad", ["novalue", "=x", "k:K=[1, 2]", "k:K=[unclosed", 'k:K={"a": 1}x'])
def test_bad_context(files: dict[str, Path], bad: str) -> None:
    proc = single(files, "--context", bad)
    if bad.startswith("k:K={"):
        assert proc.returncode in (0, 1)  # a plain string value
        return
    assert proc.returncode == 2 and "--context" in proc.stderr


def test_lint_warnings_text_and_json(files: dict[str, Path]) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["kms:Decrypt", "s3:GetObject"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": "ec2.amazonaws.com"},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            }
        ],
    }
    files["kp"].write_text(json.dumps(policy, indent=2), encoding="utf-8")
    proc = single(files)
    assert "warnings:" in proc.stdout
    assert "ec2.amazonaws.com" in proc.stdout and "line " in proc.stdout
    out = json.loads(single(files, "--format", "json").stdout)
    assert {w["code"] for w in out["warnings"]} == {
        "non-kms-action",
        "viaservice-without-region",
        "key-never-present",
    }
    assert all(w["path"].startswith("Statement[0]") and w["line"] for w in out["warnings"])
    assert json.loads(single(files, "--format", "json", "--no-lint").stdout)["warnings"] == []


def test_key_manager_option(files: dict[str, Path]) -> None:
    rcp = files["dir"] / "rcp.json"
    rcp.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
                ],
            }
        ),
        encoding="utf-8",
    )
    args = ["--identity-policy", str(files["id"]), "--rcp", str(rcp)]
    assert single(files, *args).returncode == 1
    assert single(files, *args, "--key-manager", "aws").returncode == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"Version": "2012-10-17",\n "Statement": [', "key-policy.json:2:"),
        ("", "invalid JSON"),
        ("[]", "must be a JSON object"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}',
            "missing required element Principal",
        ),
        (
            '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringEqualz": {"a:b": "c"}}}}',
            "unknown condition operator",
        ),
    ],
)
def test_malformed_key_policy_file(files: dict[str, Path], content: str, words: str) -> None:
    files["kp"].write_text(content, encoding="utf-8")
    proc = single(files)
    assert proc.returncode == 2
    assert words in proc.stderr and str(files["kp"]) in proc.stderr


def test_key_policy_file_problems(files: dict[str, Path]) -> None:
    missing = run(
        [
            "--key-policy",
            str(files["dir"] / "nope.json"),
            "--principal",
            DEST_ROLE,
            "--action",
            "kms:Decrypt",
        ]
    )
    assert missing.returncode == 2 and "not found" in missing.stderr
    directory = run(
        ["--key-policy", str(files["dir"]), "--principal", DEST_ROLE, "--action", "kms:Decrypt"]
    )
    assert directory.returncode == 2 and "directory" in directory.stderr
    files["kp"].write_bytes(b'{"Version": "\xff"}')
    binary = single(files)
    assert binary.returncode == 2 and "UTF-8" in binary.stderr
    files["kp"].write_text(json.dumps({**KEY_POLICY, "Id": "x" * 40000}), encoding="utf-8")
    big = single(files)
    assert big.returncode == 2 and "32768" in big.stderr


def test_bad_identity_policy_file(files: dict[str, Path]) -> None:
    files["id"].write_text(json.dumps(KEY_POLICY), encoding="utf-8")
    proc = single(files, "--identity-policy", str(files["id"]))
    assert proc.returncode == 2 and "identity policy" in proc.stderr and "Principal" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--principal", DEST_ROLE],
        ["--key-policy", "kp.json", "--action", "kms:Decrypt"],
        ["--format", "yaml"],
        ["--unknown-flag"],
    ],
)
def test_usage_errors(files: dict[str, Path], args: list[str]) -> None:
    proc = run(args, cwd=files["dir"])
    assert proc.returncode == 2 and proc.stderr


@pytest.mark.parametrize(
    ("action", "principal"), [("Decrypt", DEST_ROLE), ("kms:De*", DEST_ROLE), ("kms:Decrypt", "")]
)
def test_bad_request_values(files: dict[str, Path], action: str, principal: str) -> None:
    proc = run(["--key-policy", str(files["kp"]), "--principal", principal, "--action", action])
    assert proc.returncode == 2 and proc.stderr


# ----------------------------------------------------------------- batch internals


def test_batch_path_imports_nothing_heavy(tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps(request("a")) + "\n", encoding="utf-8")
    code = (
        "import sys, io, contextlib\n"
        f"sys.argv = ['copyguard', 'simulate', '--batch', {str(batch)!r}]\n"
        "from copyguard.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('yaml', 'rich', 'boto3', 'botocore', 'moto') or m.startswith('copyguard.knowledge'))\n"
        "print(heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "line",
    [
        json.dumps(request("compact"), separators=(",", ":")),
        json.dumps(request("spaced"), indent=None),
        " \t" + json.dumps(request("padded"), indent=2).replace("\n", " ") + "  \n",
        '{"id": "empty-lists", "principal": "p", "identity_policies": [ ], "scps" : [] }',
    ],
)
def test_split_line_agrees_with_json_loads(line: str) -> None:
    from copyguard.cli.simulate import split_line

    split = split_line(line)
    assert split is not None
    data, raw = split
    assert data == json.loads(line)
    if "key_policy" in data:
        assert json.loads(raw["key_policy"]) == data["key_policy"]
    for field in ("identity_policies", "scps", "rcps"):
        if field in data:
            assert [json.loads(t) for t in raw[field]] == data[field]


@pytest.mark.parametrize(
    "line", ["", "[]", "{", '{"a" 1}', '{"a": 1,}', '{"a": 1} x', '{"scps": [1,]}']
)
def test_split_line_leaves_bad_lines_to_json(line: str) -> None:
    from copyguard.cli.simulate import split_line

    assert split_line(line) is None


def test_policy_cache_reuses_and_evicts() -> None:
    from copyguard.cli.simulate import PolicyCache
    from copyguard.policy import PolicyError

    cache = PolicyCache(key_limit=2, other_limit=2)
    first = cache.get(KEY_POLICY, "key_policy", "key")
    assert cache.get(json.loads(json.dumps(KEY_POLICY)), "key_policy", "key") is first
    for i in range(3):
        cache.get({**KEY_POLICY, "Id": str(i)}, "key_policy", "key")
    assert len(cache.entries["key"]) == 2
    assert cache.get(KEY_POLICY, "key_policy", "key") is not first  # evicted, parsed again
    bad = {"Statement": [{"Effect": "Maybe"}]}
    for _ in range(2):
        with pytest.raises(PolicyError):
            cache.get(bad, "identity_policies[0]", "identity")


def test_batch_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from copyguard.cli.simulate import PARALLEL_MIN_LINES, batch_workers

    monkeypatch.delenv("COPYGUARD_BATCH_WORKERS", raising=False)
    assert batch_workers(10) == 1
    assert batch_workers(PARALLEL_MIN_LINES * 10) >= 1
    monkeypatch.setenv("COPYGUARD_BATCH_WORKERS", "4")
    assert batch_workers(3) == 3
    monkeypatch.setenv("COPYGUARD_BATCH_WORKERS", "1")
    assert batch_workers(10**6) == 1


def test_blocks_keep_order_and_line_numbers(tmp_path: Path) -> None:
    """Blocks of lines, each split between worker processes (run in a fresh process: no
    fork inside the test runner)."""
    lines = [json.dumps(request(f"r{i}")) if i % 4 else "{broken" for i in range(10)]
    batch = tmp_path / "blocks.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = (
        "import io, sys\n"
        "from copyguard.cli import simulate\n"
        "simulate.BLOCK_LINES = 3\n"
        f"with open({str(batch)!r}, encoding='utf-8') as fh:\n"
        "    out = io.StringIO()\n"
        "    rc = simulate.run_batch(fh, out, explain=False)\n"
        "sys.stdout.write(out.getvalue())\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COPYGUARD_BATCH_WORKERS": "2"},
    )
    assert proc.returncode == 2, proc.stderr
    results = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r.get("line") for r in results if "error" in r] == [1, 5, 9]
    assert [r["id"] for r in results if "decision" in r] == [f"r{i}" for i in range(10) if i % 4]
