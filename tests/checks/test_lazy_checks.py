"""The quick form's run-time savings (issue 11) give the same answers as the work they skip:

- the check runner names the LAG codes itself (checks/lag.py is imported only when a run
  selects its check) and its lazy wrappers run the real checks;
- ``rules.rule(code)`` builds that one rule, equal to the catalogue's, without building the
  whole catalogue (27 rules with their Chinese text folded);
- KMS's rejection lint (CG901 for IAM-only condition keys) is skipped only for a key policy
  without any such key, and still finds every one;
- the fix's action-pattern expansion looks up a pattern without wildcards and matches the
  others, as matching every pattern against every name did.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copyguard.checks import kms_rejects, lag, runner
from copyguard.checks.rules import all_rules
from copyguard.evaluate import lint
from copyguard.evaluate.patterns import glob_match
from copyguard.fixes import key_policy
from copyguard.policy import parse_policy
from copyguard.scenario import Key, Scenario

KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_the_runner_names_the_lag_codes_of_the_lag_checks() -> None:
    assert runner.LAG_CODES == lag.CODES
    lag_check = next(c for c in runner.CHECKS if c.name == "logically-air-gapped")
    assert lag_check.codes == lag.CODES


def test_the_lag_fixes_are_imported_for_every_lag_code() -> None:
    """build_fixes imports fixes/lag.py only for a report with one of these codes: every
    code of the LAG checks (whose fixes and playbooks it makes)."""
    from copyguard.fixes import LAG_FIX_CODES

    assert set(LAG_FIX_CODES) == set(lag.CODES)


def test_the_lazy_check_wrappers_run_the_real_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each wrapper returns what its module's check returns (a sentinel proves the call)."""
    from copyguard.checks import organization, resource_type, round_trip
    from copyguard.checks.base import CheckContext, Options

    ctx = CheckContext(Scenario(), None, Options(round_trip=True))  # type: ignore[arg-type]
    for module, name in (
        (organization, "check_organization"),
        (resource_type, "check_resource_type"),
        (lag, "check_lag"),
        (round_trip, "check_round_trip"),
    ):
        sentinel = [name]
        monkeypatch.setattr(module, name, lambda _ctx, s=sentinel: s)
        assert getattr(runner, name)(ctx) is sentinel


def test_the_way_back_is_not_imported_unless_asked_for() -> None:
    from copyguard.checks.base import CheckContext, Options

    quick = CheckContext(Scenario(), None, Options(quick=True, round_trip=True))  # type: ignore[arg-type]
    plain = CheckContext(Scenario(), None, Options())  # type: ignore[arg-type]
    assert list(runner.check_round_trip(quick)) == []
    assert list(runner.check_round_trip(plain)) == []


def test_one_rule_is_built_alone_and_equals_the_catalogues() -> None:
    """In a fresh interpreter: ``rule`` for every code, before and without the whole
    catalogue, gives the very rules ``all_rules`` builds afterwards."""
    script = textwrap.dedent(
        """
        from copyguard.checks import rules as r
        codes = [x["code"] for x in r._document()["rules"]]
        one = {c: r.rule(c.lower()) for c in codes}
        assert r._catalogue.cache_info().currsize == 0, "rule() built the whole catalogue"
        assert r.rule("CG000") is None and r.rule("nonsense") is None
        full = {x.code: x for x in r.all_rules()}
        assert one == full, sorted(c for c in full if one.get(c) != full[c])
        print(len(one))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(all_rules()) >= 27


def _scenario(doc: dict[str, Any]) -> Scenario:
    policy = parse_policy(doc, name="key policy", kind="key")
    key = Key(arn=KEY, path="keys[0]", policy=policy, policy_path="keys[0].policy")
    return Scenario(keys={KEY: key})


def _statement(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st_: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    if condition:
        st_["Condition"] = condition
    return st_


def test_a_policy_without_an_iam_only_key_is_not_linted(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_policy: Any) -> Any:
        raise AssertionError("linted")

    monkeypatch.setattr(lint, "lint_policy", fail)
    doc = {
        "Version": "2012-10-17",
        "Statement": [_statement({"Bool": {"kms:GrantIsForAWSResource": "true"}})],
    }
    assert kms_rejects.kms_rejected_findings(_scenario(doc)) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/backup-*"}},
        {"StringEquals": {"aws:ResourceTag/Project": "backup"}},
        {"StringEquals": {"AWS:RESOURCETAG/project": "x", "aws:SourceAccount": "111122223333"}},
    ],
)
def test_an_iam_only_key_is_still_rejected_as_the_lint_says(condition: dict[str, Any]) -> None:
    doc = {"Version": "2012-10-17", "Statement": [_statement(), _statement(condition)]}
    scenario = _scenario(doc)
    found = kms_rejects.kms_rejected_findings(scenario)
    policy = scenario.keys[KEY].policy
    expected = [
        i
        for i in lint.lint_policy(policy)
        if i.code in kms_rejects.REJECTED  # type: ignore[arg-type]
    ]
    assert expected and [f.evidence["issue"] for f in found] == [i.to_dict() for i in expected]
    assert all(f.code == "CG901" for f in found)


NAMES = key_policy.kms_action_names()
PATTERN = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.upper),
    st.sampled_from(NAMES).map(lambda n: n[: len(n) // 2] + "*"),
    st.sampled_from(NAMES).map(lambda n: n.replace("e", "?", 1)),
    st.sampled_from(["*", "kms:*", "KMS:*Grant*", "kms:nothing", "s3:GetObject", "kms:?"]),
    st.text(alphabet="kms:*?GenrateDcyptKy", max_size=12),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERN, max_size=4))
def test_the_action_expansion_matches_every_name_as_before(patterns: list[str]) -> None:
    before = {n for n in NAMES for p in patterns if glob_match(p.lower(), n.lower())}
    assert key_policy.expand(patterns) == before


def _fresh_document(monkeypatch: pytest.MonkeyPatch, yaml_path: Any) -> Any:
    from copyguard.checks import rules

    monkeypatch.setattr(rules, "_RULES_PATH", str(yaml_path))
    rules._document.cache_clear()
    try:
        return rules._document()
    finally:
        rules._document.cache_clear()


def test_the_catalogue_twin_is_used_only_for_the_text_it_was_compiled_from(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest of the file's bytes stands for the digest of its text: an edited catalogue
    is read from its YAML (never through the stale twin), and a catalogue with Windows line
    ends (whose text is not its bytes) is read from its YAML too, to the same document."""
    import yaml

    from copyguard.checks import rules
    from copyguard.knowledge._loader import LocalFile

    text = LocalFile(rules._RULES_PATH).read_text("utf-8")
    original = yaml.safe_load(text)
    same = tmp_path / "rules.yaml"
    same.write_bytes(text.encode("utf-8"))
    assert _fresh_document(monkeypatch, same) == original

    edited = tmp_path / "edited.yaml"
    title = original["rules"][0]["title"]["en"]
    edited.write_bytes(text.replace(title, title + " (edited)", 1).encode("utf-8"))
    doc = _fresh_document(monkeypatch, edited)
    assert doc["rules"][0]["title"]["en"] == title + " (edited)"

    crlf = tmp_path / "crlf.yaml"
    crlf.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    seen: list[str] = []
    real = LocalFile.read_text

    def reading(self: Any, encoding: str) -> str:
        seen.append(self.path)
        return real(self, encoding)

    monkeypatch.setattr(LocalFile, "read_text", reading)
    assert _fresh_document(monkeypatch, crlf) == original
    assert str(crlf) in seen  # read as text: through parse_packaged_yaml, not the byte digest
