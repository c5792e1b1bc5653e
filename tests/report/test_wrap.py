"""The text layout at scale: wrap and cell widths give the lines of the reference (every
candidate line measured again, character by character) on any text, in linear time; the
findings are grouped per copy in linear time."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.report.common import _NO_LINE_START, _TOKEN, cell_width, wrap


def _reference_width(text: str) -> int:
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _reference_wrap(text: str, width: int) -> list[str]:
    """The layout as it was: each candidate line measured whole (quadratic in a line)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for tok in _TOKEN.findall(para):
            if tok.isspace():
                if line:
                    line += " "
                continue
            candidate = line + tok
            if (
                line
                and _reference_width(candidate.rstrip()) > width
                and tok[0] not in _NO_LINE_START
            ):
                lines.append(line.rstrip())
                line = tok
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


#: ASCII words and controls, whitespace of several kinds (a no-break space, the ideographic
#: space), backticks, CJK and full-width characters, the punctuation that never starts a
#: line, combining marks, and a wide character outside the CJK token ranges (an emoji)
_PIECES = st.sampled_from(
    [
        "a",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
        "word",
        " ",
        "  ",
        "\t",
        "\n",
        "\xa0",
        "\u3000",
        "`",
        "`copyguard fix x --as cli`",
        "密钥",
        "策",
        "，",
        "。",
        "）",
        "\uff21",
        "e\u0301",
        "\u0301",
        "\U0001f600",
        "\x1b",
        "\u200b",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=60).map("".join), st.integers(min_value=1, max_value=40))
def test_wrap_matches_the_reference(text: str, width: int) -> None:
    assert wrap(text, width) == _reference_wrap(text, width)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_cell_width_matches_the_reference(text: str) -> None:
    assert cell_width(text) == _reference_width(text)


def test_a_long_paragraph_wraps_in_linear_time() -> None:
    """200,000 characters of words: the reference measured every candidate line whole (a
    few thousand characters a line here, with width 5,000), about 10^9 character visits;
    counted, the new layout's measuring visits each character at most twice."""
    text = " ".join(f"w{i % 97}" for i in range(50_000))
    calls: list[int] = []
    import copyguard.report.common as common

    real = common.cell_width

    def counting(s: str) -> int:
        calls.append(len(s))
        return real(s)

    common.cell_width = counting
    try:
        lines = wrap(text, 5_000)
    finally:
        common.cell_width = real
    assert " ".join(lines) == text
    assert all(len(line) <= 5_000 for line in lines)
    # the paragraph measured once whole (does it fit?), then each token once, alone
    assert sum(calls) <= 2 * len(text)


class _Counted(str):
    """A copy name that counts the comparisons made with it."""

    compared = 0

    def __eq__(self, other: object) -> bool:
        _Counted.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_findings_are_grouped_per_copy_in_linear_time() -> None:
    """The copies were looked up in a list of those already placed: n^2 / 2 comparisons
    (2 million for 2,000 copies; a minute of a 100,000-copy text report)."""
    from copyguard.checks.model import Finding, Text
    from copyguard.report.common import group_by_copy

    names = [_Counted(f"copy-{i}") for i in range(2_000)]
    findings = [
        Finding(code="CG101", severity="error", message=Text("m", "m"), copy=str(n))
        for n in names[::2]
    ]
    _Counted.compared = 0
    groups = group_by_copy(findings, [*names, names[0]])  # a name twice: placed once
    assert [name for name, _ in groups] == names
    assert [len(g) for _, g in groups] == [1, 0] * 1_000
    assert _Counted.compared < 10 * len(names)
