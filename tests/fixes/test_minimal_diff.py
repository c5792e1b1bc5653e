"""``fix --as diff`` changes only what the fix changes in the user's own policy file.

Generated key policies are written in several layouts (hand-compact, 2 and 4 spaces, tabs,
one line, minified; CRLF, BOM, no final newline), each with a map of which lines hold which
statement and member. A random fix (add a principal to a statement, turning a string into a
list; add a statement; add a Condition; flip an Effect; replace a ``"*"`` principal) is
applied, and the diff copyguard prints must turn the file into exactly the fixed document
while removing only lines of values the fix changed (plus the line that gains a comma before
an appended item).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from output_checks import run_patch

from copyguard.escape import json_dumps
from copyguard.fixes.render import PolicyFile, file_diff
from copyguard.fixes.textedit import minimal_edit, same

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "cli"))
from cg_cli import QUICK, run  # noqa: E402

STYLES = ("compact", "indent2", "indent4", "tabs", "oneline", "minified")
UNITS = {"compact": "  ", "indent2": "  ", "indent4": "    ", "tabs": "\t"}

# ----------------------------------------------------------------------------- layouts

Ranges = dict[tuple[Any, ...], tuple[int, int]]


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.line = 1

    def emit(self, s: str) -> None:
        self.parts.append(s)
        self.line += s.count("\n")


def layout(doc: dict[str, Any], style: str) -> tuple[str, Ranges]:
    """``doc`` as text in ``style`` (LF, no final newline), and the lines (first, last) of
    every top-level member ``("top", key)``, statement ``("stmt", i)`` and statement member
    ``("member", i, key)``."""
    if style in ("oneline", "minified"):
        seps = (", ", ": ") if style == "oneline" else (",", ":")
        ranges: Ranges = {("top", k): (1, 1) for k in doc}
        for i, stmt in enumerate(doc["Statement"]):
            ranges[("stmt", i)] = (1, 1)
            ranges.update({("member", i, k): (1, 1) for k in stmt})
        return json_dumps(doc, separators=seps), ranges
    unit = UNITS[style]

    def value(v: Any, depth: int) -> str:
        if style == "compact":
            return json_dumps(v)
        return json_dumps(v, indent=unit).replace("\n", "\n" + unit * depth)

    w, ranges = _Writer(), {}
    w.emit("{\n")
    for j, (key, v) in enumerate(doc.items()):
        w.emit(unit)
        first = w.line
        w.emit(json_dumps(key) + ": ")
        if key == "Statement":
            w.emit("[\n")
            for i, stmt in enumerate(v):
                w.emit(unit * 2)
                s_first = w.line
                w.emit("{\n")
                for m, (mk, mv) in enumerate(stmt.items()):
                    w.emit(unit * 3)
                    m_first = w.line
                    w.emit(json_dumps(mk) + ": " + value(mv, 3))
                    ranges[("member", i, mk)] = (m_first, w.line)
                    w.emit(("," if m < len(stmt) - 1 else "") + "\n")
                w.emit(unit * 2 + "}")
                ranges[("stmt", i)] = (s_first, w.line)
                w.emit(("," if i < len(v) - 1 else "") + "\n")
            w.emit(unit + "]")
        else:
            w.emit(value(v, 1))
        ranges[("top", key)] = (first, w.line)
        w.emit(("," if j < len(doc) - 1 else "") + "\n")
    w.emit("}")
    text = "".join(w.parts)
    if style != "compact":
        assert text == json_dumps(doc, indent=unit)
    return text, ranges


def dress(text: str, crlf: bool, bom: bool, final_newline: bool) -> str:
    text = text + ("\n" if final_newline else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    return ("\ufeff" if bom else "") + text


def split_lines(text: str) -> list[str]:
    """Lines as patch counts them: after each ``\\n`` only."""
    return re.findall(r"[^\n]*\n|[^\n]+\Z", text)


def removed_lines(diff: str) -> list[int]:
    """The old-side line numbers (1-based) the unified diff removes."""
    out: list[int] = []
    old = 0
    for line in split_lines(diff)[2:]:
        m = re.match(r"@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@", line)
        if m:
            old = int(m.group(1))
        elif line.startswith("-"):
            out.append(old)
            old += 1
        elif line.startswith(" "):
            old += 1
    return out


def apply_diff(old: str, diff: str) -> str:
    """``diff`` applied to ``old`` strictly (context must match at the stated lines, hunk
    counts must be right): a check of the hunks themselves, independent of patch's fuzz."""
    lines = split_lines(old)
    out: list[str] = []
    pos = 0
    diff_lines = split_lines(diff)[2:]
    k = 0
    while k < len(diff_lines):
        m = re.match(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@\n", diff_lines[k])
        assert m, diff_lines[k]
        o_start, o_len = int(m.group(1)), int(m.group(2) or 1)
        n_len = int(m.group(4) or 1)
        start = o_start - 1 if o_len else o_start
        out += lines[pos:start]
        pos, seen_old, seen_new = start, 0, 0
        k += 1
        while k < len(diff_lines) and not diff_lines[k].startswith("@@"):
            line = diff_lines[k]
            body = line[1:]
            if k + 1 < len(diff_lines) and diff_lines[k + 1].startswith("\\"):
                body = body[:-1]  # "\ No newline at end of file" follows
            if line[0] in " -":
                assert lines[pos] == body, (pos, lines[pos], body)
                pos, seen_old = pos + 1, seen_old + 1
            if line[0] in " +":
                out.append(body)
                seen_new += 1
            k += 2 if k + 1 < len(diff_lines) and diff_lines[k + 1].startswith("\\") else 1
        assert (seen_old, seen_new) == (o_len, n_len)
    return "".join(out + lines[pos:])


# ----------------------------------------------------------------------------- documents

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10
) | st.sampled_from(['a "quoted" sid', "back\\slash", "line\u2028sep", "é中文", ""])
_ARN = st.builds(
    lambda n, role: f"arn:aws:iam::{n:012d}:{'root' if not role else 'role/' + role}",
    st.integers(0, 10**12 - 1),
    st.text(alphabet="abcXYZ-_+=,.@é", max_size=6),
)
_PRINCIPAL = st.one_of(
    st.builds(lambda a: {"AWS": a}, _ARN),
    st.builds(lambda a: {"AWS": a}, st.lists(_ARN, min_size=1, max_size=3)),
    st.builds(lambda: {"Service": "backup.amazonaws.com"}),
    st.just("*"),
)
_ACTION = st.sampled_from(["kms:*", "kms:Decrypt", "kms:CreateGrant", "kms:ReEncrypt*"])
_CONDITION = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {}
    if draw(st.booleans()):
        stmt["Sid"] = draw(_TEXT)
    stmt["Effect"] = draw(st.sampled_from(["Allow", "Deny"]))
    stmt["Principal"] = draw(_PRINCIPAL)
    stmt["Action"] = draw(_ACTION | st.lists(_ACTION, min_size=1, max_size=4))
    stmt["Resource"] = "*"
    if draw(st.booleans()):
        stmt["Condition"] = copy.deepcopy(_CONDITION)
    return stmt


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"Version": "2012-10-17"}
    if draw(st.booleans()):
        doc["Id"] = draw(_TEXT)
    doc["Statement"] = draw(st.lists(statements(), min_size=1, max_size=4))
    return doc


