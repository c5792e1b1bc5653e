"""The HTML report (spec section 8): escaping, self-containment, the copy-flow picture's
layout at scale, and the command-line wiring. The browser test is tests/browser/test_html_report.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_samples import cg101, cg106, cg902, key_fix

from copyguard.checks.model import Finding, Fix, Report, tr
from copyguard.cli.main import cli
from copyguard.report import render
from copyguard.report.html import (
    BOX_H,
    BOX_W,
    MAX_ARROWS,
    MAX_BOXES,
    MAX_HEIGHT,
    MAX_LANES,
    MAX_WIDTH,
    _script,
    copy_verdicts,
    layout,
)
from copyguard.scenario.model import Copy, Key, Organization, Scenario, Vault

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "data" / "html" / "flows.yaml"

# every element the page itself uses; anything else came from input
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "div", "strong", "span",
    "code", "section", "h1", "h2", "p", "i", "svg", "defs", "marker", "path", "g", "rect",
    "text", "select", "option", "label", "table", "thead", "tbody", "tr", "th", "td", "br",
    "a", "button", "details", "summary", "dl", "dt", "dd", "ul", "ol", "li", "pre", "footer",
    "script",
}  # fmt: skip


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)


def parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    p.close()
    return p


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "</svg><svg onload=alert(3)>",
    "{{ 7*7 }}{% if 1 %}jinja{% endif %}",
    "line\u2028break\u2029para",
    "lone\ud800surrogate",
    "\u202eevil\x1b[31m",
    "' onmouseover='alert(4)",
]


def _hostile_case(bad: str) -> tuple[Report, Scenario]:
    acct_a, acct_b = "111122223333", "444455556666"
    src = f"arn:aws:backup:us-east-1:{acct_a}:backup-vault:{bad}"
    dst = f"arn:aws:backup:us-east-1:{bad}:backup-vault:{bad}"
    key = f"arn:aws:kms:us-east-1:{acct_a}:key/{bad}"
    sc = Scenario(
        keys={key: Key(arn=key, path="keys[0]")},
        vaults={dst: Vault(arn=dst, path="vaults[0]")},
        copies=[
            Copy(name=bad, path="copies[0]", source_vault=src, destination_vault=dst),
            Copy(
                name="ok",
                path="copies[1]",
                source_vault=src,
                destination_vault=f"arn:aws:backup:us-east-1:{acct_b}:backup-vault:x",
                resource_type=bad,
            ),
        ],
        source=bad,
    )
    finding = cg101(
        copy=bad,
        resource=key,
        message=tr(f"message {bad}", f"消息 {bad}"),
        path=f"keys[0].{bad}",
        file=bad,
        evidence={
            "actions": {bad: "implicit_deny"},
            "statements": [{"policy": bad, "statement": bad, "sid": bad, "reasons": [bad]}],
            bad: bad,
        },
        steps=[tr(bad, bad)],
        notes=[tr(bad, bad)],
    )
    fix = Fix(
        kind="key-policy",
        resource=key,
        applicability="unsafe",
        description=tr(bad, bad),
        diff=f"--- a\n+++ b\n@@ -1 +1 @@\n-{bad}\n+{bad}\n",
        principal=bad,
        codes=["CG101"],
        commands=[f"aws kms put-key-policy --key-id '{bad}'"],
        steps=[tr(bad, bad)],
    )
    report = Report(
        findings=[finding, cg902(copy="ok", message=tr(bad, bad))],
        fixes=[fix],
        copies=[bad, "ok"],
        source=bad,
        assumptions=[tr(bad, bad)],
    )
    return report, sc


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_strings_never_become_markup(bad: str, lang: str) -> None:
    report, sc = _hostile_case(bad)
    page = render(
        report,
        "html",
        lang,
        tool_version="0.1.0",
        scenario=sc,
        fix_command=f"copyguard fix {bad} --as cli",
    )
    page.encode("utf-8")  # a lone surrogate must not survive: the page always encodes
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, f"injected element <{tag}>"
        for name, _value in attrs:
            assert not name.startswith("on"), f"injected attribute {name} on <{tag}>"
            assert name not in ("src", "srcset", "formaction", "xlink:href")
    # exactly one script: the page's own, byte for byte
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert parsed.scripts == [_script()[0]]
    text = "".join(parsed.text)
    # the value is shown (as text, with unsafe characters as visible escapes)
    shown = bad.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    shown = shown.replace("\ud800", "\\ud800").replace("\u202e", "\\u202e")
    shown = shown.replace("\x1b", "\\x1b")
    assert shown in text
    for raw in ("\u2028", "\u2029", "\u202e", "\x1b"):
        assert raw not in page
    # Jinja syntax in input is data, not template code
    if "{{" in bad:
        assert "{{ 7*7 }}" in text


def test_hostile_attribute_values_stay_inside_their_attribute() -> None:
    bad = '" data-x="1" onclick="alert(1)'
    report, sc = _hostile_case(bad)
    page = render(report, "html", "en", tool_version="0.1.0", scenario=sc)
    parsed = parse(page)
    rows = [dict(a) for t, a in parsed.tags if t == "tr" and dict(a).get("data-verdict")]
    assert {r["data-verdict"] for r in rows} == {"fail", "unknown"}
    assert all("data-x" not in r and "onclick" not in r for r in rows)
    # the hostile account is one of the values the filter offers, intact
    options = [dict(a).get("value") for t, a in parsed.tags if t == "option"]
    assert bad in options


def _links(page: str) -> list[str]:
    parsed = parse(page)
    out = []
    for _tag, attrs in parsed.tags:
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value is not None:
                out.append(value)
    return out


def test_page_references_nothing_outside_itself() -> None:
    from copyguard import api
    from copyguard.scenario import load_scenario

    sc = load_scenario(FLOWS)
    report = api.check_scenario(sc)
    page = render(report, "html", "en", tool_version="0.1.0", scenario=sc)
    assert not re.search(r"https?:|//[a-z]|file:|ftp:", page, re.I)
    assert all(v.startswith("#") for v in _links(page)), _links(page)
    for m in re.finditer(r"url\(([^)]*)\)", page):
        assert m.group(1).startswith("#"), m.group(0)
    assert "@import" not in page and "@font-face" not in page
    # the CSP forbids every fetch and allows only the page's own script, by its hash
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert f"script-src '{_script()[1]}'" in csp.group(1)
    # one arrow per copy here, each coloured by its copy's verdict
    assert re.findall(r'<path class="flow v-(\w+)"', page) == ["fail", "unknown", "pass"]


def test_copy_verdicts_come_from_each_copys_findings() -> None:
    report = Report(
        findings=[cg101(copy="a"), cg902(copy="b"), cg106(copy="c"), cg902(copy="a")],
        copies=["a", "b", "c", "d"],
    )
    got = copy_verdicts(report)
    assert got["a"] == ("fail", ["CG101", "CG902"])
    assert got["b"] == ("unknown", ["CG902"])
    assert got["c"] == ("pass", ["CG106"])
    assert got["d"] == ("pass", [])


def _big(n_accounts: int, *, ou: bool) -> tuple[Scenario, Report]:
    central = "999999999999"
    keys: dict[str, Key] = {}
    vaults: dict[str, Vault] = {}
    copies: list[Copy] = []
    findings: list[Finding] = []
    paths: dict[str, list[str]] = {}
    dst = f"arn:aws:backup:us-east-1:{central}:backup-vault:central"
    vaults[dst] = Vault(arn=dst, path="vaults[0]")
    for i in range(n_accounts - 1):
        acct = f"{100000000000 + i:012d}"
        src = f"arn:aws:backup:us-east-1:{acct}:backup-vault:v{i}"
        key = f"arn:aws:kms:us-east-1:{acct}:key/k{i}"
        keys[key] = Key(arn=key, path=f"keys[{i}]")
        vaults[src] = Vault(arn=src, path=f"vaults[{i + 1}]")
        for j in range(2):
            name = f"copy-{i}-{j}"
            copies.append(
                Copy(
                    name=name,
                    path=f"copies[{len(copies)}]",
                    source_vault=src,
                    destination_vault=dst,
                )
            )
            if i % 10 == 0:
                findings.append(cg101(copy=name, resource=key))
            elif i % 10 == 1:
                findings.append(cg902(copy=name))
        if ou:
            paths[acct] = [f"o-abc/r-root/ou-{i % 7}/"]
    org = Organization(id="o-abc", paths=paths) if ou else Organization()
    sc = Scenario(organization=org, keys=keys, vaults=vaults, copies=copies)
    report = Report(findings=findings, copies=[c.name for c in copies])
    return sc, report


@pytest.mark.parametrize("ou", [False, True])
def test_layout_with_200_accounts_stays_within_bounds(ou: bool) -> None:
    sc, report = _big(200, ou=ou)
    pic = layout(sc, report, "en")
    assert pic.accounts == 200
    assert pic.width <= MAX_WIDTH and pic.height <= MAX_HEIGHT
    assert pic.width <= 2200 and pic.height <= 1100
    assert len(pic.lanes) <= MAX_LANES
    for i in range(len(pic.lanes)):
        assert sum(1 for b in pic.boxes if b.lane == i) <= MAX_BOXES
    assert len(pic.arrows) <= MAX_ARROWS
    # every account has exactly one lane; failing ones come first, one lane each
    members = [a for lane in pic.lanes for a in lane.accounts]
    assert len(members) == len(set(members)) == 200
    detailed = [lane for lane in pic.lanes if not lane.grouped]
    grouped = [lane for lane in pic.lanes if lane.grouped]
    assert detailed and grouped
    assert all(lane.verdict in ("fail", "unknown") for lane in detailed)
    # the central account every copy goes to has a lane of its own
    assert "999999999999" in {a for lane in detailed for a in lane.accounts}
    # the passing accounts are collapsed: no passing account has a lane of its own
    passing = {f"{100000000000 + i:012d}" for i in range(199) if i % 10 not in (0, 1)}
    assert not passing & {a for lane in detailed for a in lane.accounts}
    if ou:
        assert any(lane.title.startswith("o-abc/r-root/ou-") for lane in grouped)
    # every copy is on exactly one arrow whose colour is the copy's own verdict
    verdicts = copy_verdicts(report)
    on_arrows = [name for a in pic.arrows for name in a.copies]
    assert sorted(on_arrows) == sorted(c.name for c in sc.copies)
    for a in pic.arrows:
        assert {verdicts[name][0] for name in a.copies} == {a.verdict}
    # every box stays inside the picture
    for b in pic.boxes:
        assert b.x >= 0 and b.x + BOX_W <= pic.width and b.y >= 0 and b.y + BOX_H <= pic.height
    # deterministic
    assert layout(sc, report, "en") == pic


def test_small_layout_gives_every_account_a_lane_and_skips_lanes_under_the_boxes() -> None:
    from copyguard import api
    from copyguard.scenario import load_scenario

    sc = load_scenario(FLOWS)
    report = api.check_scenario(sc)
    pic = layout(sc, report, "en")
    assert [lane.title for lane in pic.lanes] == [
        "111122223333",
        "222233334444",
        "444455556666",
        "555566667777",
    ]
    assert not any(lane.grouped for lane in pic.lanes)
    by_verdict = {a.verdict: a for a in pic.arrows}
    assert set(by_verdict) == {"fail", "pass", "unknown"}
    assert by_verdict["fail"].label == "CG101"
    assert by_verdict["unknown"].label == "CG106 CG902"
    # an arrow that skips a lane runs below every box (a horizontal segment under them)
    bottom = max(b.y + BOX_H for b in pic.boxes)
    seg = re.search(r" V(\d+) H", by_verdict["fail"].d)
    assert seg is not None and int(seg.group(1)) > bottom


class _Ran:
    def __init__(self, exit_code: int, output: str) -> None:
        self.exit_code, self.output = exit_code, output


def _run(args: list[str]) -> _Ran:
    """The command in this process, with the exit code ``cli.main.main`` would give."""
    from copyguard.cli.common import EXIT_INPUT, InputError

    res = CliRunner().invoke(cli, args, standalone_mode=False, env={"NO_COLOR": "1"})
    if isinstance(res.exception, InputError):
        return _Ran(EXIT_INPUT, f"{res.output}{res.exception}")
    if res.exception is not None:
        raise res.exception
    return _Ran(res.return_value if isinstance(res.return_value, int) else 0, res.output)


def test_check_format_html_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    res = _run(["check", str(FLOWS), "--format", "html", "--lang", "en", "-o", str(out)])
    assert res.exit_code == 1
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<path class="flow ') == 3
    assert 'data-verdict="fail"' in page
    zh = _run(["check", str(FLOWS), "--format", "html", "--lang", "zh"])
    assert zh.exit_code == 1
    assert "复制路径图" in zh.output and 'lang="zh-Hans"' in zh.output


def test_check_quick_form_html_draws_its_one_copy() -> None:
    res = _run(
        [
            "check",
            "--key-policy",
            str(ROOT / "examples" / "seed-key-policy.json"),
            "--source-account",
            "111122223333",
            "--destination-account",
            "444455556666",
            "--format",
            "html",
        ]
    )
    assert res.exit_code == 1
    assert res.output.count('<path class="flow v-fail"') == 1


def test_fix_as_html_shows_the_fixes_with_their_diff() -> None:
    res = _run(["fix", str(ROOT / "examples" / "seed-failing.yaml"), "--as", "html"])
    assert res.exit_code == 0
    parsed = parse(res.output)
    assert any(t == "div" and ("data-kind", "key-policy") in a for t, a in parsed.tags)
    assert '<span class="d-add">+' in res.output
    assert "--as cli" in res.output


def test_fix_as_html_refuses_live() -> None:
    res = _run(["fix", "--live", "--all-plans", "--as", "html"])
    assert res.exit_code == 2
    assert "scan --format html" in res.output


def test_render_without_a_scenario_has_no_picture_but_every_finding() -> None:
    report = Report(findings=[cg101(), cg902()], copies=["ebs-to-central", "rds-to-dr"])
    page = render(report, "html", "en", tool_version="0.1.0")
    assert "<svg" not in page
    assert page.count('<details class="finding"') == 2
    assert page.count("<tr data-verdict=") == 2


@pytest.mark.parametrize(
    "args",
    [
        ["check", "examples/seed-failing.yaml", "--format", "html", "--lang", "zh"],
        ["fix", "examples/seed-failing.yaml", "--as", "html"],
    ],
)
def test_html_report_imports_no_aws_sdk(args: list[str]) -> None:
    """An offline HTML report pays for Jinja2, never for boto3, botocore or moto."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"sys.argv = ['copyguard', *{args!r}]\n"
        "from copyguard.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
        "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert "<svg" in proc.stdout
    assert "HEAVY:\n" in proc.stderr, proc.stderr[-2000:]


