"""The HTML report (spec section 8): one self-contained page.

The page holds the verdict, a picture of the copy flows (inline SVG: accounts as lanes, their
vaults and keys as boxes, each copy an arrow from its source vault to its destination vault,
coloured by the copy's verdict and labelled with its finding codes), a table of the copies
that an inline script filters by account, verdict and code, every finding with its evidence
and every fix with its diff and commands.

Nothing is fetched: styles and the script are inline, fonts are the system's, and a
Content-Security-Policy (``default-src 'none'``, the script allowed by its hash) forbids any
request. Every value from the input goes through Jinja2's autoescaping, after
:func:`copyguard.escape.visible` (controls, BIDI characters, line separators and lone
surrogates become visible escapes), so a hostile ARN or message stays text.

:func:`layout` is a pure, deterministic function from a Scenario and a Report to a
:class:`Picture` (coordinates only); the template draws it. With many accounts, the accounts
with a failing or unknown copy keep a lane each (up to :data:`MAX_DETAILED_LANES`) and the
others are grouped (by organizational unit when the scenario gives OU paths, else by
verdict) into summary lanes, so the picture stays within :data:`MAX_LANES` lanes and
:data:`MAX_BOXES` boxes per lane whatever the number of accounts.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from copyguard.checks.model import Finding, Fix, Report, Text, tr
from copyguard.escape import visible
from copyguard.records import field, record
from copyguard.report.common import (
    action_rows,
    apply_hint,
    blocks,
    check_lang,
    counts,
    decision_text,
    location,
    other_evidence,
    sorted_findings,
    sorted_fixes,
    statement_lines,
    stripped_end,
    verdict_word,
)
from copyguard.report.labels import (
    applicability_label,
    colon,
    copies_text,
    count_text,
    label,
    severity_label,
)

if TYPE_CHECKING:
    from jinja2 import Environment

    from copyguard.scenario.model import Scenario

__all__ = [
    "MAX_BOXES",
    "MAX_LANES",
    "Picture",
    "copy_verdicts",
    "html_chunks",
    "layout",
]

# ----------------------------------------------------------------------------- labels

#: Strings only the HTML report prints (the others come from ``labels.LABELS``).
HTML_LABELS: dict[str, Text] = {
    "title": tr("copyguard report", "copyguard 报告"),
    "picture": tr("Copy flows", "复制路径图"),
    "picture.hint": tr(
        "Each column is an account; boxes are its vaults and keys; each arrow is a copy from "
        "its source vault to its destination vault, coloured by its verdict and labelled "
        "with its finding codes.",
        "每一列是一个账户；方框是其中的备份库和密钥；每个箭头是一条从源备份库到目标备份库的复制，"
        "颜色表示其结论，标签为其发现代码。",
    ),
    "picture.none": tr(
        "No scenario to draw: the picture needs the copies' vaults and accounts.",
        "没有可绘制的场景：该图需要复制的备份库和账户。",
    ),
    "picture.grouped": tr(
        "{n} accounts: {shown} drawn one by one (those with a failing or unknown copy "
        "first); the others are grouped into summary lanes.",
        "共 {n} 个账户：其中 {shown} 个单独绘制（优先绘制有失败或未知复制的账户）；"
        "其余账户合并为汇总列。",
    ),
    "picture.arrows_dropped": tr(
        "{n} more arrows are not drawn; every copy is in the table below.",
        "另有 {n} 个箭头未绘制；所有复制都列在下表中。",
    ),
    "picture.unattributed": tr(
        "Findings not tied to one copy: {codes}",
        "不属于某一具体复制的发现：{codes}",
    ),
    "legend": tr("Legend", "图例"),
    "lane.unknown": tr("unknown account", "未知账户"),
    "lane.group.verdict.pass": tr("passing accounts", "通过的账户"),
    "lane.group.verdict.fail": tr("more failing accounts", "更多失败的账户"),
    "lane.group.verdict.unknown": tr("more unknown accounts", "更多未知的账户"),
    "lane.group.verdict.none": tr("accounts without copies", "没有复制的账户"),
    "lane.group.other": tr("other accounts", "其他账户"),
    "lane.group.count": tr("{n} accounts", "{n} 个账户"),
    "box.vault": tr("vault", "备份库"),
    "box.key": tr("key", "密钥"),
    "box.source": tr("source (no vault given)", "来源（未给出备份库）"),
    "box.more": tr("+{n} more", "另有 {n} 个"),
    "box.summary": tr("{vaults} vaults, {keys} keys", "{vaults} 个备份库，{keys} 个密钥"),
    "copies": tr("Copies", "复制"),
    "copies.none": tr("No copies.", "没有复制。"),
    "col.copy": tr("Copy", "复制"),
    "col.from": tr("From", "源"),
    "col.to": tr("To", "目标"),
    "col.type": tr("Resource type", "资源类型"),
    "col.verdict": tr("Verdict", "结论"),
    "col.codes": tr("Codes", "代码"),
    "filter.account": tr("Account", "账户"),
    "filter.verdict": tr("Verdict", "结论"),
    "filter.code": tr("Code", "代码"),
    "filter.all": tr("all", "全部"),
    "filter.shown": tr("shown", "条显示"),
    "findings": tr("Findings", "发现"),
    "expand": tr("Expand all", "全部展开"),
    "collapse": tr("Collapse all", "全部折叠"),
    "unknown": tr("unknown", "未知"),
}


def _l(key: str, lang: str, **values: object) -> str:
    text = HTML_LABELS[key].get(lang)
    return text.format(**values) if values else text


# ----------------------------------------------------------------------------- verdicts

VERDICT_RANK = {"fail": 0, "unknown": 1, "pass": 2, "none": 3}


def _verdict_of(findings: Iterable[Finding]) -> str:
    fs = list(findings)
    if any(f.severity == "error" for f in fs):
        return "fail"
    if any(f.code == "CG902" for f in fs):
        return "unknown"
    return "pass"


def copy_verdicts(report: Report, names: Iterable[str] = ()) -> dict[str, tuple[str, list[str]]]:
    """Each copy's verdict (from its own findings, as the report's verdict is made) and its
    sorted finding codes: ``{name: (verdict, codes)}``, for the report's copies and ``names``."""
    by_copy: dict[str, list[Finding]] = {}
    for f in report.findings:
        if f.copy is not None:
            by_copy.setdefault(f.copy, []).append(f)
    out: dict[str, tuple[str, list[str]]] = {}
    for name in [*report.copies, *names, *by_copy]:
        if name not in out:
            fs = by_copy.get(name, [])
            out[name] = (_verdict_of(fs), sorted({f.code for f in fs}))
    return out