_FIX = st.one_of(
    st.tuples(st.just("add_principal"), st.integers(0, 9), _ARN),
    st.tuples(st.just("add_statement"), statements()),
    st.tuples(st.just("add_condition"), st.integers(0, 9)),
    st.tuples(st.just("flip_effect"), st.integers(0, 9)),
)


def apply_fix(doc: dict[str, Any], fix: tuple[Any, ...]) -> None:
    stmts = doc["Statement"]
    if fix[0] == "add_statement":
        stmts.append(copy.deepcopy(fix[1]))
        return
    stmt = stmts[fix[1] % len(stmts)]
    if fix[0] == "add_principal":
        p = stmt["Principal"]
        if isinstance(p, dict) and "AWS" in p:
            old = p["AWS"]
            p["AWS"] = [*old, fix[2]] if isinstance(old, list) else [old, fix[2]]
        elif p == "*":
            stmt["Principal"] = {"AWS": [fix[2]]}  # a string becomes an object
        else:
            p["AWS"] = fix[2]  # an appended member of Principal
    elif fix[0] == "add_condition":
        if "Condition" in stmt:
            stmt["Condition"]["Bool"]["aws:SecureTransport"] = "true"
        else:
            stmt["Condition"] = copy.deepcopy(_CONDITION)
    else:
        stmt["Effect"] = "Deny" if stmt["Effect"] == "Allow" else "Allow"


def allowed_removals(before: dict[str, Any], after: dict[str, Any], ranges: Ranges) -> set[int]:
    """Lines the diff may remove: those of changed members, and the last line before an
    appended member or statement (it gains a comma)."""
    allowed: set[int] = set()

    def span(key: tuple[Any, ...]) -> set[int]:
        first, last = ranges[key]
        return set(range(first, last + 1))

    old_stmts, new_stmts = before["Statement"], after["Statement"]
    for i, old in enumerate(old_stmts):
        new = new_stmts[i]
        for key in old:
            if not same(old[key], new[key]):
                allowed |= span(("member", i, key))
        if any(key not in old for key in new):
            allowed.add(ranges[("member", i, list(old)[-1])][1])
    if len(new_stmts) > len(old_stmts):
        allowed.add(ranges[("stmt", len(old_stmts) - 1)][1])
    return allowed