def test_a_lane_with_many_vaults_ends_with_a_box_that_counts_the_rest() -> None:
    src_acct, dst_acct = "111122223333", "444455556666"
    dst = f"arn:aws:backup:us-east-1:{dst_acct}:backup-vault:central"
    copies = [
        Copy(
            name=f"c{i:02d}",
            path=f"copies[{i}]",
            source_vault=f"arn:aws:backup:us-east-1:{src_acct}:backup-vault:v{i:02d}",
            destination_vault=dst,
        )
        for i in range(30)
    ]
    sc = Scenario(copies=copies)
    report = Report(findings=[cg101(copy="c29")], copies=[c.name for c in copies])
    pic = layout(sc, report, "en")
    lane0 = [b for b in pic.boxes if b.lane == 0]
    assert len(lane0) == MAX_BOXES
    # the failing copy's vault is drawn first; the last box counts the vaults not drawn
    assert lane0[0].label == "v29" and lane0[0].verdict == "fail"
    more = lane0[-1]
    assert more.kind == "more" and more.label == f"+{30 - (MAX_BOXES - 1)} more"
    assert sum(len(a.copies) for a in pic.arrows) == 30
    # the copies from the vaults not drawn share one arrow, from the counting box
    hidden = 30 - (MAX_BOXES - 1)
    assert sorted(len(a.copies) for a in pic.arrows) == [1] * (MAX_BOXES - 1) + [hidden]
    (shared,) = [a for a in pic.arrows if len(a.copies) == hidden]
    assert shared.label == f"×{hidden}" and shared.verdict == "pass"
    assert pic.height <= MAX_HEIGHT


