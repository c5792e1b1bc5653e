"""The oldest generation's threshold during a check grows with what was frozen when it started
(``copyguard._gcpolicy.full_threshold``), and a command-line process keeps it after the check
(``hold_for_process``); the library still gets its thresholds back."""

from __future__ import annotations

import gc

import pytest

from copyguard import _gcpolicy

pytestmark = pytest.mark.usefixtures("clean_gc")


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
        assert raised == max(before[2], frozen // _gcpolicy.FROZEN_PER_STEP)
        assert raised >= _gcpolicy.FULL_THRESHOLD + 400
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    del big


def test_a_command_line_process_keeps_the_checks_threshold() -> None:
    _gcpolicy.hold_for_process()
    held = gc.get_threshold()
    assert held[2] == max(_gcpolicy.FULL_THRESHOLD, held[2])
    assert held[0] >= _gcpolicy.YOUNG_HELD  # fewer young collections in such a process
    big = [[] for _ in range(_gcpolicy.FROZEN_PER_STEP * (_gcpolicy.FULL_THRESHOLD + 400))]
    with _gcpolicy.check_run():
        raised = gc.get_threshold()
        assert raised[2] > held[2]
    # the middle collections counted during the check count towards the next full one:
    # rendering afterwards must not start one at the lower threshold
    assert gc.get_threshold() == raised
    assert gc.get_freeze_count() == 0
    del big


def test_thresholds_changed_since_the_hold_are_restored() -> None:
    _gcpolicy.hold_for_process()
    gc.set_threshold(700, 10, 10)  # someone else's choice after the hold
    with _gcpolicy.check_run():
        pass
    assert gc.get_threshold() == (700, 10, 10)