# ----------------------------------------------------------------------------- layout

LANE_W = 210
LANE_GAP = 56
MARGIN = 16
HEADER_H = 58
BOX_W = 180
BOX_H = 40
BOX_GAP = 14
#: lanes drawn one account each, at most (the rest are grouped)
MAX_DETAILED_LANES = 6
#: lanes in all, summary lanes included
MAX_LANES = 8
#: boxes in one lane, at most (the last one says how many more there are)
MAX_BOXES = 12
#: arrows drawn, at most (copies with the same ends and verdict share one arrow)
MAX_ARROWS = 120
#: rows of the corridor under the boxes, where arrows that skip lanes run
CORRIDOR_SLOTS = 8
CORRIDOR_STEP = 16
MAX_WIDTH = MARGIN * 2 + MAX_LANES * LANE_W + (MAX_LANES - 1) * LANE_GAP
MAX_HEIGHT = (
    MARGIN * 2 + HEADER_H + MAX_BOXES * (BOX_H + BOX_GAP) + 8 + CORRIDOR_SLOTS * CORRIDOR_STEP + 24
)


@record(slots=True)
class Lane:
    x: int
    title: str
    subtitle: str
    verdict: str  # worst verdict of the copies touching it: fail, unknown, pass, none
    grouped: bool
    accounts: list[str]


@record(slots=True)
class Box:
    id: str
    lane: int
    x: int
    y: int
    kind: str  # vault, key, source, more, summary
    label: str
    detail: str  # the full ARN (or what the box stands for), shown as a tooltip
    verdict: str