def _flows_report() -> tuple[Report, Scenario]:
    from copyguard import api
    from copyguard.scenario import load_scenario

    sc = load_scenario(FLOWS)
    return api.check_scenario(sc), sc


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_in_pieces_is_the_page_laid_out_whole(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """html_chunks with a piece per template event, joined, against the page rendered from
    lists of every finding's, fix's and copy row's values in one piece: the same bytes,
    no piece empty, no line break at the end."""
    from copyguard.report import html

    report, sc = _flows_report()
    assert report.findings and report.fixes

    def whole() -> str:
        with monkeypatch.context() as m:
            m.setattr(html, "_Each", lambda items, make: [make(i) for i in items])
            m.setattr(html, "CHUNK_CHARS", 10**12)
            (page,) = html.html_chunks(report, lang, scenario=sc, tool_version="0.1.0")
        return page

    reference = whole()
    monkeypatch.setattr(html, "CHUNK_CHARS", 1)
    pieces = list(html.html_chunks(report, lang, scenario=sc, tool_version="0.1.0"))
    assert len(pieces) > 100
    assert all(pieces)
    assert (
        "".join(pieces)
        == reference
        == render(report, "html", lang, tool_version="0.1.0", scenario=sc)
    )
    assert reference.endswith("</html>")


def test_page_makes_each_finding_and_fix_when_it_reaches_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page with 400 findings and fixes: a piece that needs a finding's values is given
    before most of them are made and before any fix's: they are not all held at once."""
    from copyguard.report import html

    made: list[str] = []
    real_finding, real_fix = html._finding, html._fix
    monkeypatch.setattr(html, "_finding", lambda f, lang: made.append("f") or real_finding(f, lang))
    monkeypatch.setattr(html, "_fix", lambda x, *a: made.append("x") or real_fix(x, *a))
    monkeypatch.setattr(html, "CHUNK_CHARS", 2000)
    report = Report(findings=[cg101(copy=f"copy-{i}") for i in range(400)])
    report.fixes = [key_fix() for _ in range(400)]
    pieces = html.html_chunks(report, "en", tool_version="0.1.0")
    assert made == []  # nothing before the first piece is asked for
    given = 0
    for _ in pieces:  # up to the first piece that needed a finding's values
        given += 1
        if made:
            break
    assert given > 1  # the page's head came first
    assert 0 < made.count("f") < 50 and made.count("x") == 0
    rest = list(pieces)
    assert made.count("f") == 400 and made.count("x") == 400
    assert rest[-1].endswith("</html>")
