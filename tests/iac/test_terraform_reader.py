"""The Terraform/OpenTofu plan reader (copyguard.sources.terraform) and the merge of inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tfplan import CENTRAL, DST, REGION, SRC, Plan, const, ref, source_plan

from copyguard import api
from copyguard.scenario import UNKNOWN, ScenarioError
from copyguard.scenario.load import build_scenario
from copyguard.sources.merge import detect, load_inputs
from copyguard.sources.terraform import read_terraform

PENDING = f"arn:aws:kms:{REGION}:{SRC}:key/pending:aws_kms_key.k"


def read(plan: Plan, **kw: str) -> dict:
    return read_terraform(plan.doc(), "plan.json", **kw).doc


def central_plan(policy: str | None = None, lock: bool = False) -> Plan:
    p = Plan(
        {
            "region": const(REGION),
            "assume_role": [{"role_arn": const(f"arn:aws:iam::{DST}:role/tf")}],
        }
    )
    p.resource("aws_kms_key", "c", {"is_enabled": True}, {"arn": True, "policy": True}, {})
    p.resource(
        "aws_backup_vault",
        "central",
        {"name": "central"},
        {"arn": True, "kms_key_arn": True},
        {"name": const("central"), "kms_key_arn": ref("aws_kms_key.c.arn", "aws_kms_key.c")},
    )
    if policy is not None:
        p.resource(
            "aws_backup_vault_policy",
            "cp",
            {"policy": policy},
            {"backup_vault_name": True},
            {
                "policy": const(policy),
                "backup_vault_name": ref(
                    "aws_backup_vault.central.name", "aws_backup_vault.central"
                ),
            },
        )
    if lock:
        p.resource(
            "aws_backup_vault_lock_configuration",
            "l",
            {"min_retention_days": 60, "max_retention_days": 365},
            {"backup_vault_name": True},
            {
                "min_retention_days": const(60),
                "max_retention_days": const(365),
                "backup_vault_name": ref(
                    "aws_backup_vault.central.name", "aws_backup_vault.central"
                ),
            },
        )
    return p


ALLOW_SRC = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SRC}:root"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }
)


def test_key_without_policy_has_the_default_policy_and_a_pending_arn() -> None:
    doc = read(source_plan())
    key = doc["keys"][0]
    assert key["arn"] == PENDING
    assert key["state"] == "Enabled" and key["manager"] == "CUSTOMER"
    assert key["policy"]["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{SRC}:root"}


def test_links_follow_references_not_values() -> None:
    doc = read(source_plan())
    vault = doc["vaults"][0]
    assert vault["arn"] == f"arn:aws:backup:{REGION}:{SRC}:backup-vault:local"
    assert vault["key"] == PENDING  # kms_key_arn = aws_kms_key.k.arn, unknown yet: by reference
    assert vault["access_policy"] is None and vault["lock"] is None  # no such resources: none
    copy = doc["copies"][0]
    assert copy["resource_type"] == "EBS" and copy["resource_key"] == PENDING
    assert copy["source_vault"] == vault["arn"] and copy["destination_vault"] == CENTRAL
    assert copy["lifecycle"] == {"delete_after_days": 30}
    assert copy["iam_role_arn"] == f"arn:aws:iam::{SRC}:role/backup"


def test_pending_keys_are_refused_from_scenario_files() -> None:
    doc = {"keys": [{"arn": PENDING}]}
    with pytest.raises(ScenarioError, match="key ID"):
        build_scenario(doc, "s.yaml")
    assert PENDING in build_scenario(doc, "s.yaml", pending_keys=True).keys


def test_vault_without_key_uses_aws_backup() -> None:
    p = Plan().datasource("aws_caller_identity", "me", {"account_id": SRC})
    p.resource(
        "aws_backup_vault",
        "v",
        {"name": "v1"},
        {"arn": True, "kms_key_arn": True},
        {"name": const("v1")},
    )
    assert read(p)["vaults"][0]["key"] == f"arn:aws:kms:{REGION}:{SRC}:alias/aws/backup"


def test_unknown_policy_is_named_with_input_address_and_attribute(tmp_path: Path) -> None:
    p = source_plan()
    p.changes[0]["change"]["after_unknown"]["policy"] = True
    p.root["resources"][1]["expressions"]["policy"] = ref("aws_iam_role.r.arn", "aws_iam_role.r")
    tf = read_terraform(p.doc(), "src.json")
    assert "policy" not in tf.doc["keys"][0]
    what, why = tf.unknown_reasons["keys[0].policy"]
    assert what == "src.json: aws_kms_key.k attribute policy"
    assert "after apply" in why and "aws_iam_role.r.arn" in why
    loaded = load_inputs((str(p.write(tmp_path / "src.json")),))
    assert loaded.scenario.keys[PENDING].policy is UNKNOWN
    report = api.check_scenario(loaded.scenario)
    assert report.verdict == "unknown"
    assert any(
        f.code == "CG902" and "aws_kms_key.k attribute policy" in f.message.en
        for f in report.findings
    )


def test_policy_document_data_source_is_read() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    p = source_plan().datasource("aws_iam_policy_document", "d", {"json": json.dumps(policy)})
    p.changes[0]["change"]["after_unknown"]["policy"] = True
    p.root["resources"][1]["expressions"]["policy"] = ref(
        "data.aws_iam_policy_document.d.json", "data.aws_iam_policy_document.d"
    )
    assert json.loads(read(p)["keys"][0]["policy"]) == policy


def test_key_policy_resource_overrides_the_key() -> None:
    own = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{DST}:root"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ],
        }
    )
    p = source_plan()
    p.resource(
        "aws_kms_key_policy",
        "kp",
        {"policy": own},
        {"key_id": True},
        {"policy": const(own), "key_id": ref("aws_kms_key.k.id", "aws_kms_key.k")},
    )
    tf = read_terraform(p.doc(), "plan.json")
    assert tf.doc["keys"][0]["policy"] == own
    assert tf.addresses["keys[0].policy"] == "aws_kms_key_policy.kp"


def test_disabled_key_and_multi_region() -> None:
    p = source_plan()
    p.changes[0]["change"]["after"].update({"is_enabled": False, "multi_region": True})
    key = read(p)["keys"][0]
    assert key["state"] == "Disabled" and key["multi_region"] is True


def test_rds_encrypted_without_key_is_aws_managed_and_fails_cg102(tmp_path: Path) -> None:
    p = source_plan()
    p.resource(
        "aws_db_instance",
        "db",
        {"storage_encrypted": True, "password": "hunter2hunter2"},
        {"arn": True, "kms_key_id": True},
        {"storage_encrypted": const(True), "password": ref("var.pw")},
        sensitive={"password": True},
    )
    sel = p.root["resources"][-2]  # aws_backup_selection
    sel["expressions"]["resources"] = ref("aws_db_instance.db.arn", "aws_db_instance.db")
    doc = read(p)
    assert doc["copies"][0]["resource_type"] == "RDS"
    assert doc["copies"][0]["resource_key"] == f"arn:aws:kms:{REGION}:{SRC}:alias/aws/rds"
    loaded = load_inputs(
        (str(p.write(tmp_path / "a.json")), str(central_plan(ALLOW_SRC).write(tmp_path / "b.json")))
    )
    report = api.check_scenario(loaded.scenario)
    assert report.verdict == "fail" and any(f.code == "CG102" for f in report.findings)
    assert "hunter2" not in json.dumps(doc)


def test_aurora_unencrypted_is_known_unencrypted() -> None:
    p = source_plan()
    p.resource(
        "aws_rds_cluster",
        "c",
        {"storage_encrypted": False},
        {"arn": True},
        {"storage_encrypted": const(False)},
    )
    p.root["resources"][-2]["expressions"]["resources"] = ref(
        "aws_rds_cluster.c.arn", "aws_rds_cluster.c"
    )
    copy = read(p)["copies"][0]
    assert copy["resource_type"] == "Aurora" and copy["resource_key"] is None


def test_tag_only_selection_keeps_the_resource_unknown() -> None:
    p = source_plan()
    p.changes[-1]["change"]["after"]["selection_tag"] = [
        {"type": "STRINGEQUALS", "key": "backup", "value": "yes"}
    ]
    p.changes[-1]["change"]["after_unknown"].pop("resources")
    p.root["resources"][-1]["expressions"].pop("resources")
    tf = read_terraform(p.doc(), "plan.json")
    copy = tf.doc["copies"][0]
    assert "resource_type" not in copy and "resource_key" not in copy
    assert "tag" in tf.unknown_reasons["copies[0].resource_type"][1]


def test_modules_count_and_for_each_instances() -> None:
    p = Plan().datasource("aws_caller_identity", "me", {"account_id": SRC})
    for i in (0, 1):
        p.resource(
            "aws_kms_key",
            "k",
            {"is_enabled": True},
            {"arn": True, "policy": True},
            {},
            module="module.backup",
            index=i,
        )
    for name in ("a", "b"):
        p.resource(
            "aws_backup_vault",
            "v",
            {"name": f"vault-{name}"},
            {"arn": True, "kms_key_arn": True},
            {
                "name": ref("each.key"),
                "kms_key_arn": ref("aws_kms_key.k[1].arn", "aws_kms_key.k[1]", "aws_kms_key.k"),
            },
            module="module.backup",
            index=name,
        )
    doc = read(p)
    assert [k["arn"].split(":key/pending:")[1] for k in doc["keys"]] == [
        "module.backup.aws_kms_key.k[0]",
        "module.backup.aws_kms_key.k[1]",
    ]
    keys = {v["arn"].rsplit(":", 1)[-1]: v["key"] for v in doc["vaults"]}
    assert keys == {
        "vault-a": doc["keys"][1]["arn"],
        "vault-b": doc["keys"][1]["arn"],
    }


def test_module_variables_and_outputs_are_followed() -> None:
    p = Plan().datasource("aws_caller_identity", "me", {"account_id": SRC})
    p.resource("aws_kms_key", "k", {"is_enabled": True}, {"arn": True, "policy": True}, {})
    p.resource(
        "aws_backup_vault",
        "v",
        {"name": "modvault"},
        {"arn": True, "kms_key_arn": True},
        {"name": const("modvault"), "kms_key_arn": ref("var.key_arn")},
        module="module.b",
    )
    p.root["module_calls"]["b"]["expressions"]["key_arn"] = ref(
        "aws_kms_key.k.arn", "aws_kms_key.k"
    )
    doc = read(p)
    assert doc["vaults"][0]["key"] == PENDING


def test_account_from_assume_role_and_region_from_data() -> None:
    p = central_plan()
    assert read(p)["vaults"][0]["arn"] == CENTRAL


def test_account_unknown_needs_the_option() -> None:
    p = source_plan(identity=False)
    with pytest.raises(ScenarioError, match=r"--account plan.json=ACCOUNT_ID"):
        read(p)
    assert read(p, account=SRC)["keys"][0]["arn"] == PENDING


def test_lock_and_vault_policy_resources() -> None:
    doc = read(central_plan(ALLOW_SRC, lock=True))
    vault = doc["vaults"][0]
    assert vault["access_policy"] == ALLOW_SRC
    assert vault["lock"] == {"min_retention_days": 60, "max_retention_days": 365}


def test_lag_vault_and_global_settings() -> None:
    p = Plan().datasource("aws_caller_identity", "me", {"account_id": DST})
    p.resource(
        "aws_backup_logically_air_gapped_vault",
        "lag",
        {"name": "lag", "min_retention_days": 7, "max_retention_days": 90},
        {"arn": True},
    )
    p.resource(
        "aws_backup_global_settings",
        "g",
        {"global_settings": {"isCrossAccountBackupEnabled": "true"}},
        {},
    )
    doc = read(p)
    assert doc["vaults"][0]["vault_type"] == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
    assert doc["vaults"][0]["key"] == "aws-owned"
    assert doc["vaults"][0]["lock"] == {"min_retention_days": 7, "max_retention_days": 90}
    assert doc["organization"] == {"cross_account_backup_enabled": True}


def test_wrong_major_version_is_an_input_error() -> None:
    with pytest.raises(ScenarioError, match=r"unsupported Terraform JSON format version 2\.0"):
        read_terraform(source_plan().doc("2.0"), "plan.json")


def test_detection_by_content() -> None:
    assert detect(json.dumps(source_plan().doc()))[0] == "terraform"
    assert detect(json.dumps({"format_version": "1.0", "values": {}}))[0] == "terraform"
    assert detect('{"version": 1, "keys": []}')[0] == "scenario"
    assert detect("version: 1\n")[0] == "scenario"


def test_merge_joins_the_destination_vault(tmp_path: Path) -> None:
    a = source_plan().write(tmp_path / "a.json")
    b = central_plan(ALLOW_SRC, lock=True).write(tmp_path / "b.json")
    loaded = load_inputs((str(a), str(b)))
    sc = loaded.scenario
    assert set(sc.vaults) == {f"arn:aws:backup:{REGION}:{SRC}:backup-vault:local", CENTRAL}
    assert sc.vault(sc.copies[0].destination_vault) is sc.vaults[CENTRAL]
    assert loaded.origins["vaults[1]"].file == str(b)


def test_merge_conflict_names_both_inputs(tmp_path: Path) -> None:
    a = central_plan(ALLOW_SRC).write(tmp_path / "a.json")
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        f"version: 1\nvaults:\n  - arn: {CENTRAL}\n    access_policy: null\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as exc:
        load_inputs((str(a), str(facts)))
    assert str(a) in str(exc.value) and str(facts) in str(exc.value)


def test_scenario_facts_complete_the_plans(tmp_path: Path) -> None:
    a = source_plan().write(tmp_path / "a.json")
    b = central_plan(ALLOW_SRC).write(tmp_path / "b.json")
    facts = tmp_path / "org.yaml"
    facts.write_text(
        f"version: 1\norganization:\n  id: o-exampleorg1\n  accounts: ['{SRC}', '{DST}']\n  cross_account_backup_enabled: true\n",
        encoding="utf-8",
    )
    without = api.check_scenario(load_inputs((str(a), str(b))).scenario)
    with_facts = api.check_scenario(load_inputs((str(a), str(b), str(facts))).scenario)
    assert any(f.evidence.get("needed_for") == "CG301" for f in without.findings)
    assert not any(f.evidence.get("needed_for") == "CG301" for f in with_facts.findings)
    assert with_facts.verdict == "fail"  # the default key policy does not allow the destination
    assert {f.code for f in with_facts.findings if f.severity == "error"} == {"CG101"}


def test_per_input_account_option(tmp_path: Path) -> None:
    a = source_plan(identity=False).write(tmp_path / "a.json")
    loaded = load_inputs((str(a),), accounts=(f"{a}={SRC}",))
    assert PENDING in loaded.scenario.keys
    with pytest.raises(ScenarioError, match="not one of the inputs"):
        load_inputs((str(a),), accounts=(f"other.json={SRC}",))


def test_deleted_resources_are_not_read() -> None:
    p = source_plan()
    p.changes[0]["change"]["actions"] = ["delete"]
    doc = read(p)
    assert "keys" not in doc


def test_hostile_plans_are_input_errors_never_crashes() -> None:
    """Every value of a real plan replaced by values of other types: a ScenarioError or a
    scenario the loader accepts, never another exception."""
    import copy
    import random

    example = Path(__file__).resolve().parents[2] / "examples" / "iac" / "terraform"
    base = json.loads((example / "source-plan.json").read_text(encoding="utf-8"))
    values = [None, 1, "x", [], {}, [1], {"a": 1}, True, -5, "a\nb", [None]]

    def paths(d: object, p: tuple = ()) -> list[tuple]:
        out = [p]
        if isinstance(d, dict):
            for k, v in d.items():
                out += paths(v, (*p, k))
        elif isinstance(d, list):
            for i, v in enumerate(d):
                out += paths(v, (*p, i))
        return out

    every = [p for p in paths(base) if p]
    rng = random.Random(9)
    for _ in range(400):
        doc = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            p = rng.choice(every)
            target = doc
            try:
                for k in p[:-1]:
                    target = target[k]
                target[p[-1]] = rng.choice(values)
            except (KeyError, IndexError, TypeError):
                pass
        try:
            tf = read_terraform(doc, "x.json", account=SRC, region=REGION)
            build_scenario(tf.doc, None, pending_keys=True)
        except ScenarioError:
            pass


@pytest.mark.parametrize(
    ("rtype", "kind"), [("aws_docdb_cluster", "DocumentDB"), ("aws_neptune_cluster", "Neptune")]
)
def test_docdb_and_neptune_without_key_use_the_rds_managed_key(rtype: str, kind: str) -> None:
    p = source_plan()
    p.resource(
        rtype,
        "c",
        {"storage_encrypted": True},
        {"arn": True, "kms_key_id": True},
        {"storage_encrypted": const(True)},
    )
    p.root["resources"][-2]["expressions"]["resources"] = ref(f"{rtype}.c.arn", f"{rtype}.c")
    copy = read(p)["copies"][0]
    assert copy["resource_type"] == kind
    assert copy["resource_key"] == f"arn:aws:kms:{REGION}:{SRC}:alias/aws/rds"


def test_scenario_with_policy_file_merges_from_another_directory(tmp_path: Path) -> None:
    scenario = (
        Path(__file__).resolve().parents[1] / "data" / "scenarios" / "cg101-rds-policy-file.yaml"
    )
    p = Plan().datasource("aws_caller_identity", "me", {"account_id": "999988887777"})
    p.resource("aws_backup_vault", "x", {"name": "other"}, {"arn": True}, {"name": const("other")})
    loaded = load_inputs((str(scenario), str(p.write(tmp_path / "x.json"))))
    report = api.check_scenario(loaded.scenario)
    assert report.verdict == "fail" and {f.code for f in report.findings} == {"CG101"}
    assert "arn:aws:backup:us-east-1:999988887777:backup-vault:other" in loaded.scenario.vaults


def test_a_destination_no_input_describes_names_the_input_to_add(tmp_path: Path) -> None:
    loaded = load_inputs((str(source_plan().write(tmp_path / "a.json")),))
    what, why = loaded.scenario.unknown_reasons["copies[0].destination_vault"]
    assert CENTRAL in what and f"account {DST}" in why
    both = load_inputs((str(tmp_path / "a.json"), str(central_plan().write(tmp_path / "b.json"))))
    assert "copies[0].destination_vault" not in both.scenario.unknown_reasons


def test_per_input_option_names_the_same_file_written_another_way(tmp_path: Path) -> None:
    from copyguard.sources.merge import per_input

    a = source_plan(identity=False).write(tmp_path / "a.json")
    labels = [str(a), "-"]
    # the label itself, the file name alone (one input of that name), the absolute path
    assert per_input((f"{a}={SRC}",), "--account", labels) == {str(a): SRC}
    assert per_input((f"a.json={SRC}",), "--account", labels) == {str(a): SRC}
    assert per_input((f"{a.resolve()}={SRC}",), "--account", labels) == {str(a): SRC}
    # two inputs of the same file name: the bare name is ambiguous, so it names neither
    (tmp_path / "sub").mkdir()
    b = source_plan(identity=False).write(tmp_path / "sub" / "a.json")
    with pytest.raises(ScenarioError, match="not one of the inputs"):
        per_input((f"a.json={SRC}",), "--account", [str(a), str(b)])
