"""Reports print hostile input safely (issue 7): the terminal sees no control, BIDI or
invisible character from the input (only copyguard's own colour codes); Markdown cannot be
made to show links, images, HTML or extra table cells; JSON and SARIF always encode to
UTF-8 and parse back to the same values; text wraps to the width asked for, but never
inside a command; "How to apply" names the command that matches the input."""

from __future__ import annotations

import json
import re

import pytest
from report_samples import KEY, VAULT, cg101, full_report, key_fix, playbook_fix

from copyguard import records
from copyguard.checks.model import Fix, Report, tr
from copyguard.escape import is_unsafe
from copyguard.report import render
from copyguard.report.common import cell_width
from copyguard.report.sarif import sarif_log

VERSION = "1.2.3"
SGR = re.compile(r"\x1b\[[0-9;]*m")

EVIL = (
    "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 \x1b[2J\x1b[31mred\r\x9b31m"
    "\u202eexe.txt\u2066iso\u2069\u200bzw\ufeff\x7f\u2028line\x00nul"
)


def _hostile_report(value: str = EVIL) -> Report:
    f = cg101(
        title=tr(f"Title {value}", f"标题 {value}"),
        message=tr(f"Message {value}\nsecond {value}", f"消息 {value}"),
        copy=f"copy {value}",
        resource=f"{KEY}{value}",
        path=f"keys[0].policy{value}",
        file=f"dir/{value}.yaml",
        evidence={
            "actions": {f"kms:Create{value}": "implicit_deny"},
            "statements": [{"policy": "key policy", "sid": value, "reasons": [value]}],
            "key_state": value,
        },
        steps=[tr(f"Step {value}", f"步骤 {value}")],
        notes=[tr(f"Note {value}", f"注 {value}")],
    )
    fix = records.replace(
        key_fix(),
        resource=f"{KEY}{value}",
        description=tr(f"Fix {value}", f"修复 {value}"),
        principal=f"arn:aws:iam::444455556666:role/{value}",
        diff=f'--- key policy (current)\n+++ key policy (fixed)\n+  "Sid": "{value}"\n',
    )
    pb = records.replace(playbook_fix(), steps=[tr(f"do {value}", f"做 {value}")])
    return Report(
        findings=[f],
        fixes=[fix, pb],
        source=f"input {value}",
        copies=[f"copy {value}"],
        assumptions=[tr(f"assume {value}", f"假设 {value}")],
    )


# ----------------------------------------------------------------------------- terminal


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("color", [False, True])
def test_text_shows_no_raw_control_or_bidi_character(lang: str, color: bool) -> None:
    out = render(_hostile_report(), "text", lang, color=color, tool_version=VERSION)
    if color:
        assert SGR.search(out), "copyguard's own colours are still there"
        out = SGR.sub("", out)
    bad = sorted({f"U+{ord(c):04X}" for c in out if c != "\n" and is_unsafe(c)})
    assert not bad, bad
    # shown, visibly escaped, not dropped
    assert "\\x1b]8;;http://evil.example" in out
    assert "\\u202eexe.txt" in out and "\\x0d" in out and "\\x9b" in out


def test_text_keeps_the_message_line_breaks_but_not_the_inputs_carriage_returns() -> None:
    out = render(_hostile_report("x\ry"), "text", "en", tool_version=VERSION)
    assert "\r" not in out
    assert any(line.strip().startswith("second x\\x0dy") for line in out.splitlines())


def test_markdown_escapes_what_it_prints() -> None:
    value = (
        "[click](http://evil.example) ![px](http://track.example/p.png) <img src=x onerror=alert(1)>"
        " | extra | cell ` `` *bold* _em_ ~~s~~ <script>x</script> &amp; " + EVIL
    )
    out = render(_hostile_report(value), "markdown", "en", tool_version=VERSION)
    bad = sorted({f"U+{ord(c):04X}" for c in out if c != "\n" and is_unsafe(c)})
    assert not bad, bad
    rendered = _outside_code(out)
    link = re.search(r"(?<!\\)\[[^\]\n]*\]\(", rendered)
    assert link is None, f"a link or an image from the input: {link}"
    assert "<img" not in rendered and "<script" not in rendered
    # the findings table keeps four cells per row
    rows = [ln for ln in out.splitlines() if ln.startswith("| `CG")]
    assert rows
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) == 6, row  # leading and trailing empty + 4 cells
    # and the input is still there to read
    assert "click" in out and "evil.example" in out


