"""The renderers on hand-built reports: JSON (spec section 4), text, Markdown."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_samples import (
    DST,
    KEY,
    REPORTS,
    cg101,
    cg106,
    cg902,
    full_report,
    pass_report,
    unknown_report,
)

from copyguard.checks.model import Report
from copyguard.report import FORMATS, render

ANSI = re.compile(r"\x1b\[[0-9;]*m")
VERSION = "9.8.7"


def _render(report: Report, fmt: str, lang: str = "en", **kw: object) -> str:
    return render(report, fmt, lang, tool_version=VERSION, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- JSON (spec 4)


def test_json_has_the_spec_fields_in_order() -> None:
    out = json.loads(_render(full_report(), "json"))
    assert list(out)[:4] == ["tool", "verdict", "findings", "fixes"]
    assert out["tool"] == {"name": "copyguard", "version": VERSION}
    assert out["verdict"] == "fail"
    for f in out["findings"]:
        for key in ("code", "severity", "copy", "resource", "title", "message", "evidence", "fix"):
            assert key in f, key
    first = out["findings"][0]
    assert first["code"] == "CG101"  # errors sort first
    assert first["evidence"]["actions"]["kms:CreateGrant"] == "implicit_deny"
    assert first["fix"] == {"kind": "key-policy", "resource": KEY, "applicability": "safe"}
    key_fix = next(x for x in out["fixes"] if x["kind"] == "key-policy")
    for key in ("kind", "resource", "policy", "diff"):
        assert key in key_fix
    assert key_fix["policy"]["Statement"][-1]["Principal"] == {"AWS": f"arn:aws:iam::{DST}:root"}


def test_json_is_the_models_dict() -> None:
    assert json.loads(_render(full_report(), "json", "zh")) == full_report().to_dict("zh", VERSION)


@pytest.mark.parametrize(
    ("make", "verdict"),
    [(full_report, "fail"), (unknown_report, "unknown"), (pass_report, "pass")],
)
def test_verdicts(make: Callable[[], Report], verdict: str) -> None:
    assert json.loads(_render(make(), "json"))["verdict"] == verdict
    first = _render(make(), "text").splitlines()[0]
    assert first.startswith(f"Verdict: {verdict.upper()}")
    assert _render(make(), "markdown").splitlines()[0].startswith("### copyguard")
    assert f"**{verdict.upper()}**" in _render(make(), "markdown").splitlines()[0]


# ----------------------------------------------------------------------------------- text


def test_text_shows_everything_about_a_finding() -> None:
    out = _render(full_report(), "text")
    first = out.splitlines()[0]
    assert first == ("Verdict: FAIL  1 error, 1 warning, 1 note  · 3 copy paths checked")
    f = cg101()
    for piece in (
        "CG101",
        "[error]",
        f.title.en,
        "examples/seed/scenario.yaml:12:7",
        "keys[0].policy",
        KEY,
        "Enable IAM User Permissions",
        f.notes[0].en,
        f.steps[0].en,
        "Checks not run",
        "CG201: no destination vault was given",
        "Copy efs-to-central  (no findings)",
        '+      "Sid": "Allow attachment of persistent resources",',
        "copyguard fix <same input as this check> --as cli",
        "aws backup update-global-settings --global-settings isCrossAccountBackupEnabled=true",
    ):
        assert piece in out, piece
    # the message is wrapped, but all there
    assert " ".join(f.message.en.split()) in " ".join(out.split())
    # the per-action table: one row per action, with its decision
    rows = {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^    (kms:\w+)\s+(.+)$", out, re.MULTILINE)
    }
    assert rows == {
        "kms:DescribeKey": "allowed",
        "kms:CreateGrant": "implicit deny",
        "kms:ListGrants": "implicit deny",
        "kms:RevokeGrant": "explicit deny",
    }


def test_text_groups_findings_per_copy() -> None:
    out = _render(full_report(), "text")
    ebs = out.index("Copy ebs-to-central")
    rds = out.index("Copy rds-to-dr")
    assert ebs < out.index("CG101") < out.index("CG106") < rds < out.index("CG902")
    assert out.index("\nChecks not run\n") < out.index("\nFixes\n")


def test_text_fix_command_is_used_when_given() -> None:
    cmd = "copyguard fix scenario.yaml --as cli"
    assert cmd in _render(full_report(), "text", fix_command=cmd)
    assert cmd in _render(full_report(), "markdown", fix_command=cmd)


def test_text_without_findings() -> None:
    out = _render(pass_report(), "text")
    assert out.startswith("Verdict: PASS")
    assert "No findings." in out


def test_color_is_the_same_content() -> None:
    plain = _render(full_report(), "text")
    colored = _render(full_report(), "text", color=True)
    assert ANSI.search(colored)
    assert not ANSI.search(plain)
    assert ANSI.sub("", colored) == plain
    zh_colored = _render(full_report(), "text", "zh", color=True)
    assert ANSI.sub("", zh_colored) == _render(full_report(), "text", "zh")


def _console_colored(lines: list[list[tuple[str, str]]]) -> str:
    """Colour as rich's Console prints each line as a Text (what copyguard did before it
    rendered the styles' codes itself)."""
    import io

    from rich.console import Console
    from rich.text import Text as RichText

    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=True,
        color_system="standard",
        width=10_000,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
        legacy_windows=False,
    )
    for ln in lines:
        text = RichText()
        for segment, style in ln:
            text.append(segment, style=style or None)
        console.print(text)
    return buf.getvalue().rstrip("\n")


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_colour_is_what_a_rich_console_prints(
    name: str, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from copyguard.report import text

    laid_out: list[list[tuple[str, str]]] = []  # every line, as the pieces are made
    real = text._Out._colored

    def kept(self: text._Out) -> str:
        laid_out.extend(self.lines)
        return real(self)

    monkeypatch.setattr(text._Out, "_colored", kept)
    colored = _render(REPORTS[name](), "text", lang, color=True)
    assert colored == _console_colored(laid_out)


def test_colour_of_any_segments_is_what_a_rich_console_prints() -> None:
    from copyguard.report import text

    styles = ["", "bold", "bold red", "bold green", "bold yellow", "yellow", "cyan", "green", "red"]
    pieces = ["", "x", " ", "[b]", "\\", "[bold]no markup[/]", "密钥", "😀", ":smile:", "a  b "]
    rng = random.Random(11)
    for _ in range(300):
        out = text._Out(color=True)
        for _ in range(rng.randint(0, 4)):
            n = rng.randint(0, 4)
            out.line(*[(rng.choice(pieces), rng.choice(styles)) for _ in range(n)])
            if rng.random() < 0.2:
                out.blank()
        lines = out.lines
        assert "\n".join(out.take()).rstrip("\n") == _console_colored(lines)


def _many_copies() -> Report:
    report = full_report()
    report.copies = [f"copy-{i}" for i in range(40)]
    report.findings += [cg101(copy=f"copy-{i}") for i in range(0, 40, 3)]
    return report


@pytest.mark.parametrize("name", [*sorted(REPORTS), "many-copies"])
@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("width", [None, 50])
def test_text_in_pieces_is_the_text_laid_out_whole(
    name: str, color: bool, width: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A piece after every copy (the line breaks at a piece's end held back: none ends the
    whole), joined, against the whole report laid out before a single piece is taken."""
    from copyguard.report import text

    make = _many_copies if name == "many-copies" else REPORTS[name]
    for lang in ("en", "zh"):
        monkeypatch.setattr(text, "PIECE_LINES", 10**9)
        whole = list(text.text_chunks(make(), lang, color=color, width=width))
        monkeypatch.setattr(text, "PIECE_LINES", 0)
        pieces = list(text.text_chunks(make(), lang, color=color, width=width))
        assert len(whole) == 1
        assert "".join(pieces) == whole[0]
        copies = len({f.copy for f in make().findings})
        assert len(pieces) >= copies  # a piece per copy with findings, and the rest
        assert not whole[0].endswith("\n")


@pytest.mark.parametrize("name", [*sorted(REPORTS), "many-copies"])
def test_markdown_in_pieces_is_the_markdown_laid_out_whole(name: str) -> None:
    """Each piece is lines that end in a line break (those at a piece's end held back): the
    pieces join to the lines of every piece joined at once."""
    from copyguard.report import common, markdown

    make = _many_copies if name == "many-copies" else REPORTS[name]
    for lang in ("en", "zh"):
        cmd = "copyguard fix x --as cli"
        lists = list(markdown._markdown_lines(make(), lang, cmd, None))
        whole = "\n".join(line for lines in lists for line in lines).rstrip("\n")
        pieces = list(markdown.markdown_chunks(make(), lang, fix_command=cmd))
        assert "".join(pieces) == whole == _render(make(), "markdown", lang, fix_command=cmd)
        assert len(pieces) >= len(make().findings)  # a finding's details at a time
        assert list(common.joined_lines([[line for lines in lists for line in lines]])) == [whole]


def test_rich_is_imported_only_for_colour() -> None:
    code = (
        "import sys, report_samples as s; from copyguard.report import render\n"
        "for fmt in ('text', 'json', 'sarif', 'markdown'):\n"
        "    render(s.full_report(), fmt, 'en', tool_version='0')\n"
        "assert 'rich' not in sys.modules, 'rich imported without colour'\n"
        "assert 'boto3' not in sys.modules and 'moto' not in sys.modules\n"
        "render(s.full_report(), 'text', 'en', color=True, tool_version='0')\n"
        "assert 'rich' in sys.modules\n"
    )
    here = str(__import__("pathlib").Path(__file__).parent)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=here)


# ------------------------------------------------------------------------------- Markdown


def test_markdown_has_table_details_and_diff() -> None:
    out = _render(full_report(), "markdown")
    lines = out.splitlines()
    assert lines[0] == (
        "### copyguard: ❌ **FAIL** — 1 error, 1 warning, 1 note · 3 copy paths checked"
    )
    assert "| Code | Severity | Copy | Title |" in out
    for f in (cg101(), cg106(), cg902()):
        row = next(ln for ln in lines if ln.startswith(f"| `{f.code}`"))
        assert f.title.en in row and (f.copy or "—") in row
    assert out.count("<details>") == out.count("</details>") == 3
    assert "| `kms:CreateGrant` | ⛔ implicit deny |" in out
    assert "```diff\n--- key policy (current)" in out
    assert "```sh\naws backup update-global-settings" in out
    assert "#### Checks not run" in out


def test_markdown_escapes_html_and_pipes() -> None:
    f = cg101(
        title=cg101().title.__class__("a | b <script>", "甲 | 乙 <script>"),
        message=cg101().message.__class__("use <ACCOUNT> & `<kept>`", "用 <账户>"),
    )
    out = _render(Report(findings=[f]), "markdown")
    assert "<script>" not in out
    assert "a \\| b &lt;script&gt;" in out
    assert "use &lt;ACCOUNT&gt; &amp; `<kept>`" in out


# ------------------------------------------------------------------- all formats together


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_deterministic(fmt: str, name: str) -> None:
    make = REPORTS[name]
    first = _render(make(), fmt)
    assert _render(make(), fmt) == first
    shuffled = make()
    random.Random(7).shuffle(shuffled.findings)
    shuffled.findings.reverse()
    shuffled.fixes.reverse()
    assert _render(shuffled, fmt) == first


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_does_not_reorder_the_callers_report_except_json(fmt: str) -> None:
    report = full_report()
    before = [f.code for f in report.findings]
    _render(report, fmt)
    if fmt != "json":  # Report.to_dict sorts in place (the model's own behaviour)
        assert [f.code for f in report.findings] == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_zh_has_no_leftover_english_titles(fmt: str) -> None:
    report = full_report()
    out = _render(report, fmt, "zh")
    for f in report.findings:
        assert f.title.zh in out
        assert f.title.en not in out, f.code
        assert f.message.en not in out
    for fix in report.fixes:
        assert fix.description.en not in out
    if fmt in ("text", "markdown"):
        for english in ("Verdict", "Checks not run", "Fixes", "Next steps", "Location", "Copy "):
            assert english not in out, english
        assert "FAIL（失败）" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_finding_appears(fmt: str) -> None:
    out = _render(full_report(), fmt)
    for f in full_report().findings:
        assert f.code in out
        assert f.title.en in out or fmt == "sarif"  # SARIF keeps titles in its rule metadata


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_ends_without_newline(fmt: str) -> None:
    assert not _render(full_report(), fmt).endswith("\n")


def test_unknown_format_or_language() -> None:
    with pytest.raises(ValueError, match="format"):
        _render(full_report(), "pdf")
    for fmt in FORMATS:
        with pytest.raises(ValueError, match="language"):
            _render(full_report(), fmt, "fr")


def test_evidence_shapes_are_tolerated() -> None:
    f = cg101(
        evidence={
            "actions": {"kms:DescribeKey": {"decision": "allowed"}, "kms:Decrypt": 3},
            "statements": {"kms:DescribeKey": ["Statement[1] allows the account"]},
            "key_state": "Disabled",
            "accounts": {"111122223333", "444455556666"},
        }
    )
    for fmt in FORMATS:
        out = _render(Report(findings=[f]), fmt)
        assert "Statement[1] allows the account" in out
        assert "Disabled" in out
    text = _render(Report(findings=[f]), "text")
    assert "kms:DescribeKey: Statement[1] allows the account" in text
    assert re.search(r"^    kms:DescribeKey\s+allowed$", text, re.MULTILINE)


def test_statement_evidence_with_actions_per_statement() -> None:
    statements = [
        {
            "statement": "Statement[1]",
            "sid": "Allow use of the key",
            "effect": "Allow",
            "applies_to": ["kms:DescribeKey"],
            "reasons": {"Principal does not match": ["kms:CreateGrant"]},
        },
        {"statement": "Statement[2]", "effect": "Allow", "applies_to": [], "reasons": {}},
    ]
    f = cg101(evidence={"actions": {"kms:DescribeKey": "allowed"}, "statements": statements})
    en = " ".join(_render(Report(findings=[f]), "text").split())
    assert 'Statement[1] (Sid "Allow use of the key"): Allow, applies to kms:DescribeKey' in en
    assert "(Principal does not match [kms:CreateGrant])" in en
    assert "Statement[2]: Allow, applies to none of them" in en
    zh = _render(Report(findings=[f]), "text", "zh")
    assert "Statement[2]：Allow，对这些操作均不适用" in zh


@given(st.lists(st.text(alphabet="a\n ", max_size=6), max_size=12))
def test_stripped_end_joins_to_the_text_without_its_final_line_breaks(pieces: list[str]) -> None:
    from copyguard.report.common import stripped_end

    out = list(stripped_end(iter(pieces)))
    assert "".join(out) == "".join(pieces).rstrip("\n")
    assert all(out)
    # a piece is given as soon as text follows its held-back line breaks, not later
    assert len(out) == sum(1 for p in pieces if p.rstrip("\n"))


@given(st.lists(st.text(alphabet="ab\n", max_size=5), max_size=12), st.integers(1, 8))
def test_blocks_are_runs_of_whole_pieces(pieces: list[str], size: int) -> None:
    from copyguard.report.common import blocks

    out = list(blocks(iter(pieces), size))
    assert "".join(out) == "".join(pieces)
    assert all(len(b) >= size for b in out[:-1])
    # each block ends where a piece ends: cut the pieces at the blocks' ends
    ends = {sum(len(b) for b in out[: i + 1]) for i in range(len(out))}
    at = [sum(len(p) for p in pieces[: i + 1]) for i in range(len(pieces))]
    assert ends <= {0, *at}
