"""Read ``terraform show -json`` output (Terraform or OpenTofu; a plan or a state) into the
scenario document of spec section 3, for ``copyguard.scenario.build_scenario``.

Pure: no boto3, no network. Only the IaC path imports it (``copyguard check INPUT...`` with a
Terraform input); a scenario file never does.

What the plan says is read from ``resource_changes[].change`` (``after``, ``after_unknown``,
``after_sensitive``), data sources from ``prior_state``, and links, providers and modules from
``configuration``. An attribute shown as unknown is told apart by the configuration: set there
(known only after apply: unknown, with the reason) or left unset (AWS's default: known). A key
the plan creates has no ID before apply: it is named ``key/pending:ADDRESS``
(``copyguard.scenario.load.PENDING_KEY_MARK``), identity by reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

from copyguard.policy import ids
from copyguard.policy.locate import json_positions
from copyguard.records import record
from copyguard.scenario.load import ScenarioError, pending_key_arn
from copyguard.sources.reader_input import TAG_SELECTION_WHY, ReaderInput

#: the AWS Backup ``ResourceType`` of each protected resource type, its key attribute and the
#: attribute that turns encryption on (None: always encrypted). The AWS managed key used without
#: a key is the knowledge row's ``aws_managed_key_alias`` (``managed_key_alias``).
PROTECTED: dict[str, tuple[str, str, str | None]] = {
    "aws_ebs_volume": ("EBS", "kms_key_id", "encrypted"),
    "aws_db_instance": ("RDS", "kms_key_id", "storage_encrypted"),
    "aws_rds_cluster": ("Aurora", "kms_key_id", "storage_encrypted"),
    "aws_docdb_cluster": ("DocumentDB", "kms_key_id", "storage_encrypted"),
    "aws_neptune_cluster": ("Neptune", "kms_key_id", "storage_encrypted"),
    "aws_efs_file_system": ("EFS", "kms_key_id", "encrypted"),
    "aws_dynamodb_table": ("DynamoDB", "", None),
    # an instance's backup is an AMI whose EBS snapshots keep their volumes' keys
    "aws_instance": ("EC2", "kms_key_id", "encrypted"),
    # FSx is always encrypted; without kms_key_id with the AWS managed key
    "aws_fsx_windows_file_system": ("FSx", "kms_key_id", None),
    "aws_fsx_lustre_file_system": ("FSx", "kms_key_id", None),
    "aws_fsx_openzfs_file_system": ("FSx", "kms_key_id", None),
    # AWS Backup reports ONTAP as FSx; the knowledge row of the variant says it is not copied
    "aws_fsx_ontap_file_system": ("FSx:ONTAP", "kms_key_id", None),
}


def managed_key_alias(resource_type: str) -> str:
    """The AWS managed key (``alias/aws/...``) that encrypts a resource of this AWS Backup type
    when no key is given, from the knowledge layer's resource-type row."""
    from copyguard.knowledge import resource_type as row

    info = row(resource_type)
    alias = info.aws_managed_key_alias if info is not None else None
    if not alias:  # a knowledge row without one: a bug in copyguard's data, not in the input
        raise ValueError(f"the knowledge data has no AWS managed key for {resource_type}")
    return alias


#: resource types that make a plan an AWS Backup set-up (what the reader looked for)
BACKUP_TYPES = (
    "aws_kms_replica_key",
    "aws_backup_plan",
    "aws_backup_vault",
    "aws_backup_logically_air_gapped_vault",
    "aws_backup_selection",
    "aws_kms_key",
)
_ARN_TYPES = (
    (":ec2:", ":volume/", "EBS"),
    (":ec2:", ":instance/", "EC2"),
    (":fsx:", ":file-system/", "FSx"),
    (":fsx:", ":volume/", "FSx"),
    (":rds:", ":db:", "RDS"),
    (":rds:", ":cluster:", "Aurora"),
    (":elasticfilesystem:", ":file-system/", "EFS"),
    (":dynamodb:", ":table/", "DynamoDB"),
    (":s3:", ":", "S3"),
)
#: the resource types that create a KMS key the plan names by its address
KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key")
#: at most this many block devices of one instance are read
MAX_BLOCK_DEVICES = 64
#: bounds of the scan of the ``.tf`` files beside a plan (for the line of each resource)
MAX_TF_DIRS = 64
MAX_TF_FILES = 256
MAX_TF_BYTES = 4 * 1024 * 1024
#: the .tf bytes one plan's lines are looked for in, all directories together
MAX_TF_TOTAL_BYTES = 16 * 1024 * 1024
_TF_BLOCK = re.compile(r'\s*(resource|data)\s+"([^"\\]{1,256})"\s+"([^"\\]{1,256})"\s*\{')
_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")
#: a run of code without a string, a comment or a "/"; the rest of a string after its quote
_TF_PLAIN = re.compile(r'[^"#/]*')
_TF_STRING = re.compile(r'[^"\\]*(?:\\.?[^"\\]*)*', re.DOTALL)
#: a resource address: its module path (``module.a["x"].``) and its own part
_ADDRESS = re.compile(
    r"((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)((?:data\.)?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?)"
)
_BESIDE: Any = object()  # read_terraform: the .tf files beside the plan
_REF = re.compile(r"^(data\.)?([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(\[[^\]]*\])?")
_INDEX = re.compile(r"\[[^\]]*\]")
MAX_REF_DEPTH = 16


def is_terraform(doc: Any) -> bool:
    """Terraform/OpenTofu ``show -json`` output: ``format_version`` with a plan's or a state's
    top-level fields (spec section 6)."""
    return (
        isinstance(doc, dict)
        and "format_version" in doc
        and any(k in doc for k in ("planned_values", "resource_changes", "prior_state", "values"))
    )


def _strip_index(address: str) -> str:
    return _INDEX.sub("", address)


@record
class Res:
    address: str
    mode: str  # managed | data
    type: str
    name: str
    index: Any
    module: str  # "module.b" / 'module.b["x"]' / ""
    values: dict[str, Any]
    unknown: dict[str, Any]
    sensitive: dict[str, Any]
    where: str  # the JSON path of the resource in the input
    config: dict[str, Any] | None = None
    provider_key: str = ""

    @property
    def config_address(self) -> str:
        own = f"data.{self.type}.{self.name}" if self.mode == "data" else f"{self.type}.{self.name}"
        mod = _strip_index(self.module)
        return f"{mod}.{own}" if mod else own


@record
class Value:
    state: str  # known | unknown | unset | sensitive
    value: Any = None
    why: str = ""


#: One input read (the shared shape of every code reader).
TerraformInput = ReaderInput