@record(slots=True)
class Arrow:
    d: str
    verdict: str
    label: str
    label_x: int
    label_y: int
    title: str
    copies: list[str]


@record(slots=True)
class Picture:
    width: int
    height: int
    lanes: list[Lane] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accounts: int = 0
    copies: int = 0


@record(slots=True)
class _Flow:
    name: str
    src_account: str
    dst_account: str
    src_node: str  # a vault ARN, or "source:<copy>" when no source vault is given
    dst_node: str
    verdict: str
    codes: list[str]


def _short(arn: str, limit: int = 22) -> str:
    """The readable end of an ARN: a vault's name, a key's ID (shortened), an alias."""
    tail = arn.rsplit(":", 1)[-1] if arn.startswith("arn:") else arn
    if tail.startswith("key/"):
        tail = tail[4:]
    if tail.startswith("backup-vault:"):
        tail = tail[len("backup-vault:") :]
    if len(tail) > limit:
        tail = tail[: limit - 1] + "…"
    return tail


def _flows(scenario: Scenario, verdicts: dict[str, tuple[str, list[str]]]) -> list[_Flow]:
    out = []
    for c in scenario.copies:
        verdict, codes = verdicts.get(c.name, ("pass", []))
        src_acct = c.source_account or "?"
        dst_acct = c.destination_account or "?"
        src = c.source_vault if isinstance(c.source_vault, str) else f"source:{c.name}"
        dst = c.destination_vault if isinstance(c.destination_vault, str) else f"dest:{c.name}"
        out.append(_Flow(c.name, src_acct, dst_acct, src, dst, verdict, codes))
    return out


def ou_label(path: str, names: dict[str, str]) -> str:
    """An organization path (``o-x/r-y/ou-a/ou-b/``) as its OU names (``Production /
    Payments``, the root's name when the account sits at the root) when the scenario names
    them; else the path itself."""
    ids_ = [p for p in path.strip("/").split("/") if p.startswith(("r-", "ou-"))]
    if not ids_ or not any(i in names for i in ids_):
        return path
    ous = ids_[1:] if len(ids_) > 1 else ids_
    return " / ".join(names.get(i, i) for i in ous)


def _worst(verdicts: Iterable[str]) -> str:
    return min(verdicts, key=lambda v: VERDICT_RANK[v], default="none")


