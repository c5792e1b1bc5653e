"""Run copyguard and @cloud-copilot/iam-simulate on the same batch and compare their decisions.

Usage (from the repository root)::

    python tests/differential/compare.py FILE.jsonl [--known tests/differential/known_divergences.json]
                                         [--show N] [--json]

Prints a summary of the disagreements grouped by cause and exits 1 if any disagreement is not
explained by an entry of ``known_divergences.json`` (0 otherwise, 2 on a usage error).

A known divergence is explained *counterfactually*, not by a pattern alone: an entry names
the class of requests it covers (``applies_when``) and a ``counterfactual`` -- a rewrite of the
request that removes exactly the disputed feature, fed to one side. The disagreement counts as
known only if, after that rewrite, the re-run side gives the decision the other side gave. A
request that differs for some other reason as well stays unexplained, so a known divergence
cannot hide a new bug that happens to share its request.

The test ``test_differential.py`` uses this module; it needs ``npm ci --prefix
tests/differential`` (iam-simulate is AGPL and runs only here, as a separate process).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
RUNNER = HERE / "iam_simulate_runner.mjs"
NODE_MODULES = HERE / "node_modules"
KNOWN_FILE = HERE / "known_divergences.json"

Json = dict[str, Any]
SLR_MARK = ":role/aws-service-role/"
FULL_ACCESS = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


# --------------------------------------------------------------------------- running the sides


class RunError(RuntimeError):
    """One side could not evaluate the batch at all (not a per-line error)."""


def copyguard_command() -> list[str]:
    return [sys.executable, "-m", "copyguard", "simulate", "--batch", "-"]


def copyguard_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    return env


def node_binary() -> str | None:
    return shutil.which("node")


def _lines(requests: Iterable[Json]) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in requests)


def _run(
    cmd: list[str], payload: str, expected: int, env: dict[str, str] | None, who: str
) -> list[Json]:
    proc = subprocess.run(
        cmd, input=payload, capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(out) != expected:
        raise RunError(
            f"{who} gave {len(out)} result lines for {expected} requests "
            f"(exit {proc.returncode}).\nstderr:\n{proc.stderr[-4000:]}"
        )
    return out


def run_copyguard(requests: list[Json]) -> list[Json]:
    return _run(copyguard_command(), _lines(requests), len(requests), copyguard_env(), "copyguard")


def run_iam_simulate(requests: list[Json]) -> list[Json]:
    node = node_binary()
    if node is None:
        raise RunError("node is not on PATH")
    if not NODE_MODULES.is_dir():
        raise RunError(f"{NODE_MODULES} is missing: run `npm ci --prefix tests/differential`")
    cmd = [node, str(RUNNER), "--explain"]
    return _run(cmd, _lines(requests), len(requests), None, "iam-simulate runner")


def decision_of(result: Json) -> str:
    return str(result.get("decision", "error"))


# --------------------------------------------------------------------------- request predicates


def _principal_is_slr(req: Json) -> bool:
    return SLR_MARK in str(req.get("principal", ""))


def _principal_is_service(req: Json) -> bool:
    return not str(req.get("principal", "")).startswith("arn:")


def _statements(doc: Any) -> list[Json]:
    if not isinstance(doc, dict):
        return []
    st = doc.get("Statement", [])
    return [s for s in (st if isinstance(st, list) else [st]) if isinstance(s, dict)]


def _rcps_lack_allow(req: Json) -> bool:
    return any(
        not any(s.get("Effect") == "Allow" for s in _statements(p)) for p in req.get("rcps") or []
    )


def _single_valued_operator_on_multivalued_key(req: Json) -> bool:
    """A condition without ForAnyValue/ForAllValues tests a key whose context value is a list."""
    context = req.get("context") or {}
    list_keys = {k.lower() for k, v in context.items() if isinstance(v, list)}
    docs = [req.get("key_policy"), *(req.get("identity_policies") or [])]
    docs += [*(req.get("scps") or []), *(req.get("rcps") or [])]
    for doc in docs:
        for st in _statements(doc):
            for op, keys in (st.get("Condition") or {}).items():
                if ":" in op or op.lower().startswith("null") or not isinstance(keys, dict):
                    continue
                if any(k.lower() in list_keys for k in keys):
                    return True
    return False


def _missing_derivable_key(req: Json) -> bool:
    if _principal_is_service(req):
        return False
    context = req.get("context") or {}
    present = {k.lower() for k in context}
    wanted = ("aws:principalarn", "aws:principalaccount")
    return any(k not in present for k in wanted) or "kms:calleraccount" not in present


def _all_docs(req: Json) -> list[Any]:
    docs = [req.get("key_policy"), *(req.get("identity_policies") or [])]
    return [*docs, *(req.get("scps") or []), *(req.get("rcps") or [])]


def _conditions(req: Json) -> Iterable[tuple[Json, str, Json]]:
    """(condition block, operator, {key: values}) for every condition of every statement."""
    for doc in _all_docs(req):
        for st in _statements(doc):
            cond = st.get("Condition")
            if isinstance(cond, dict):
                for op, keys in list(cond.items()):
                    if isinstance(keys, dict):
                        yield cond, op, keys


def _values(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def _is_epoch(v: Any) -> bool:
    return isinstance(v, int) or (isinstance(v, str) and v.strip().isdigit())


def _date_condition_with_epoch_value(req: Json) -> bool:
    return any(
        op.split(":")[-1].lower().startswith("date") and any(_is_epoch(x) for x in _values(v))
        for _, op, keys in _conditions(req)
        for v in keys.values()
    )


def _arn_condition_with_policy_variable(req: Json) -> bool:
    return any(
        op.split(":")[-1].lower().startswith("arn") and any("${" in str(x) for x in _values(v))
        for _, op, keys in _conditions(req)
        for v in keys.values()
    )


PREDICATES: dict[str, Callable[[Json], bool]] = {
    "principal_is_service_linked_role": _principal_is_slr,
    "principal_is_service": _principal_is_service,
    "has_scps": lambda r: bool(r.get("scps")),
    "has_rcps": lambda r: bool(r.get("rcps")),
    "action_is_kms_retire_grant": lambda r: str(r.get("action", "")).lower() == "kms:retiregrant",
    "an_rcp_has_no_allow_statement": _rcps_lack_allow,
    "single_valued_operator_on_multivalued_key": _single_valued_operator_on_multivalued_key,
    "context_lacks_a_key_aws_always_sets": _missing_derivable_key,
    "date_condition_with_epoch_value": _date_condition_with_epoch_value,
    "arn_condition_with_policy_variable": _arn_condition_with_policy_variable,
}


# --------------------------------------------------------------------------- counterfactuals


def _drop_scps(req: Json) -> Json:
    out = copy.deepcopy(req)
    out["scps"] = []
    return out


def _drop_rcps(req: Json) -> Json:
    out = copy.deepcopy(req)
    out["rcps"] = []
    return out


def _rcps_with_full_access(req: Json) -> Json:
    out = copy.deepcopy(req)
    rcps = []
    for doc in out.get("rcps") or []:
        statements = _statements(doc)
        if not any(s == FULL_ACCESS for s in statements):
            statements = [dict(FULL_ACCESS), *statements]
        rcps.append({**doc, "Statement": statements})
    out["rcps"] = rcps
    return out


def _as_set_operator(req: Json) -> Json:
    """Rewrite single-valued operators on list-valued context keys as ForAnyValue:op."""
    out = copy.deepcopy(req)
    context = out.get("context") or {}
    list_keys = {k.lower() for k, v in context.items() if isinstance(v, list)}
    docs = [out.get("key_policy"), *(out.get("identity_policies") or [])]
    docs += [*(out.get("scps") or []), *(out.get("rcps") or [])]
    for doc in docs:
        for st in _statements(doc):
            cond = st.get("Condition")
            if not isinstance(cond, dict):
                continue
            for op in list(cond):
                keys = cond[op]
                if ":" in op or op.lower().startswith("null") or not isinstance(keys, dict):
                    continue
                moved = {k: v for k, v in keys.items() if k.lower() in list_keys}
                if not moved:
                    continue
                rest = {k: v for k, v in keys.items() if k.lower() not in list_keys}
                if rest:
                    cond[op] = rest
                else:
                    del cond[op]
                set_op = "ForAllValues" if "not" in op.lower() else "ForAnyValue"
                cond.setdefault(f"{set_op}:{op}", {}).update(moved)
    return out


def _derive_principal_keys(req: Json) -> Json:
    """Add the keys AWS always sets for an IAM principal, as copyguard may derive them."""
    out = copy.deepcopy(req)
    principal = str(out.get("principal", ""))
    context = out.setdefault("context", {})
    account = principal.split(":")[4] if principal.count(":") >= 5 else ""
    present = {k.lower() for k in context}
    arn = principal
    m = re.match(r"arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/", principal)
    if m:
        arn = f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"
    if "aws:principalarn" not in present:
        context["aws:PrincipalArn"] = arn
    if "aws:principalaccount" not in present:
        context["aws:PrincipalAccount"] = account
    if "kms:calleraccount" not in present:
        context["kms:CallerAccount"] = account
    return out


def _epoch_dates_as_iso(req: Json) -> Json:
    """Write epoch-seconds values of Date* conditions in ISO 8601 (the same instant)."""
    out = copy.deepcopy(req)
    for _, op, keys in _conditions(out):
        if not op.split(":")[-1].lower().startswith("date"):
            continue
        for key, v in keys.items():
            iso = [
                dt.datetime.fromtimestamp(int(x), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if _is_epoch(x)
                else x
                for x in _values(v)
            ]
            keys[key] = iso if isinstance(v, list) else iso[0]
    return out


def _resolve_variables_in_arn_conditions(req: Json) -> Json:
    """Substitute ${key} in Arn* condition values with the request's (single) context value."""
    out = copy.deepcopy(req)
    context = {k.lower(): v for k, v in (out.get("context") or {}).items()}

    def sub(m: re.Match[str]) -> str:
        value = context.get(m.group(1).strip().lower())
        return value if isinstance(value, str) else m.group(0)

    for _, op, keys in _conditions(out):
        if not op.split(":")[-1].lower().startswith("arn"):
            continue
        for key, v in keys.items():
            new = [re.sub(r"\$\{([^}]+)\}", sub, str(x)) for x in _values(v)]
            keys[key] = new if isinstance(v, list) else new[0]
    return out