class _Reader:
    def __init__(
        self, plan: dict[str, Any], label: str, text: str, account: str | None, region: str | None
    ) -> None:
        self.plan, self.label, self.account, self.region = plan, label, account, region
        self.json_pos = json_positions(text) if text else {}
        self.current = ""  # the JSON path being read, for errors
        self.resources: list[Res] = []
        self.by_config: dict[str, list[Res]] = {}
        self._addresses: set[str] = set()  # of self.resources (a linear test was quadratic)
        # (config address, index) -> the first instance with that index (``_resolve``)
        self._by_index: dict[str, dict[Any, Res]] = {}
        self._selections: dict[int, list[Res]] | None = None  # plan id() -> its selections
        self.module_calls: dict[str, dict[str, Any]] = {}  # "module.a.module.b" -> module config
        self.configs: dict[str, dict[str, Any]] = {}  # config address -> resource config
        self.providers: dict[str, Any] = {}
        self.out = TerraformInput(label, {"version": 1})
        self.key_arn: dict[str, str] = {}  # address -> the key ARN in the scenario
        self.vault_arn: dict[str, str] = {}
        self.keys: list[dict[str, Any]] = []
        self.vaults: list[dict[str, Any]] = []
        self.copies: list[dict[str, Any]] = []

    # ---------------------------------------------------------------- input
    def error(self, path: str, message: str) -> ScenarioError:
        pos = self.json_pos.get(path)
        return ScenarioError(self.label, path, message, *(pos or (None, None)))

    def read(self) -> TerraformInput:
        plan = self.plan
        fv = plan.get("format_version")
        if not isinstance(fv, str) or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", fv):
            raise self.error("format_version", f"expected a version string like '1.2', got {fv!r}")
        if fv.split(".")[0] != "1":
            raise self.error(
                "format_version",
                f"unsupported Terraform JSON format version {fv}; copyguard reads format 1.x "
                "(terraform show -json of Terraform 0.12 and later, OpenTofu)",
            )
        self.current = ""
        try:
            self._read_all()
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            raise self.error(
                self.current, f"expected terraform show -json output ({type(exc).__name__}: {exc})"
            ) from None
        self.current = "the plan"
        try:
            self._build()
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            # a shape terraform show -json never writes: refused, never half-read
            raise self.error(
                self.current,
                f"unexpected value in this resource: expected terraform show -json "
                f"output ({type(exc).__name__}: {exc})",
            ) from None
        return self.out

    def _read_all(self) -> None:
        plan = self.plan
        self._read_configuration()
        if "values" in plan and "resource_changes" not in plan and "prior_state" not in plan:
            self._walk_module(plan.get("values"), "values", state=True)
        else:
            prior = plan.get("prior_state")
            if isinstance(prior, dict):
                self._walk_module(prior.get("values"), "prior_state.values", state=True, data=True)
            self._read_changes()
        for r in self.resources:
            r.config = self.configs.get(r.config_address)
            if r.config is not None:
                r.provider_key = str(r.config.get("provider_config_key") or "")
            self.by_config.setdefault(r.config_address, []).append(r)

    def _read_configuration(self) -> None:
        conf = self.plan.get("configuration")
        if not isinstance(conf, dict):
            return
        pc = conf.get("provider_config")
        self.providers = pc if isinstance(pc, dict) else {}
        stack: list[tuple[Any, str]] = [(conf.get("root_module"), "")]
        while stack:
            mod, prefix = stack.pop()
            if not isinstance(mod, dict):
                continue
            self.module_calls[prefix] = mod
            for rc in _list(mod.get("resources")):
                if isinstance(rc, dict) and isinstance(rc.get("address"), str):
                    if not isinstance(rc.get("expressions"), dict):
                        rc = {**rc, "expressions": {}}
                    full = f"{prefix}.{rc['address']}" if prefix else rc["address"]
                    self.configs[full] = rc
            calls = mod.get("module_calls")
            for name, call in (calls if isinstance(calls, dict) else {}).items():
                if isinstance(call, dict):
                    sub = f"{prefix}.module.{name}" if prefix else f"module.{name}"
                    stack.append((call.get("module"), sub))

    def _walk_module(self, values: Any, where: str, *, state: bool, data: bool = False) -> None:
        if not isinstance(values, dict):
            return
        stack: list[tuple[Any, str]] = [(values.get("root_module"), f"{where}.root_module")]
        while stack:
            mod, path = stack.pop()
            if not isinstance(mod, dict):
                continue
            for i, r in enumerate(_list(mod.get("resources"))):
                if not isinstance(r, dict) or (data and r.get("mode") != "data"):
                    continue
                self._add(
                    r, r.get("values"), {}, r.get("sensitive_values"), f"{path}.resources[{i}]"
                )
            for j, child in enumerate(_list(mod.get("child_modules"))):
                stack.append((child, f"{path}.child_modules[{j}]"))

    def _read_changes(self) -> None:
        for i, rc in enumerate(_list(self.plan.get("resource_changes"))):
            if not isinstance(rc, dict):
                continue
            change: dict[str, Any] = rc["change"] if isinstance(rc.get("change"), dict) else {}
            actions = change.get("actions") or []
            if actions == ["delete"]:
                continue
            self._add(
                rc,
                change.get("after"),
                change.get("after_unknown"),
                change.get("after_sensitive"),
                f"resource_changes[{i}]",
            )

    def _add(
        self, r: dict[str, Any], values: Any, unknown: Any, sensitive: Any, where: str
    ) -> None:
        address, rtype, name = r.get("address"), r.get("type"), r.get("name")
        if not (isinstance(address, str) and isinstance(rtype, str) and isinstance(name, str)):
            raise self.error(where, "expected a resource with address, type and name")
        if address in self._addresses:
            return  # a data source read at plan time and again in resource_changes
        self._addresses.add(address)
        self.resources.append(
            Res(
                address=address,
                mode="data" if r.get("mode") == "data" else "managed",
                type=rtype,
                name=name,
                index=r.get("index"),
                module=str(r.get("module_address") or ""),
                values=values if isinstance(values, dict) else {},
                unknown=unknown if isinstance(unknown, dict) else {},
                sensitive=sensitive if isinstance(sensitive, dict) else {},
                where=where,
            )
        )

    # ---------------------------------------------------------------- values and references
    def value(self, r: Res, attr: str) -> Value:
        if _truthy(r.sensitive.get(attr)):
            return Value(
                "sensitive", why="marked sensitive in the plan; copyguard does not read it"
            )
        if r.unknown.get(attr) is True:
            if self.configured(r, attr):
                refs = self.refs(r, attr)
                return Value(
                    "unknown",
                    why="known only after apply"
                    + (f" (it depends on {', '.join(refs)})" if refs else ""),
                )
            return Value("unset")
        v = r.values.get(attr)
        if v is None or v == "" or v == []:
            return Value("unset")
        return Value("known", v)

    def configured(self, r: Res, attr: str) -> bool:
        if r.config is None:
            return True  # no configuration in the input: cannot tell, so not a default
        return attr in (r.config.get("expressions") or {})

    def refs(self, r: Res, attr: str, expr: Any = None) -> list[str]:
        if expr is None:
            expr = (r.config or {}).get("expressions", {}).get(attr) if r.config else None
        out: list[str] = []
        stack = [expr]
        while stack:
            e = stack.pop()
            if isinstance(e, dict):
                for ref in _list(e.get("references")):
                    if isinstance(ref, str) and ref not in out:
                        out.append(ref)
                stack.extend(v for k, v in e.items() if k != "references")
            elif isinstance(e, list):
                stack.extend(e)
        return out

    def targets(self, r: Res, attr: str, expr: Any = None) -> list[Res]:
        """The resources an attribute refers to, following module outputs and variables."""
        found: list[Res] = []
        for ref in self.refs(r, attr, expr):
            for t in self._resolve(ref, _strip_index(r.module), r, 0):
                if t not in found:
                    found.append(t)
        return found

    def _resolve(self, ref: str, module: str, origin: Res, depth: int) -> list[Res]:
        if depth > MAX_REF_DEPTH:
            return []
        if ref.startswith("module."):
            parts = _strip_index(ref).split(".")
            if len(parts) >= 3:
                sub = f"{module}.module.{parts[1]}" if module else f"module.{parts[1]}"
                out = (self.module_calls.get(sub) or {}).get("outputs", {}).get(parts[2])
                if isinstance(out, dict):
                    res: list[Res] = []
                    for inner in self.refs(origin, "", out.get("expression")):
                        res += self._resolve(inner, sub, origin, depth + 1)
                    return res
            return []
        if ref.startswith("var.") and module:
            name = ref.split(".")[1]
            parent, _, call = module.rpartition(".module.")
            if not _:
                parent, call = "", module[len("module.") :]
            mod = self.module_calls.get(parent) or {}
            expr = (mod.get("module_calls", {}).get(call) or {}).get("expressions", {}).get(name)
            res = []
            for inner in self.refs(origin, "", expr):
                res += self._resolve(inner, parent, origin, depth + 1)
            return res
        m = _REF.match(ref)
        if not m:
            return []
        own = f"{'data.' if m.group(1) else ''}{m.group(2)}.{m.group(3)}"
        config_address = f"{module}.{own}" if module else own
        instances = self.by_config.get(config_address, [])
        if m.group(4):
            exact = [i for i in instances if i.address.endswith(f"{own}{m.group(4)}")]
            if exact:
                return exact[:1]
        if len(instances) == 1:
            return instances
        if origin.index is None:
            return []
        try:  # the instance of the same count/for_each index, from a table built once
            table = self._by_index.get(config_address)
            if table is None:
                table = {}
                for i in instances:
                    if i.index is not None:
                        table.setdefault(i.index, i)
                self._by_index[config_address] = table
            found = table.get(origin.index)
        except TypeError:  # an index JSON allows but no table can hold (a list): compare
            same = [i for i in instances if i.index == origin.index and i.index is not None]
            return same[:1]
        return [found] if found is not None else []

    # ---------------------------------------------------------------- account and Region
    def provider(self, r: Res) -> dict[str, Any]:
        key = r.provider_key
        for k in (key, key.split(":", 1)[-1], "aws"):
            p = self.providers.get(k)
            if isinstance(p, dict):
                return p
        return {}

    def _data_of(self, rtype: str, provider_key: str) -> Res | None:
        found = [x for x in self.resources if x.mode == "data" and x.type == rtype]
        same = [x for x in found if _provider(x.provider_key) == _provider(provider_key)]
        return same[0] if same else None

    def placement(self, r: Res, what: str) -> tuple[str, str, str]:
        arn = r.values.get("arn")
        if isinstance(arn, str) and arn.count(":") >= 5 and not _truthy(r.unknown.get("arn")):
            parts = arn.split(":")
            if parts[3] and ids.ACCOUNT.fullmatch(parts[4]):
                return parts[1], parts[3], parts[4]
        expr = self.provider(r).get("expressions") or {}
        region = None
        own = r.values.get("region")
        if isinstance(own, str) and own and not _truthy(r.unknown.get("region")):
            region = own
        if region is None:
            region = _constant(expr.get("region"))
        if region is None:
            data = self._data_of("aws_region", r.provider_key)
            if data is not None:
                region = _str_or_none(data.values.get("name")) or _str_or_none(
                    data.values.get("region")
                )
        region = region or self.region
        account = None
        data = self._data_of("aws_caller_identity", r.provider_key)
        if data is not None:
            account = _str_or_none(data.values.get("account_id"))
        if account is None:
            for block in _list(expr.get("assume_role")):
                role = _constant(block.get("role_arn")) if isinstance(block, dict) else None
                if role and role.count(":") >= 5:
                    account = role.split(":")[4]
        if account is None:
            allowed = (expr.get("allowed_account_ids") or {}).get("constant_value")
            if isinstance(allowed, list) and len(allowed) == 1 and isinstance(allowed[0], str):
                account = allowed[0]
        account = account or self.account
        partition = "aws-cn" if region and region.startswith("cn-") else "aws"
        if region and region.startswith("us-gov-"):
            partition = "aws-us-gov"
        if not account or not ids.ACCOUNT.fullmatch(account):
            raise self.error(
                r.where,
                f"cannot tell the account of {r.address} ({what}): the plan has no "
                "aws_caller_identity data source, assume_role or allowed_account_ids for its "
                f"provider; give it with --account {self.label}=ACCOUNT_ID",
            )
        if not region:
            raise self.error(
                r.where,
                f"cannot tell the Region of {r.address} ({what}): neither the resource, its "
                f"provider nor an aws_region data source says it; give it with "
                f"--region {self.label}=REGION",
            )
        return partition, region, account

    # ---------------------------------------------------------------- building
    def reason(self, path: str, r: Res, attr: str, why: str) -> None:
        self.out.unknown_reasons[path] = (f"{self.label}: {r.address} attribute {attr}", why)

    def locate(self, path: str, r: Res, attrs: tuple[str, ...] = ()) -> None:
        self.out.addresses[path] = r.address
        base = f"{r.where}.change.after" if r.where.startswith("resource_") else f"{r.where}.values"
        pos = self.json_pos.get(r.where)
        if pos:
            self.out.positions[path] = pos
        for a in attrs:
            p = self.json_pos.get(f"{base}.{a}")
            if p:
                self.out.positions[f"{path}.{a}"] = p

    def policy_text(self, r: Res, attr: str) -> Value:
        v = self.value(r, attr)
        if v.state == "unknown":
            for t in self.targets(r, attr):
                if t.type == "aws_iam_policy_document" and t.mode == "data":
                    doc = t.values.get("json")
                    if isinstance(doc, str) and doc and t.unknown.get("json") is not True:
                        return Value("known", doc)
        return v

    def key_ref(self, r: Res, attr: str) -> Value:
        for t in self.targets(r, attr):
            found = self._key_of(t)
            if found:
                return Value("known", found)
        v = self.value(r, attr)
        if v.state == "known" and not isinstance(v.value, str):
            return Value("unknown", why=f"expected a key ARN, got {type(v.value).__name__}")
        return v

    def _at(self, r: Res, step: Any) -> None:
        self.current = r.where  # named if the resource turns out malformed
        step(r)

    def _build(self) -> None:
        managed = [r for r in self.resources if r.mode == "managed"]
        for r in self.resources:
            if r.mode == "data" and r.type == "aws_kms_key":
                self._at(r, self._data_key)
        for r in managed:
            if r.type == "aws_kms_key":
                self._at(r, self._key)
        for r in managed:  # after the keys: a replica of a primary in the same plan
            if r.type == "aws_kms_replica_key":
                self._at(r, self._replica_key)
        for r in managed:
            if r.type == "aws_kms_key_policy":
                self._at(r, self._key_policy)
            elif r.type == "aws_kms_alias":
                self._at(r, self._alias)
        for r in managed:
            if r.type in ("aws_backup_vault", "aws_backup_logically_air_gapped_vault"):
                self._at(r, self._vault)
        for r in managed:
            if r.type == "aws_backup_vault_policy":
                self._at(r, self._vault_policy)
            elif r.type == "aws_backup_vault_lock_configuration":
                self._at(r, self._vault_lock)
        for r in managed:
            if r.type == "aws_backup_plan":
                self._at(r, self._plan)
        self._organization()
        doc = self.out.doc
        if self.keys:
            doc["keys"] = self.keys
        if self.vaults:
            doc["vaults"] = self.vaults
        doc["copies"] = self.copies
        if not self.copies:
            kinds = sorted({r.type for r in self.resources})
            self.out.unknown_reasons["copies"] = (
                f"{self.label}: the copies",
                f"no aws_backup_plan rule with a copy_action among its {len(self.resources)} "
                f"resources and data sources (types: {', '.join(kinds) or 'none'}); copyguard "
                "read resource_changes, prior_state and configuration",
            )

    def _find_key(self, arn: str) -> dict[str, Any] | None:
        return next((k for k in self.keys if k["arn"] == arn), None)

    def _data_key(self, r: Res) -> None:
        arn = _str_or_none(r.values.get("arn"))
        if not arn or self._find_key(arn):
            return
        entry: dict[str, Any] = {"arn": arn}
        if r.values.get("key_manager") in ("AWS", "CUSTOMER"):
            entry["manager"] = r.values["key_manager"]
        if isinstance(r.values.get("key_state"), str):
            entry["state"] = r.values["key_state"]
        path = f"keys[{len(self.keys)}]"
        self.keys.append(entry)
        self.locate(path, r)
        if entry.get("manager") != "AWS":
            self.reason(
                f"{path}.policy",
                r,
                "policy",
                "the data source aws_kms_key does not read the key policy; give the key in a "
                "scenario file (keys[].policy) or check the deployed key live",
            )

    def _key(self, r: Res) -> None:
        part, region, account = self.placement(r, "a KMS key")
        arn = _str_or_none(r.values.get("arn")) if r.unknown.get("arn") is not True else None
        if not arn or ids.key_arn_problem(arn, alias=False):
            arn = pending_key_arn(part, region, account, r.address)
        self.key_arn[r.address] = arn
        path = f"keys[{len(self.keys)}]"
        entry: dict[str, Any] = {"arn": arn, "manager": "CUSTOMER", "aliases": []}
        self._set_state(entry, path, r, "is_enabled")
        multi = self.value(r, "multi_region")
        if multi.state == "known" and isinstance(multi.value, bool):
            entry["multi_region"] = multi.value
        self._set_policy(entry, path, r, "policy", account, part)
        self.keys.append(entry)
        self.locate(path, r, ("policy", "is_enabled"))

    def _replica_key(self, r: Res) -> None:
        """A replica of a multi-Region key, in its provider's Region: it keeps its own key
        policy (``policy``; unset: the default key policy) and state (``enabled``)."""
        part, region, account = self.placement(r, "a KMS replica key")
        arn = _str_or_none(r.values.get("arn")) if r.unknown.get("arn") is not True else None
        if not arn or ids.key_arn_problem(arn, alias=False):
            arn = None
            primary = self.key_ref(r, "primary_key_arn")
            value = primary.value if primary.state == "known" else None
            pparts = value.split(":") if isinstance(value, str) else []
            if len(pparts) >= 6 and pparts[4] != account:
                raise self.error(
                    r.where,
                    f"{r.address}: a replica key is created in its primary key's account "
                    f"({pparts[4]}), but its provider is account {account}",
                )
            if isinstance(value, str) and not ids.key_arn_problem(value, alias=False):
                key_id = value.rsplit("/", 1)[-1]  # a replica shares its primary's key ID
                arn = f"arn:{part}:kms:{region}:{account}:key/{key_id}"
            arn = arn or pending_key_arn(part, region, account, r.address)
        self.key_arn[r.address] = arn
        path = f"keys[{len(self.keys)}]"
        entry: dict[str, Any] = {
            "arn": arn,
            "manager": "CUSTOMER",
            "aliases": [],
            "multi_region": True,
        }
        self._set_state(entry, path, r, "enabled")
        self._set_policy(entry, path, r, "policy", account, part)
        self.keys.append(entry)
        self.locate(path, r, ("policy", "enabled"))

    def _set_state(self, entry: dict[str, Any], path: str, r: Res, attribute: str) -> None:
        """A key's state from its enabled attribute (unset: KMS enables a new key)."""
        enabled = self.value(r, attribute)
        if enabled.state == "known":
            entry["state"] = "Enabled" if enabled.value is True else "Disabled"
        elif enabled.state == "unset":
            entry["state"] = "Enabled"
        else:
            self.reason(f"{path}.state", r, attribute, enabled.why)

    def _set_policy(
        self, entry: dict[str, Any], path: str, r: Res, attr: str, account: str, part: str
    ) -> None:
        self.out.unknown_reasons.pop(f"{path}.policy", None)
        pol = self.policy_text(r, attr)
        if pol.state == "known":
            entry["policy"] = pol.value
        elif pol.state == "unset":
            entry["policy"] = default_key_policy(account, part)
        else:
            entry.pop("policy", None)
            self.reason(f"{path}.policy", r, attr, pol.why)

    def _key_policy(self, r: Res) -> None:
        for t in self.targets(r, "key_id"):
            arn = self.key_arn.get(t.address)
            entry = self._find_key(arn) if arn else None
            if entry is not None:
                i = self.keys.index(entry)
                part, _, account = arn.split(":")[1], 0, arn.split(":")[4]  # type: ignore[union-attr]
                self._set_policy(entry, f"keys[{i}]", r, "policy", account, part)
                self.out.addresses[f"keys[{i}].policy"] = r.address
                return

    def _alias(self, r: Res) -> None:
        name = self.value(r, "name")
        for t in self.targets(r, "target_key_id"):
            arn = self.key_arn.get(t.address)
            entry = self._find_key(arn) if arn else None
            if (
                entry is not None
                and isinstance(name.value, str)
                and name.state == "known"
                and ids.alias_name_problem(name.value) is None
            ):
                entry["aliases"].append(name.value)

    def _vault(self, r: Res) -> None:
        part, region, account = self.placement(r, "a backup vault")
        name = self.value(r, "name")
        if name.state != "known" or not isinstance(name.value, str):
            raise self.error(
                r.where, f"{r.address}: the vault's name is not known before apply ({name.why})"
            )
        arn = f"arn:{part}:backup:{region}:{account}:backup-vault:{name.value}"
        self.vault_arn[r.address] = arn
        path = f"vaults[{len(self.vaults)}]"
        entry: dict[str, Any] = {"arn": arn, "access_policy": None, "lock": None}
        if r.type == "aws_backup_logically_air_gapped_vault":
            entry["vault_type"] = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
            key = self.key_ref(r, "encryption_key_arn")
            lock: dict[str, Any] = {}
            for a in ("min_retention_days", "max_retention_days"):
                v = self.value(r, a)
                if v.state == "known" and isinstance(v.value, int):
                    lock[a] = v.value
            entry["lock"] = lock
            default = "aws-owned"
        else:
            entry["vault_type"] = "BACKUP_VAULT"
            key = self.key_ref(r, "kms_key_arn")
            default = f"arn:{part}:kms:{region}:{account}:alias/aws/backup"
        if key.state == "known":
            entry["key"] = key.value
        elif key.state == "unset":
            entry["key"] = default
        else:
            self.reason(f"{path}.key", r, "kms_key_arn", key.why)
        self.vaults.append(entry)
        self.locate(path, r, ("kms_key_arn", "name"))

    def _vault_for(self, r: Res, attr: str) -> tuple[int, dict[str, Any]] | None:
        for t in self.targets(r, attr):
            arn = self.vault_arn.get(t.address)
            for i, v in enumerate(self.vaults):
                if v["arn"] == arn:
                    return i, v
        name = self.value(r, attr)
        if name.state == "known":
            for i, v in enumerate(self.vaults):
                if v["arn"].rsplit(":", 1)[-1] == name.value:
                    return i, v
        return None

    def _vault_policy(self, r: Res) -> None:
        found = self._vault_for(r, "backup_vault_name")
        if found is None:
            return
        i, entry = found
        pol = self.policy_text(r, "policy")
        if pol.state == "known":
            entry["access_policy"] = pol.value
        else:
            entry.pop("access_policy", None)
            self.reason(f"vaults[{i}].access_policy", r, "policy", pol.why)
        self.out.addresses[f"vaults[{i}].access_policy"] = r.address

    def _vault_lock(self, r: Res) -> None:
        found = self._vault_for(r, "backup_vault_name")
        if found is None:
            return
        i, entry = found
        lock: dict[str, Any] = {}
        for a in ("min_retention_days", "max_retention_days", "changeable_for_days"):
            v = self.value(r, a)
            if v.state == "known" and isinstance(v.value, int):
                lock[a] = v.value
            elif v.state in ("unknown", "sensitive"):
                self.reason(f"vaults[{i}].lock.{a}", r, a, v.why)
        entry["lock"] = lock

    def _plan(self, r: Res) -> None:
        rules = r.values.get("rule")
        if not isinstance(rules, list):
            return
        unknown_rules = r.unknown.get("rule")
        conf_rules = ((r.config or {}).get("expressions") or {}).get("rule") or []
        if self._selections is None:  # each selection's plans, once (not once per plan)
            self._selections = {}
            for s in self.resources:
                if s.mode == "managed" and s.type == "aws_backup_selection":
                    for t in self.targets(s, "plan_id"):
                        self._selections.setdefault(id(t), []).append(s)
        selections = self._selections.get(id(r), [])
        for ri, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            unk = (
                unknown_rules[ri]
                if isinstance(unknown_rules, list) and ri < len(unknown_rules)
                else {}
            )
            unk = unk if isinstance(unk, dict) else {}
            rname = rule.get("rule_name")
            conf = next(
                (
                    c
                    for c in conf_rules
                    if isinstance(c, dict)
                    and (c.get("rule_name") or {}).get("constant_value") == rname
                ),
                conf_rules[ri] if ri < len(conf_rules) else {},
            )
            source_vault = self._rule_vault(r, rule, unk, conf)
            for ci, action in enumerate(rule.get("copy_action") or []):
                if not isinstance(action, dict):
                    continue
                aunk = unk.get("copy_action")
                aunk = aunk[ci] if isinstance(aunk, list) and ci < len(aunk) else {}
                aconf = (conf.get("copy_action") or [{}]) if isinstance(conf, dict) else [{}]
                aconf = aconf[ci] if ci < len(aconf) else {}
                self._copies(r, str(rname), ci, action, aunk, aconf, source_vault, selections)

    def _rule_vault(
        self, r: Res, rule: dict[str, Any], unk: dict[str, Any], conf: Any
    ) -> str | None:
        expr = conf.get("target_vault_name") if isinstance(conf, dict) else None
        for t in self.targets(r, "", expr):
            if t.address in self.vault_arn:
                return self.vault_arn[t.address]
        name = rule.get("target_vault_name")
        if isinstance(name, str) and unk.get("target_vault_name") is not True:
            for arn in self.vault_arn.values():
                if arn.rsplit(":", 1)[-1] == name:
                    return arn
            part, region, account = self.placement(r, "a backup plan")
            return f"arn:{part}:backup:{region}:{account}:backup-vault:{name}"
        return None

    def _copies(
        self,
        plan: Res,
        rule: str,
        ci: int,
        action: dict[str, Any],
        unk: Any,
        conf: Any,
        source_vault: str | None,
        selections: list[Res],
    ) -> None:
        unk = unk if isinstance(unk, dict) else {}
        dest: str | None = None
        expr = conf.get("destination_vault_arn") if isinstance(conf, dict) else None
        for t in self.targets(plan, "", expr):
            dest = self.vault_arn.get(t.address, dest)
        raw_dest = action.get("destination_vault_arn")
        if (
            dest is None
            and isinstance(raw_dest, str)
            and unk.get("destination_vault_arn") is not True
        ):
            dest = raw_dest
        lifecycle: dict[str, Any] | None = None
        for lc in action.get("lifecycle") or []:
            if isinstance(lc, dict):
                lifecycle = {}
                if isinstance(lc.get("delete_after"), int) and lc["delete_after"] > 0:
                    lifecycle["delete_after_days"] = lc["delete_after"]
                if isinstance(lc.get("cold_storage_after"), int) and lc["cold_storage_after"] > 0:
                    lifecycle["move_to_cold_storage_after_days"] = lc["cold_storage_after"]
                opt = lc.get("opt_in_to_archive_for_supported_resources")
                if isinstance(opt, bool):
                    lifecycle["opt_in_to_archive_for_supported_resources"] = opt
        targets: list[tuple[str, dict[str, Any], Res | None]] = []
        for one in selections:
            for item in self._selection(one):
                targets.append((one.address, item, one))
        if not selections:
            targets.append(("", {}, None))
        for sel_address, item, chosen in targets:
            sel = chosen
            path = f"copies[{len(self.copies)}]"
            label = item.pop("_label", "")
            protected = item.pop("_from", None)
            why_key = item.pop("_unknown", None)
            name = f"{plan.address}/{rule}/copy{ci}" + (f"/{label}" if label else "")
            entry: dict[str, Any] = {"name": name, "lifecycle": lifecycle}
            entry.update(item)
            if why_key and isinstance(protected, Res):
                self.reason(f"{path}.resource_key", protected, why_key[0], why_key[1])
            if source_vault:
                entry["source_vault"] = source_vault
            else:
                self.reason(
                    f"{path}.source_vault", plan, "rule.target_vault_name", "known only after apply"
                )
            if dest:
                entry["destination_vault"] = dest
            else:
                self.reason(
                    f"{path}.destination_vault",
                    plan,
                    "rule.copy_action.destination_vault_arn",
                    "known only after apply"
                    + (f" (it depends on {', '.join(self.refs(plan, '', expr))})" if expr else ""),
                )
            if sel is not None:
                role = self.value(sel, "iam_role_arn")
                if (
                    role.state == "known"
                    and isinstance(role.value, str)
                    and not ids.role_arn_problem(role.value)
                ):
                    entry["iam_role_arn"] = role.value
                if "resource_type" not in entry:
                    self.reason(
                        f"{path}.resource_type",
                        sel,
                        "resources",
                        TAG_SELECTION_WHY,
                    )
            else:
                self.reason(
                    f"{path}.resource_type",
                    plan,
                    "rule",
                    "no aws_backup_selection in this input refers to the plan, so which "
                    "resources it copies is unknown",
                )
            self.copies.append(entry)
            self.locate(path, plan, ())
            if sel_address:
                self.out.addresses[f"{path}.resource_type"] = sel_address
            if isinstance(protected, Res):  # the resource whose key decides the copy
                pos = self.json_pos.get(protected.where)
                for f in ("resource_key", "resource_arn", "resource_type"):
                    self.out.addresses[f"{path}.{f}"] = protected.address
                    if pos:
                        self.out.positions[f"{path}.{f}"] = pos

    def _selection(self, sel: Res) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        for t in self.targets(sel, "resources"):
            if t.type in PROTECTED and t.mode == "managed":
                seen.add(t.address)
                items.extend(self._protected(t))
        res = self.value(sel, "resources")
        if res.state == "known" and isinstance(res.value, list):
            for arn in res.value:
                if not isinstance(arn, str) or "*" in arn:
                    continue
                rtype = next(
                    (
                        t
                        for svc, kind, t in _ARN_TYPES
                        if svc in arn and kind in arn.split(svc, 1)[1]
                    ),
                    None,
                )
                item: dict[str, Any] = {"_label": arn.rsplit(":", 1)[-1]}
                if not ids.resource_arn_problem(arn):
                    item["resource_arn"] = arn
                if rtype:
                    item["resource_type"] = rtype
                items.append(item)
        if not items:
            items.append({"_label": "by-tag"})
        return items

    def _protected(self, r: Res) -> list[dict[str, Any]]:
        """The copied items of one protected resource: one, or for an instance one per
        distinct key of its block devices. An item's ``_unknown`` is (attribute, why)."""
        rtype, key_attr, enc_attr = PROTECTED[r.type]
        item: dict[str, Any] = {"_label": r.address, "resource_type": rtype, "_from": r}
        arn = self.value(r, "arn")
        if (
            arn.state == "known"
            and isinstance(arn.value, str)
            and not ids.resource_arn_problem(arn.value)
        ):
            item["resource_arn"] = arn.value
        try:
            part, region, account = self.placement(r, "a protected resource")
        except ScenarioError:
            return [item]
        managed_arn = f"arn:{part}:kms:{region}:{account}:{managed_key_alias(rtype)}"
        if r.type == "aws_instance":
            return self._instance(r, item, managed_arn)
        if r.type == "aws_dynamodb_table":
            sse = r.values.get("server_side_encryption")
            block = sse[0] if isinstance(sse, list) and sse and isinstance(sse[0], dict) else None
            if block and block.get("enabled") is True:
                key_val = block.get("kms_key_arn")
                conf = ((r.config or {}).get("expressions") or {}).get("server_side_encryption")
                for t in self.targets(r, "", conf):
                    if t.address in self.key_arn:
                        key_val = self.key_arn[t.address]
                item["resource_key"] = (
                    key_val if isinstance(key_val, str) and key_val else managed_arn
                )
            else:
                item["_unknown"] = (
                    "server_side_encryption",
                    "the table is encrypted with an AWS owned key (no KMS key to judge)",
                )
            return [item]
        key = self.key_ref(r, key_attr)
        enc = self.value(r, enc_attr) if enc_attr else Value("known", True)
        if key.state == "known":
            item["resource_key"] = key.value
        elif key.state in ("unknown", "sensitive"):
            item["_unknown"] = (key_attr, key.why)
        elif enc.state == "known" and enc.value is True:
            item["resource_key"] = managed_arn  # encrypted without a key: the AWS managed key
        elif enc.state == "known" and enc.value is False:
            item["resource_key"] = None
        else:
            item["_unknown"] = (
                enc_attr or key_attr,
                "encryption is left to the account's default (not in the plan)",
            )
        return [item]

    def _instance(self, r: Res, base: dict[str, Any], managed_arn: str) -> list[dict[str, Any]]:
        """An instance's backup is an AMI whose snapshots keep each EBS volume's key: one item
        per distinct key of ``root_block_device`` and ``ebs_block_device``."""
        exprs = (r.config or {}).get("expressions") or {}
        devices: list[tuple[str, str, Value]] = []  # (device, attribute path, key)
        for kind in ("root_block_device", "ebs_block_device"):
            vals, unk, conf = r.values.get(kind), r.unknown.get(kind), exprs.get(kind)
            blocks = vals if isinstance(vals, list) else []
            if (
                kind == "root_block_device"
                and not any(isinstance(b, dict) for b in blocks)
                and r.config is not None
                and kind not in exprs
            ):
                blocks = [{}]  # not configured: the AMI's and the account's defaults
            for i, block in enumerate(blocks[:MAX_BLOCK_DEVICES]):
                if not isinstance(block, dict):
                    continue
                bunk = unk[i] if isinstance(unk, list) and i < len(unk) else unk
                bconf = conf[i] if isinstance(conf, list) and i < len(conf) else {}
                bconf = bconf if isinstance(bconf, dict) else {}
                device = _str_or_none(block.get("device_name")) or (
                    "root" if kind == "root_block_device" else f"{kind}[{i}]"
                )
                attr = f"{kind}[{i}]"
                devices.append((device, attr, self._device_key(r, block, bunk, bconf, managed_arn)))
        items: list[dict[str, Any]] = []
        by_key: dict[str, dict[str, Any]] = {}
        for device, attr, key in devices:
            if key.state == "known" and (key.value is None or isinstance(key.value, str)):
                seen = by_key.get(str(key.value))
                if seen is not None:
                    continue  # the same key as another volume: one copy decides both
                item = {**base, "resource_key": key.value}
                by_key[str(key.value)] = item
            else:
                item = {**base, "_unknown": (f"{attr}.{key.value or 'kms_key_id'}", key.why)}
            item["_label"] = f"{r.address}/{device}"
            items.append(item)
        if len(items) == 1:
            items[0]["_label"] = r.address
        if not items:
            items.append(
                {
                    **base,
                    "_unknown": (
                        "root_block_device",
                        "the plan does not show the instance's volumes, so their keys are unknown",
                    ),
                }
            )
        return items

    def _device_key(
        self, r: Res, block: dict[str, Any], unk: Any, conf: dict[str, Any], managed_arn: str
    ) -> Value:
        """The key of one block device: known (an ARN, or None when not encrypted), or unknown
        with ``value`` naming the attribute."""
        unk = unk if isinstance(unk, dict) else ({"kms_key_id": True} if unk is True else {})
        for t in self.targets(r, "", conf.get("kms_key_id")):
            found = self._key_of(t)
            if found:
                return Value("known", found)
        raw = block.get("kms_key_id")
        if unk.get("kms_key_id") is True:
            if "kms_key_id" in conf:
                refs = self.refs(r, "", conf.get("kms_key_id"))
                return Value(
                    "unknown",
                    "kms_key_id",
                    "known only after apply"
                    + (f" (it depends on {', '.join(refs)})" if refs else ""),
                )
        elif isinstance(raw, str) and raw:
            if raw.startswith("arn:"):
                return Value("known", raw)
            part, region, account = self.placement(r, "an instance")
            form = raw if raw.startswith("alias/") else f"key/{raw}"
            return Value("known", f"arn:{part}:kms:{region}:{account}:{form}")
        enc = block.get("encrypted")
        if isinstance(enc, bool) and unk.get("encrypted") is not True:
            return Value("known", managed_arn if enc else None)
        if "encrypted" in conf:
            return Value("unknown", "encrypted", "known only after apply")
        return Value(
            "unknown",
            "encrypted",
            "the volume's encryption is left to the AMI and the account's EBS encryption "
            "default (not in the plan)",
        )

    def _key_of(self, t: Res) -> str | None:
        """The key ARN a referenced resource stands for (a key, replica key, alias or data
        source of either), or None."""
        if t.mode == "managed" and t.type in KEY_TYPES and t.address in self.key_arn:
            return self.key_arn[t.address]
        if t.mode == "managed" and t.type == "aws_kms_alias":
            for k in self.targets(t, "target_key_id"):
                if k.address in self.key_arn:
                    return self.key_arn[k.address]
        if t.mode == "data" and t.type == "aws_kms_key":
            return _str_or_none(t.values.get("arn"))
        if t.mode == "data" and t.type == "aws_kms_alias":
            return _str_or_none(t.values.get("target_key_arn"))
        return None

    def _organization(self) -> None:
        org: dict[str, Any] = {}
        for r in self.resources:
            if r.type == "aws_organizations_organization":
                oid = r.values.get("id")
                if isinstance(oid, str) and not ids.org_id_problem(oid):
                    org["id"] = oid
                accts = r.values.get("accounts")
                if isinstance(accts, list) and accts:
                    ids_ = [a.get("id") for a in accts if isinstance(a, dict)]
                    if all(isinstance(a, str) for a in ids_):
                        org["accounts"] = ids_
                mgmt = r.values.get("master_account_id")
                if isinstance(mgmt, str) and ids.ACCOUNT.fullmatch(mgmt):
                    org["management_account"] = mgmt
            if r.type == "aws_backup_global_settings" and r.mode == "managed":
                gs = r.values.get("global_settings")
                if isinstance(gs, dict) and "isCrossAccountBackupEnabled" in gs:
                    org["cross_account_backup_enabled"] = (
                        str(gs["isCrossAccountBackupEnabled"]).lower() == "true"
                    )
        if org:
            self.out.doc["organization"] = org


