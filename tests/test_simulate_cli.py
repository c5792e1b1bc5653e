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
        encoding="utf-8",
        env=full_env,
        cwd=cwd,
        check=False,
        timeout=120,
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
        text_lines.append("")  # a blank line is answered too (an error line)
    text_lines.append(json.dumps(good[1]))
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(text_lines) + "\n", encoding="utf-8")
    proc = run(["--batch", str(batch)])
    assert proc.returncode == 2
    out = lines_of(proc)
    assert len(out) == len(text_lines)  # one output line per input line
    assert out[0] == {"id": "good-1", "decision": "allowed"}
    assert out[-1] == {"id": "good-2", "decision": "explicit_deny"}
    for i, (bad, words) in enumerate(BAD_LINES):
        result, blank = out[1 + 2 * i], out[2 + 2 * i]
        assert "decision" not in result
        assert words in result["error"], (bad[:80], result)
        assert result["line"] == 2 + 2 * i
        assert blank == {"id": None, "error": blank["error"], "line": 3 + 2 * i}
        assert "empty line" in blank["error"]
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


def test_batch_not_utf8_is_an_error_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    batch = tmp_path / "latin1.jsonl"
    batch.write_bytes(b'{"id": "\xff"}\n' + json.dumps(request("after")).encode() + b"\n")
    proc = run(["--batch", str(batch)])
    assert proc.returncode == 2
    out = lines_of(proc)
    assert out[0]["id"] is None and out[0]["line"] == 1 and "UTF-8" in out[0]["error"]
    assert out[1] == {"id": "after", "decision": "allowed"}


def test_batch_cannot_mix_with_single_form() -> None:
    proc = run(["--batch", "-", "--key-policy", "x.json"], stdin="")
    assert proc.returncode == 2 and "cannot be combined" in proc.stderr


def test_empty_batch() -> None:
    proc = run(["--batch", "-"], stdin="")
    assert proc.returncode == 0 and proc.stdout == ""


