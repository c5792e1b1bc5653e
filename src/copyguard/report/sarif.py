"""SARIF 2.1.0 (OASIS, errata 01): one run, the whole rule catalogue, one result per finding.

A finding with a file gets a physical location (artifact URI and, when known, start line and
column); any other gets logical locations (the resource ARN and the copy). Fixes travel in
each result's ``properties.fix`` and in the run's ``properties.fixes``: a SARIF ``fixes``
entry needs the exact region of the artifact to replace, which findings do not carry.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

from copyguard.checks.model import Finding, Report
from copyguard.checks.rules import Rule, all_rules
from copyguard.report.common import (
    check_lang,
    json_chunks,
    location,
    shared_evidence,
    sorted_findings,
    sorted_fixes,
)
from copyguard.report.labels import label

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
#: Where the tool is described; the project has no public home yet, so this is the name
#: the package will be published under.
INFORMATION_URI = "https://pypi.org/project/copyguard/"
FINGERPRINT_KEY = "copyguard/v1"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_URI_SAFE = "/:@-._~!$&'()*+,;="
_WINDOWS_ABS = re.compile(r"^[A-Za-z]:[\\/]")


def artifact_uri(path: str) -> str:
    """A file path as a SARIF ``uri-reference``: relative paths stay relative (with ``/``),
    absolute ones become ``file:`` URIs, other characters are percent-encoded."""
    if "://" in path or path.startswith("file:"):
        return path
    if _WINDOWS_ABS.match(path):
        return PureWindowsPath(path).as_uri()
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return PurePosixPath(posix).as_uri()
    return quote(posix, safe=_URI_SAFE)


def sarif_rule(rule: Rule, lang: str) -> dict[str, Any]:
    from copyguard.report.rules_doc import render_rule

    out: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.title.get(lang)},
        "fullDescription": {"text": rule.what.get(lang)},
        "help": {
            "text": render_rule(rule, "text", lang),
            "markdown": render_rule(rule, "markdown", lang),
        },
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["copyguard", _family(rule.code)]},
    }
    if rule.references:
        out["helpUri"] = rule.references[0]
    return out


def _family(code: str) -> str:
    return {
        "1": "source-key",
        "2": "destination",
        "3": "organization",
        "4": "resource-type",
        "9": "input",
    }.get(code[2:3], "other")


def _locations(f: Finding) -> list[dict[str, Any]]:
    logical: list[dict[str, Any]] = []
    if f.resource:
        logical.append({"fullyQualifiedName": f.resource, "kind": "resource"})
    if f.copy:
        logical.append({"name": f.copy, "fullyQualifiedName": f"copy:{f.copy}", "kind": "object"})
    construct = f.evidence.get("construct_path")
    if isinstance(construct, str) and construct:  # a CDK stack: the logical ID's construct
        name = f.evidence.get("address")
        logical.append(
            {
                "name": name if isinstance(name, str) and name else construct,
                "fullyQualifiedName": construct,
                "kind": "resource",
            }
        )
    loc: dict[str, Any] = {}
    if f.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(f.file)}}
        if f.line is not None and f.line >= 1:
            region: dict[str, Any] = {"startLine": f.line}
            if f.column is not None and f.column >= 1:
                region["startColumn"] = f.column
            physical["region"] = region
        loc["physicalLocation"] = physical
    if logical:
        loc["logicalLocations"] = logical
    if f.path:
        loc["message"] = {"text": f.path}
    return [loc] if loc else []


def _result(f: Finding, index: dict[str, int], lang: str) -> dict[str, Any]:
    message = f.message.get(lang)
    loc = location(f)
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": _LEVEL.get(f.severity, "warning"),
        "message": {"text": message},
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    locations = _locations(f)
    if locations:
        result["locations"] = locations
    props: dict[str, Any] = {
        "title": f.title.get(lang),
        "severity": f.severity,
        "copy": f.copy,
        "resource": f.resource,
        "evidence": f.evidence,
        "fix": f.fix.to_dict() if f.fix else None,
    }
    if f.path:
        props["path"] = f.path
    if loc:
        props["location"] = loc
    if f.steps:
        props["steps"] = [s.get(lang) for s in f.steps]
    if f.notes:
        props["notes"] = [n.get(lang) for n in f.notes]
    result["properties"] = props
    return result


def sarif_log(report: Report, lang: str, *, tool_version: str) -> dict[str, Any]:
    """The SARIF log as a JSON-able value."""
    log = _outline(report, lang, tool_version)
    run = log["runs"][0]
    run["results"] = list(run["results"])
    if "fixes" in run["properties"]:
        run["properties"]["fixes"] = list(run["properties"]["fixes"])
    return log


def _outline(report: Report, lang: str, tool_version: str) -> dict[str, Any]:
    """:func:`sarif_log`, but the results and the fixes are iterators that make each item
    when it is reached (``report.common.json_chunks``)."""
    check_lang(lang)
    rules = all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "copyguard",
                "version": tool_version,
                "semanticVersion": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [sarif_rule(r, lang) for r in rules],
            }
        },
        "language": "zh-CN" if lang == "zh" else "en-US",
        "columnKind": "unicodeCodePoints",
        "results": (_result(f, index, lang) for f in sorted_findings(report)),
    }
    props: dict[str, Any] = {"verdict": report.verdict}
    if report.source:
        props["source"] = report.source
    if report.copies:
        props["copies"] = list(report.copies)
    if report.not_run:
        props["checks_not_run"] = [
            {"code": n.code, "reason": n.reason.get(lang)}
            for n in sorted(report.not_run, key=lambda x: x.code)
        ]
        props["checks_not_run_note"] = label("not_run.hint", lang)
    if report.assumptions:
        props["assumptions"] = [a.get(lang) for a in report.assumptions]
    fixes = sorted_fixes(report)
    if fixes:
        props["fixes"] = (fix.to_dict(lang) for fix in fixes)
    run["properties"] = props
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif_chunks(report: Report, lang: str, *, tool_version: str) -> Iterator[str]:
    """The SARIF log's text in pieces, one result or fix at a time (joined, exactly
    ``dumps(sarif_log(...))``): writing it holds one result's value and text, not the
    log's (a 10,000-copy report's log took 340 MB beyond the check's, for 52 MB of text).
    Evidence that several findings share is encoded once."""
    return json_chunks(_outline(report, lang, tool_version), shared_evidence(report.findings))