TRANSFORMS: dict[str, Callable[[Json], Json]] = {
    "drop_scps": _drop_scps,
    "drop_rcps": _drop_rcps,
    "add_rcp_full_aws_access": _rcps_with_full_access,
    "rewrite_single_valued_operators_as_for_any_value": _as_set_operator,
    "add_keys_aws_always_sets": _derive_principal_keys,
    "write_epoch_date_values_as_iso8601": _epoch_dates_as_iso,
    "resolve_policy_variables_in_arn_conditions": _resolve_variables_in_arn_conditions,
}
CONTEXT_TRANSFORMS = {"add_keys_aws_always_sets"}
SIDES = ("copyguard", "iam_simulate")


# --------------------------------------------------------------------------- known divergences


@dataclass
class Known:
    id: str
    title: str
    applies_when: list[str]
    side: str
    transform: str
    right: str
    evidence: list[Json] = field(default_factory=list)

    def applies(self, req: Json) -> bool:
        return all(PREDICATES[p](req) for p in self.applies_when)


def load_known(path: Path = KNOWN_FILE) -> list[Known]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in data["divergences"]:
        cf = entry["counterfactual"]
        for p in entry["applies_when"]:
            if p not in PREDICATES:
                raise ValueError(f"{path}: {entry['id']}: unknown predicate {p!r}")
        if cf["transform"] not in TRANSFORMS or cf["side"] not in SIDES:
            raise ValueError(f"{path}: {entry['id']}: bad counterfactual {cf!r}")
        if entry["right"] not in ("copyguard", "iam-simulate", "unclear"):
            raise ValueError(f"{path}: {entry['id']}: right must name a side or 'unclear'")
        if not entry.get("evidence"):
            raise ValueError(f"{path}: {entry['id']}: evidence (URL and quote) is required")
        out.append(
            Known(
                id=entry["id"],
                title=entry["title"],
                applies_when=list(entry["applies_when"]),
                side=cf["side"],
                transform=cf["transform"],
                right=entry["right"],
                evidence=list(entry["evidence"]),
            )
        )
    return out


