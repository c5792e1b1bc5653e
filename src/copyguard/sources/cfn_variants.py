"""CloudFormation inputs across the merge: ``Fn::ImportValue`` against the other inputs'
exports, and undecidable ``Conditions`` evaluated both ways (spec section 6).

Pure (no boto3). ``link_and_expand`` is called by ``merge.load_inputs`` with the readings of
the CloudFormation inputs; ``merge_reports`` joins the reports of the set-ups it returns: a
finding that holds under every assignment of the undecidable conditions is reported once as it
is, one that holds under only some says under which (message and ``evidence.conditions``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import product
from typing import Any

from copyguard.checks.model import Report, Text, tr
from copyguard.sources.cloudformation import MAX_VARIANTS, link_imports
from copyguard.sources.reader_input import ReaderInput

Assignment = dict[str, bool]


def _entry(read: ReaderInput) -> tuple[str, dict[str, Any], Any, dict[str, tuple[str, str]]]:
    from copyguard.sources.merge import Origin

    origin = Origin(read.label, "", read.positions, addresses=read.addresses, kind="cloudformation")
    return (read.label, read.doc, origin, read.unknown_reasons)


def link_and_expand(
    docs: list[Any], reads: dict[int, ReaderInput], merge: Callable[[list[Any]], Any]
) -> Any:
    """Resolve imports (``docs`` entries of inputs read again are replaced in place), then one
    merged set-up per assignment of the undecidable conditions, listed in ``variants`` of the
    set-up that leaves them unknown (returned); None when no condition needs both ways (the
    caller merges ``docs``)."""
    for i, read in link_imports(reads).items():
        docs[i] = _entry(read)
    branching = [(i, r) for i, r in reads.items() if len(r.variants) > 1]
    if not branching:
        return None
    chosen: list[tuple[int, ReaderInput]] = []
    total = 1
    for i, r in branching:  # inputs whose variants do not fit keep their conditions unknown
        if total * len(r.variants) <= MAX_VARIANTS:
            chosen.append((i, r))
            total *= len(r.variants)
    if not chosen:
        return None
    qualify = len(chosen) > 1
    runs: list[tuple[Assignment, Any]] = []
    for combo in product(*(r.variants for _, r in chosen)):
        assignment: Assignment = {}
        variant_docs = list(docs)
        for (i, r), v in zip(chosen, combo, strict=True):
            variant_docs[i] = _entry(v)
            for name, value in v.conditions.items():
                assignment[f"{r.label}:{name}" if qualify else name] = value
        runs.append((assignment, merge(variant_docs)))
    base = merge(docs)  # what a reader of one set-up sees: those conditions unknown, named
    base.variants = runs
    return base


def merge_reports(runs: list[tuple[Assignment, Report]]) -> Report:
    """One report of the reports of every assignment: a finding in all of them once, as it
    is; one in some of them with the assignments under which it holds. Fixes, copies and
    assumptions are joined; the verdict follows (a failure under any assignment fails)."""
    if len(runs) == 1:
        return runs[0][1]
    out = Report(source=runs[0][1].source)
    where: dict[tuple[Any, ...], list[int]] = {}
    first: dict[tuple[Any, ...], Any] = {}
    fixes: dict[tuple[Any, ...], list[int]] = {}
    for n, (_, report) in enumerate(runs):
        for f in report.findings:
            key = (
                f.code,
                f.severity,
                f.copy,
                f.resource,
                f.message.en,
                f.file,
                f.line,
                f.evidence.get("address"),
            )
            if key not in first:
                first[key] = f
            seen = where.setdefault(key, [])
            if n not in seen:
                seen.append(n)
        for fix in report.fixes:
            fkey = (
                fix.kind,
                fix.resource,
                fix.applicability,
                json.dumps(fix.policy, sort_keys=True),
            )
            if fkey not in fixes:
                fixes[fkey] = []
                out.fixes.append(fix)
            fixes[fkey].append(n)
        for copy in report.copies:
            if copy not in out.copies:
                out.copies.append(copy)
        for a in report.assumptions:
            if a not in out.assumptions:
                out.assumptions.append(a)
        for nr in report.not_run:
            if all(x.code != nr.code for x in out.not_run):
                out.not_run.append(nr)
    assignments = [a for a, _ in runs]
    for key, f in first.items():
        hits = where[key]
        if len(hits) < len(runs):
            terms = describe([assignments[i] for i in hits], assignments)
            f.message = _qualified(f.message, terms, f.severity == "error")
            f.evidence["conditions"] = terms
        out.findings.append(f)
    for fix in out.fixes:  # a fix of some assignments only: say for which
        fkey = (fix.kind, fix.resource, fix.applicability, json.dumps(fix.policy, sort_keys=True))
        if len(set(fixes[fkey])) < len(runs):
            terms = describe([assignments[i] for i in sorted(set(fixes[fkey]))], assignments)
            en, zh = _words(terms, "en"), _words(terms, "zh")
            fix.description = Text(
                f"{fix.description.en} (for when {en}: the template's own conditional "
                "statements are not kept in this policy)",
                f"{fix.description.zh}(适用于条件 {zh} 时;模板中按条件出现的语句未保留在此策略中)",
            )
    names = sorted({n for a in assignments for n in a})
    many = len(names) > 1
    out.assumptions.append(
        tr(
            f"The condition{'s' if many else ''} {', '.join(names)} cannot be decided before "
            f"deploy: copyguard checked each of the {len(runs)} ways "
            f"{'they' if many else 'it'} can go; a finding that holds only one way says which.",
            f"条件 {', '.join(names)} 在部署前无法确定:copyguard 检查了全部 {len(runs)} 种取值;"
            "只在某种取值下成立的发现会注明条件。",
        )
    )
    out.sort()
    return out


def describe(hits: list[Assignment], every: list[Assignment]) -> list[Assignment]:
    """The fewest condition values that single out ``hits`` among ``every``: a list of
    alternatives (each a conjunction of condition -> value)."""
    wanted = [json.dumps(a, sort_keys=True) for a in hits]

    def matching(terms: Assignment) -> list[str]:
        return [
            json.dumps(a, sort_keys=True)
            for a in every
            if all(a.get(k) is v for k, v in terms.items())
        ]

    common = {k: v for k, v in hits[0].items() if all(k in a and a[k] is v for a in hits)}
    if sorted(matching(common)) == sorted(wanted):
        for k in list(common):  # drop what the others already imply
            rest = {x: y for x, y in common.items() if x != k}
            if rest and sorted(matching(rest)) == sorted(wanted):
                common = rest
        return [common]
    return [dict(a) for a in hits]


def _words(terms: list[Assignment], lang: str) -> str:
    def one(t: Assignment) -> str:
        if lang == "zh":
            return "且".join(f"{k} 为 {'true' if v else 'false'}" for k, v in t.items())
        return " and ".join(f"{k} is {'true' if v else 'false'}" for k, v in t.items())

    if lang == "zh":
        return "，或".join(one(t) for t in terms)
    plural = len(terms) > 1 or any(len(t) > 1 for t in terms)
    return ("conditions " if plural else "condition ") + "; or ".join(one(t) for t in terms)


def _qualified(message: Text, terms: list[Assignment], fails: bool) -> Text:
    en, zh = _words(terms, "en"), _words(terms, "zh")
    if fails:
        return Text(f"{message.en} (fails when {en})", f"{message.zh}(当条件 {zh} 时失败)")
    return Text(f"{message.en} (only when {en})", f"{message.zh}(仅当条件 {zh} 时)")
