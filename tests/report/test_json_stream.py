"""The JSON and SARIF reports written in pieces (``report.render_json``,
``report.sarif.sarif_chunks``, ``cli.check.write_output``): the same bytes as
``json.dumps(indent=2)`` of the whole report, whatever the evidence holds."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_samples import REPORTS, cg101, cg106, full_report

from copyguard.checks.model import Report
from copyguard.cli import check as check_cli
from copyguard.escape import json_dumps, json_indented
from copyguard.report import render, render_json
from copyguard.report.common import dumps, json_chunks
from copyguard.report.sarif import sarif_chunks, sarif_log

VERSION = "9.8.7"

# strings with what the escaping cares about: quotes, backslashes, controls (DEL too), BIDI and
# invisible characters, lone surrogates, non-ASCII text, raw line breaks
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('"\\\n\t\x00\x1b\x7f\u202e\u200b\ud800\udfff密é'),
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    ),
    max_size=12,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
KEYS = st.one_of(TEXT, st.integers(-5, 5), st.booleans(), st.none(), st.floats(-2, 2))


def _values(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(TEXT, children, max_size=4),  # laid out by the renderer itself
        st.dictionaries(KEYS, children, max_size=3),  # mixed keys: left to json whole
        st.tuples(children, children),
        st.frozensets(st.integers(0, 9), max_size=3),  # through the report's default=
    )


VALUES = st.recursive(SCALARS, _values, max_leaves=20)


def _joined(report: Report, lang: str = "en") -> str:
    return "".join(render_json(report, lang, tool_version=VERSION))


def _whole(report: Report, lang: str = "en") -> str:
    return dumps(report.to_dict(lang, VERSION))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    evidence=st.lists(st.dictionaries(TEXT, VALUES, max_size=4), min_size=1, max_size=4),
    shared=VALUES,
    lang=st.sampled_from(["en", "zh"]),
)
def test_pieces_join_to_json_dumps_of_the_whole_report(
    evidence: list[dict[str, object]], shared: object, lang: str
) -> None:
    # findings with arbitrary evidence, some holding the same object (once as an evidence
    # value, once deeper: the text kept for it is only reused at the same depth)
    findings = [cg101(evidence=ev, copy=f"copy-{i}") for i, ev in enumerate(evidence)]
    findings.append(cg106(evidence={"same": shared, "deeper": [shared, {"x": shared}]}))
    findings.append(cg106(evidence={"same": shared}, copy="other"))
    report = full_report()
    report.findings += findings
    joined = _joined(report, lang)
    assert joined == _whole(report, lang)
    # and it is JSON that parses (NaN and Infinity as Python's json writes them)
    assert json.loads(joined)["tool"]["version"] == VERSION
    assert _sarif_joined(report, lang) == _sarif_whole(report, lang)


def _sarif_joined(report: Report, lang: str = "en") -> str:
    return "".join(sarif_chunks(report, lang, tool_version=VERSION))


def _sarif_whole(report: Report, lang: str = "en") -> str:
    return dumps(sarif_log(report, lang, tool_version=VERSION))


@settings(max_examples=300, deadline=None)
@given(value=VALUES, depth=st.integers(0, 3))
def test_json_indented_is_json_dumps(value: object, depth: int) -> None:
    # the layout both the JSON report and a fix's diff use, against json itself
    pad = "\n" + "  " * depth
    plain = json.dumps(value, indent=2, ensure_ascii=False, default=sorted).replace("\n", pad)
    assert json_indented(value, depth=depth, visible=False, default=sorted) == plain
    # json's own indented encoder: separators given (json's default with an indent), so
    # json_dumps does not take json_indented's way
    shown = json_dumps(value, indent=2, separators=(",", ": "), default=sorted)
    shown = shown.replace("\n", pad)
    assert json_indented(value, depth=depth, default=sorted) == shown
    # and json_dumps(indent=2), which takes json_indented's way
    assert json_dumps(value, indent=2, default=sorted).replace("\n", pad) == shown


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_reports_are_identical(name: str, lang: str) -> None:
    assert _joined(REPORTS[name]()) == _whole(REPORTS[name]())
    assert render(REPORTS[name](), "json", lang, tool_version=VERSION) == _whole(
        REPORTS[name](), lang
    )


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sample_reports_are_identical_in_sarif(name: str, lang: str) -> None:
    assert _sarif_joined(REPORTS[name](), lang) == _sarif_whole(REPORTS[name](), lang)
    assert render(REPORTS[name](), "sarif", lang, tool_version=VERSION) == _sarif_whole(
        REPORTS[name](), lang
    )


def test_an_empty_report_has_empty_lists() -> None:
    out = _joined(Report())
    assert out == _whole(Report())
    assert '"findings": []' in out and '"fixes": []' in out
    sarif = _sarif_joined(Report())
    assert sarif == _sarif_whole(Report()) and '"results": []' in sarif


class _Lazy(list):  # type: ignore[type-arg]
    """Drawn values: a list to be given as an iterator."""


def _made(value: object, lazy: bool) -> object:
    """``value`` with each _Lazy an iterator (``lazy``) or a list."""
    if isinstance(value, _Lazy):
        return iter(list(value)) if lazy else list(value)
    if type(value) is dict:
        return {k: _made(x, lazy) for k, x in value.items()}
    if type(value) is list:
        return [_made(x, lazy) for x in value]
    return value


#: outlines: values, and lists of values given as iterators, in mappings and lists
OUTLINES = st.recursive(
    st.one_of(VALUES, st.lists(VALUES, max_size=3).map(_Lazy)),
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(TEXT, c, max_size=3)),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(value=OUTLINES)
def test_json_chunks_is_dumps_with_each_iterator_a_list(value: object) -> None:
    """Iterators in mappings and lists, empty or not: the text of dumps with each iterator
    a list."""
    assert "".join(json_chunks(_made(value, True))) == dumps(_made(value, False))


def test_one_piece_per_item_and_shared_evidence_encoded_once() -> None:
    shared = [{"statement": f"Statement[{i}]", "reasons": ["r" * 50] * 5} for i in range(20)]
    report = Report(
        findings=[cg101(copy=f"c{i}", evidence={"statements": shared}) for i in range(50)]
    )
    pieces = list(render_json(report, "en", tool_version=VERSION))
    items = [p for p in pieces if '"code": "CG101"' in p]
    assert len(items) == 50  # each finding its own piece: nothing holds the whole report
    first = items[0][items[0].index('"statements"') :]
    block = first[: first.index("\n        ]") + len("\n        ]")]
    assert all(block in p for p in items)  # the same text everywhere it is used
    assert "".join(pieces) == _whole(report)


def test_a_cycle_is_jsons_own_error() -> None:
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        _joined(Report(findings=[cg101(evidence={"loop": loop})]))


def test_floats_and_deep_values_as_json_writes_them() -> None:
    deep: object = "bottom"
    for _ in range(60):  # deeper than the renderer lays out itself
        deep = {"d": [deep]}
    evidence = {"nan": math.nan, "inf": -math.inf, "f": 0.1, "deep": deep, "t": (1, "two")}
    report = Report(findings=[cg101(evidence=evidence)])
    assert _joined(report) == _whole(report)


def test_an_unknown_language_is_refused_before_any_piece() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        render_json(full_report(), "fr", tool_version=VERSION)


# --------------------------------------------------------------------------- writing


def _echoed(chunks: list[str], monkeypatch: pytest.MonkeyPatch, block: int) -> str:
    monkeypatch.setattr(check_cli, "_BLOCK", block)
    with CliRunner().isolation() as (out, _err, _):
        check_cli.write_output(chunks, None)
        return out.getvalue().decode("utf-8")


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunks=st.lists(st.text(alphabet="ab\n", max_size=6), max_size=8), block=st.integers(1, 9))
def test_standard_output_is_one_echo_of_the_whole_text(
    chunks: list[str], block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pieces, gathered into blocks of any size, print what one click.echo of the joined
    # text prints: trailing line breaks dropped and one added
    assert _echoed(chunks, monkeypatch, block) == "".join(chunks).rstrip("\n") + "\n"


@pytest.mark.parametrize("chunks", [[], [""], ["{", "}"], ["a\n"], ["a", "\n", ""], ["x\n\n"]])
def test_a_file_ends_in_one_line_break(chunks: list[str], tmp_path: object) -> None:
    path = tmp_path / "out.json"  # type: ignore[operator]
    check_cli.write_output(chunks, str(path))
    text = "".join(chunks)
    assert path.read_text(encoding="utf-8") == (text if text.endswith("\n") else text + "\n")