def test_markdown_code_spans_survive_backticks() -> None:
    report = Report(findings=[cg101(resource="arn:x:``y`` `z`")])
    out = render(report, "markdown", "en", tool_version=VERSION)
    (line,) = [ln for ln in out.splitlines() if "arn:x:" in ln and "**" in ln]
    assert "``` arn:x:``y`` `z` ```" in line


def _outside_code(markdown: str) -> str:
    """The Markdown without its fenced blocks and code spans (which show text literally)."""
    without_fences = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1$", "", markdown)
    return re.sub(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", "", without_fences)


# ----------------------------------------------------------------------------- JSON, SARIF


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_stay_valid_utf8_with_lone_surrogates(fmt: str) -> None:
    value = "lone \ud800 and \udcff " + EVIL
    report = _hostile_report(value)
    out = render(report, fmt, "en", tool_version=VERSION)
    out.encode("utf-8")  # never a UnicodeEncodeError
    parsed = json.loads(out)
    if fmt == "json":
        assert parsed == json.loads(json.dumps(report.to_dict("en", VERSION)))
        assert parsed["findings"][0]["resource"] == f"{KEY}{value}"
    else:
        assert parsed == json.loads(json.dumps(sarif_log(report, "en", tool_version=VERSION)))
    assert not any(is_unsafe(c) for c in out.replace("\n", ""))


# ----------------------------------------------------------------------------- wrapping


@pytest.mark.parametrize("width", [40, 60, 140])
def test_text_wraps_prose_to_the_width_but_never_a_command(width: int) -> None:
    long = " ".join(["word"] * 60)
    f = cg101(message=tr(long, "很长的消息" * 40))
    report = Report(findings=[f], fixes=[key_fix()])
    command = "copyguard fix 'my scenario.yaml' --principal slr --as cli"
    for lang in ("en", "zh"):
        out = render(report, "text", lang, tool_version=VERSION, fix_command=command, width=width)
        lines = out.splitlines()
        prose = [ln for ln in lines if "word" in ln or "很长" in ln]
        assert len(prose) > 1
        assert all(cell_width(ln) <= width for ln in prose), max(map(cell_width, prose))
        if width >= 60:
            assert max(cell_width(ln) for ln in prose) > width - 12  # it uses the width
        assert any(f"`{command}`" in ln for ln in lines), "the command is on one line"


# ----------------------------------------------------------------------------- how to apply


def test_how_to_apply_names_the_command_given() -> None:
    report = full_report()
    command = "copyguard fix 'a b.yaml' --as cli"
    for fmt in ("text", "markdown"):
        out = render(report, fmt, "en", tool_version=VERSION, fix_command=command)
        assert f"`{command}`" in out
        assert "<same input as this check>" not in out


def test_how_to_apply_in_live_mode_names_fix_live_apply() -> None:
    vault_fix = Fix(
        kind="vault-access-policy",
        resource=VAULT,
        applicability="safe",
        description=tr("v", "v"),
        policy={"Version": "2012-10-17", "Statement": []},
        diff="--- a\n+++ b\n",
    )
    report = Report(findings=[cg101()], fixes=[key_fix(), vault_fix])
    cli = "copyguard fix --live --source-profile 'p q' --job-id j --as cli"
    apply = "copyguard fix --live --source-profile 'p q' --job-id j --apply"
    for fmt in ("text", "markdown"):
        out = render(report, fmt, "en", tool_version=VERSION, fix_command=cli, apply_command=apply)
        flat = " ".join(out.split())
        # the key-policy fix: --apply writes it; the vault fix: only the printed commands
        assert flat.count(f"`{apply}`") == 1, flat
        assert flat.count(f"`{cli}`") == 2


def test_how_to_apply_an_unsafe_fix_names_unsafe() -> None:
    fx = records.replace(key_fix(), applicability="unsafe")
    out = render(
        Report(findings=[cg101()], fixes=[fx]),
        "text",
        "en",
        tool_version=VERSION,
        fix_command="copyguard fix s.yaml --as cli",
    )
    assert "`copyguard fix s.yaml --as cli --unsafe`" in " ".join(out.split())