def layout(scenario: Scenario, report: Report, lang: str = "en") -> Picture:
    """The copy-flow picture of ``scenario`` judged by ``report``, as coordinates."""
    verdicts = copy_verdicts(report, (c.name for c in scenario.copies))
    flows = _flows(scenario, verdicts)

    # nodes per account: vaults and keys the scenario names, and the copies' ends
    nodes: dict[str, dict[str, str]] = {}  # account -> node id -> kind

    def add(account: str, node: str, kind: str) -> None:
        nodes.setdefault(account, {}).setdefault(node, kind)

    for v in scenario.vaults.values():
        add(v.account or "?", v.arn, "vault")
    for k in scenario.keys.values():
        add(k.account or "?", k.arn, "key")
    for fl in flows:
        add(fl.src_account, fl.src_node, "vault" if fl.src_node.startswith("arn:") else "source")
        add(fl.dst_account, fl.dst_node, "vault" if fl.dst_node.startswith("arn:") else "source")

    node_verdicts: dict[str, list[str]] = {}
    acct_verdicts: dict[str, list[str]] = {}
    for fl in flows:
        for n in (fl.src_node, fl.dst_node):
            node_verdicts.setdefault(n, []).append(fl.verdict)
        for a in (fl.src_account, fl.dst_account):
            acct_verdicts.setdefault(a, []).append(fl.verdict)
    acct_verdict = {a: _worst(acct_verdicts.get(a, [])) for a in nodes}

    # sources on the left, destinations on the right, so most arrows point one way
    sources = {fl.src_account for fl in flows}
    destinations = {fl.dst_account for fl in flows}

    def acct_order(a: str) -> tuple[int, int, str]:
        role = (
            0
            if a in sources and a not in destinations
            else 1
            if a in sources
            else 2
            if a in destinations
            else 3
        )
        return (1 if a == "?" else 0, role, a)

    accounts = sorted(nodes, key=acct_order)
    # aws:PrincipalOrgPaths per account, when the scenario's organization gives them
    paths: dict[str, list[str]] = getattr(scenario.organization, "paths", None) or {}
    ou_names: dict[str, str] = getattr(scenario.organization, "ou_names", None) or {}

    # which accounts get a lane of their own; the rest are grouped
    if len(accounts) <= MAX_DETAILED_LANES + (MAX_LANES - MAX_DETAILED_LANES):
        detailed = accounts
    else:
        # the accounts most failing or unknown copies touch (a central vault's account first)
        bad = {a: sum(1 for v in acct_verdicts.get(a, []) if v != "pass") for a in accounts}
        ranked = sorted(
            accounts, key=lambda a: (VERDICT_RANK[acct_verdict[a]], -bad[a], acct_order(a))
        )
        chosen = {a for a in ranked[:MAX_DETAILED_LANES] if acct_verdict[a] in ("fail", "unknown")}
        detailed = [a for a in accounts if a in chosen]
    groups: dict[str, list[str]] = {}
    group_titles: dict[str, str] = {}
    for a in accounts:
        if a in detailed:
            continue
        ou = paths.get(a)
        if ou:
            key = "ou:" + str(sorted(ou)[0])
            group_titles[key] = ou_label(str(sorted(ou)[0]), ou_names)
        else:
            key = "verdict:" + acct_verdict[a]
            group_titles[key] = _l(f"lane.group.verdict.{acct_verdict[a]}", lang)
        groups.setdefault(key, []).append(a)
    room = MAX_LANES - len(detailed)
    group_keys = sorted(
        groups, key=lambda k: (_worst(acct_verdict[a] for a in groups[k]) != "fail", k)
    )
    if len(group_keys) > room:
        keep, merged_keys = group_keys[: room - 1], group_keys[room - 1 :]
        merged = [a for k in merged_keys for a in groups[k]]
        groups = {k: groups[k] for k in keep}
        groups["other"] = merged
        group_titles["other"] = _l("lane.group.other", lang)
        group_keys = [*keep, "other"]

    pic = Picture(width=0, height=0, accounts=len(accounts), copies=len(flows))
    where: dict[str, str] = {}  # node id -> box id
    lane_of_account: dict[str, int] = {}

    def lane_x(i: int) -> int:
        return MARGIN + i * (LANE_W + LANE_GAP)

    def box_y(j: int) -> int:
        return MARGIN + HEADER_H + j * (BOX_H + BOX_GAP)

    # lanes left to right: sources, then accounts that are both, then destinations (a
    # summary lane takes the place of its most upstream member)
    entries = [(acct_order(a)[:2], 0, a) for a in detailed]
    entries += [(min(acct_order(a)[:2] for a in groups[k]), 1, k) for k in group_keys]
    entries.sort()
    position = {(kind, name): n for n, (_role, kind, name) in enumerate(entries)}

    max_boxes = 1
    for a in detailed:
        i = position[(0, a)]
        lane_of_account[a] = i
        title = a if a != "?" else _l("lane.unknown", lang)
        sub = ", ".join(ou_label(str(p), ou_names) for p in sorted(paths.get(a, []))[:1])
        pic.lanes.append(Lane(lane_x(i), title, sub, acct_verdict[a], False, [a]))
        # nodes in a failing copy first, then vaults before keys, then by ARN
        items = sorted(
            nodes[a].items(),
            key=lambda kv: (
                VERDICT_RANK[_worst(node_verdicts.get(kv[0], []))],
                {"vault": 0, "source": 0, "key": 1}.get(kv[1], 2),
                kv[0],
            ),
        )
        shown = items if len(items) <= MAX_BOXES else items[: MAX_BOXES - 1]
        for j, (node, kind) in enumerate(shown):
            bid = f"b{i}-{j}"
            where[node] = bid
            if kind == "source":
                text = _l("box.source", lang)
            else:
                text = _short(node)
            pic.boxes.append(
                Box(
                    bid,
                    i,
                    lane_x(i) + (LANE_W - BOX_W) // 2,
                    box_y(j),
                    kind,
                    text,
                    node if kind != "source" else node.split(":", 1)[-1],
                    _worst(node_verdicts.get(node, [])),
                )
            )
        if len(items) > len(shown):
            j = len(shown)
            bid = f"b{i}-more"
            hidden = items[len(shown) :]
            for node, _kind in hidden:
                where[node] = bid
            pic.boxes.append(
                Box(
                    bid,
                    i,
                    lane_x(i) + (LANE_W - BOX_W) // 2,
                    box_y(j),
                    "more",
                    _l("box.more", lang, n=len(hidden)),
                    ", ".join(n for n, _ in hidden[:50]),
                    _worst(v for n, _ in hidden for v in node_verdicts.get(n, [])),
                )
            )
            max_boxes = max(max_boxes, j + 1)
        max_boxes = max(max_boxes, len(shown))
    for g, key in enumerate(group_keys):
        i = position[(1, key)]
        members = groups[key]
        for a in members:
            lane_of_account[a] = i
        verdict = _worst(acct_verdict[a] for a in members)
        pic.lanes.append(
            Lane(
                lane_x(i),
                group_titles[key],
                _l("lane.group.count", lang, n=len(members)),
                verdict,
                True,
                members,
            )
        )
        bid = f"g{g}"
        n_vaults = n_keys = 0
        for a in members:
            for node, kind in nodes[a].items():
                where[node] = bid
                if kind == "key":
                    n_keys += 1
                else:
                    n_vaults += 1
        listed = ", ".join(members[:40]) + (" …" if len(members) > 40 else "")
        pic.boxes.append(
            Box(
                bid,
                i,
                lane_x(i) + (LANE_W - BOX_W) // 2,
                box_y(0),
                "summary",
                _l("box.summary", lang, vaults=n_vaults, keys=n_keys),
                listed,
                verdict,
            )
        )
    if group_keys:
        pic.notes.append(_l("picture.grouped", lang, n=len(accounts), shown=len(detailed)))

    pic.lanes.sort(key=lambda lane: lane.x)
    boxes = {b.id: b for b in pic.boxes}
    # one arrow per (source box, destination box, verdict)
    bundles: dict[tuple[str, str, str], list[_Flow]] = {}
    for fl in flows:
        bundles.setdefault((where[fl.src_node], where[fl.dst_node], fl.verdict), []).append(fl)
    ordered = sorted(
        bundles.items(),
        key=lambda kv: (VERDICT_RANK[kv[0][2]], kv[0][0], kv[0][1]),
    )
    if len(ordered) > MAX_ARROWS:
        pic.notes.append(_l("picture.arrows_dropped", lang, n=len(ordered) - MAX_ARROWS))
        ordered = ordered[:MAX_ARROWS]
    # arrows that skip lanes run in a corridor under the boxes, never across them
    corridor = MARGIN + HEADER_H + max_boxes * (BOX_H + BOX_GAP) + 8
    slots = 0
    # spread the ends of arrows that share a box, so they do not sit on one another
    ends: dict[str, int] = {}
    for idx, ((src, dst, verdict), fls) in enumerate(ordered):
        ba, bb = boxes[src], boxes[dst]
        off_a = ends.get(src, 0)
        ends[src] = off_a + 1
        off_b = ends.get(dst, 0)
        ends[dst] = off_b + 1
        dy_a = ((off_a % 5) - 2) * 7
        dy_b = ((off_b % 5) - 2) * 7
        ay = ba.y + BOX_H // 2 + dy_a
        by = bb.y + BOX_H // 2 + dy_b
        if ba.id == bb.id or ba.lane == bb.lane:
            # a loop on the lane's right side
            ax = ba.x + BOX_W
            bx = bb.x + BOX_W
            bend = 40 + (idx % 3) * 10
            d = f"M{ax},{ay} C{ax + bend},{ay - 20} {bx + bend},{by + 20} {bx + 2},{by + 4}"
            lx, ly = ax + bend - 4, (ay + by) // 2 - 12
        elif abs(ba.lane - bb.lane) > 1:
            forward = bb.x > ba.x
            sign = 1 if forward else -1
            ax = ba.x + BOX_W if forward else ba.x
            bx = bb.x if forward else bb.x + BOX_W
            slot = slots % CORRIDOR_SLOTS
            slots += 1
            y = corridor + 12 + slot * CORRIDOR_STEP
            cx1 = ax + sign * (22 + (slot % 4) * 8)
            cx2 = bx - sign * (22 + (slot % 4) * 8)
            d = f"M{ax},{ay} H{cx1} V{y} H{cx2} V{by} H{bx}"
            lx, ly = (cx1 + cx2) // 2, y - 4
        else:
            forward = bb.x > ba.x
            ax = ba.x + BOX_W if forward else ba.x
            bx = bb.x if forward else bb.x + BOX_W
            mid = (ax + bx) // 2
            d = f"M{ax},{ay} C{mid},{ay} {mid},{by} {bx},{by}"
            lx, ly = mid, (ay + by) // 2 - 6 - (idx % 3) * 12
        codes = sorted({c for fl in fls for c in fl.codes})
        text = " ".join(codes[:3]) + (f" +{len(codes) - 3}" if len(codes) > 3 else "")
        if len(fls) > 1:
            text = (text + f" ×{len(fls)}").strip()
        names = [fl.name for fl in fls]
        title = ", ".join(names[:20]) + (" …" if len(names) > 20 else "")
        pic.arrows.append(Arrow(d, verdict, text, lx, ly, title, names))

    lanes = max(1, len(pic.lanes))
    pic.width = MARGIN * 2 + lanes * LANE_W + (lanes - 1) * LANE_GAP
    used = min(slots, CORRIDOR_SLOTS)
    pic.height = corridor + (used * CORRIDOR_STEP + 16 if used else 0) + MARGIN + 8
    return pic