def default_key_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The key policy KMS gives a key created without one: the account's IAM decides."""
    return {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def _provider(key: str) -> str:
    """A provider configuration key without its module prefix (``module.b:aws`` -> ``aws``):
    a child module inherits its parent's provider unless the plan says otherwise."""
    return key.rsplit(":", 1)[-1] or "aws"


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _truthy(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, dict):
        return any(_truthy(x) for x in v.values())
    if isinstance(v, list):
        return any(_truthy(x) for x in v)
    return False


def _constant(expr: Any) -> str | None:
    if isinstance(expr, dict):
        return _str_or_none(expr.get("constant_value"))
    return None


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def scan_tf_text(text: str, file: str, out: dict[str, tuple[str, int]]) -> None:
    """The line of each ``resource "TYPE" "NAME" {`` (``TYPE.NAME``) and ``data "TYPE"
    "NAME" {`` (``data.TYPE.NAME``) block of one ``.tf`` file, into ``out`` (the first one
    wins). Linear: comments (``#``, ``//``, ``/* */``), strings and heredocs are skipped so
    that a block written inside them is not taken for one."""
    comment = False
    heredoc: str | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if not comment:
            m = _TF_BLOCK.match(line)
            if m:
                key = f"{m[2]}.{m[3]}" if m[1] == "resource" else f"data.{m[2]}.{m[3]}"
                out.setdefault(key, (file, n))
        code: list[str] = []  # the line without its comments and strings
        i, end_of_line = 0, len(line)
        while i < end_of_line:
            # runs of plain characters are skipped by the regular expressions (C speed): a
            # line of 4 MB took seconds character by character
            if comment:
                end = line.find("*/", i)
                if end < 0:
                    break
                comment, i = False, end + 2
                continue
            run = _TF_PLAIN.match(line, i)
            if run is not None and run.end() > i:
                code.append(run[0])
                i = run.end()
                continue
            c = line[i]
            if c == '"':
                rest = _TF_STRING.match(line, i + 1)
                i = (rest.end() if rest is not None else end_of_line) + 1  # after the quote
            elif c == "#" or line.startswith("//", i):
                break
            elif line.startswith("/*", i):
                comment, i = True, i + 2
            else:  # a "/" that opens no comment
                code.append(c)
                i += 1
        h = _HEREDOC.search("".join(code))
        if h and not comment:
            heredoc = h[1]


def scan_tf_dir(directory: str, budget: list[int] | None = None) -> dict[str, tuple[str, int]]:
    """``scan_tf_text`` over the ``.tf`` files of one directory (bounded: ``MAX_TF_FILES``
    files of at most ``MAX_TF_BYTES``, and at most ``budget[0]`` bytes in all, which is
    decreased by what is read). A file whose real path (symbolic links resolved) is outside
    the directory is not read. An unreadable directory or file gives no lines, never an
    error."""
    import os

    out: dict[str, tuple[str, int]] = {}
    try:
        names = sorted(n for n in os.listdir(directory or ".") if n.endswith(".tf"))
        real_dir = os.path.realpath(directory or ".")
    except (OSError, ValueError):
        return out
    for name in names[:MAX_TF_FILES]:
        path = os.path.join(directory, name) if directory else name
        try:
            if os.path.dirname(os.path.realpath(path)) != real_dir:
                continue  # a symbolic link out of the directory: not the configuration's
            if not os.path.isfile(path) or os.path.getsize(path) > MAX_TF_BYTES:
                continue
            if budget is not None and os.path.getsize(path) > budget[0]:
                continue
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read(MAX_TF_BYTES + 1)
        except (OSError, ValueError):
            continue
        if budget is not None:
            budget[0] -= len(text)
        scan_tf_text(text, path, out)
    return out


def module_dirs(plan: dict[str, Any], root: str) -> dict[str, str]:
    """The directory of each module of the plan's configuration ("" is the root): a local
    ``source`` (``./x``, ``../x``) relative to its parent's directory, else the directory
    ``terraform init`` recorded in ``.terraform/modules/modules.json``."""
    import os

    installed: dict[str, str] = {}
    manifest = os.path.join(root, ".terraform", "modules", "modules.json")
    try:
        if os.path.getsize(manifest) <= MAX_TF_BYTES:
            with open(manifest, encoding="utf-8") as fh:
                mods = json.load(fh).get("Modules")
            for m in mods if isinstance(mods, list) else []:
                key, where = (m.get("Key"), m.get("Dir")) if isinstance(m, dict) else (0, 0)
                if isinstance(key, str) and key and isinstance(where, str):
                    installed[key] = os.path.normpath(os.path.join(root, where))
    except (OSError, ValueError, AttributeError, RecursionError):
        installed = {}
    conf = plan.get("configuration")
    dirs: dict[str, str] = {"": root}
    stack: list[tuple[Any, str, str, str]] = [
        (conf.get("root_module") if isinstance(conf, dict) else None, "", root, "")
    ]
    while stack and len(dirs) <= MAX_TF_DIRS:
        mod, prefix, here, key = stack.pop()
        calls = mod.get("module_calls") if isinstance(mod, dict) else None
        for name, call in (calls if isinstance(calls, dict) else {}).items():
            if not isinstance(call, dict):
                continue
            sub = f"{prefix}.module.{name}" if prefix else f"module.{name}"
            subkey = f"{key}.{name}" if key else str(name)
            src = call.get("source")
            if isinstance(src, str) and src.startswith(("./", "../")):
                there = os.path.normpath(os.path.join(here, src))
            elif subkey in installed:
                there = installed[subkey]
            else:
                continue  # a registry module terraform init has not fetched: no lines
            dirs[sub] = there
            stack.append((call.get("module"), sub, there, subkey))
    return dirs


def read_terraform(
    doc: dict[str, Any],
    label: str,
    text: str = "",
    *,
    account: str | None = None,
    region: str | None = None,
    tf_dir: Any = _BESIDE,
) -> TerraformInput:
    """The scenario document of one ``terraform show -json`` output (raises ScenarioError).

    ``tf_dir``: the directory of the configuration's ``.tf`` files, for the line of each
    resource (``source_lines``); by default the plan file's own directory (the working
    directory for standard input); None: no lines."""
    import os

    out = _Reader(doc, label, text, account, region).read()
    if tf_dir is _BESIDE:
        tf_dir = os.path.dirname(label) if os.path.isfile(label) else None
        if label == "<stdin>":
            tf_dir = ""
    if isinstance(tf_dir, str):
        out.source_lines = _source_lines(doc, out, tf_dir)
    return out


def _source_lines(plan: dict[str, Any], read: ReaderInput, root: str) -> dict[str, tuple[str, int]]:
    """Resource address -> (``.tf`` file, line) for the resources the reading names."""
    dirs = module_dirs(plan, root)
    scanned: dict[str, dict[str, tuple[str, int]]] = {}
    budget = [MAX_TF_TOTAL_BYTES]  # every directory's .tf files together
    out: dict[str, tuple[str, int]] = {}
    for address in sorted(set(read.addresses.values())):
        m = _ADDRESS.fullmatch(address)
        if not m:
            continue
        module, own = _strip_index(m[1] or "").rstrip("."), _strip_index(m[2])
        where = dirs.get(module)
        if where is None:
            continue
        if where not in scanned:
            if len(scanned) >= MAX_TF_DIRS:
                continue
            scanned[where] = scan_tf_dir(where, budget)
        found = scanned[where].get(own)
        if found:
            out[address] = found
    return out


def parse_json(text: str, label: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(label, "", f"invalid JSON: {exc}") from None