# --------------------------------------------------------------------------- comparison


@dataclass
class Disagreement:
    request: Json
    copyguard: Json
    iam_simulate: Json
    cause: str = ""
    known: bool = False

    @property
    def id(self) -> Any:
        return self.request.get("id")


@dataclass
class Outcome:
    total: int
    disagreements: list[Disagreement]
    decisions: Counter[tuple[str, str]]

    @property
    def unexplained(self) -> list[Disagreement]:
        return [d for d in self.disagreements if not d.known]


def _unexplained_cause(d: Disagreement) -> str:
    cg, sim = decision_of(d.copyguard), decision_of(d.iam_simulate)
    analysis = d.iam_simulate.get("iam_simulate") or {}
    parts = [f"copyguard {cg} vs iam-simulate {sim}"]
    if analysis:
        parts.append(
            "iam-simulate sees identity={identity} key-policy={resource} scp={scp} rcp={rcp}".format(
                **{k: analysis.get(k) for k in ("identity", "resource", "scp", "rcp")}
            )
        )
    if d.iam_simulate.get("ignored_context_keys"):
        parts.append(f"iam-simulate ignored context keys {d.iam_simulate['ignored_context_keys']}")
    for side in (d.copyguard, d.iam_simulate):
        if "error" in side:
            parts.append(re.sub(r"\d+", "N", str(side["error"]))[:160])
    return "; ".join(parts)


