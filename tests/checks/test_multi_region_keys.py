"""Multi-Region keys: a replica shares its primary's key ID but has its own key policy (and
aliases); a copy in the replica's Region is judged by the replica's policy, never the
primary's, and a Region with no listed replica is unknown."""

from __future__ import annotations

from typing import Any

from cg_factory import DST, SHARED_SLR, SRC, UNSHARED, base, check, codes, finding

from copyguard.scenario import build_scenario

MRK = "mrk-1234abcd12ab34cd56ef1234567890ab"
PRIMARY = f"arn:aws:kms:us-east-1:{SRC}:key/{MRK}"
REPLICA = f"arn:aws:kms:eu-west-1:{SRC}:key/{MRK}"


def eu_copy(primary_policy: Any, replica_policy: Any | None, resource_key: str = REPLICA) -> Any:
    """The base EBS copy moved to eu-west-1, its volume encrypted with the eu-west-1 replica."""
    doc = base()
    keys: list[dict[str, Any]] = [
        {
            "arn": PRIMARY,
            "manager": "CUSTOMER",
            "state": "Enabled",
            "aliases": ["alias/mrk"],
            "policy": primary_policy,
        }
    ]
    if replica_policy is not None:
        keys.append(
            {
                "arn": REPLICA,
                "manager": "CUSTOMER",
                "state": "Enabled",
                "aliases": ["alias/mrk"],
                "policy": replica_policy,
            }
        )
    doc["keys"] = keys + [k for k in doc["keys"] if f":{DST}:" in k["arn"]]
    for k in doc["keys"][len(keys) :]:
        k["arn"] = k["arn"].replace("us-east-1", "eu-west-1")
    vault = doc["vaults"][0]
    vault["arn"] = vault["arn"].replace("us-east-1", "eu-west-1")
    vault["key"] = vault["key"].replace("us-east-1", "eu-west-1")
    cp = doc["copies"][0]
    cp.update(
        resource_arn=cp["resource_arn"].replace("us-east-1", "eu-west-1"),
        resource_key=resource_key,
        source_vault=cp["source_vault"].replace("us-east-1", "eu-west-1"),
        destination_vault=vault["arn"],
    )
    return doc


def test_the_replicas_own_policy_decides() -> None:
    denied = check(eu_copy(primary_policy=SHARED_SLR, replica_policy=UNSHARED))
    assert "CG101" in codes(denied)
    assert finding(denied, "CG101").resource == REPLICA
    assert finding(denied, "CG101").path == "keys[1].policy"
    allowed = check(eu_copy(primary_policy=UNSHARED, replica_policy=SHARED_SLR))
    assert allowed.verdict == "pass", [f.message.en for f in allowed.findings]


def test_a_region_without_a_listed_replica_is_unknown_not_the_primarys_answer() -> None:
    report = check(eu_copy(primary_policy=SHARED_SLR, replica_policy=None))
    assert report.verdict == "unknown"
    f = finding(report, "CG902")
    assert REPLICA in f.message.en and "not described" in f.message.en


def test_an_alias_arn_resolves_only_in_its_own_region() -> None:
    alias = f"arn:aws:kms:eu-west-1:{SRC}:alias/mrk"
    # only the primary (us-east-1) carries alias/mrk: an eu-west-1 alias ARN is not it
    report = check(eu_copy(primary_policy=SHARED_SLR, replica_policy=None, resource_key=alias))
    assert report.verdict == "unknown" and "CG101" not in codes(report)
    # primary and replica both carry the alias: the eu-west-1 ARN is the replica
    report = check(eu_copy(primary_policy=SHARED_SLR, replica_policy=UNSHARED, resource_key=alias))
    assert finding(report, "CG101").resource == REPLICA


def test_a_bare_multi_region_key_id_names_no_key_for_sure() -> None:
    sc = build_scenario(eu_copy(primary_policy=SHARED_SLR, replica_policy=UNSHARED))
    assert sc.key(MRK) is None  # the primary and the replica share it
    assert sc.key(REPLICA) is not None and sc.key(REPLICA).region == "eu-west-1"  # type: ignore[union-attr]
    assert sc.key("alias/mrk") is None  # a bare alias: which Region?
    only_primary = build_scenario(eu_copy(primary_policy=SHARED_SLR, replica_policy=None))
    assert only_primary.key(MRK) is not None and only_primary.key(MRK).arn == PRIMARY  # type: ignore[union-attr]