# ----------------------------------------------------------------------------- page


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        # every printed value: unsafe characters as visible escapes (then autoescaped);
        # Markup is only ever copyguard's own script
        if isinstance(value, str) and not isinstance(value, Markup):
            return visible(value)
        return value

    return Environment(
        loader=PackageLoader("copyguard.report", "templates"),
        autoescape=True,
        finalize=finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n") if text else []


def _finding(f: Finding, lang: str) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "severity_label": severity_label(f.severity, lang),
        "copy_name": f.copy,
        "title": f.title.get(lang),
        "message": _lines(f.message.get(lang)),
        "location": location(f),
        "path": f.path,
        "resource": f.resource,
        "actions": [(a, d, decision_text(d, lang)) for a, d in action_rows(f.evidence)],
        "statements": statement_lines(f.evidence, lang),
        "evidence": [(k, v) for k, v in other_evidence(f.evidence)],
        "notes": [n.get(lang) for n in f.notes],
        "steps": [s.get(lang) for s in f.steps],
        "fix_ref": label(
            "fix.ref",
            lang,
            kind=f.fix.kind,
            applicability=applicability_label(f.fix.applicability, lang),
        )
        if f.fix
        else None,
    }


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    out = []
    for line in _lines(diff):
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append((kind, line))
    return out


