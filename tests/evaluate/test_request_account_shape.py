"""A bare account ID as a request's principal is 12 ASCII digits and nothing else (issue 7):
``\\d`` also matched other scripts' digits (fullwidth ``１``, Arabic-Indic ``٣``) and ``$``
matched before a trailing newline. Such a principal is an error, in the library and as an
error line of a batch; valid principals are decided exactly as before."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest

from copyguard.evaluate import Request, evaluate_kms
from copyguard.evaluate.batch import run_batch
from copyguard.evaluate.request import parse_principal
from copyguard.policy import parse_policy

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
BAD = [
    "１１１１２２２２３３３３",  # fullwidth digits
    "١١١١٢٢٢٢٣٣٣٣",  # Arabic-Indic digits
    ACCOUNT + "\n",
    ACCOUNT + "\r\n",
    "\n" + ACCOUNT,
    "11112222333",  # 11 digits
]


@pytest.mark.parametrize("principal", BAD, ids=repr)
def test_a_principal_that_is_not_an_account_id_is_an_error(principal: str) -> None:
    with pytest.raises(ValueError, match="principal"):
        Request(principal, "kms:Decrypt", KEY)


@pytest.mark.parametrize("principal", BAD[:3], ids=repr)
def test_parse_principal_never_takes_them_for_a_root_user(principal: str) -> None:
    assert parse_principal(principal).kind != "root"


def test_a_valid_account_id_is_still_the_root_user_and_decided_as_before() -> None:
    info = parse_principal(ACCOUNT)
    assert (info.kind, info.account, info.arn) == ("root", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    policy = parse_policy(POLICY, name="key policy", kind="key")
    allow_all = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
        name="identity",
        kind="identity",
    )
    assert evaluate_kms(Request(ACCOUNT, "kms:Decrypt", KEY), policy, [allow_all]).allowed
    other = "arn:aws:iam::444455556666:root"
    assert not evaluate_kms(Request(other, "kms:Decrypt", KEY), policy, [allow_all]).allowed


def _line(principal: str) -> bytes:
    req: dict[str, Any] = {
        "id": principal,
        "principal": principal,
        "action": "kms:Decrypt",
        "resource": KEY,
        "key_policy": POLICY,
    }
    return json.dumps(req).encode() + b"\n"


def test_a_batch_answers_them_with_error_lines_and_goes_on() -> None:
    data = b"".join(_line(p) for p in [*BAD, ACCOUNT])
    out = io.BytesIO()
    stats = run_batch(io.BytesIO(data), out)
    answers = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert stats.lines == len(BAD) + 1 and stats.errors == len(BAD)
    for principal, answer in zip(BAD, answers, strict=False):
        assert answer["id"] == principal
        assert "principal" in answer["error"], answer
        assert "decision" not in answer
    assert answers[-1]["id"] == ACCOUNT and "error" not in answers[-1]


def test_simulate_batch_on_the_command_line_gives_an_error_line() -> None:
    data = _line("１１１１２２２２３３３３") + _line(ACCOUNT + "\n")
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", "simulate", "--batch", "-"],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(answers) == 2, proc.stderr
    assert all(
        "12 ASCII digits" in a["error"] or "control character" in a["error"] for a in answers
    )
