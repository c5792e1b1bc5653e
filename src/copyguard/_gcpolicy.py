"""How a check uses CPython's cyclic garbage collector (issue 11, ``bench_check_scale.py``).

A ``check`` of a large scenario builds millions of objects that all stay alive until the
report is written: the scenario (read before the check starts), and per key the analysis,
its decisions and the findings. Reference counting frees what dies; the cyclic collector
only looks for unreachable cycles, of which a check makes few. But CPython starts a full
collection whenever the objects that survived into the oldest generation have grown by a
quarter since the last one, and a full collection walks every tracked object: the larger
the scenario, the more objects each walks, so the collector's share grows with the input
(0.7 s of 10.4 s at 1,000 keys, 10.4 s of 108 s at 10,000; bench/README.md).

:func:`check_run` is the one place that changes this, around ``api.check_scenario``:

- the objects alive when the check starts (the loaded scenario, the interpreter's modules)
  are moved to the collector's permanent generation (``gc.freeze()``): no collection during
  the check walks them. Skipped when something froze objects already (a caller that forks
  workers, say): its freeze is its own;
- the oldest generation's threshold is raised (:func:`full_threshold`: ``FULL_THRESHOLD``,
  or one per ``FROZEN_PER_STEP`` objects frozen, whichever is larger), so a full collection
  waits for that many collections of the middle generation (about 700 x 10 x that many
  allocations beyond deallocations) instead of a quarter's growth. Scaled with what was
  frozen (the scenario), a check of any size makes no full collection (a check allocates in
  proportion to its scenario: at 100,000 copies a fixed 1,000 still allowed one, 2.2 s),
  and the garbage cycles that could wait for one stay bounded by a multiple of the input.
  Young and middle collections run as before: cycles made and dropped during the check are
  still freed;
- on the way out, however the check ends, the thresholds are restored and the frozen objects
  go back to the oldest generation (``gc.unfreeze()``), as they were. The first collection
  of the middle generation after that makes one full collection (the oldest generation has
  grown by more than a quarter): one walk of the heap per check, not one per quarter's growth.

Nested or concurrent checks (threads) apply it once: the first to enter applies, the last to
leave restores. The report is the same with and without it (``tests/test_gcpolicy.py``).

A command-line process that checks once and exits (:func:`hold_for_process`) goes further and
switches the automatic collector off, as ``simulate --batch`` does for its run: a check, its
fixes and the rendering of the report make no cyclic garbage that grows with the scenario (a
few hundred objects, once per process: record classes made on first use;
``tests/test_gc_garbage.py``), so every collection found nothing and its walks of what the
check had built cost 1.2-1.4 s of a 34 s check of 100,000 copies (4%, and 3% at 10,000),
plus one walk of the whole scenario after reading (0.3 s).
"""

from __future__ import annotations

import gc
from _thread import allocate_lock  # threading's lock, without importing threading (start-up)

#: the oldest generation's threshold during a check (CPython's default is 10), at least
FULL_THRESHOLD = 1000
#: ... and one more middle-generation collection per this many objects frozen at the start
#: (a check of the bench's scenarios made one middle collection per 1,550 to 3,100 of them)
FROZEN_PER_STEP = 500

_lock = allocate_lock()
_depth = 0
_saved: tuple[tuple[int, int, int], bool] | None = None  # (thresholds, froze?)


def full_threshold(frozen: int) -> int:
    """The oldest generation's threshold for a check that starts with ``frozen`` objects
    frozen (module docstring)."""
    return max(FULL_THRESHOLD, frozen // FROZEN_PER_STEP)


def _enter() -> None:
    global _depth, _saved
    with _lock:
        _depth += 1
        if _depth > 1:
            return
        thresholds = gc.get_threshold()
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        t0, t1, t2 = thresholds
        gc.set_threshold(t0, t1, max(t2, full_threshold(gc.get_freeze_count())))
        _saved = (thresholds, froze)


def _exit() -> None:
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth > 0 or _saved is None:
            return
        thresholds, froze = _saved
        _saved = None
        gc.set_threshold(*thresholds)
        if froze:
            gc.unfreeze()


class _CheckRun:
    __slots__ = ()

    def __enter__(self) -> None:
        _enter()

    def __exit__(self, *exc: object) -> None:
        _exit()


def hold_for_process() -> None:
    """For a command-line process that checks once and exits: the automatic collector is off
    for the rest of the process (module docstring), reading the scenario included (reading
    switches it back on only if it was on). Reference counting frees what the check and the
    rendering drop; the few cycles made once per process stay until it exits. The library
    never calls this: :func:`check_run` restores what it changed."""
    gc.disable()


def check_run() -> _CheckRun:
    """``with check_run(): ...``: the collector policy of a check (module docstring)."""
    return _CheckRun()