# ----------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=documents(),
    fixes=st.lists(_FIX, min_size=1, max_size=3),
    style=st.sampled_from(STYLES),
    crlf=st.booleans(),
    bom=st.booleans(),
    final_newline=st.booleans(),
)
def test_minimal_diff_touches_only_changed_values(
    doc: dict[str, Any],
    fixes: list[tuple[Any, ...]],
    style: str,
    crlf: bool,
    bom: bool,
    final_newline: bool,
) -> None:
    body, ranges = layout(doc, style)
    text = dress(body, crlf, bom, final_newline)
    fixed = copy.deepcopy(doc)
    for fix in fixes:
        apply_fix(fixed, fix)

    new = minimal_edit(text, fixed)
    assert new is not None, "the splicer handles every generated fix (no fallback)"
    assert same(json.loads(new.lstrip("\ufeff")), fixed)
    # BOM, line endings and the final newline are the file's own
    assert new.startswith("\ufeff") == bom
    assert new.endswith("\n") == final_newline or same(doc, fixed)
    assert new.count("\r\n") == (new.count("\n") if crlf else 0)
    if style in UNITS and style != "compact":
        # a file laid out as json.dumps writes it stays so (fixes keep key order)
        canonical = json_dumps(fixed, indent=UNITS[style])
        assert new == dress(canonical, crlf, bom, final_newline)
    if style in ("oneline", "minified"):
        assert new.count("\n") == text.count("\n")

    diff = file_diff(PolicyFile("policy.json", text), fixed)
    assert apply_diff(text, diff) == new
    removed = removed_lines(diff)
    assert set(removed) <= allowed_removals(doc, fixed, ranges)
    for key, (first, last) in ranges.items():
        if key[0] == "top" and key[1] != "Statement" and style in UNITS:
            assert not set(range(first, last + 1)) & set(removed), key


@settings(max_examples=100, deadline=None)
@given(doc=documents(), fixes=st.lists(_FIX, min_size=1, max_size=3), style=st.sampled_from(STYLES))
def test_second_fix_changes_nothing(
    doc: dict[str, Any], fixes: list[tuple[Any, ...]], style: str
) -> None:
    text, _ = layout(doc, style)
    fixed = copy.deepcopy(doc)
    for fix in fixes:
        apply_fix(fixed, fix)
    new = minimal_edit(text, fixed)
    assert new is not None
    assert minimal_edit(new, fixed) == new
    assert file_diff(PolicyFile("p.json", new), fixed) == ""


# ----------------------------------------------------------------------------- GNU patch

SEED = REPO / "examples" / "seed-key-policy.json"
SEED_FIXED = REPO / "examples" / "seed-key-policy-fixed.json"


@pytest.mark.parametrize(
    ("crlf", "bom", "final_newline"),
    [(False, False, True), (True, False, True), (False, True, False), (True, True, False)],
)
def test_patch_applies_the_minimal_diff(
    crlf: bool, bom: bool, final_newline: bool, tmp_path: Path
) -> None:
    seed = SEED.read_text(encoding="utf-8").rstrip("\n")
    text = dress(seed, crlf, bom, final_newline)
    fixed = json.loads(SEED_FIXED.read_text(encoding="utf-8"))
    fixed["Statement"].append(
        {
            "Sid": "extra é",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
        }
    )
    fixed["Statement"][0]["Principal"]["AWS"] = ["arn:aws:iam::111122223333:root"]
    path = tmp_path / "my policy.json"
    path.write_bytes(text.encode("utf-8"))
    diff = file_diff(PolicyFile(path.name, text), fixed)
    result = run_patch(tmp_path, diff, "-p0")
    assert result.returncode == 0, result.stdout + result.stderr
    patched = path.read_bytes().decode("utf-8")
    assert same(json.loads(patched.lstrip("\ufeff")), fixed)
    assert patched == minimal_edit(text, fixed)
    assert patched.startswith("\ufeff") == bom
    assert patched.endswith("\n") == final_newline
    assert patched.count("\r\n") == (patched.count("\n") if crlf else 0)
    # lines before the first change are the user's, byte for byte
    assert split_lines(patched)[:7] == split_lines(text)[:7]


