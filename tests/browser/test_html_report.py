"""The HTML report in a real browser: the system Chromium (Debian's ``chromium`` package),
driven headless by playwright-core (``npm ci --prefix tests/browser``) through
``check_report.mjs``. The page must load with no console or page errors and no request
other than the file itself; the copy-flow picture must be drawn, each arrow in its verdict's
colour; the table filters must hide and show the right rows.

Without Chromium or ``node_modules`` the tests are skipped locally and fail under ``CI``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from copyguard.checks.model import Finding, Fix, Report, tr
from copyguard.report import render
from copyguard.report.html import layout
from copyguard.scenario.model import Copy, Key, Organization, Scenario, Vault

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = HERE / "check_report.mjs"
NODE_MODULES = HERE / "node_modules"
CHROMIUM = os.environ.get("COPYGUARD_CHROMIUM", "/usr/bin/chromium")
FLOWS = ROOT / "tests" / "data" / "html" / "flows.yaml"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_browser() -> None:
    problems = []
    if not Path(CHROMIUM).is_file():
        problems.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    if not (NODE_MODULES / "playwright-core").is_dir():
        problems.append(f"{NODE_MODULES} is missing (npm ci --prefix tests/browser)")
    if shutil.which("node") is None:
        problems.append("node is not on PATH")
    if not problems:
        return
    reason = "browser test unavailable: " + "; ".join(problems)
    if _in_ci():
        pytest.fail(reason + " -- under CI the browser test must run", pytrace=False)
    pytest.skip(reason)


def open_in_browser(page: str, tmp_path: Path) -> dict[str, Any]:
    _require_browser()
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        ["node", str(SCRIPT), str(html_file), str(shot), CHROMIUM],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=HERE,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert shot.is_file() and shot.stat().st_size > 1000, "no screenshot"
    # loads cleanly and fetches nothing
    assert out["console_errors"] == []
    assert out["page_errors"] == []
    assert out["requests"] == [] and out["blocked"] == []
    assert out["dialogs"] == []
    return out


def _flows_report(lang: str = "en") -> str:
    from copyguard import api
    from copyguard.scenario import load_scenario

    sc = load_scenario(FLOWS)
    return render(api.check_scenario(sc), "html", lang, tool_version="0.1.0", scenario=sc)


def _visible_rows(filters: dict[str, Any], select: str, value: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = filters[select][value]["rows"]
    assert filters[select][value]["count"] == str(len(rows))
    return rows


def test_report_draws_the_flows_and_filters_the_table(tmp_path: Path) -> None:
    out = open_in_browser(_flows_report(), tmp_path)
    assert out["verdict"] == "fail"
    svg = out["svg"]
    assert svg is not None and svg["width"] > 0 and svg["height"] > 0
    assert svg["lanes"] == 4
    assert [f["verdict"] for f in svg["flows"]] == ["fail", "unknown", "pass"]
    assert all(f["length"] > 50 for f in svg["flows"])  # really drawn, not empty paths
    colours = {f["verdict"]: f["stroke"] for f in svg["flows"]}
    assert len(set(colours.values())) == 3, colours
    red, green = colours["fail"], colours["pass"]
    r, g, _b = (int(x) for x in red[red.index("(") + 1 : -1].split(","))
    assert r > g, red  # failing arrows are red
    r, g, _b = (int(x) for x in green[green.index("(") + 1 : -1].split(","))
    assert g > r, green  # passing arrows are green
    assert sorted(svg["labels"]) == ["CG101", "CG106", "CG106 CG902"]

    filters = out["filters"]
    assert out["rows_total"] == 3 and out["rows_after_reset"] == 3
    for v in ("fail", "unknown", "pass"):
        rows = _visible_rows(filters, "f-verdict", v)
        assert len(rows) == 1 and rows[0]["verdict"] == v
    rows = _visible_rows(filters, "f-account", "555566667777")
    assert [r["verdict"] for r in rows] == ["unknown"]
    assert len(_visible_rows(filters, "f-account", "444455556666")) == 2
    assert len(_visible_rows(filters, "f-account", "222233334444")) == 2
    rows = _visible_rows(filters, "f-code", "CG106")
    assert len(rows) == 2 and all("CG106" in r["codes"].split() for r in rows)
    assert len(_visible_rows(filters, "f-code", "CG101")) == 1
    # a click on the failing arrow shows the failing copy only
    assert out["flow_click"]["verdict"] == "fail"
    assert [r["verdict"] for r in out["flow_click"]["rows"]] == ["fail"]
    # the findings collapse and expand
    assert out["open_after_collapse"] == 0
    assert out["open_after_expand"] == 5


def test_chinese_report_loads_cleanly(tmp_path: Path) -> None:
    out = open_in_browser(_flows_report("zh"), tmp_path)
    assert out["title"].startswith("copyguard 报告")
    assert len(out["svg"]["flows"]) == 3


def test_hostile_input_runs_no_script_and_fetches_nothing(tmp_path: Path) -> None:
    bad = '"><img src=x onerror=alert(1)><script>alert(2)</script></svg><svg onload=alert(3)>'
    src = f"arn:aws:backup:us-east-1:111122223333:backup-vault:{bad}"
    dst = f"arn:aws:backup:us-east-1:{bad}:backup-vault:{bad}"
    key = f"arn:aws:kms:us-east-1:111122223333:key/{bad}"
    sc = Scenario(
        keys={key: Key(arn=key, path="keys[0]")},
        copies=[Copy(name=bad, path="copies[0]", source_vault=src, destination_vault=dst)],
    )
    finding = Finding(
        code="CG101",
        severity="error",
        message=tr(bad, bad),
        copy=bad,
        resource=key,
        evidence={"actions": {bad: "implicit_deny"}, bad: bad},
    )
    fix = Fix(
        kind="key-policy",
        resource=key,
        applicability="safe",
        description=tr(bad, bad),
        diff=f"-{bad}\n+{bad}\n",
        commands=[bad],
    )
    report = Report(findings=[finding], fixes=[fix], copies=[bad], source=bad)
    out = open_in_browser(render(report, "html", "en", tool_version="0", scenario=sc), tmp_path)
    assert [f["verdict"] for f in out["svg"]["flows"]] == ["fail"]
    assert _visible_rows(out["filters"], "f-account", bad)[0]["verdict"] == "fail"


def test_two_hundred_accounts_stay_legible(tmp_path: Path) -> None:
    central = "999999999999"
    dst = f"arn:aws:backup:us-east-1:{central}:backup-vault:central"
    keys, vaults, copies, findings, paths = {}, {dst: Vault(arn=dst, path="v")}, [], [], {}
    for i in range(199):
        acct = f"{100000000000 + i:012d}"
        src = f"arn:aws:backup:us-east-1:{acct}:backup-vault:v{i}"
        k = f"arn:aws:kms:us-east-1:{acct}:key/k{i}"
        keys[k] = Key(arn=k, path="k")
        vaults[src] = Vault(arn=src, path="v")
        copies.append(Copy(name=f"c{i}", path="c", source_vault=src, destination_vault=dst))
        if i % 9 == 0:
            findings.append(
                Finding(code="CG101", severity="error", message=tr("x", "x"), copy=f"c{i}")
            )
        paths[acct] = [f"o-abc/r-root/ou-{i % 4}/"]
    sc = Scenario(
        organization=Organization(id="o-abc", paths=paths), keys=keys, vaults=vaults, copies=copies
    )
    report = Report(findings=findings, copies=[c.name for c in copies])
    pic = layout(sc, report)
    out = open_in_browser(render(report, "html", "en", tool_version="0", scenario=sc), tmp_path)
    svg = out["svg"]
    assert len(svg["flows"]) == len(pic.arrows)
    assert sum(f["count"] for f in svg["flows"]) == 199
    assert svg["lanes"] == len(pic.lanes) <= 8
    assert svg["width"] <= 2200 and svg["height"] <= 1100
    assert out["rows_total"] == 199
    assert len(_visible_rows(out["filters"], "f-verdict", "fail")) == len(findings)
