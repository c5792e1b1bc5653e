"""IaC benchmark: ``copyguard check`` on an organization's Terraform plans against the same
set-up written as one scenario file (GitHub issue 9).

Generates, for each size (``--sizes``, default 250,500,1000 copy rules), an organization made
the way Terraform users write it, as ``terraform show -json`` plans in Terraform's real shape
(``resource_changes`` with ``after``/``after_unknown``, ``prior_state`` with the data sources
read at plan time, ``configuration`` with ``count`` resources and their references):

- one plan per source account (``--rules-per-plan``, default 25 rules): ``aws_kms_key.app[i]``
  (a key policy of 5 to 20 statements written with ``jsonencode``; every other key does not
  allow the central account, so half the copies fail with CG101), ``aws_ebs_volume.app[i]``
  encrypted with it (``kms_key_id = aws_kms_key.app[count.index].arn``, known only after
  apply), ``aws_backup_plan.app[i]`` with one rule whose ``copy_action`` copies to the
  account's central vault, ``aws_backup_selection.app[i]`` choosing the volume, and the
  account's local vault with its own key (no policy: KMS's default key policy);
- one central plan (the destination account): one vault per source account with its key,
  its access policy (allowing that source account) and its Vault Lock;
- ``organization.yaml``: the organization (what no plan says), a scenario file as facts;
- ``scenario.json``: the same set-up as one scenario file (the same keys and policies, vaults,
  copies and organization; the keys the plans create get real-looking key IDs).

Then, at each size, runs as whole processes (interpreter start-up included), interleaved so
both see the same machine (with ``--max-input-size`` just above the largest file, which one
plan of 1,000 rules needs):

- ``python -m copyguard check PLAN... central.json organization.yaml --format json``
- ``python -m copyguard check scenario.json --format json``

Each must exit 1 (verdict fail) with the same findings, code by code (the bench stops with
exit 2 if they differ: the comparison would not be fair). ``--repeat N`` (default 3) runs of
each; the median wall time, the median CPU time (user + system) and the largest peak
resident memory of each (from ``os.wait4``: the child's own ``ru_maxrss``) are kept.

Prints one row per size and input kind, then per size the IaC/scenario ratio of the medians
(wall and CPU), and for each size the time and memory per copy rule against the smallest
size's. Exit status: 0 if every IaC/scenario CPU ratio is at most ``--max-ratio`` (default 2)
and the CPU time per rule at the largest size is at most ``--max-growth`` (default 1.5) times
the smallest size's (linear growth: start-up is shared, so it usually falls); 1 otherwise;
2 if a run fails or the two inputs disagree.

    python bench/bench_iac.py                          # 250, 500, 1000 rules; 3 runs each
    python bench/bench_iac.py --sizes 1000 --repeat 1 --keep /tmp/iac   # keep the files
    python -m cProfile -s cumulative -m copyguard check /tmp/iac/1000/*.json \\
        /tmp/iac/1000/organization.yaml --format json > /tmp/profile.txt

Numbers depend on the machine (the project's machines have 2 cores, shared): the load
average is printed with each row; compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check_scale import DESTINATION, REGION, _key_policy

# what the plan reader gives a key without a policy: the scenario says the same
from copyguard.sources.terraform import default_key_policy

REPO = Path(__file__).resolve().parent.parent
PROVIDER = "registry.terraform.io/hashicorp/aws"
ORG_ID = "o-exampleorg1"
MANAGEMENT = "111111111111"


def source_account(k: int) -> str:
    return f"{200000000000 + k * 1111:012d}"


def _ref(*refs: str) -> dict[str, Any]:
    return {"references": list(refs)}


def _const(v: Any) -> dict[str, Any]:
    return {"constant_value": v}


class PlanDoc:
    """One ``terraform show -json`` plan of an account, built resource by resource."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.changes: list[dict[str, Any]] = []
        self.planned: list[dict[str, Any]] = []
        self.config: dict[str, dict[str, Any]] = {}
        self.prior: list[dict[str, Any]] = [
            {
                "address": "data.aws_caller_identity.current",
                "mode": "data",
                "type": "aws_caller_identity",
                "name": "current",
                "provider_name": PROVIDER,
                "schema_version": 0,
                "values": {
                    "account_id": account,
                    "arn": f"arn:aws:iam::{account}:role/ci-plan",
                    "id": account,
                    "user_id": "AROAEXAMPLEPLANROLE:ci",
                },
                "sensitive_values": {},
            }
        ]
        self.resource_config("data", "aws_caller_identity", "current", {}, count=None)

    def resource_config(
        self, mode: str, rtype: str, name: str, expressions: dict[str, Any], *, count: int | None
    ) -> None:
        address = f"data.{rtype}.{name}" if mode == "data" else f"{rtype}.{name}"
        entry: dict[str, Any] = {
            "address": address,
            "mode": mode,
            "type": rtype,
            "name": name,
            "provider_config_key": "aws",
            "expressions": expressions,
            "schema_version": 0,
        }
        if count is not None:
            entry["count_expression"] = _ref("var.apps") if count else _const(1)
        self.config[address] = entry

    def resource(
        self,
        rtype: str,
        name: str,
        index: int | None,
        after: dict[str, Any],
        unknown: dict[str, Any],
        expressions: dict[str, Any],
        count: int | None = None,
    ) -> None:
        address = f"{rtype}.{name}" + (f"[{index}]" if index is not None else "")
        head: dict[str, Any] = {"address": address, "mode": "managed", "type": rtype, "name": name}
        if index is not None:
            head["index"] = index
        head["provider_name"] = PROVIDER
        self.changes.append(
            {
                **head,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {k: {} for k, v in after.items() if isinstance(v, dict)},
                },
            }
        )
        self.planned.append({**head, "schema_version": 0, "values": after, "sensitive_values": {}})
        if f"{rtype}.{name}" not in self.config:
            self.resource_config("managed", rtype, name, expressions, count=count)

    def doc(self) -> dict[str, Any]:
        return {
            "format_version": "1.2",
            "terraform_version": "1.9.5",
            "variables": {
                "apps": {"value": sum(1 for c in self.changes if c["type"] == "aws_kms_key")}
            },
            "planned_values": {"root_module": {"resources": self.planned}},
            "resource_changes": self.changes,
            "prior_state": {
                "format_version": "1.0",
                "terraform_version": "1.9.5",
                "values": {"root_module": {"resources": self.prior}},
            },
            "configuration": {
                "provider_config": {
                    "aws": {
                        "name": "aws",
                        "full_name": PROVIDER,
                        "version_constraint": "~> 5.60",
                        "expressions": {"region": _const(REGION)},
                    }
                },
                "root_module": {
                    "resources": list(self.config.values()),
                    "variables": {"apps": {"default": 0}, "central_vault_arn": {}},
                },
            },
            "relevant_attributes": [],
            "timestamp": "2026-01-05T10:00:00Z",
            "errored": False,
        }


