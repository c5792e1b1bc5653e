"""Read a CloudFormation template (JSON, or YAML with the short-form tags) into the scenario
document of spec section 3, for ``copyguard.scenario.build_scenario`` (spec section 6).

Pure: no boto3, no network. Only the IaC path imports it.

Intrinsic functions are resolved with the parameter values given (``--parameters``), else the
parameters' ``Default``; ``AWS::AccountId``/``AWS::Region``/``AWS::Partition`` come from
``--account``/``--region``. What cannot be resolved before deploy (a parameter without a value,
an undecidable condition, a macro copyguard cannot expand, an attribute AWS assigns) is unknown
with a reason naming the template, the logical ID and the property. A key the template creates
is named ``key/pending:LOGICAL_ID`` (identity by reference, like a Terraform address). Links
between resources (a vault's ``EncryptionKeyArn: !GetAtt Key.Arn``) are followed by reference.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import yaml

from copyguard.policy import ids
from copyguard.policy.locate import json_positions
from copyguard.scenario.load import (
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    ScenarioError,
    pending_key_arn,
)
from copyguard.sources.reader_input import TAG_SELECTION_WHY, ReaderInput

#: the AWS Backup resource type of each protected resource type, its key property and the
#: property that turns encryption on ("": always encrypted). The AWS managed key used when it is
#: on without a key is the knowledge row's (``terraform.managed_key_alias``).
PROTECTED: dict[str, tuple[str, str, str]] = {
    "AWS::EC2::Volume": ("EBS", "KmsKeyId", "Encrypted"),
    "AWS::RDS::DBInstance": ("RDS", "KmsKeyId", "StorageEncrypted"),
    "AWS::RDS::DBCluster": ("Aurora", "KmsKeyId", "StorageEncrypted"),
    "AWS::EFS::FileSystem": ("EFS", "KmsKeyId", "Encrypted"),
    "AWS::DynamoDB::Table": ("DynamoDB", "", ""),
    "AWS::EC2::Instance": ("EC2", "KmsKeyId", "Encrypted"),  # per BlockDeviceMappings[].Ebs
    "AWS::FSx::FileSystem": ("FSx", "KmsKeyId", ""),  # FileSystemType ONTAP: FSx:ONTAP
}
#: the resource types that create a KMS key named ``key/pending:LOGICAL_ID``
KEY_TYPES = ("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
#: at most this many block devices of one instance are read
MAX_BLOCK_DEVICES = 64
#: the resource types copyguard reads (their conditions matter)
READ_TYPES = (
    *KEY_TYPES,
    "AWS::KMS::Alias",
    "AWS::Backup::BackupVault",
    "AWS::Backup::LogicallyAirGappedBackupVault",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    *PROTECTED,
)
#: at most this many values are walked to find the conditions that matter
MAX_WALK = 1_000_000
#: at most this many assignments of undecidable conditions are checked (2^4): the conditions
#: beyond stay unknown, named
MAX_VARIANTS = 16
#: at most this many rounds of resolving imports (an export that itself imports)
MAX_IMPORT_ROUNDS = 8
VAULT_TYPES = ("AWS::Backup::BackupVault", "AWS::Backup::LogicallyAirGappedBackupVault")
#: transforms whose expansion leaves the AWS:: resources copyguard reads as they are written
HARMLESS_TRANSFORMS = ("AWS::Serverless-2016-10-31",)
_SHORT = (
    "Ref",
    "Sub",
    "GetAtt",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "ImportValue",
    "Base64",
    "Cidr",
    "GetAZs",
    "Condition",
    "Transform",
)
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = object()


class Unknown(Exception):
    """A value known only at deploy time (or never to copyguard): why."""


# ----------------------------------------------------------------------------- parsing


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation's short-form tags and timestamps kept as strings."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short(name: str) -> Any:
    long = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long: value}

    return construct


for _name in _SHORT:
    _Loader.add_constructor(f"!{_name}", _short(_name))


def parse_template(text: str, label: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    """The template and every field path's (line, column); ScenarioError if malformed."""
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ScenarioError(label, "", f"invalid JSON: {exc}") from None
        return doc, json_positions(text)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            pos = (mark.line + 1, mark.column + 1) if mark else (None, None)
            raise ScenarioError(label, "", f"invalid YAML: {exc}", *pos) from None
        positions: dict[str, tuple[int, int]] = {}
        if node is None:
            return None, positions
        budget = len(text) + MAX_ALIAS_EXPANSION
        stack: list[tuple[Any, str, int]] = [(node, "", 0)]
        while stack:
            n, path, depth = stack.pop()
            budget -= 1
            line, col = n.start_mark.line + 1, n.start_mark.column + 1
            if budget < 0:
                raise ScenarioError(
                    label, path, "the YAML aliases expand to too many values", line, col
                )
            if depth > MAX_DEPTH:
                raise ScenarioError(
                    label, path, f"nested too deeply; expected at most {MAX_DEPTH}", line, col
                )
            positions.setdefault(path, (line, col))
            if isinstance(n, yaml.MappingNode):
                seen: set[str] = set()
                for k, v in n.value:
                    key = str(k.value) if isinstance(k, yaml.ScalarNode) else "?"
                    sub = f"{path}.{key}" if path else key
                    if key in seen:
                        raise ScenarioError(label, sub, f"duplicate field {key!r}", line, col)
                    seen.add(key)
                    positions.setdefault(sub, (k.start_mark.line + 1, k.start_mark.column + 1))
                    stack.append((v, sub, depth + 1))
            elif isinstance(n, yaml.SequenceNode):
                for i, v in enumerate(n.value):
                    stack.append((v, f"{path}[{i}]", depth + 1))
        try:
            return loader.construct_document(node), positions
        except yaml.YAMLError as exc:
            raise ScenarioError(label, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def is_cloudformation(doc: Any) -> bool:
    """A mapping with ``AWSTemplateFormatVersion``, or ``Resources`` of ``Type: AWS::...``."""
    if not isinstance(doc, dict):
        return False
    if "AWSTemplateFormatVersion" in doc:
        return True
    res = doc.get("Resources")
    return (
        isinstance(res, dict)
        and bool(res)
        and all(
            isinstance(r, dict) and str(r.get("Type", "")).startswith(("AWS::", "Custom::"))
            for r in res.values()
        )
    )


def read_parameters(text: str, label: str) -> dict[str, str]:
    """``--parameters`` file: a JSON list of {ParameterKey, ParameterValue} or an object."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ScenarioError(label, "", f"invalid JSON: {exc}") from None
    out: dict[str, str] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            if not isinstance(v, (str, int, float, bool, list)):
                raise ScenarioError(label, k, "expected a string, a number or a list")
            out[str(k)] = ",".join(map(str, v)) if isinstance(v, list) else str(v)
        return out
    if not isinstance(doc, list):
        raise ScenarioError(label, "", "expected a list of {ParameterKey, ParameterValue}")
    for i, item in enumerate(doc):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("ParameterKey"), str)
            and isinstance(item.get("ParameterValue"), (str, int, float))
        ):
            raise ScenarioError(
                label, f"[{i}]", "expected {ParameterKey: NAME, ParameterValue: VALUE}"
            )
        out[item["ParameterKey"]] = str(item["ParameterValue"])
    return out


# ----------------------------------------------------------------------------- reading


#: One input read (the shared shape of every code reader).
CloudFormationInput = ReaderInput


class _Reader:
    def __init__(
        self,
        tpl: dict[str, Any],
        label: str,
        positions: dict[str, tuple[int, int]],
        account: str | None,
        region: str | None,
        parameters: dict[str, str],
        assume: dict[str, bool] | None = None,
        imported: dict[str, tuple[Any, str, str]] | None = None,
        over: tuple[str, ...] = (),
    ) -> None:
        self.tpl, self.label, self.pos = tpl, label, positions
        self.account, self.region, self.given = account, region, parameters
        #: undecidable conditions taken as true or false in this reading
        self.assume: dict[str, bool] = dict(assume or {})
        #: other inputs' exports in this account and Region: name -> (value, why, where)
        self.imported = imported or {}
        #: undecidable conditions left unknown because the assignments reached MAX_VARIANTS
        self.over = over
        self.exporting = False
        self.skipped: set[str] = set()  # resources whose Condition is false in this reading
        self.out = CloudFormationInput(label, {"version": 1})
        self.current = ""
        self.resources: dict[str, dict[str, Any]] = {}
        self.key_arn: dict[str, str] = {}
        self.vault_arn: dict[str, str] = {}
        self.keys: list[dict[str, Any]] = []
        self.vaults: list[dict[str, Any]] = []
        self.copies: list[dict[str, Any]] = []
        self.macro = ""

    def error(self, path: str, message: str) -> ScenarioError:
        pos = self.pos.get(path)
        return ScenarioError(self.label, path, message, *(pos or (None, None)))

    # ------------------------------------------------------------------ intrinsics
    @property
    def partition(self) -> str:
        r = self.region or ""
        return (
            "aws-cn" if r.startswith("cn-") else "aws-us-gov" if r.startswith("us-gov-") else "aws"
        )

    def param(self, name: str, path: str) -> Any:
        params = self.tpl.get("Parameters") or {}
        if name == "AWS::AccountId":
            if not self.account:
                raise Unknown(f"AWS::AccountId (give --account {self.label}=ACCOUNT_ID)")
            return self.account
        if name == "AWS::Region":
            if not self.region:
                raise Unknown(f"AWS::Region (give --region {self.label}=REGION)")
            return self.region
        if name == "AWS::Partition":
            return self.partition
        if name == "AWS::URLSuffix":
            return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name.startswith("AWS::"):
            raise Unknown(f"the pseudo parameter {name} is known only at deploy time")
        if name in params:
            spec = params[name] if isinstance(params[name], dict) else {}
            if name in self.given:
                v: Any = self.given[name]
            elif "Default" in spec:
                v = spec["Default"]
            else:
                raise Unknown(f"the parameter {name} has no value (--parameters) and no Default")
            ptype = str(spec.get("Type", "String"))
            if (ptype.startswith("List<") or ptype == "CommaDelimitedList") and isinstance(v, str):
                return [x.strip() for x in v.split(",")]
            return v if isinstance(v, (list, str)) else str(v)
        if name in self.resources:
            return self.attr(name, None)
        raise self.error(path, f"Ref to {name!r}, which is neither a parameter nor a resource")

    def attr(self, logical: str, att: str | None) -> Any:
        res = self.resources[logical]
        rtype = res.get("Type")
        props = _mapping(res.get("Properties"))
        if rtype in VAULT_TYPES:
            name = self.resolve(props.get("BackupVaultName"), f"Resources.{logical}")
            if att in (None, "BackupVaultName"):
                return name
            if att == "BackupVaultArn":
                if not (self.account and self.region):
                    raise Unknown(
                        f"{logical}.Arn needs the account and Region (--account/--region)"
                    )
                return (
                    f"arn:{self.partition}:backup:{self.region}:{self.account}:backup-vault:{name}"
                )
        if rtype == "AWS::KMS::Alias" and att is None:
            return self.resolve(props.get("AliasName"), f"Resources.{logical}")
        exported_key = self.exporting and rtype in KEY_TYPES and att == "BackupVaultArn"
        if exported_key and logical in self.key_arn:  # GetAtt Key.Arn: named by reference
            return self.key_arn[logical]
        what = f"Ref {logical}" if att is None else f"{logical}.{att}"
        raise Unknown(f"{what} ({rtype}) is assigned by AWS at deploy time")

    def resolve(self, v: Any, path: str) -> Any:
        """The value with every intrinsic function evaluated (Unknown when it cannot be)."""
        if isinstance(v, list):
            out = [self.resolve(x, f"{path}[{i}]") for i, x in enumerate(v)]
            return [x for x in out if x is not _NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            ((fn, arg),) = v.items()
            if fn == "Ref":
                if not isinstance(arg, str):
                    raise self.error(path, "Ref expects a name")
                return self.param(arg, path)
            if fn.startswith("Fn::") or fn == "Condition":
                return self.function(fn, arg, f"{path}.{fn}")
        out_d = {k: self.resolve(x, f"{path}.{k}") for k, x in v.items()}
        return {k: x for k, x in out_d.items() if x is not _NO_VALUE}

    def function(self, fn: str, arg: Any, path: str) -> Any:
        def shape(ok: bool, expected: str) -> None:
            if not ok:
                raise self.error(path, f"{fn} expects {expected}")

        if fn == "Fn::GetAtt":
            if isinstance(arg, str):
                arg = arg.split(".", 1)
            shape(isinstance(arg, list) and len(arg) == 2, "[LogicalId, Attribute]")
            logical, att = arg
            if logical not in self.resources:
                raise self.error(
                    path, f"Fn::GetAtt of {logical!r}, which the template does not define"
                )
            return self.attr(logical, "BackupVaultArn" if att == "Arn" else str(att))
        if fn == "Fn::Sub":
            if isinstance(arg, list):
                shape(len(arg) == 2 and isinstance(arg[1], dict), "[String, {Name: Value}]")
                text, names = arg[0], arg[1]
            else:
                text, names = arg, {}
            shape(isinstance(text, str), "a string")

            def var(m: re.Match[str]) -> str:
                name = m.group(1)
                if name.startswith("!"):
                    return "${" + name[1:] + "}"
                if name in names:
                    got = self.resolve(names[name], f"{path}.{name}")
                elif "." in name and name.split(".", 1)[0] in self.resources:
                    got = self.function("Fn::GetAtt", name.split(".", 1), path)
                else:
                    got = self.param(name, path)
                if not isinstance(got, (str, int)):
                    raise Unknown(f"${{{name}}} is not a string")
                return str(got)

            return _SUB_VAR.sub(var, text)
        if fn == "Fn::Join":
            shape(isinstance(arg, list) and len(arg) == 2, "[Delimiter, [Values]]")
            items = self.resolve(arg[1], path)
            shape(isinstance(items, list), "a list of values")
            return str(arg[0]).join(str(x) for x in items)
        if fn == "Fn::Select":
            shape(isinstance(arg, list) and len(arg) == 2, "[Index, [Values]]")
            index, items = self.resolve(arg[0], path), self.resolve(arg[1], path)
            shape(isinstance(items, list), "a list")
            try:
                return items[int(index)]
            except (ValueError, IndexError):
                raise self.error(path, f"index {index!r} is not in the list") from None
        if fn == "Fn::Split":
            shape(isinstance(arg, list) and len(arg) == 2, "[Delimiter, String]")
            text = self.resolve(arg[1], path)
            shape(isinstance(text, str), "a string to split")
            return text.split(str(arg[0]))
        if fn == "Fn::FindInMap":
            shape(isinstance(arg, list) and len(arg) in (3, 4), "[Map, TopKey, SecondKey]")
            m, top, second = (self.resolve(x, path) for x in arg[:3])
            mapping = (self.tpl.get("Mappings") or {}).get(m)
            try:
                return mapping[top][second]  # type: ignore[index]
            except (KeyError, TypeError):
                raise self.error(
                    path, f"Fn::FindInMap: no {m}.{top}.{second} in Mappings"
                ) from None
        if fn == "Fn::If":
            shape(isinstance(arg, list) and len(arg) == 3, "[Condition, IfTrue, IfFalse]")
            return self.resolve(arg[1] if self.condition(str(arg[0]), path) else arg[2], path)
        if fn in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
            return self.boolean({fn: arg}, path)
        if fn == "Fn::Base64":
            text = self.resolve(arg, path)
            shape(isinstance(text, str), "a string")
            return base64.b64encode(text.encode()).decode()
        if fn == "Fn::ImportValue":
            return self.import_value(arg, path)
        if fn == "Fn::Transform":
            raise Unknown("Fn::Transform runs a macro copyguard cannot expand")
        if fn in ("Fn::GetAZs", "Fn::Cidr"):
            raise Unknown(f"{fn} is computed at deploy time")
        raise self.error(path, f"unknown intrinsic function {fn}")

    def import_value(self, arg: Any, path: str) -> Any:
        """``Fn::ImportValue``: the value another input exports in the same account and
        Region (``link_imports``), else unknown naming the export."""
        name = self.resolve(arg, path)
        if not isinstance(name, str) or not name:
            raise self.error(path, "Fn::ImportValue expects an export name (a string)")
        if not (self.account and self.region):
            raise Unknown(
                f"Fn::ImportValue {name}: an export is found in the importing stack's account "
                f"and Region; give them with --account/--region {self.label}=..."
            )
        key = (self.account, self.region, name)
        if key not in self.out.imports:
            self.out.imports.append(key)
        if name in self.imported:
            value, why, where = self.imported[name]
            if value is None:
                raise Unknown(f"Fn::ImportValue {name}: the export in {where} is unknown ({why})")
            return value
        raise Unknown(
            f"Fn::ImportValue {name}: no input exports {name} in account {self.account} "
            f"Region {self.region}; add the template of the stack that exports it (same account and Region)"
        )

    def condition(self, name: str, path: str, depth: int = 0) -> bool:
        conds = self.tpl.get("Conditions") or {}
        if name not in conds:
            raise self.error(path, f"the condition {name!r} is not defined under Conditions")
        if name in self.assume:
            return self.assume[name]
        if depth > MAX_DEPTH:
            raise self.error(path, "conditions refer to each other in a loop")
        try:
            return self.boolean(conds[name], f"Conditions.{name}", depth + 1)
        except Unknown as exc:
            more = (
                f"; copyguard checks at most {MAX_VARIANTS} assignments of undecidable "
                "conditions, so it does not evaluate this one both ways"
                if name in self.over
                else ""
            )
            raise Unknown(
                f"the condition {name} cannot be decided before deploy ({exc}){more}"
            ) from None

    def decide(self, name: str) -> bool | None:
        """The condition's value in this reading, or None when it cannot be decided."""
        try:
            return self.condition(name, f"Conditions.{name}")
        except Unknown:
            return None

    def boolean(self, v: Any, path: str, depth: int = 0) -> bool:
        if not (isinstance(v, dict) and len(v) == 1):
            raise self.error(path, "expected a condition function (Fn::Equals, Fn::And, ...)")
        ((fn, arg),) = v.items()
        if fn == "Condition":
            return self.condition(str(arg), path, depth)
        if fn == "Fn::Equals":
            if not (isinstance(arg, list) and len(arg) == 2):
                raise self.error(path, "Fn::Equals expects [Value, Value]")
            a, b = (self.resolve(x, path) for x in arg)
            return str(a) == str(b)
        if fn in ("Fn::Not", "Fn::And", "Fn::Or") and isinstance(arg, list) and arg:
            got: list[bool | None] = []
            why: Unknown | None = None
            for i, x in enumerate(arg):
                try:
                    got.append(self.boolean(x, f"{path}.{fn}[{i}]", depth))
                except Unknown as exc:  # one unknown operand need not decide the whole
                    got.append(None)
                    why = why or exc
            if fn == "Fn::And" and False in got:
                return False
            if fn == "Fn::Or" and True in got:
                return True
            if why is not None and (fn != "Fn::Not" or got[0] is None):
                raise why
            return not got[0] if fn == "Fn::Not" else fn == "Fn::And"
        raise self.error(path, f"{fn} is not a condition function")

    def refs(self, v: Any) -> list[str]:
        """The logical IDs a value refers to (Ref, Fn::GetAtt, ``${X}`` in Fn::Sub)."""
        out: list[str] = []
        stack = [v]
        while stack:
            e = stack.pop()
            if isinstance(e, list):
                stack.extend(e)
            elif isinstance(e, dict):
                for k, x in e.items():
                    names: list[str] = []
                    if k == "Ref" and isinstance(x, str):
                        names = [x]
                    elif k == "Fn::GetAtt":
                        names = [x.split(".")[0] if isinstance(x, str) else str((x or [""])[0])]
                    elif k == "Fn::Sub":
                        text = x[0] if isinstance(x, list) and x else x
                        if isinstance(text, str):
                            names = [n.split(".")[0] for n in _SUB_VAR.findall(text)]
                    out += [n for n in names if n in self.resources and n not in out]
                    stack.append(x)
        return out

    # ------------------------------------------------------------------ building
    def prop(self, logical: str, name: str) -> tuple[str, Any]:
        """(state, value) of a property: known, unset or unknown (value: why)."""
        props = self.resources[logical].get("Properties") or {}
        if name not in props:
            return "unset", None
        try:
            v = self.resolve(props[name], f"Resources.{logical}.Properties.{name}")
        except Unknown as exc:
            return "unknown", str(exc)
        if v is _NO_VALUE or v is None:
            return "unset", None
        return "known", v

    def reason(self, path: str, logical: str, prop: str, why: str) -> None:
        self.out.unknown_reasons[path] = (f"{self.label}: {logical} property {prop}", why)

    def locate(self, path: str, logical: str, props: tuple[str, ...] = ()) -> None:
        self.out.addresses[path] = logical
        pos = self.pos.get(f"Resources.{logical}")
        if pos:
            self.out.positions[path] = pos
        for p in props:
            at = self.pos.get(f"Resources.{logical}.Properties.{p}")
            if at:
                self.out.positions[f"{path}.{_snake(p)}"] = at

    def placement(self, logical: str) -> tuple[str, str, str]:
        if not self.account or not ids.ACCOUNT.fullmatch(self.account):
            raise self.error(
                f"Resources.{logical}",
                f"a template does not say its account: give it with --account {self.label}=ACCOUNT_ID",
            )
        if not self.region:
            raise self.error(
                f"Resources.{logical}",
                f"a template does not say its Region: give it with --region {self.label}=REGION",
            )
        return self.partition, self.region, self.account

    def key_link(self, logical: str, prop: str) -> tuple[str, Any]:
        props = self.resources[logical].get("Properties") or {}
        for t in self.refs(props.get(prop)):
            if t in self.key_arn:
                return "known", self.key_arn[t]
            if self.resources[t].get("Type") == "AWS::KMS::Alias":
                target = (self.resources[t].get("Properties") or {}).get("TargetKeyId")
                for k in self.refs(target):
                    if k in self.key_arn:
                        return "known", self.key_arn[k]
        state, v = self.prop(logical, prop)
        if state == "known" and isinstance(v, str) and v.startswith("alias/"):
            part, region, account = self.placement(logical)
            return "known", f"arn:{part}:kms:{region}:{account}:{v}"
        if state == "known" and isinstance(v, str) and not v.startswith("arn:"):
            part, region, account = self.placement(logical)
            return "known", f"arn:{part}:kms:{region}:{account}:key/{v}"
        if state == "known" and not isinstance(v, str):
            return "unknown", "expected a key ID or ARN"
        return state, v

    def prepare(self) -> dict[str, Any]:
        """The template's shape checked (ScenarioError naming the field); its resources."""
        tpl = self.tpl
        res = tpl.get("Resources")
        if not isinstance(res, dict) or not res:
            raise self.error("Resources", "expected a mapping of logical IDs to resources")
        for logical, r in res.items():
            if not (isinstance(r, dict) and isinstance(r.get("Type"), str)):
                raise self.error(f"Resources.{logical}", "expected a resource with a Type")
            if "Properties" in r and not isinstance(r["Properties"], (dict, type(None))):
                raise self.error(f"Resources.{logical}.Properties", "expected a mapping")
        for section in ("Parameters", "Mappings", "Conditions", "Outputs"):
            if section in tpl and not isinstance(tpl[section], dict):
                raise self.error(section, "expected a mapping")
        transform = tpl.get("Transform")
        names = transform if isinstance(transform, list) else [transform] if transform else []
        odd = [str(t) for t in names if t not in HARMLESS_TRANSFORMS]
        self.macro = ", ".join(odd)
        # every resource resolves (a reference to one a condition leaves out is still valid)
        self.resources = dict(res)
        return res

    def read(self) -> CloudFormationInput:
        res = self.prepare()
        self.skipped = set()
        for logical, r in res.items():
            cond = r.get("Condition")
            if isinstance(cond, str):
                try:
                    if not self.condition(cond, f"Resources.{logical}.Condition"):
                        self.skipped.add(logical)
                except Unknown:
                    pass  # kept: an undecidable condition does not hide a resource
        try:
            self._build()
            self._exports()
        except RecursionError:
            raise self.error(
                self.current, "the template's functions or conditions refer to each other in a loop"
            ) from None
        except (TypeError, AttributeError, ValueError, KeyError, IndexError) as exc:
            if isinstance(exc, ScenarioError):
                raise
            raise self.error(
                self.current, f"unexpected value in this resource ({type(exc).__name__}: {exc})"
            ) from None
        return self.out

    def _each(self, *types: str) -> list[str]:
        return [
            k for k, r in self.resources.items() if r.get("Type") in types and k not in self.skipped
        ]

    def _exports(self) -> None:
        """``Outputs`` with ``Export.Name``: (account, Region, name) -> (value, path, why)."""
        outputs = self.tpl.get("Outputs") or {}
        if not (self.account and self.region):
            return  # an export is found by account and Region: without them, none to offer
        seen: dict[str, str] = {}
        self.exporting = True
        try:
            for oname, out in outputs.items():
                path = f"Outputs.{oname}"
                self.current = path
                if not isinstance(out, dict) or not isinstance(out.get("Export"), dict):
                    continue
                try:
                    name = self.resolve(out["Export"].get("Name"), f"{path}.Export.Name")
                except Unknown:
                    continue  # a name known only at deploy cannot satisfy a named import
                if not isinstance(name, str) or not name:
                    raise self.error(f"{path}.Export.Name", "expected an export name (a string)")
                if name in seen:
                    raise self.error(
                        f"{path}.Export.Name",
                        f"the export {name!r} is also defined by Outputs.{seen[name]}; export "
                        "names are unique in an account and Region",
                    )
                seen[name] = oname
                value: Any = None
                why = ""
                try:
                    cond = out.get("Condition")
                    if isinstance(cond, str) and not self.condition(cond, f"{path}.Condition"):
                        continue  # not exported under this reading
                    value = self.resolve(out.get("Value"), f"{path}.Value")
                    if not isinstance(value, str):
                        value, why = None, "its value is not a string"
                except Unknown as exc:
                    value, why = None, str(exc)
                self.out.exports[(self.account, self.region, name)] = (value, path, why)
        finally:
            self.exporting = False

    # ------------------------------------------------------------------ conditions both ways
    def used_conditions(self) -> list[str]:
        """The conditions what copyguard reads uses directly (resources of the types it reads,
        exported outputs), in the template's order."""
        conds = self.tpl.get("Conditions") or {}
        used: list[str] = []
        stack: list[Any] = list(
            reversed(
                [r for r in self.resources.values() if r.get("Type") in READ_TYPES]
                + [o for o in (self.tpl.get("Outputs") or {}).values() if isinstance(o, dict)]
            )
        )
        budget = MAX_WALK
        while stack and budget > 0:
            e = stack.pop()
            budget -= 1
            if isinstance(e, list):
                stack.extend(reversed(e))
            elif isinstance(e, dict):
                for k, x in e.items():
                    name = x if k == "Condition" else None
                    if k == "Fn::If" and isinstance(x, list) and x:
                        name = x[0]
                    if isinstance(name, str) and name in conds and name not in used:
                        used.append(name)
                stack.extend(reversed(list(e.values())))
        return used

    def _deps(self, name: str) -> list[str]:
        """The conditions a condition's definition refers to, in order."""
        out: list[str] = []
        stack: list[Any] = [(self.tpl.get("Conditions") or {}).get(name)]
        while stack and len(out) < MAX_WALK:
            e = stack.pop()
            if isinstance(e, list):
                stack.extend(reversed(e))
            elif isinstance(e, dict):
                for k, x in e.items():
                    if k == "Condition" and isinstance(x, str) and x not in out:
                        out.append(x)
                stack.extend(reversed(list(e.values())))
        return out

    def _blocker(self, name: str) -> str:
        """The condition to take both ways so that ``name`` can be decided: the deepest
        undecidable one it depends on (the base condition, not one derived from it)."""
        seen: set[str] = set()
        while name not in seen and len(seen) <= MAX_DEPTH:
            seen.add(name)
            nxt = next(
                (d for d in self._deps(name) if d not in self.assume and self.decide(d) is None),
                None,
            )
            if nxt is None:
                return name
            name = nxt
        return name

    def assignments(self) -> tuple[list[dict[str, bool]], tuple[str, ...]]:
        """Every assignment of the undecidable conditions that matter (at most MAX_VARIANTS;
        a condition is taken both ways only where the ones before leave it undecided), and
        the undecidable conditions left unknown beyond the cap."""
        self.prepare()
        used = self.used_conditions()
        done: list[dict[str, bool]] = []
        work: list[dict[str, bool]] = [{}]
        over: list[str] = []
        order: list[str] = []  # the conditions in the order they were first taken both ways
        while work:  # breadth first: the cap cuts the deepest branches, evenly
            a = work.pop(0)
            self.assume = a
            branch = None
            for name in used:
                if self.decide(name) is None:
                    b = self._blocker(name)
                    if b not in over:
                        branch = b
                        break
            if branch is not None and len(done) + len(work) + 2 > MAX_VARIANTS:
                over.append(branch)
                work.insert(0, a)  # again, without that condition
                continue
            if branch is None:
                done.append(a)
                continue
            if branch not in order:
                order.append(branch)
            work += [{**a, branch: True}, {**a, branch: False}]
        self.assume = {}
        done.sort(key=lambda a: [0 if a.get(n) is True else 1 if n in a else 2 for n in order])
        return (done if len(done) > 1 else []), tuple(over)

    def _build(self) -> None:
        for logical in self._each("AWS::KMS::Key"):
            self.current = f"Resources.{logical}"
            self._key(logical)
        for logical in self._each("AWS::KMS::ReplicaKey"):
            self.current = f"Resources.{logical}"
            self._replica_key(logical)
        for logical in self._each("AWS::KMS::Alias"):
            self.current = f"Resources.{logical}"
            self._alias(logical)
        for logical in self._each(*VAULT_TYPES):
            self.current = f"Resources.{logical}"
            self._vault(logical)
        for logical in self._each("AWS::Backup::BackupPlan"):
            self.current = f"Resources.{logical}"
            self._plan(logical)
        doc = self.out.doc
        if self.keys:
            doc["keys"] = self.keys
        if self.vaults:
            doc["vaults"] = self.vaults
        doc["copies"] = self.copies
        if self.macro:
            for i, k in enumerate(self.keys):
                k.pop("policy", None)
                self.out.unknown_reasons[f"keys[{i}].policy"] = (
                    f"{self.label}: Transform",
                    f"the macro {self.macro} may rewrite the template; copyguard cannot expand it",
                )
        if not self.copies:
            kinds = sorted({str(r.get("Type")) for r in self.resources.values()})
            self.out.unknown_reasons["copies"] = (
                f"{self.label}: the copies",
                "no AWS::Backup::BackupPlan rule with CopyActions among its "
                f"{len(self.resources)} resources (types: {', '.join(kinds)})",
            )

    def _key(self, logical: str) -> None:
        part, region, account = self.placement(logical)
        arn = pending_key_arn(part, region, account, logical)
        self.key_arn[logical] = arn
        path = f"keys[{len(self.keys)}]"
        entry: dict[str, Any] = {"arn": arn, "manager": "CUSTOMER", "aliases": []}
        state, v = self.prop(logical, "Enabled")
        if state == "unknown":
            self.reason(f"{path}.state", logical, "Enabled", v)
        else:
            entry["state"] = "Disabled" if str(v).lower() == "false" else "Enabled"
        state, v = self.prop(logical, "MultiRegion")
        if state == "known":
            entry["multi_region"] = str(v).lower() == "true"
        self._add_key(path, logical, entry, account, part)

    def _add_key(
        self, path: str, logical: str, entry: dict[str, Any], account: str, part: str
    ) -> None:
        """A key's ``KeyPolicy`` (unset: KMS's default policy for the account), then the key."""
        state, v = self.prop(logical, "KeyPolicy")
        if state == "known":
            entry["policy"] = json.loads(v) if isinstance(v, str) else v
        elif state == "unset":
            from copyguard.sources.terraform import default_key_policy

            entry["policy"] = default_key_policy(account, part)
        else:
            self.reason(f"{path}.policy", logical, "KeyPolicy", v)
        self.keys.append(entry)
        self.locate(path, logical, ("KeyPolicy", "Enabled"))

    def _replica_key(self, logical: str) -> None:
        """A replica of a multi-Region key in the stack's Region: its own ``KeyPolicy`` and
        ``Enabled``; its key ID is its primary's (``PrimaryKeyArn``) when that is known."""
        part, region, account = self.placement(logical)
        s, primary = self.prop(logical, "PrimaryKeyArn")
        arn = pending_key_arn(part, region, account, logical)
        if s == "known" and isinstance(primary, str):
            pparts = primary.split(":")
            if len(pparts) >= 6 and pparts[4] != account:
                raise self.error(
                    f"Resources.{logical}.Properties.PrimaryKeyArn",
                    f"{logical}: a replica key is created in its primary key's account "
                    f"({pparts[4]}), but the template is deployed in account {account}",
                )
            if not ids.key_arn_problem(primary, alias=False):
                arn = f"arn:{part}:kms:{region}:{account}:key/{primary.rsplit('/', 1)[-1]}"
        self.key_arn[logical] = arn
        path = f"keys[{len(self.keys)}]"
        entry: dict[str, Any] = {
            "arn": arn,
            "manager": "CUSTOMER",
            "aliases": [],
            "multi_region": True,
        }
        state, v = self.prop(logical, "Enabled")
        if state == "unknown":
            self.reason(f"{path}.state", logical, "Enabled", v)
        else:
            entry["state"] = "Disabled" if str(v).lower() == "false" else "Enabled"
        self._add_key(path, logical, entry, account, part)

    def _alias(self, logical: str) -> None:
        state, name = self.prop(logical, "AliasName")
        target = (self.resources[logical].get("Properties") or {}).get("TargetKeyId")
        for k in self.refs(target):
            arn = self.key_arn.get(k)
            entry = next((e for e in self.keys if e["arn"] == arn), None)
            if (
                entry is not None
                and state == "known"
                and isinstance(name, str)
                and ids.alias_name_problem(name) is None
            ):
                entry["aliases"].append(name)

    def _vault(self, logical: str) -> None:
        part, region, account = self.placement(logical)
        state, name = self.prop(logical, "BackupVaultName")
        if state != "known" or not isinstance(name, str):
            raise self.error(
                f"Resources.{logical}.Properties.BackupVaultName",
                f"{logical}: the vault's name is not known before deploy ({name or 'not set'})",
            )
        arn = f"arn:{part}:backup:{region}:{account}:backup-vault:{name}"
        self.vault_arn[logical] = arn
        path = f"vaults[{len(self.vaults)}]"
        entry: dict[str, Any] = {"arn": arn, "access_policy": None, "lock": None}
        lag = self.resources[logical]["Type"] == "AWS::Backup::LogicallyAirGappedBackupVault"
        if lag:
            entry["vault_type"] = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
            lock: dict[str, Any] = {}
            for p, k in (
                ("MinRetentionDays", "min_retention_days"),
                ("MaxRetentionDays", "max_retention_days"),
            ):
                s, v = self.prop(logical, p)
                if s == "known":
                    lock[k] = int(v)
                elif s == "unknown":
                    self.reason(f"{path}.lock.{k}", logical, p, v)
            entry["lock"] = lock
            default = "aws-owned"
        else:
            entry["vault_type"] = "BACKUP_VAULT"
            default = f"arn:{part}:kms:{region}:{account}:alias/aws/backup"
            s, lc = self.prop(logical, "LockConfiguration")
            if s == "known" and isinstance(lc, dict):
                entry["lock"] = {
                    _snake(k): int(v)
                    for k, v in lc.items()
                    if k in ("MinRetentionDays", "MaxRetentionDays", "ChangeableForDays")
                }
            elif s == "unknown":
                self.reason(f"{path}.lock", logical, "LockConfiguration", lc)
        s, key = self.key_link(logical, "EncryptionKeyArn")
        if s == "known":
            entry["key"] = key
        elif s == "unset":
            entry["key"] = default
        else:
            self.reason(f"{path}.key", logical, "EncryptionKeyArn", key)
        s, pol = self.prop(logical, "AccessPolicy")
        if s == "known":
            entry["access_policy"] = json.loads(pol) if isinstance(pol, str) else pol
        elif s == "unknown":
            entry.pop("access_policy")
            self.reason(f"{path}.access_policy", logical, "AccessPolicy", pol)
        self.vaults.append(entry)
        self.locate(path, logical, ("EncryptionKeyArn", "AccessPolicy", "LockConfiguration"))

    def _plan(self, logical: str) -> None:
        props = self.resources[logical].get("Properties") or {}
        body = props.get("BackupPlan") or {}
        base = f"Resources.{logical}.Properties.BackupPlan"
        rules = body.get("BackupPlanRule") if isinstance(body, dict) else None
        if not isinstance(rules, list):
            raise self.error(base, "expected BackupPlan with a BackupPlanRule list")
        selections = [
            s
            for s in self._each("AWS::Backup::BackupSelection")
            if logical in self.refs((self.resources[s].get("Properties") or {}).get("BackupPlanId"))
        ]
        for ri, rule in enumerate(rules):
            rpath = f"{base}.BackupPlanRule[{ri}]"
            if not isinstance(rule, dict):
                raise self.error(rpath, "expected a rule mapping")
            source = self._rule_vault(logical, rule, rpath)
            for ci, action in enumerate(rule.get("CopyActions") or []):
                apath = f"{rpath}.CopyActions[{ci}]"
                if not isinstance(action, dict):
                    raise self.error(apath, "expected a copy action mapping")
                self._copies(
                    logical, str(rule.get("RuleName", ri)), ci, action, apath, source, selections
                )

    def _rule_vault(self, logical: str, rule: dict[str, Any], path: str) -> str | tuple[str, str]:
        target = rule.get("TargetBackupVault")
        for t in self.refs(target):
            if t in self.vault_arn:
                return self.vault_arn[t]
        try:
            name = self.resolve(target, f"{path}.TargetBackupVault")
        except Unknown as exc:
            return ("TargetBackupVault", str(exc))
        if not isinstance(name, str):
            raise self.error(f"{path}.TargetBackupVault", "expected a vault name")
        for arn in self.vault_arn.values():
            if arn.rsplit(":", 1)[-1] == name:
                return arn
        part, region, account = self.placement(logical)
        return f"arn:{part}:backup:{region}:{account}:backup-vault:{name}"

    def _copies(
        self,
        plan: str,
        rule: str,
        ci: int,
        action: dict[str, Any],
        apath: str,
        source: str | tuple[str, str],
        selections: list[str],
    ) -> None:
        dest_expr = action.get("DestinationBackupVaultArn")
        dest: str | None = None
        why = ""
        for t in self.refs(dest_expr):
            dest = self.vault_arn.get(t, dest)
        if dest is None:
            try:
                got = self.resolve(dest_expr, f"{apath}.DestinationBackupVaultArn")
                dest = got if isinstance(got, str) else None
                why = "" if dest else "expected a vault ARN"
            except Unknown as exc:
                why = str(exc)
        lifecycle: dict[str, Any] | None = None
        lc = self.resolve(action.get("Lifecycle"), f"{apath}.Lifecycle")
        if isinstance(lc, dict):
            lifecycle = {}
            for k, s in (
                ("DeleteAfterDays", "delete_after_days"),
                ("MoveToColdStorageAfterDays", "move_to_cold_storage_after_days"),
            ):
                if k in lc and int(lc[k]) > 0:
                    lifecycle[s] = int(lc[k])
            opt = lc.get("OptInToArchiveForSupportedResources")
            if opt is not None:
                lifecycle["opt_in_to_archive_for_supported_resources"] = str(opt).lower() == "true"
        targets: list[tuple[str | None, dict[str, Any]]] = []
        for chosen in selections:
            for item in self._selection(chosen):
                targets.append((chosen, item))
        if not selections:
            targets.append((None, {}))
        for sel, item in targets:
            path = f"copies[{len(self.copies)}]"
            label = item.pop("_label", "")
            protected = item.pop("_from", None)
            why_key = item.pop("_unknown", None)
            entry: dict[str, Any] = {
                "name": f"{plan}/{rule}/copy{ci}" + (f"/{label}" if label else ""),
                "lifecycle": lifecycle,
            }
            entry.update(item)
            if why_key and isinstance(protected, str):
                self.reason(f"{path}.resource_key", protected, why_key[0], str(why_key[1]))
            if isinstance(source, str):
                entry["source_vault"] = source
            else:
                self.reason(f"{path}.source_vault", plan, source[0], source[1])
            if dest:
                entry["destination_vault"] = dest
            else:
                self.reason(f"{path}.destination_vault", plan, "DestinationBackupVaultArn", why)
            if sel is not None:
                body = _mapping(
                    _mapping(self.resources[sel].get("Properties")).get("BackupSelection")
                )
                try:
                    arn = self.resolve(body.get("IamRoleArn"), f"Resources.{sel}")
                except Unknown:
                    arn = None
                if isinstance(arn, str) and not ids.role_arn_problem(arn):
                    entry["iam_role_arn"] = arn
                if "resource_type" not in entry:
                    self.reason(
                        f"{path}.resource_type",
                        sel,
                        "BackupSelection",
                        TAG_SELECTION_WHY,
                    )
            else:
                self.reason(
                    f"{path}.resource_type",
                    plan,
                    "BackupPlan",
                    "no AWS::Backup::BackupSelection in this template refers to the plan, so "
                    "which resources it copies is unknown",
                )
            self.copies.append(entry)
            self.locate(path, plan)
            at = self.pos.get(apath)
            if at:
                self.out.positions[f"{path}.destination_vault"] = at
            if sel is not None:
                self.out.addresses[f"{path}.resource_type"] = sel
            if isinstance(protected, str):
                pos = self.pos.get(f"Resources.{protected}")
                for f in ("resource_key", "resource_arn", "resource_type"):
                    self.out.addresses[f"{path}.{f}"] = protected
                    if pos:
                        self.out.positions[f"{path}.{f}"] = pos

    def _selection(self, sel: str) -> list[dict[str, Any]]:
        props = self.resources[sel].get("Properties") or {}
        body = _mapping(props.get("BackupSelection"))
        items: list[dict[str, Any]] = []
        listed = body.get("Resources") or []
        for i, one in enumerate(listed if isinstance(listed, list) else []):
            linked = [t for t in self.refs(one) if self.resources[t].get("Type") in PROTECTED]
            if linked:
                items.extend(self._protected(linked[0]))
                continue
            try:
                arn = self.resolve(
                    one, f"Resources.{sel}.Properties.BackupSelection.Resources[{i}]"
                )
            except Unknown:
                continue
            if not isinstance(arn, str) or "*" in arn:
                continue
            from copyguard.sources.terraform import _ARN_TYPES

            item: dict[str, Any] = {"_label": arn.rsplit(":", 1)[-1]}
            if not ids.resource_arn_problem(arn):
                item["resource_arn"] = arn
            for svc, kind, t in _ARN_TYPES:
                if svc in arn and kind in arn.split(svc, 1)[1]:
                    item["resource_type"] = t
                    break
            items.append(item)
        if not items:
            items.append({"_label": "by-tag"})
        return items

    def _protected(self, logical: str) -> list[dict[str, Any]]:
        """The copied items of one protected resource: one, or for an instance one per distinct
        key of its block devices. An item's ``_unknown`` is (property, why)."""
        from copyguard.sources.terraform import managed_key_alias

        rtype = str(self.resources[logical]["Type"])
        btype, key_prop, enc_prop = PROTECTED[rtype]
        if rtype == "AWS::FSx::FileSystem":
            s, kind = self.prop(logical, "FileSystemType")
            if s == "known" and str(kind).upper() == "ONTAP":
                btype = "FSx:ONTAP"  # AWS Backup reports it as FSx; its row says no copy
        item: dict[str, Any] = {"_label": logical, "resource_type": btype, "_from": logical}
        part, region, account = self.placement(logical)
        managed_arn = f"arn:{part}:kms:{region}:{account}:{managed_key_alias(btype)}"
        if rtype == "AWS::EC2::Instance":
            return self._instance(logical, item, managed_arn)
        if rtype == "AWS::DynamoDB::Table":
            s, sse = self.prop(logical, "SSESpecification")
            if (
                s == "known"
                and isinstance(sse, dict)
                and str(sse.get("SSEEnabled")).lower() == "true"
            ):
                s2, key = self.key_link(logical, "SSESpecification")
                given = sse.get("KMSMasterKeyId")
                if s2 == "known" and isinstance(key, str) and key.startswith("arn:"):
                    item["resource_key"] = key  # a key of this template
                elif isinstance(given, str) and given.startswith("alias/"):
                    item["resource_key"] = f"arn:{part}:kms:{region}:{account}:{given}"
                elif isinstance(given, str) and given.startswith("arn:"):
                    item["resource_key"] = given
                elif given is None:
                    item["resource_key"] = managed_arn
                else:
                    item["_unknown"] = ("SSESpecification.KMSMasterKeyId", "not a key ARN")
            elif s == "unknown":
                item["_unknown"] = ("SSESpecification", sse)
            else:
                item["_unknown"] = (
                    "SSESpecification",
                    "the table is encrypted with an AWS owned key (no KMS key to judge)",
                )
            return [item]
        s, key = self.key_link(logical, key_prop)
        es, enc = self.prop(logical, enc_prop) if enc_prop else ("known", True)
        if s == "known":
            item["resource_key"] = key
        elif s == "unknown":
            item["_unknown"] = (key_prop, key)
        elif es == "known" and str(enc).lower() == "true":
            item["resource_key"] = managed_arn  # encrypted without a key: the AWS managed key
        elif es == "unknown":
            item["_unknown"] = (enc_prop, enc)
        elif rtype == "AWS::EC2::Volume":
            item["_unknown"] = (enc_prop, "encryption is left to the account's default")
        else:
            item["resource_key"] = None  # not encrypted (the default)
        return [item]

    def _instance(
        self, logical: str, base: dict[str, Any], managed_arn: str
    ) -> list[dict[str, Any]]:
        """An instance's backup is an AMI whose snapshots keep each EBS volume's key: one item
        per distinct key of ``BlockDeviceMappings[].Ebs`` (instance store devices have none)."""
        where = f"Resources.{logical}.Properties.BlockDeviceMappings"
        raw = _mapping(self.resources[logical].get("Properties")).get("BlockDeviceMappings")
        items: list[dict[str, Any]] = []
        try:
            mappings = (
                self.resolve(raw, where)
                if _has_function(raw) and not isinstance(raw, list)
                else raw
            )
        except Unknown as exc:
            return [{**base, "_unknown": ("BlockDeviceMappings", str(exc))}]
        if mappings is not None and not isinstance(mappings, list):
            raise self.error(where, "expected a list of block device mappings")
        seen: set[Any] = set()
        for i, m in enumerate((mappings or [])[:MAX_BLOCK_DEVICES]):
            if _has_function(m):  # a mapping chosen by Fn::If
                try:
                    m = self.resolve(m, f"{where}[{i}]")
                except Unknown as exc:
                    items.append({**base, "_unknown": (f"BlockDeviceMappings[{i}]", str(exc))})
                    continue
                if m is _NO_VALUE:
                    continue
            if not isinstance(m, dict):
                raise self.error(f"{where}[{i}]", "expected a block device mapping")
            ebs = m.get("Ebs")
            if not isinstance(ebs, dict):
                continue  # an instance store volume or NoDevice: not in the AMI's snapshots
            prop = f"BlockDeviceMappings[{i}].Ebs"
            try:
                device = str(self.resolve(m.get("DeviceName"), f"{where}[{i}].DeviceName"))
            except Unknown:
                device = f"BlockDeviceMappings[{i}]"
            key: Any = None
            known = False
            why = (
                "the volume's encryption is left to the AMI and the account's EBS encryption "
                "default"
            )
            for t in self.refs(ebs.get("KmsKeyId")):
                if t in self.key_arn:
                    key, known = self.key_arn[t], True
            try:
                given = self.resolve(ebs.get("KmsKeyId"), f"{where}[{i}].Ebs.KmsKeyId")
                enc = self.resolve(ebs.get("Encrypted"), f"{where}[{i}].Ebs.Encrypted")
            except Unknown as exc:
                given, enc, why = None, None, str(exc)
            if not known and isinstance(given, str) and given:
                part, region, account = self.placement(logical)
                form = given if given.startswith(("arn:", "alias/")) else f"key/{given}"
                key = (
                    form if form.startswith("arn:") else f"arn:{part}:kms:{region}:{account}:{form}"
                )
                known = True
            elif not known and str(enc).lower() in ("true", "false"):
                key = managed_arn if str(enc).lower() == "true" else None
                known = True
            if known:
                if key in seen:
                    continue  # the same key as another volume: one copy decides both
                seen.add(key)
                item = {**base, "resource_key": key}
            else:
                item = {**base, "_unknown": (f"{prop}.Encrypted", why)}
            item["_label"] = f"{logical}/{device.rsplit('/', 1)[-1]}"
            items.append(item)
        if not items or not any(
            isinstance(m, dict)
            and isinstance(m.get("Ebs"), dict)
            and str(m.get("DeviceName")) in ("/dev/xvda", "/dev/sda1")
            for m in (mappings or [])
        ):
            items.append(
                {
                    **base,
                    "_label": f"{logical}/root",
                    "_unknown": (
                        "BlockDeviceMappings",
                        "the root volume's encryption comes from the AMI and the account's EBS "
                        "encryption default, which the template does not say",
                    ),
                }
            )
        if len(items) == 1:
            items[0]["_label"] = logical
        return items


def _has_function(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith(("Fn::", "Ref"))


def _mapping(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def read_cloudformation(
    doc: Any,
    label: str,
    positions: dict[str, tuple[int, int]],
    *,
    account: str | None = None,
    region: str | None = None,
    parameters: dict[str, str] | None = None,
    imported: dict[str, tuple[Any, str, str]] | None = None,
) -> CloudFormationInput:
    """The scenario document of one template (raises ScenarioError for bad input).

    Undecidable conditions that matter are left unknown in the returned reading; its
    ``variants`` are the readings under each assignment of them (at most MAX_VARIANTS, each
    with ``conditions``). ``imported``: other inputs' exports in the template's account and
    Region, name -> (value or None, why unknown, where), as ``link_imports`` gives them.
    """
    if not isinstance(doc, dict):
        raise ScenarioError(label, "", "expected a CloudFormation template (a mapping)")
    params = parameters or {}

    def one(assume: dict[str, bool] | None = None, over: tuple[str, ...] = ()) -> ReaderInput:
        return _Reader(
            doc, label, positions, account, region, params, assume, imported, over
        ).read()

    base = one()
    assignments, over = _Reader(
        doc, label, positions, account, region, params, None, imported
    ).assignments()
    for a in assignments:
        variant = one(a, over)
        variant.conditions = a
        base.variants.append(variant)

    def reread(values: dict[str, tuple[Any, str, str]]) -> ReaderInput:
        return read_cloudformation(
            doc,
            label,
            positions,
            account=account,
            region=region,
            parameters=params,
            imported=values,
        )

    base.reread = reread
    return base


def link_imports(reads: dict[int, ReaderInput]) -> dict[int, ReaderInput]:
    """Resolve each input's ``Fn::ImportValue`` against the other inputs' exports in the same
    account and Region: the inputs read again (by their index), in at most a few rounds (an
    export may itself import). Two inputs exporting one name in one account and Region are
    an input error naming both."""
    changed: dict[int, ReaderInput] = {}
    given: dict[int, dict[str, tuple[Any, str, str]]] = {}
    for _ in range(min(len(reads), MAX_IMPORT_ROUNDS)):
        table: dict[tuple[str, str, str], tuple[int, Any, str, str]] = {}
        for i, r in reads.items():
            for key, (value, path, why) in r.exports.items():
                if key in table and table[key][0] != i:
                    other = reads[table[key][0]]
                    raise ScenarioError(
                        r.label,
                        f"{path}.Export.Name",
                        f"the export {key[2]!r} (account {key[0]}, Region {key[1]}) is also "
                        f"defined in {other.label} ({table[key][2]}); export names are unique "
                        "in an account and Region",
                    )
                table[key] = (i, value, path, why)
        again = False
        for i, r in list(reads.items()):
            values = {
                key[2]: (table[key][1], table[key][3], reads[table[key][0]].label)
                for key in r.imports
                if key in table and table[key][0] != i
            }
            if values and values != given.get(i) and r.reread is not None:
                given[i] = values
                reads[i] = changed[i] = r.reread(values)
                again = True
        if not again:
            break
    return changed
