"""The core layers (policy, evaluate, scenario, knowledge, escape) import no standard-library
module a plain key-policy check does not use (start-up time, GitHub issue 11): each comes in
with the first input that needs it (a date or IP condition, a word to shell-quote, ...)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
POLICY = Path(__file__).resolve().parents[1] / "examples" / "seed-key-policy.json"

#: never imported by the core layers for a plain key-policy check
LAZY = [
    "typing",
    "dataclasses",
    "pathlib",
    "urllib.parse",
    "ipaddress",
    "datetime",
    "hashlib",
    "shlex",
    "unicodedata",
    "contextvars",
    "select",
    "bisect",
    # the core's own parts such a check does not use
    "copyguard.evaluate.lint",
    "copyguard.evaluate.services.resource",
    "copyguard.policy.locate",
    "copyguard.scenario.load",
    "copyguard.knowledge.copy_requirements",
    "copyguard.knowledge.resource_types",
    "copyguard.knowledge.regions",
    "copyguard.knowledge.errors",
    "copyguard.evaluate.operators.date",
    "copyguard.evaluate.operators.ip",
]

PROBE = """
import json, sys
from copyguard.policy import parse_policy
from copyguard.policy.files import read_bounded, decode_utf8, KEY_POLICY_LIMIT
from copyguard.evaluate import Request, evaluate_kms
from copyguard.scenario import UNKNOWN, Copy, Key, Scenario
from copyguard.knowledge import kms_action, kms_action_names
from copyguard.escape import shell_join, json_dumps, visible

path = sys.argv[1]
text = decode_utf8(read_bounded(path, KEY_POLICY_LIMIT, "key policy"), path, "key policy")
policy = parse_policy(text, name=path, kind="key")
key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
answers = [
    evaluate_kms(Request(who, action, key), policy).allowed
    for who in ("111122223333", "arn:aws:iam::444455556666:root")
    for action in ("kms:Decrypt", "kms:CreateGrant")
]
kms_action("kms:Decrypt")
kms_action_names()
out = [shell_join(["copyguard", "fix", "--key-policy", path]), json_dumps([1]), visible("ok")]
loaded = sorted(name for name in json.loads(sys.argv[2]) if name in sys.modules)
{extra}
print(json.dumps(dict(answers=answers, loaded=loaded, after=after)))
"""


def _probe(extra: str = "after = []") -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    code = PROBE.replace("{extra}", extra)
    done = subprocess.run(
        [sys.executable, "-c", code, str(POLICY), json.dumps(LAZY)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_key_policy_check_imports_none_of_them() -> None:
    result = _probe()
    assert result["loaded"] == []
    assert result["answers"] == [True, True, False, False]  # the seed policy's decisions


def test_each_comes_with_the_first_input_that_needs_it() -> None:
    extra = (
        "from copyguard.escape import shell_quote, visible\n"
        "from copyguard.evaluate.operators.date import to_epoch\n"
        "from copyguard.evaluate.operators import FAMILIES\n"
        "assert shell_quote('a b') == \"'a b'\"\n"
        "assert visible('\\u202e') == '\\\\u202e'\n"
        "assert to_epoch('2029-07-04T12:00:00Z') == 1877860800.0\n"
        "assert FAMILIES['IpAddress'].prepare('IpAddress', '10.0.0.0/8', None).prefixlen == 8\n"
        "after = sorted(n for n in ('shlex', 'unicodedata', 'datetime', 'ipaddress')"
        " if n in sys.modules)"
    )
    result = _probe(extra)
    assert result["after"] == ["datetime", "ipaddress", "shlex", "unicodedata"]
