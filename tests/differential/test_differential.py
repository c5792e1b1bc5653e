"""Differential test: copyguard's KMS evaluator against @cloud-copilot/iam-simulate.

Generates seeded corpora of realistic KMS key-policy requests (``generate.py``), evaluates them
with ``copyguard simulate --batch -`` and with iam-simulate (``iam_simulate_runner.mjs``, run
from ``tests/differential/node_modules``), and requires every decision to agree except the
documented classes in ``known_divergences.json`` (see ``KNOWN_DIVERGENCES.md``).

Needs ``npm ci --prefix tests/differential``. Without ``node_modules`` the test is skipped
locally and fails under ``CI`` (set by CI), so CI can never silently stop comparing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.differential

HERE = Path(__file__).resolve().parent
# (generator mode, seed): the Backup-shaped "classic" corpus and the "aws-shapes" corpus of
# the policy shapes AWS documents and ships (see generate.py).
CORPORA = (("classic", 1), ("classic", 2), ("classic", 3), ("aws-shapes", 1), ("aws-shapes", 2))
PER_SEED = 2000  # 10,000 requests in all
SHOW = 20


def _load(name: str) -> ModuleType:
    """Import a sibling helper under a unique name (other test folders may have a compare.py)."""
    unique = f"copyguard_differential_{name}"
    if unique in sys.modules:
        return sys.modules[unique]
    spec = importlib.util.spec_from_file_location(unique, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return module


compare = _load("compare")
generate = _load("generate")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_oracle() -> None:
    problems = []
    if not compare.NODE_MODULES.is_dir():
        problems.append(
            f"{compare.NODE_MODULES} is missing (run `npm ci --prefix tests/differential`)"
        )
    if shutil.which("node") is None:
        problems.append("node is not on PATH")
    if not problems:
        return
    reason = "differential oracle unavailable: " + "; ".join(problems)
    if _in_ci():
        pytest.fail(reason + " -- under CI the differential test must run", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def outcome() -> Any:
    _require_oracle()
    requests = [req for mode, seed in CORPORA for req in generate.generate(seed, PER_SEED, mode)]
    known = compare.load_known()
    try:
        copyguard = compare.run_copyguard(requests)
        iam_simulate = compare.run_iam_simulate(requests)
        return compare.compare(requests, copyguard, iam_simulate, known)
    except compare.RunError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.mark.parametrize("mode", sorted(generate.MODES))
def test_corpus_is_large_and_deterministic(mode: str) -> None:
    first = [json.dumps(r, sort_keys=True) for r in generate.generate(7, 50, mode)]
    again = [json.dumps(r, sort_keys=True) for r in generate.generate(7, 50, mode)]
    assert first == again
    assert len({r["id"] for r in generate.generate(7, 50, mode)}) == 50
    assert sum(PER_SEED for m, _ in CORPORA if m == mode) >= 2000
    assert len(CORPORA) * PER_SEED >= 5000


def test_known_divergences_file_is_well_formed() -> None:
    known = compare.load_known()
    assert known, "known_divergences.json lists no entries"
    ids = [k.id for k in known]
    assert len(ids) == len(set(ids)), "duplicate ids in known_divergences.json"
    doc = (HERE / "KNOWN_DIVERGENCES.md").read_text(encoding="utf-8")
    for k in known:
        assert f"`{k.id}`" in doc, f"{k.id} is not documented in KNOWN_DIVERGENCES.md"
        for ev in k.evidence:
            assert ev["url"].startswith("https://") and ev["quote"].strip()


def test_decisions_agree_with_iam_simulate(outcome: Any) -> None:
    # Both sides must evaluate (nearly) everything: a corpus of errors compares nothing.
    errors = sum(n for (cg, _sim), n in outcome.decisions.items() if cg == "error")
    assert errors <= outcome.total // 100, f"copyguard rejected {errors} generated requests"
    bad = outcome.unexplained
    if bad:
        known = compare.load_known()
        lines = [
            f"{len(bad)} of {outcome.total} decisions differ from iam-simulate and are not "
            f"explained by known_divergences.json (first {min(SHOW, len(bad))} shown).",
            "Re-run one with: python tests/differential/compare.py FILE.jsonl",
            "",
            compare.summary(outcome, known, show=0),
            "",
        ]
        lines += [compare.format_disagreement(d) for d in bad[:SHOW]]
        pytest.fail("\n".join(lines), pytrace=False)


def test_no_known_copyguard_bug_is_hit(outcome: Any) -> None:
    """Entries whose ``right`` is iam-simulate are copyguard bugs, listed only so the suite stays
    usable while they are fixed. None is listed today; if one is, a disagreement it explains is
    reported here as an expected failure, and once none is hit any more the entry must go."""
    bugs = {k.id for k in compare.load_known() if k.right == "iam-simulate"}
    hits = [d for d in outcome.disagreements if d.known and bugs.intersection(d.cause.split(" + "))]
    if hits:
        pytest.xfail(f"{len(hits)} disagreements are known copyguard bugs ({', '.join(bugs)})")