def _explain(
    pending: list[Disagreement],
    entries: list[list[Known]],
    runners: dict[str, Callable[[list[Json]], list[Json]]],
) -> list[bool]:
    """For each disagreement, re-run the named side(s) on the rewritten request."""
    by_side: dict[str, list[tuple[int, Json]]] = defaultdict(list)
    for i, (d, ks) in enumerate(zip(pending, entries, strict=True)):
        reqs = {side: d.request for side in SIDES}
        # Context rewrites first, so that later rewrites (variables) see the final context.
        for k in sorted(ks, key=lambda k: k.transform not in CONTEXT_TRANSFORMS):
            reqs[k.side] = TRANSFORMS[k.transform](reqs[k.side])
        for side in {k.side for k in ks}:
            by_side[side].append((i, reqs[side]))
    rerun: dict[tuple[int, str], str] = {}
    for side, items in by_side.items():
        results = runners[side]([r for _, r in items])
        for (i, _), res in zip(items, results, strict=True):
            rerun[(i, side)] = decision_of(res)
    ok = []
    for i, (d, _ks) in enumerate(zip(pending, entries, strict=True)):
        cg = rerun.get((i, "copyguard"), decision_of(d.copyguard))
        sim = rerun.get((i, "iam_simulate"), decision_of(d.iam_simulate))
        ok.append(cg == sim)
    return ok


def compare(
    requests: list[Json],
    copyguard_results: list[Json],
    iam_simulate_results: list[Json],
    known: list[Known],
    runners: dict[str, Callable[[list[Json]], list[Json]]] | None = None,
) -> Outcome:
    runners = runners or {"copyguard": run_copyguard, "iam_simulate": run_iam_simulate}
    decisions: Counter[tuple[str, str]] = Counter()
    disagreements = []
    for req, cg, sim in zip(requests, copyguard_results, iam_simulate_results, strict=True):
        pair = (decision_of(cg), decision_of(sim))
        decisions[pair] += 1
        if cg.get("id") != req.get("id") or sim.get("id") != req.get("id"):
            raise RunError(f"result order broken at request {req.get('id')!r}")
        if pair[0] != pair[1]:
            disagreements.append(Disagreement(req, cg, sim))
    # First each applicable entry alone.
    candidates = [[k for k in known if k.applies(d.request)] for d in disagreements]
    for d in disagreements:
        d.cause = _unexplained_cause(d)
    singles = [(d, k) for d, ks in zip(disagreements, candidates, strict=True) for k in ks]
    if singles:
        verdicts = _explain([d for d, _ in singles], [[k] for _, k in singles], runners)
        for (d, k), ok in zip(singles, verdicts, strict=True):
            if ok and not d.known:
                d.known, d.cause = True, k.id
    # Then pairs of applicable entries, then all of them together.
    for size in (2, None):
        combos = []
        for d, ks in zip(disagreements, candidates, strict=True):
            if d.known or len(ks) < 2:
                continue
            groups = [ks] if size is None else [list(c) for c in itertools.combinations(ks, size)]
            combos.extend((d, g) for g in groups)
        if not combos:
            continue
        verdicts = _explain([d for d, _ in combos], [g for _, g in combos], runners)
        for (d, g), ok in zip(combos, verdicts, strict=True):
            if ok and not d.known:
                d.known, d.cause = True, " + ".join(k.id for k in g)
    return Outcome(len(requests), disagreements, decisions)