@settings(max_examples=25, deadline=None)
@given(
    doc=documents(),
    fixes=st.lists(_FIX, min_size=1, max_size=3),
    style=st.sampled_from(STYLES),
    crlf=st.booleans(),
    final_newline=st.booleans(),
)
def test_gnu_patch_applies_generated_diffs(
    doc: dict[str, Any],
    fixes: list[tuple[Any, ...]],
    style: str,
    crlf: bool,
    final_newline: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    text = dress(layout(doc, style)[0], crlf, False, final_newline)
    fixed = copy.deepcopy(doc)
    for fix in fixes:
        apply_fix(fixed, fix)
    where = tmp_path_factory.mktemp("patch")
    path = where / "policy.json"
    path.write_bytes(text.encode("utf-8"))
    result = run_patch(where, file_diff(PolicyFile(path.name, text), fixed), "-p0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes().decode("utf-8") == minimal_edit(text, fixed)


def test_seed_example_diff_touches_only_the_two_principal_lines() -> None:
    result = run("fix", "--key-policy", "examples/seed-key-policy.json", *QUICK, "--as", "diff")
    assert result.code == 0, str(result)
    lines = result.out.splitlines()
    assert lines[:2] == ["--- examples/seed-key-policy.json", "+++ examples/seed-key-policy.json"]
    old = '      "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},'
    new = (
        '      "Principal": {"AWS": ["arn:aws:iam::111122223333:root", '
        '"arn:aws:iam::444455556666:root"]},'
    )
    assert [ln for ln in lines[2:] if ln.startswith("-")] == ["-" + old] * 2
    assert [ln for ln in lines[2:] if ln.startswith("+")] == ["+" + new] * 2


# ----------------------------------------------------------------------------- edges


def test_new_statement_follows_the_statements_layout() -> None:
    text = SEED.read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["Statement"].append({"Sid": "new", "Effect": "Allow"})
    new = minimal_edit(text, doc)
    assert new is not None
    assert new.endswith(
        '      "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}\n'
        "    },\n"
        "    {\n"
        '      "Sid": "new",\n'
        '      "Effect": "Allow"\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_tab_file_gets_tab_indented_values() -> None:
    text = '{\n\t"Statement": [\n\t\t{"Effect": "Allow", "Principal": "*"}\n\t]\n}'
    doc = json.loads(text)
    doc["Statement"][0]["Principal"] = {"AWS": ["a", "b"]}
    doc["Statement"].append({"Effect": "Deny", "Principal": "*"})
    new = minimal_edit(text, doc)
    assert new == (
        '{\n\t"Statement": [\n\t\t{"Effect": "Allow", "Principal": {"AWS": ["a", "b"]}},\n'
        '\t\t{"Effect": "Deny", "Principal": "*"}\n\t]\n}'
    )


def test_removed_values_replace_only_their_container() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "a"}, {"Sid": "b"}]\n}\n'
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "b"}]}
    new = minimal_edit(text, doc)
    assert new == '{\n  "Version": "2012-10-17",\n  "Statement": [{"Sid": "b"}]\n}\n'


def test_types_are_told_apart() -> None:
    text = '{"a": 1, "b": [1.0]}'
    new = minimal_edit(text, {"a": True, "b": [1]})
    assert new == '{"a": true, "b": [1]}'


@pytest.mark.parametrize(
    "text",
    [
        '{"Statement": [], "Statement": []}',  # duplicate keys: json.loads keeps the last
        '{"Statement": [}',  # not JSON
        "",
    ],
)
def test_what_the_splicer_cannot_express_falls_back(text: str, tmp_path: Path) -> None:
    fixed = {"Version": "2012-10-17", "Statement": [{"Sid": "x"}]}
    assert minimal_edit(text, fixed) is None
    if not text.startswith('{"Statement": [}') and text:
        path = tmp_path / "p.json"
        path.write_text(text, encoding="utf-8")
        diff = file_diff(PolicyFile(path.name, text), fixed)
        assert run_patch(tmp_path, diff, "-p0").returncode == 0
        assert json.loads(path.read_text(encoding="utf-8")) == fixed


def test_deep_nesting_falls_back_without_a_traceback() -> None:
    text = "[" * 5000 + "]" * 5000
    assert minimal_edit(text, {"Statement": []}) is None


def test_new_text_follows_the_files_ascii_escaping() -> None:
    fixed = {"Statement": [{"Sid": "é"}, {"Sid": "ü\u200b"}]}
    escaped = minimal_edit('{"Statement": [{"Sid": "\\u00e9"}]}', fixed)
    assert escaped == '{"Statement": [{"Sid": "\\u00e9"}, {"Sid": "\\u00fc\\u200b"}]}'
    # raw UTF-8 stays raw, hidden characters are escaped either way
    raw = minimal_edit('{"Statement": [{"Sid": "é"}]}', fixed)
    assert raw == '{"Statement": [{"Sid": "é"}, {"Sid": "ü\\u200b"}]}'
