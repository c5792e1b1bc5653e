"""The checks' action lists and principal template are the knowledge data's, not a second truth."""

from __future__ import annotations

from copyguard.checks import facts
from copyguard.knowledge import copy_requirements


def test_required_actions_match_the_copy_requirements_data() -> None:
    req = copy_requirements()
    use = tuple(a.action for a in req.actions if a.statement == "use")
    grant = tuple(a.action for a in req.actions if a.statement == "grant")
    assert use == facts.USE_ACTIONS
    assert grant == facts.GRANT_ACTIONS
    assert use + grant == facts.REQUIRED_ACTIONS


def test_service_linked_role_template_matches_the_data() -> None:
    assert facts.slr_arn("444455556666") == copy_requirements().destination_slr_arn("444455556666")