def test_blank_lines_are_answered() -> None:
    proc = run(["--batch", "-"], stdin="\n \t\n")
    assert proc.returncode == 2
    assert [(r["id"], r["line"], "empty line" in r["error"]) for r in lines_of(proc)] == [
        (None, 1, True),
        (None, 2, True),
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
    assert big.returncode == 2 and "32,768 bytes" in big.stderr
    for device in ("/dev/zero", "/dev/urandom"):  # endless input: refused at the limit
        if Path(device).exists():
            endless = run(
                ["--key-policy", device, "--principal", DEST_ROLE, "--action", "kms:Decrypt"]
            )
            assert endless.returncode == 2 and "32,768 bytes" in endless.stderr


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
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
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
    from copyguard.evaluate.batch import split_line

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
    from copyguard.evaluate.batch import split_line

    assert split_line(line) is None


def test_policy_cache_reuses_and_evicts() -> None:
    from copyguard.evaluate.batch import PolicyCache, cache_cost
    from copyguard.policy import PolicyError

    text = json.dumps({**KEY_POLICY, "Id": "0"}, separators=(",", ":"), ensure_ascii=False)
    cache = PolicyCache(max_bytes=2 * cache_cost(text))  # room for two such documents
    first = cache.get(KEY_POLICY, "key_policy", "key")
    assert cache.get(json.loads(json.dumps(KEY_POLICY)), "key_policy", "key") is first
    for i in range(3):
        cache.get({**KEY_POLICY, "Id": str(i)}, "key_policy", "key")
    assert len(cache.entries) == 2
    assert cache.get(KEY_POLICY, "key_policy", "key") is not first  # evicted, parsed again
    bad = {"Statement": [{"Effect": "Maybe"}]}
    for _ in range(2):
        with pytest.raises(PolicyError):
            cache.get(bad, "identity_policies[0]", "identity")


def test_flushes_keep_order_and_line_numbers(tmp_path: Path) -> None:
    """Output flushed every few lines (run in a fresh process) keeps order and numbering."""
    lines = [json.dumps(request(f"r{i}")) if i % 4 else "{broken" for i in range(10)]
    batch = tmp_path / "blocks.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from copyguard.evaluate import batch\n"
        "batch.FLUSH_LINES = 3\n"
        f"with open({str(batch)!r}, 'rb') as fh:\n"
        "    stats = batch.run_batch(fh, sys.stdout.buffer)\n"
        "sys.exit(2 if stats.errors else 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    results = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r.get("line") for r in results if "error" in r] == [1, 5, 9]
    assert [r["id"] for r in results if "decision" in r] == [f"r{i}" for i in range(10) if i % 4]


# ------------------------------------------- batch robustness: bytes in, one line out each


def run_bytes(
    args: list[str], stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[int, bytes, str]:
    """The CLI with raw bytes in and out (the locale decides nothing)."""
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", "simulate", *args],
        input=stdin,
        capture_output=True,
        env=env if env is not None else dict(os.environ),
        check=False,
        timeout=120,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode in (0, 2), (proc.returncode, err)
    return proc.returncode, proc.stdout, err


def c_locale_env(**extra: str) -> dict[str, str]:
    """A bare C locale: no UTF-8 locale, no PYTHONIOENCODING, no UTF-8 mode."""
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LC_")
        and k not in ("LANG", "LANGUAGE", "PYTHONIOENCODING", "PYTHONUTF8")
    }
    out.update({"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}, **extra)
    return out


def parse_output(stdout: bytes) -> list[dict[str, Any]]:
    text = stdout.decode("utf-8")  # strict: the output is always valid UTF-8
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.split("\n")[:-1]]


def hostile_batch() -> tuple[bytes, list[str]]:
    """Lines that once stopped or garbled the batch, each with what its answer must be."""
    good = json.dumps(request("good"))
    lines: list[tuple[bytes, str]] = [
        (good.encode(), "decision"),
        (b'{"id": "latin-1 \xe9t\xe9"}', "error:UTF-8"),  # not UTF-8
        (b"\xff\xfe{}", "error:UTF-8"),
        (json.dumps(request("\ud800-lone")).encode(), "decision"),  # lone surrogate id
        (json.dumps(request("\udcff")).encode(), "decision"),  # a lone surrogate id, echoed
        (good.replace(", ", ",\r ").encode(), "decision"),  # bare CR between tokens: one line
        (b'{"id": "cr\rinside"}', "error:invalid JSON"),  # bare CR in a string: one line
        (json.dumps(request("sep\u2028\u0085"), ensure_ascii=False).encode(), "decision"),
        (b"", "error:empty line"),
        (b"   \r", "error:empty line"),
        (b'{"id": NaN, "principal": "p"}', "error:invalid JSON"),
        (b'{"id": ' + b"9" * 5000 + b"}", "error:invalid JSON"),
        (json.dumps({**request("x"), "id": 1e308}).replace("1e+308", "1e999").encode(), "error:"),
        (json.dumps({k: v for k, v in request("x").items() if k != "id"}).encode(), "decision"),
        ('{"id": "\u00e9t\u00e9 \U0001f600", "principal": 5}'.encode(), "error:principal"),
        (b"\x00\x01", "error:invalid JSON"),
        (good.encode(), "decision"),
    ]
    return b"\n".join(line for line, _ in lines), [want for _, want in lines]


def check_answers(stdout: bytes, wants: list[str]) -> list[dict[str, Any]]:
    out = parse_output(stdout)
    assert len(out) == len(wants), (len(out), len(wants), out)
    for i, (result, want) in enumerate(zip(out, wants), 1):
        if want == "decision":
            assert "decision" in result and "error" not in result, (i, result)
        else:
            assert "error" in result and result["line"] == i, (i, result)
            assert want[len("error:") :] in result["error"], (i, result)
    assert out[0]["id"] == out[-1]["id"] == "good"
    return out


@pytest.mark.parametrize("source", ["file", "stdin"])
@pytest.mark.parametrize(
    "locale_env",
    [
        {},
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "latin-1:strict"},
        {"LC_ALL": "en_US.ISO-8859-1"},
    ],
    ids=["C", "ioencoding-ascii", "ioencoding-latin1", "latin1-locale"],
)
def test_hostile_lines_each_get_one_answer_in_any_locale(
    tmp_path: Path, source: str, locale_env: dict[str, str]
) -> None:
    data, wants = hostile_batch()
    env = c_locale_env(**locale_env)
    if source == "file":
        batch = tmp_path / "hostile.jsonl"
        batch.write_bytes(data)  # no final newline: the last line still counts
        code, stdout, _ = run_bytes(["--batch", str(batch)], env=env)
    else:
        code, stdout, _ = run_bytes(["--batch", "-"], stdin=data + b"\n", env=env)
    assert code == 2
    out = check_answers(stdout, wants)
    assert out[3]["id"] == "\ud800-lone" and out[4]["id"] == "\udcff"
    assert b"\\udcff" in stdout  # written as escapes, never as invalid UTF-8
    assert out[7]["id"] == "sep\u2028\u0085"
    assert out[13]["id"] is None  # no id: still one answer


def test_final_newline_adds_no_line_and_crlf_ends_a_line() -> None:
    one = json.dumps(request("one")).encode()
    for data, n in [(one, 1), (one + b"\n", 1), (one + b"\r\n", 1), (one + b"\n\n", 2)]:
        _, stdout, _ = run_bytes(["--batch", "-"], stdin=data)
        assert len(parse_output(stdout)) == n, data[-4:]


def test_overlong_line_is_answered_and_skipped(tmp_path: Path) -> None:
    big = json.dumps(request("big", context={"kms:EncryptionContext:x": "y" * 5000}))
    lines = [json.dumps(request("a")), big, json.dumps(request("b"))]
    batch = tmp_path / "long.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, stdout, _ = run_bytes(["--batch", str(batch), "--max-line-bytes", "3000"])
    out = parse_output(stdout)
    assert code == 2 and [r["id"] for r in out] == ["a", None, "b"]
    assert "line too long" in out[1]["error"] and str(len(big)) in out[1]["error"]
    assert "3000" in out[1]["error"] and out[1]["line"] == 2


def pathological_request(rid: str) -> dict[str, Any]:
    """A key policy (under KMS's 32 KiB) of 1,500 wildcard patterns and a context (under the
    1 MiB line limit) of 18,000 values: ForAnyValue:StringLike tries every pair, 27 million
    matches, about a minute of CPU time without a limit, however fast one match is."""
    patterns = [f"*a*a*a*a*b{i}" for i in range(1500)]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DEST}:root"},
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringLike": {"kms:EncryptionContextKeys": patterns}},
            }
        ],
    }
    values = ["a" * 40 + str(i) for i in range(18000)]
    return request(rid, key_policy=policy, context={"kms:EncryptionContextKeys": values})


