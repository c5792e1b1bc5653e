"""Runs every evaluator case in ``tests/evaluate/cases/*.json``.

Each case is one request in the spec section 2 shape, the decision AWS makes, and why (with
the AWS documentation page that says so). The cases run through the batch code path
(``evaluate_line``) one by one, and all together once through the real CLI.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from copyguard.cli.simulate import evaluate_line

CASES_DIR = Path(__file__).parent / "cases"
TOPICS = (
    "cross-account",
    "same-account",
    "root-delegation",
    "notprincipal",
    "deny-precedence",
    "conditions",
    "variables",
    "scp-rcp",
    "principals",
    "actions-resources",
)
DECISIONS = {"allowed", "implicit_deny", "explicit_deny"}


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            out.append((path.stem, case))
    return out


CASES = load_cases()


def test_every_topic_has_cases() -> None:
    topics = {topic for topic, _ in CASES}
    assert topics == set(TOPICS)
    for topic in TOPICS:
        assert sum(1 for t, _ in CASES if t == topic) >= 8, topic


@pytest.mark.parametrize(("topic", "case"), CASES, ids=[f"{t}:{c['name']}" for t, c in CASES])
def test_case(topic: str, case: dict[str, Any]) -> None:
    assert case["expected"] in DECISIONS
    why = case["why"]
    assert why["reason"].strip()
    assert why["url"].startswith("https://docs.aws.amazon.com/"), why["url"]
    result = evaluate_line(case["request"])
    assert "error" not in result, result.get("error")
    decision = result["_decision"]
    assert result["decision"] == case["expected"], (
        f"{topic}:{case['name']}: expected {case['expected']}, got {result['decision']} "
        f"({decision.summary}); AWS: {why['reason']} {why['url']}"
    )
    explanation = decision.explain()
    assert explanation["decision"] == case["expected"]
    json.dumps(explanation)  # the explanation is JSON-able


def test_all_cases_through_the_cli(tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text(
        "".join(json.dumps(case["request"]) + "\n" for _, case in CASES), encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", "simulate", "--batch", str(batch)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["id"] for line in lines] == [case["request"]["id"] for _, case in CASES]
    for line, (_, case) in zip(lines, CASES):
        assert line["decision"] == case["expected"], case["name"]