def compare_file(path: Path, known: list[Known]) -> Outcome:
    requests = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return compare(requests, run_copyguard(requests), run_iam_simulate(requests), known)


# --------------------------------------------------------------------------- reporting


def format_disagreement(d: Disagreement) -> str:
    request = json.dumps(d.request, separators=(",", ":"))
    return (
        f"- id {d.id!r}: copyguard={decision_of(d.copyguard)} "
        f"iam-simulate={decision_of(d.iam_simulate)}\n"
        f"  cause: {d.cause}\n"
        + "".join(
            f"  {name} error: {side['error']}\n"
            for name, side in (("copyguard", d.copyguard), ("iam-simulate", d.iam_simulate))
            if "error" in side
        )
        + f"  request: {request}\n"
    )


def summary(outcome: Outcome, known: list[Known], show: int = 3) -> str:
    lines = [
        f"{outcome.total} requests, {len(outcome.disagreements)} disagreements, "
        f"{len(outcome.unexplained)} not explained by known_divergences.json",
        "",
    ]
    lines.append("decisions (copyguard, iam-simulate):")
    for (cg, sim), n in sorted(outcome.decisions.items()):
        mark = "" if cg == sim else "   <- differ"
        lines.append(f"  {cg:>13} {sim:>13}  {n:6d}{mark}")
    groups: dict[str, list[Disagreement]] = defaultdict(list)
    for d in outcome.disagreements:
        groups[("known: " if d.known else "UNEXPLAINED: ") + d.cause].append(d)
    titles = {k.id: f"{k.title} (right: {k.right})" for k in known}
    for cause, ds in sorted(
        groups.items(), key=lambda kv: (kv[0].startswith("known"), -len(kv[1]))
    ):
        lines.append("")
        ids = cause.removeprefix("known: ").split(" + ")
        extra = "; ".join(titles[i] for i in ids if i in titles)
        lines.append(f"{len(ds):5d} x {cause}" + (f"\n        {extra}" if extra else ""))
        for d in ds[:show]:
            lines.append("    " + format_disagreement(d).replace("\n", "\n    ").rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare copyguard and iam-simulate on a corpus.")
    parser.add_argument("corpus", type=Path, help="JSON Lines in the simulate --batch format")
    parser.add_argument("--known", type=Path, default=KNOWN_FILE)
    parser.add_argument("--show", type=int, default=3, help="examples shown per cause")
    parser.add_argument("--json", action="store_true", help="print the disagreements as JSON Lines")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        print(f"compare.py: {args.corpus}: no such file", file=sys.stderr)
        return 2
    try:
        known = load_known(args.known)
        outcome = compare_file(args.corpus, known)
    except (RunError, ValueError) as exc:
        print(f"compare.py: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for d in outcome.disagreements:
            row = {
                "id": d.id,
                "copyguard": decision_of(d.copyguard),
                "iam_simulate": decision_of(d.iam_simulate),
                "cause": d.cause,
                "known": d.known,
                "request": d.request,
            }
            print(json.dumps(row, separators=(",", ":")))
    else:
        print(summary(outcome, known, args.show))
    return 1 if outcome.unexplained else 0


if __name__ == "__main__":
    raise SystemExit(main())