@pytest.mark.parametrize("limit", [None, "0.5"])
def test_a_pathological_line_is_stopped_and_the_batch_goes_on(
    tmp_path: Path, limit: str | None
) -> None:
    lines = [request("before"), pathological_request("slow"), request("after")]
    batch = tmp_path / "slow.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    args = ["--batch", str(batch)] + (["--line-time-limit", limit] if limit else [])
    code, stdout, _ = run_bytes(args)  # the helper's own timeout: 120 s
    out = parse_output(stdout)
    assert code == 2
    assert out[0] == {"id": "before", "decision": "allowed"}
    assert out[2] == {"id": "after", "decision": "allowed"}
    assert out[1]["id"] == "slow" and out[1]["line"] == 2
    assert "CPU time" in out[1]["error"] and (limit or "2") + " s" in out[1]["error"]


def test_several_pathological_lines_each_stopped(tmp_path: Path) -> None:
    reqs = [request(f"r{i}") for i in range(8)]
    reqs[2] = pathological_request("slow-a")
    reqs[5] = pathological_request("slow-b")
    batch = tmp_path / "slow.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in reqs), encoding="utf-8")
    code, stdout, _ = run_bytes(["--batch", str(batch), "--line-time-limit", "0.3"])
    out = parse_output(stdout)
    assert code == 2 and [r["id"] for r in out] == [r["id"] for r in reqs]
    assert [r["line"] for r in out if "error" in r] == [3, 6]
    assert all(r["decision"] == "allowed" for r in out if "error" not in r)


