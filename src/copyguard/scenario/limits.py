"""AWS's limits on a Vault Lock and on a copy's lifecycle (facts section 9; the AWS Backup
API reference of CopyAction and Lifecycle).

Pure functions over the model: each returns ``(field path, what was expected)`` for every value
AWS would refuse, so the scenario loader can stop with an input error and the checks can report
the same problem (CG901) for a scenario built by another reader.
"""

from __future__ import annotations

from copyguard.scenario.model import Lifecycle, VaultLock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

LOCK_MIN_RETENTION_DAYS: Final = 1  # the shortest minimum retention AWS accepts
LAG_MIN_RETENTION_DAYS: Final = 7  # a logically air-gapped vault keeps copies 7 days or more
LOCK_MAX_RETENTION_DAYS: Final = 36500  # the longest maximum retention (about 100 years)
LOCK_MIN_CHANGEABLE_FOR_DAYS: Final = 3  # the shortest grace time before compliance mode
COLD_STORAGE_MIN_DAYS: Final = 90  # a recovery point stays at least 90 days in cold storage


def lock_problems(lock: VaultLock, path: str, *, air_gapped: bool = False) -> list[tuple[str, str]]:
    """The values of ``lock`` (at field path ``path``) that AWS refuses."""
    out: list[tuple[str, str]] = []
    low, high, grace = lock.min_retention_days, lock.max_retention_days, lock.changeable_for_days
    floor = LAG_MIN_RETENTION_DAYS if air_gapped else LOCK_MIN_RETENTION_DAYS
    if low is not None and low < floor:
        kind = "a logically air-gapped vault" if air_gapped else "a Vault Lock"
        out.append(
            (
                f"{path}.min_retention_days",
                f"expected at least {floor} for {kind} (AWS refuses a smaller minimum "
                f"retention), got {low}",
            )
        )
    for name, value in (("min_retention_days", low), ("max_retention_days", high)):
        if value is not None and value > LOCK_MAX_RETENTION_DAYS:
            out.append(
                (
                    f"{path}.{name}",
                    f"expected at most {LOCK_MAX_RETENTION_DAYS} days (AWS's longest Vault Lock "
                    f"retention), got {value}",
                )
            )
    if grace is not None and grace < LOCK_MIN_CHANGEABLE_FOR_DAYS:
        out.append(
            (
                f"{path}.changeable_for_days",
                f"expected at least {LOCK_MIN_CHANGEABLE_FOR_DAYS} days (AWS's shortest grace "
                f"time before a lock turns to compliance mode), got {grace}",
            )
        )
    return out


def lifecycle_problems(lifecycle: Lifecycle, path: str) -> list[tuple[str, str]]:
    """The values of a copy's ``lifecycle`` (at field path ``path``) that AWS refuses: a
    recovery point moved to cold storage stays there at least 90 days, so it cannot be deleted
    sooner than 90 days after the move."""
    delete, cold = lifecycle.delete_after_days, lifecycle.move_to_cold_storage_after_days
    if delete is None or cold is None or delete >= cold + COLD_STORAGE_MIN_DAYS:
        return []
    return [
        (
            f"{path}.delete_after_days",
            f"expected at least move_to_cold_storage_after_days + {COLD_STORAGE_MIN_DAYS} = "
            f"{cold + COLD_STORAGE_MIN_DAYS} (a recovery point stays in cold storage for at "
            f"least {COLD_STORAGE_MIN_DAYS} days), got {delete}",
        )
    ]
