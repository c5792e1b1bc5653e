"""The oldest generation's threshold during a check grows with what was frozen when it started
(``copyguard._gcpolicy.full_threshold``) and the library gets its thresholds back; a
command-line process switches the collector off (``hold_for_process``) and a check there leaves
it off."""

from __future__ import annotations

import gc

import pytest

from copyguard import _gcpolicy

pytestmark = pytest.mark.usefixtures("clean_gc")

#: at most this many frozen objects freed between freezing and reading the count
_FREED_MEANWHILE = 10_000


def test_the_threshold_grows_with_the_frozen_heap() -> None:
    assert _gcpolicy.full_threshold(0) == _gcpolicy.FULL_THRESHOLD
    step = _gcpolicy.FROZEN_PER_STEP
    assert _gcpolicy.full_threshold(step * _gcpolicy.FULL_THRESHOLD) == _gcpolicy.FULL_THRESHOLD
    assert _gcpolicy.full_threshold(step * 4000) == 4000
    assert _gcpolicy.full_threshold(step * 4000 + step - 1) == 4000


def test_a_large_heap_raises_it_further_and_it_is_restored() -> None:
    before = gc.get_threshold()
    big = [[] for _ in range(_gcpolicy.FROZEN_PER_STEP * (_gcpolicy.FULL_THRESHOLD + 400))]
    with _gcpolicy.check_run():
        frozen = gc.get_freeze_count()
        assert frozen >= len(big)
        raised = gc.get_threshold()[2]
        # frozen objects can only be freed since the threshold was set (pytest-xdist's
        # execnet thread drops some while this runs), never added: the count read now is at
        # most the one the threshold came from, and not far below it
        step = _gcpolicy.FROZEN_PER_STEP
        assert frozen // step <= raised <= (frozen + _FREED_MEANWHILE) // step
        assert raised >= _gcpolicy.FULL_THRESHOLD + 400
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    del big


def test_a_command_line_process_switches_the_collector_off() -> None:
    before = gc.get_threshold()
    _gcpolicy.hold_for_process()
    assert not gc.isenabled()
    big = [[] for _ in range(_gcpolicy.FROZEN_PER_STEP * (_gcpolicy.FULL_THRESHOLD + 400))]
    with _gcpolicy.check_run():
        assert not gc.isenabled()
        assert gc.get_threshold()[2] >= _gcpolicy.FULL_THRESHOLD + 400
    # off for the rendering that follows; thresholds and freeze as the library leaves them
    assert not gc.isenabled()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    del big