def _key_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def generate(
    rules: int, per_plan: int = 25, seed: int = 9
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(plan file name -> plan document, the equivalent scenario, organization.yaml text)."""
    rng = random.Random(seed)
    n_plans = max(1, -(-rules // per_plan))
    plans: dict[str, Any] = {}
    keys: list[dict[str, Any]] = []
    vaults: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    central = PlanDoc(DESTINATION)
    accounts = [source_account(k) for k in range(n_plans)]
    made = 0
    for k, account in enumerate(accounts):
        count = min(per_plan, rules - made)
        plan = PlanDoc(account)
        role = f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"
        central_vault = f"arn:aws:backup:{REGION}:{DESTINATION}:backup-vault:central-{k}"
        local_name = f"local-{k}"
        local_key = f"arn:aws:kms:{REGION}:{account}:key/{_key_id(rng)}"
        keys.append(
            {
                "arn": local_key,
                "manager": "CUSTOMER",
                "state": "Enabled",
                "policy": default_key_policy(account),
            }
        )
        vaults.append(
            {
                "arn": f"arn:aws:backup:{REGION}:{account}:backup-vault:{local_name}",
                "key": local_key,
                "access_policy": None,
                "lock": None,
            }
        )
        plan.resource(
            "aws_kms_key",
            "vault",
            None,
            {
                "description": "local backup vault",
                "is_enabled": True,
                "multi_region": False,
                "enable_key_rotation": True,
                "deletion_window_in_days": 30,
                "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                "key_usage": "ENCRYPT_DECRYPT",
                "bypass_policy_lockout_safety_check": False,
                "tags": None,
            },
            {"arn": True, "id": True, "key_id": True, "policy": True, "tags_all": True},
            {"description": _const("local backup vault"), "enable_key_rotation": _const(True)},
        )
        plan.resource(
            "aws_backup_vault",
            "local",
            None,
            {"name": local_name, "force_destroy": False, "tags": None},
            {
                "arn": True,
                "id": True,
                "kms_key_arn": True,
                "recovery_points": True,
                "tags_all": True,
            },
            {
                "name": _const(local_name),
                "kms_key_arn": _ref("aws_kms_key.vault.arn", "aws_kms_key.vault"),
            },
        )
        for i in range(count):
            allows = (made + i) % 2 == 0
            policy = _key_policy(rng, account, allows_destination=allows)
            key_arn = f"arn:aws:kms:{REGION}:{account}:key/{_key_id(rng)}"
            keys.append(
                {"arn": key_arn, "manager": "CUSTOMER", "state": "Enabled", "policy": policy}
            )
            plan.resource(
                "aws_kms_key",
                "app",
                i,
                {
                    "description": f"app {i} volumes",
                    "is_enabled": True,
                    "multi_region": False,
                    "enable_key_rotation": True,
                    "deletion_window_in_days": 30,
                    "policy": json.dumps(policy, indent=2),
                    "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                    "key_usage": "ENCRYPT_DECRYPT",
                    "bypass_policy_lockout_safety_check": False,
                    "tags": {"app": f"app-{i}"},
                },
                {
                    "arn": True,
                    "id": True,
                    "key_id": True,
                    "tags_all": True,
                    "rotation_period_in_days": True,
                },
                {
                    "description": _ref("count.index"),
                    "enable_key_rotation": _const(True),
                    "policy": _ref(
                        "data.aws_caller_identity.current.account_id",
                        "data.aws_caller_identity.current",
                        "count.index",
                    ),
                    "tags": _ref("count.index"),
                },
                count=count,
            )
            plan.resource(
                "aws_ebs_volume",
                "app",
                i,
                {
                    "availability_zone": f"{REGION}a",
                    "encrypted": True,
                    "size": 100,
                    "type": "gp3",
                    "final_snapshot": False,
                    "multi_attach_enabled": None,
                    "outpost_arn": None,
                    "tags": {"backup": "daily"},
                },
                {
                    "arn": True,
                    "id": True,
                    "iops": True,
                    "kms_key_id": True,
                    "snapshot_id": True,
                    "throughput": True,
                    "tags_all": True,
                },
                {
                    "availability_zone": _const(f"{REGION}a"),
                    "encrypted": _const(True),
                    "size": _const(100),
                    "type": _const("gp3"),
                    "kms_key_id": _ref("aws_kms_key.app", "count.index"),
                    "tags": _const({"backup": "daily"}),
                },
                count=count,
            )
            plan.resource(
                "aws_backup_plan",
                "app",
                i,
                {
                    "name": f"app-{i}-daily",
                    "advanced_backup_setting": [],
                    "tags": None,
                    "rule": [
                        {
                            "rule_name": "daily",
                            "target_vault_name": local_name,
                            "schedule": "cron(0 5 ? * * *)",
                            "schedule_expression_timezone": "Etc/UTC",
                            "start_window": 60,
                            "completion_window": 180,
                            "enable_continuous_backup": False,
                            "lifecycle": [
                                {
                                    "delete_after": 35,
                                    "cold_storage_after": 0,
                                    "opt_in_to_archive_for_supported_resources": False,
                                }
                            ],
                            "copy_action": [
                                {
                                    "destination_vault_arn": central_vault,
                                    "lifecycle": [
                                        {
                                            "delete_after": 90,
                                            "cold_storage_after": 0,
                                            "opt_in_to_archive_for_supported_resources": False,
                                        }
                                    ],
                                }
                            ],
                            "recovery_point_tags": None,
                        }
                    ],
                },
                {
                    "arn": True,
                    "id": True,
                    "tags_all": True,
                    "version": True,
                    "rule": [{"lifecycle": [{}], "copy_action": [{"lifecycle": [{}]}]}],
                },
                {
                    "name": _ref("count.index"),
                    "rule": [
                        {
                            "rule_name": _const("daily"),
                            "schedule": _const("cron(0 5 ? * * *)"),
                            "target_vault_name": _ref(
                                "aws_backup_vault.local.name", "aws_backup_vault.local"
                            ),
                            "lifecycle": [{"delete_after": _const(35)}],
                            "copy_action": [
                                {
                                    "destination_vault_arn": _ref("var.central_vault_arn"),
                                    "lifecycle": [{"delete_after": _const(90)}],
                                }
                            ],
                        }
                    ],
                },
                count=count,
            )
            plan.resource(
                "aws_backup_selection",
                "app",
                i,
                {
                    "name": f"app-{i}",
                    "iam_role_arn": role,
                    "condition": [],
                    "not_resources": None,
                    "selection_tag": [],
                },
                {"id": True, "plan_id": True, "resources": True},
                {
                    "name": _ref("count.index"),
                    "iam_role_arn": _const(role),
                    "plan_id": _ref("aws_backup_plan.app", "count.index"),
                    "resources": _ref("aws_ebs_volume.app", "count.index"),
                },
                count=count,
            )
            copies.append(
                {
                    "name": f"{account}/app-{i}",
                    "resource_type": "EBS",
                    "resource_key": key_arn,
                    "source_vault": vaults[-1]["arn"],
                    "destination_vault": central_vault,
                    "iam_role_arn": role,
                    "lifecycle": {"delete_after_days": 90},
                }
            )
        made += count
        plans[f"plan-{k:03d}.json"] = plan.doc()
        # the central account: this account's vault, its key, access policy and lock
        ckey = f"arn:aws:kms:{REGION}:{DESTINATION}:key/{_key_id(rng)}"
        cpolicy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{DESTINATION}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
            ],
        }
        access = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCopiesFromSource",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                },
            ],
        }
        keys.append({"arn": ckey, "manager": "CUSTOMER", "state": "Enabled", "policy": cpolicy})
        vaults.append(
            {
                "arn": central_vault,
                "key": ckey,
                "access_policy": access,
                "lock": {
                    "min_retention_days": 7,
                    "max_retention_days": 365,
                    "changeable_for_days": 3,
                },
            }
        )
        central.resource(
            "aws_kms_key",
            "central",
            k,
            {
                "description": f"central vault {k}",
                "is_enabled": True,
                "multi_region": False,
                "enable_key_rotation": True,
                "deletion_window_in_days": 30,
                "policy": json.dumps(cpolicy, indent=2),
                "tags": None,
            },
            {"arn": True, "id": True, "key_id": True, "tags_all": True},
            {
                "description": _ref("count.index"),
                "enable_key_rotation": _const(True),
                "policy": _ref(
                    "data.aws_caller_identity.current.account_id",
                    "data.aws_caller_identity.current",
                ),
            },
            count=n_plans,
        )
        central.resource(
            "aws_backup_vault",
            "central",
            k,
            {"name": f"central-{k}", "force_destroy": False, "tags": None},
            {
                "arn": True,
                "id": True,
                "kms_key_arn": True,
                "recovery_points": True,
                "tags_all": True,
            },
            {
                "name": _ref("count.index"),
                "kms_key_arn": _ref("aws_kms_key.central", "count.index"),
            },
            count=n_plans,
        )
        central.resource(
            "aws_backup_vault_policy",
            "central",
            k,
            {"policy": json.dumps(access)},
            {"backup_vault_arn": True, "backup_vault_name": True, "id": True},
            {
                "backup_vault_name": _ref("aws_backup_vault.central", "count.index"),
                "policy": _ref("var.source_accounts", "count.index"),
            },
            count=n_plans,
        )
        central.resource(
            "aws_backup_vault_lock_configuration",
            "central",
            k,
            {"min_retention_days": 7, "max_retention_days": 365, "changeable_for_days": 3},
            {"backup_vault_arn": True, "backup_vault_name": True, "id": True},
            {
                "backup_vault_name": _ref("aws_backup_vault.central", "count.index"),
                "min_retention_days": _const(7),
                "max_retention_days": _const(365),
                "changeable_for_days": _const(3),
            },
            count=n_plans,
        )
    plans["central.json"] = central.doc()
    organization = {
        "id": ORG_ID,
        "accounts": [*accounts, DESTINATION],
        "cross_account_backup_enabled": True,
        "management_account": MANAGEMENT,
    }
    org_yaml = (
        "# the organization, which no plan says (managed in the management account)\n"
        "version: 1\norganization:\n"
        f"  id: {ORG_ID}\n"
        f"  management_account: '{MANAGEMENT}'\n"
        "  cross_account_backup_enabled: true\n"
        "  accounts:\n" + "".join(f"  - '{a}'\n" for a in organization["accounts"])
    )
    scenario = {
        "version": 1,
        "organization": organization,
        "keys": keys,
        "vaults": vaults,
        "copies": copies,
    }
    return plans, scenario, org_yaml


def write_inputs(rules: int, per_plan: int, seed: int, folder: Path) -> tuple[list[Path], Path]:
    """Write the plans, organization.yaml and scenario.json; (IaC inputs, scenario file)."""
    folder.mkdir(parents=True, exist_ok=True)
    plans, scenario, org_yaml = generate(rules, per_plan, seed)
    inputs: list[Path] = []
    for name, doc in plans.items():
        path = folder / name
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")  # terraform's style
        inputs.append(path)
    org = folder / "organization.yaml"
    org.write_text(org_yaml, encoding="utf-8")
    inputs.append(org)
    scen = folder / "scenario.json"
    scen.write_text(json.dumps(scenario, indent=1) + "\n", encoding="utf-8")
    return inputs, scen


def run(args: list[str], env: dict[str, str], out: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s, peak RSS KiB, exit code) of one whole ``python -m copyguard`` process;
    CPU time and peak memory are the child's own, from ``os.wait4``."""
    start = time.perf_counter()
    with open(out, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "copyguard", *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.PIPE,
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 1:
        sys.stderr.write(err.decode("utf-8", "replace")[-3000:])
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode


def codes(path: Path) -> Counter[str]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return Counter(f["code"] for f in report["findings"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="250,500,1000", help="copy rules (default 250,500,1000)")
    parser.add_argument("--rules-per-plan", type=int, default=25, help="rules in each source plan")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; medians kept")
    parser.add_argument("--max-ratio", type=float, default=2.0, help="IaC / scenario CPU limit")
    parser.add_argument(
        "--max-growth",
        type=float,
        default=1.5,
        help="limit on CPU per rule at the largest size / at the smallest (default 1.5)",
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--keep", metavar="DIR", help="write the inputs to DIR and keep them")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p
    )
    env["COPYGUARD_LANG"] = "en"
    results: dict[tuple[str, int], tuple[float, float, int]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="copyguard-bench-iac-") as tmp:
        # bytecode cached as an installed copyguard has it, in a folder of the bench's own
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        base = Path(args.keep) if args.keep else Path(tmp)
        print(
            f"{'input':9} {'rules':>6} {'files':>5} {'MB':>6} {'wall s':>8} {'CPU s':>8} "
            f"{'peak MB':>8} {'load':>5}"
        )
        print("-" * 64)
        for n in sizes:
            inputs, scen = write_inputs(n, args.rules_per_plan, args.seed, base / str(n))
            # a file above the default 16 MiB (one plan of 1,000 rules) needs the bound raised
            largest = max(p.stat().st_size for p in [*inputs, scen])
            bound = ["--max-input-size", f"{largest // (1024 * 1024) + 1}M"]
            commands = {
                "terraform": ["check", *map(str, inputs), "--format", "json", *bound],
                "scenario": ["check", str(scen), "--format", "json", *bound],
            }
            sizes_mb = {
                "terraform": sum(p.stat().st_size for p in inputs) / 1e6,
                "scenario": scen.stat().st_size / 1e6,
            }
            runs: dict[str, list[tuple[float, float, int]]] = {k: [] for k in commands}
            if n == sizes[0]:  # warm-up, untimed: writes the bytecode cache
                run(commands["scenario"], env, base / "warm-up.json")
            loads: list[float] = []
            for _ in range(max(1, args.repeat)):
                for kind, cli in commands.items():  # interleaved
                    out = base / f"report-{n}-{kind}.json"
                    wall, cpu, peak, code = run(cli, env, out)
                    loads.append(os.getloadavg()[0])
                    if code != 1:
                        sys.stderr.write(f"bench: {kind} at {n} rules exited {code}, expected 1\n")
                        return 2
                    runs[kind].append((wall, cpu, peak))
            found = {k: codes(base / f"report-{n}-{k}.json") for k in commands}
            if found["terraform"] != found["scenario"]:
                sys.stderr.write(
                    f"bench: the two inputs disagree at {n} rules: terraform "
                    f"{dict(found['terraform'])}, scenario {dict(found['scenario'])}\n"
                )
                return 2
            for kind in commands:
                wall = statistics.median(r[0] for r in runs[kind])
                cpu = statistics.median(r[1] for r in runs[kind])
                peak = max(r[2] for r in runs[kind])
                results[(kind, n)] = (wall, cpu, peak)
                files = len(inputs) if kind == "terraform" else 1
                print(
                    f"{kind:9} {n:>6} {files:>5} {sizes_mb[kind]:>6.1f} {wall:>8.2f} {cpu:>8.2f} "
                    f"{peak / 1024:>8.0f} {statistics.median(loads):>5.2f}",
                    flush=True,
                )
            print(f"          findings: {dict(sorted(found['scenario'].items()))}")
    print()
    for n in sizes:
        tw, tc, tp = results[("terraform", n)]
        sw, sc, sp = results[("scenario", n)]
        ratio = tc / sc
        failed |= ratio > args.max_ratio
        print(
            f"{n:>5} rules: terraform / scenario: CPU {ratio:.2f}x, wall {tw / sw:.2f}x, "
            f"peak memory {tp / sp:.2f}x (limit {args.max_ratio:g}x CPU)"
        )
    small, large = sizes[0], sizes[-1]
    for kind in ("terraform", "scenario"):
        ws, cs, ps = results[(kind, small)]
        wl, cl, pl = results[(kind, large)]
        growth = (cl / large) / (cs / small)
        if kind == "terraform" and len(sizes) > 1:
            failed |= growth > args.max_growth
        print(
            f"{kind}: {large} / {small} rules: CPU {cl / cs:.2f}x, wall {wl / ws:.2f}x, "
            f"peak memory {pl / ps:.2f}x; CPU per rule {1000 * cs / small:.1f} -> "
            f"{1000 * cl / large:.1f} ms ({growth:.2f}x, limit {args.max_growth:g}); "
            f"memory per rule above the smallest run: "
            f"{(pl - ps) / 1024 / max(1, large - small) * 1000:.0f} KB"
        )
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