def _fix(fix: Fix, lang: str, fix_command: str | None, apply_command: str | None) -> dict[str, Any]:
    return {
        "kind": fix.kind,
        "resource": fix.resource,
        "applicability": fix.applicability,
        "applicability_label": applicability_label(fix.applicability, lang),
        "description": _lines(fix.description.get(lang)),
        "resolves": ", ".join(sorted(set(fix.codes))),
        "principal": fix.principal,
        "unsafe": label("fix.unsafe", lang) if fix.applicability == "unsafe" else None,
        "steps": [s.get(lang) for s in fix.steps],
        "commands": [ln for c in fix.commands for ln in _lines(c)],
        "diff": _diff_lines(fix.diff),
        "how": apply_hint(fix, lang, fix_command, apply_command, lambda s: s),
    }


_SCRIPT_NAME = "report.js"


@cache
def _script() -> tuple[str, str]:
    """The inline script and its CSP hash (``sha256-...``)."""
    env = _environment()
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, _SCRIPT_NAME)
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return source, f"sha256-{digest}"


class _Each:
    """A template's view of many items, each item's values made when the loop reaches it
    (the page never holds every finding's, fix's or copy row's values at once). True when
    there are items and sized, like the list it replaces; each loop over it makes them
    anew."""

    __slots__ = ("_items", "_make")

    def __init__(self, items: Collection[Any], make: Callable[[Any], dict[str, Any]]) -> None:
        self._items = items
        self._make = make

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(self._make, self._items)