# ------------------------------- single form: AWS Backup's service-linked role (issue 7)

SLR = f"arn:aws:iam::{DEST}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
GRANT_CONTEXT = ["kms:ViaService=ec2.us-east-1.amazonaws.com", "kms:GrantIsForAWSResource=true"]


def slr_single(
    files: dict[str, Path], action: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    ctx = [x for c in GRANT_CONTEXT for x in ("--context", c)]
    return single(files, "--key-arn", KEY, *ctx, *extra, principal=SLR, action=action)


def test_slr_without_identity_policy_gets_its_managed_policy(files: dict[str, Path]) -> None:
    proc = slr_single(files, "kms:CreateGrant", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    out = json.loads(proc.stdout)
    assert out["decision"] == "allowed"
    assert any("AWSBackupServiceLinkedRolePolicyForBackup" in n for n in out["notes"])
    text = slr_single(files, "kms:CreateGrant").stdout
    assert (
        "AWSBackupServiceLinkedRolePolicyForBackup" in text and "KMSCreateGrantPermissions" in text
    )
    # the managed policy allows no kms:Decrypt: the answer stays what AWS would say
    assert slr_single(files, "kms:Decrypt").returncode == 1


def test_slr_managed_policy_can_be_left_out_and_says_why(files: dict[str, Path]) -> None:
    proc = slr_single(files, "kms:CreateGrant", "--no-managed-policies", "--format", "json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["decision"] == "implicit_deny"
    assert any(
        "AWSBackupServiceLinkedRolePolicyForBackup" in n and "copyguard check" in n
        for n in out["notes"]
    )


def test_slr_given_identity_policies_are_used_as_given(files: dict[str, Path]) -> None:
    deny_all = files["dir"] / "none.json"
    deny_all.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
        encoding="utf-8",
    )
    proc = slr_single(files, "kms:CreateGrant", "--identity-policy", str(deny_all))
    assert proc.returncode == 1 and "AWSBackupServiceLinkedRolePolicyForBackup" not in proc.stdout


def test_batch_never_adds_the_slr_managed_policy() -> None:
    line = request(
        "slr",
        principal=SLR,
        action="kms:CreateGrant",
        identity_policies=[],
        context={
            "kms:ViaService": "ec2.us-east-1.amazonaws.com",
            "kms:GrantIsForAWSResource": "true",
        },
    )
    proc = run(["--batch", "-"], stdin=json.dumps(line) + "\n")
    assert lines_of(proc) == [{"id": "slr", "decision": "implicit_deny"}]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_line_from_dev_zero_ends_the_batch() -> None:
    code, stdout, _ = run_bytes(["--batch", "/dev/zero"])
    (out,) = parse_output(stdout)
    assert code == 2 and out["line"] == 1 and "no line end" in out["error"]


@pytest.mark.parametrize(
    "option",
    [
        ["--line-time-limit", "nan"],
        ["--line-time-limit", "inf"],
        ["--line-time-limit", "-1"],
        ["--max-line-bytes", "0"],
        ["--max-line-bytes", "1" + "0" * 30],
    ],
)
def test_bad_limit_options_are_usage_errors(option: list[str]) -> None:
    proc = run(["--batch", "-", *option], stdin=json.dumps(request("x")) + "\n")
    assert proc.returncode == 2 and proc.stdout == "" and option[0] in proc.stderr
