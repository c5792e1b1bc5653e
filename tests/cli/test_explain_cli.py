"""``copyguard explain "MESSAGE"``: every catalogue example maps to its codes, through the real
CLI; the seed article's Chinese console texts; an unknown message says so and exits 3."""

from __future__ import annotations

import re

import pytest
from cg_cli import invoke, run

from copyguard.knowledge import error_catalogue

EXAMPLES = [
    (entry.id, example, entry.codes) for entry in error_catalogue() for example in entry.examples
]


@pytest.mark.parametrize(
    ("entry_id", "message", "codes"),
    EXAMPLES,
    ids=[f"{e}-{i}" for i, (e, _m, _c) in enumerate(EXAMPLES)],
)
def test_every_catalogue_example_is_explained(
    entry_id: str, message: str, codes: tuple[str, ...]
) -> None:
    result = invoke("explain", message, "--format", "json")
    assert result.code == 0, str(result)
    out = result.json()
    assert set(out) >= {"message", "codes", "causes"}
    assert out["message"] == message
    assert set(out["codes"]) == set(codes)
    assert entry_id in [m["id"] for m in out["matched"]]
    if codes:
        assert out["causes"]
    for cause in out["causes"]:
        assert cause["cause"] and isinstance(cause["next_steps"], list)
        assert set(cause["codes"]) <= set(out["codes"])


@pytest.mark.parametrize(
    "message", ["无法访问给定的密钥 ID", "源快照 KMS 密钥不存在、未启用或您无权访问它"]
)
def test_the_seed_articles_chinese_messages(message: str) -> None:
    result = run("explain", message, "--format", "json", "--lang", "zh")
    assert result.code == 0, str(result)
    out = result.json()
    assert out["codes"][0] == "CG101"
    assert {"CG101", "CG102", "CG103", "CG104"} <= set(out["codes"])
    assert re.search(r"[\u4e00-\u9fff]", out["causes"][0]["cause"])
    text = run("explain", message, "--lang", "zh")
    assert text.code == 0 and "CG101" in text.out


@pytest.mark.parametrize(
    "message",
    [
        "Given key ID is not accessible",
        "Access denied: Copy job failed. Both source and destination account must be a member of the same organization",
        "  copy job failed.   cross-account copy feature is not enabled for the current organization  ",
        "The source snapshot KMS key [arn:aws:kms:eu-central-1:123456789012:key/abcd] does not exist, is not enabled "
        "or you do not have permissions to access it.",
    ],
)
def test_matching_tolerates_arns_prefixes_case_and_whitespace(message: str) -> None:
    result = run("explain", message, "--format", "json")
    assert result.code == 0, str(result)
    assert result.json()["codes"]


def test_codes_follow_what_the_message_says() -> None:
    out = invoke(
        "explain",
        "DisabledException: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab "
        "is disabled.",
        "--format",
        "json",
    ).json()
    assert out["codes"][0] == "CG103"
    assert out["causes"][0]["codes"] == ["CG103"]


def test_an_unknown_message_says_so_and_suggests_check() -> None:
    result = run("explain", "The flux capacitor is out of plutonium", "--format", "json")
    assert result.code == 3, str(result)
    out = result.json()
    assert out["codes"] == [] and out["causes"] == []
    assert "copyguard check" in out["note"]
    text = run("explain", "The flux capacitor is out of plutonium")
    assert text.code == 3 and "copyguard check" in text.out
    zh = run("explain", "The flux capacitor is out of plutonium", "--lang", "zh")
    assert zh.code == 3 and re.search(r"[\u4e00-\u9fff]", zh.out)


def test_explain_reads_stdin_and_rejects_an_empty_message() -> None:
    result = run("explain", "-", "--format", "json", stdin="Given key ID is not accessible\n")
    assert result.code == 0 and "CG101" in result.json()["codes"]
    empty = run("explain", "   ")
    assert empty.code == 2 and "Traceback" not in empty.err
    missing = run("explain")
    assert missing.code == 2 and "Traceback" not in missing.err