#: the page's pieces are joined up to about this many characters before they are given out
CHUNK_CHARS = 1 << 16


def html_chunks(
    report: Report,
    lang: str,
    *,
    scenario: Scenario | None = None,
    tool_version: str,
    fix_command: str | None = None,
    apply_command: str | None = None,
) -> Iterator[str]:
    """The report as one self-contained HTML page (no trailing newline), in pieces of about
    :data:`CHUNK_CHARS` characters (``report.render(report, "html", ...)`` joins them):
    each finding's, fix's and copy row's values are made as the template reaches them, so a
    caller that writes each piece as it comes holds neither the page's text nor every
    item's values. The language is checked before the first piece."""
    check_lang(lang)
    return _html_pieces(report, lang, scenario, tool_version, fix_command, apply_command)


def _html_pieces(
    report: Report,
    lang: str,
    scenario: Scenario | None,
    tool_version: str,
    fix_command: str | None,
    apply_command: str | None,
) -> Iterator[str]:
    from markupsafe import Markup

    findings = sorted_findings(report)
    verdict = report.verdict
    names = [c.name for c in scenario.copies] if scenario is not None else []
    verdicts = copy_verdicts(report, names)
    copies_by_name = {c.name: c for c in scenario.copies} if scenario is not None else {}

    def accounts(c: Any) -> tuple[str, str]:
        if not c:
            return "?", "?"
        return c.source_account or "?", c.destination_account or "?"

    def row(item: tuple[str, tuple[str, list[str]]]) -> dict[str, Any]:
        name, (v, codes) = item
        c = copies_by_name.get(name)
        src, dst = accounts(c)
        return {
            "name": name,
            "src": src,
            "dst": dst,
            "src_vault": c.source_vault if c and isinstance(c.source_vault, str) else "",
            "dst_vault": (
                c.destination_vault if c and isinstance(c.destination_vault, str) else ""
            ),
            "type": c.resource_type if c is not None and isinstance(c.resource_type, str) else "",
            "verdict": v,
            "verdict_label": verdict_word(v, lang),
            "codes": codes,
        }

    rows = _Each(verdicts.items(), row)  # a copy's row made when the table reaches it
    all_accounts = sorted({a for name in verdicts for a in accounts(copies_by_name.get(name))})
    all_codes = sorted({c for _, codes in verdicts.values() for c in codes})
    unattributed = sorted({f.code for f in findings if f.copy is None})
    picture = layout(scenario, report, lang) if scenario is not None else None
    script, script_hash = _script()
    n = counts(findings)
    pieces = (
        _environment()
        .get_template("report.html.j2")
        .generate(
            lang=lang,
            L=lambda key, **kw: _l(key, lang, **kw),
            label=lambda key, **kw: label(key, lang, **kw),
            verdict=verdict,
            verdict_word=verdict_word(verdict, lang),
            verdict_hint=label(f"verdict.{verdict}.hint", lang),
            counts=count_text(n, lang),
            copies_text=copies_text(len(rows), lang) if rows else "",
            source=report.source,
            tool_version=tool_version,
            picture=picture,
            unattributed=", ".join(unattributed),
            rows=rows,
            all_accounts=all_accounts,
            all_codes=all_codes,
            findings=_Each(findings, lambda f: _finding(f, lang)),
            not_run=[
                (nr.code, nr.reason.get(lang))
                for nr in sorted(report.not_run, key=lambda x: x.code)
            ],
            assumptions=[a.get(lang) for a in report.assumptions],
            fixes=_Each(sorted_fixes(report), lambda x: _fix(x, lang, fix_command, apply_command)),
            script=Markup(script),  # our own file, never input
            script_hash=script_hash,
            colon=colon(lang),
            lane_w=LANE_W,
            box_w=BOX_W,
            box_h=BOX_H,
        )
    )
    yield from stripped_end(blocks(pieces, CHUNK_CHARS))
