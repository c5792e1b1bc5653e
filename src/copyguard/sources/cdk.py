"""Read an AWS CDK cloud assembly (the ``cdk.out/`` directory ``cdk synth`` writes) into one
scenario document per CloudFormation stack it holds (spec section 6).

Pure: no boto3, no network; each template is read by ``sources/cloudformation.py``. From the
assembly's ``manifest.json`` (a versioned schema): the artifacts of type
``aws:cloudformation:stack`` (``properties.templateFile``, ``properties.parameters``,
``environment`` ``aws://ACCOUNT/REGION``, where ``unknown-account``/``unknown-region`` mean an
environment-agnostic stack: ``--account``/``--region`` then, else the stack is unknown),
nested cloud assemblies (``cdk:cloud-assembly``, ``properties.directoryName``) and the
``aws:cdk:logicalId`` metadata entries; from each template the ``Metadata.aws:cdk:path`` of its
resources, so every fact and finding names the template, the logical ID and the construct path
(``SourceStack/BackupKey/Resource``). Nested stacks (``AWS::CloudFormation::Stack`` whose
``Metadata.aws:asset:path`` is a template in the assembly) are read with their parent's
environment; one whose template is not in the assembly is unknown, named.

Bounded: every file at most the input size limit, at most ``MAX_ARTIFACTS`` artifacts and
nested stack readings in all, nesting at most ``MAX_DEPTH`` deep, and every path relative,
without ``..``, and inside the assembly directory once symbolic links are resolved. Anything else raises ``ScenarioError``
(exit 2) naming the file, the field path and what was expected.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from copyguard.policy import ids
from copyguard.policy.locate import json_positions
from copyguard.records import field, record
from copyguard.scenario.load import ScenarioError, pending_key_arn, read_input_text
from copyguard.sources.reader_input import ReaderInput

MANIFEST = "manifest.json"
#: the cloud assembly schema majors whose stack artifacts copyguard reads (the schema's major
#: changes whenever an instruction is added; the stack artifact's shape has not changed since 1)
MIN_MAJOR, MAX_MAJOR = 1, 60
#: artifacts in all (nested assemblies included), nested assemblies and nested stacks deep
MAX_ARTIFACTS = 2000
MAX_DEPTH = 8
STACK = "aws:cloudformation:stack"
NESTED_ASSEMBLY = "cdk:cloud-assembly"
_ENV = re.compile(r"aws://([^/]*)/([^/]*)")
_VERSION = re.compile(r"([0-9]{1,9})\.[0-9]{1,9}\.[0-9]{1,9}(?:[-+][0-9A-Za-z.+-]*)?")
#: resources whose facts need the stack's account and Region (keys, vaults, protected data)
_PLACED = re.compile(r"AWS::(KMS|Backup)::.*|AWS::(EC2::Volume|RDS::DB.*|EFS::.*|DynamoDB::.*)")


@record
class StackInput(ReaderInput):
    """One stack of an assembly read: a ``ReaderInput`` whose label is the template file, plus
    the stack's name and environment and, per document path, the construct path."""

    stack: str = ""
    environment: str = ""
    construct_paths: dict[str, str] = field(default_factory=dict)
    #: logical ID -> construct path, for readings of the same template made later (imports)
    logical_paths: dict[str, str] = field(default_factory=dict)
    #: the CloudFormation reader's own reading (None for a stack that could not be placed):
    #: its exports, imports and condition variants take part in the merge like a template's
    reading: ReaderInput | None = None


def is_manifest(doc: Any) -> bool:
    """A cloud assembly manifest: a ``version`` string and an ``artifacts`` mapping."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("version"), str)
        and isinstance(doc.get("artifacts"), dict)
        and "Resources" not in doc
    )


def assembly_dir(path: str) -> str | None:
    """The assembly directory of an INPUT: the directory itself when it holds ``manifest.json``,
    the manifest's directory when the INPUT is a file named ``manifest.json``; else None."""
    if path == "-":
        return None
    if os.path.isdir(path):
        return path if os.path.isfile(os.path.join(path, MANIFEST)) else None
    if os.path.basename(path) == MANIFEST and os.path.isfile(path):
        return os.path.dirname(path) or "."
    return None


class _Assembly:
    def __init__(
        self,
        label: str,
        account: str | None,
        region: str | None,
        parameters: dict[str, str],
    ) -> None:
        self.label = label
        self.account, self.region, self.given = account, region, parameters
        self.artifacts = 0
        self.out: list[StackInput] = []

    # ------------------------------------------------------------------ files
    def inside(self, root: str, rel: Any, where: tuple[str, str], what: str) -> str:
        """``rel`` (a path from the manifest or a template) resolved inside ``root``."""
        file, path = where
        if not isinstance(rel, str) or not rel:
            raise ScenarioError(file, path, f"expected the relative path of {what}")
        parts = re.split(r"[/\\]", rel)
        if os.path.isabs(rel) or rel.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", rel):
            raise ScenarioError(
                file, path, f"{rel!r}: expected a path relative to the assembly, not absolute"
            )
        if ".." in parts:
            raise ScenarioError(
                file, path, f"{rel!r}: expected a path inside the assembly, without '..'"
            )
        if "\x00" in rel:
            raise ScenarioError(file, path, f"{rel!r}: a path cannot contain a NUL character")
        full = os.path.join(root, rel)
        real_root = os.path.realpath(root)
        real = os.path.realpath(full)
        if os.path.commonpath([real_root, real]) != real_root:
            raise ScenarioError(
                file,
                path,
                f"{rel!r} leads outside the assembly directory {root} (a symbolic link to "
                f"{real}): expected every file of the assembly inside it",
            )
        return full

    def read_json(self, file: str, what: str) -> tuple[Any, dict[str, tuple[int, int]]]:
        label, text = read_input_text(os.path.normpath(file), what)
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ScenarioError(label, "", f"invalid JSON: {exc}") from None
        return doc, json_positions(text)

    # ------------------------------------------------------------------ the manifest
    def assembly(self, root: str, manifest: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ScenarioError(
                manifest, "", f"cloud assemblies nested too deeply; expected at most {MAX_DEPTH}"
            )
        manifest = os.path.normpath(manifest)
        self.inside(root, MANIFEST, (manifest, ""), "the manifest")
        doc, pos = self.read_json(manifest, "CDK assembly manifest")

        def error(path: str, message: str) -> ScenarioError:
            return ScenarioError(manifest, path, message, *(pos.get(path) or (None, None)))

        if not isinstance(doc, dict):
            raise error(
                "", "expected a cloud assembly manifest (an object with version, artifacts)"
            )
        version = doc.get("version")
        m = _VERSION.fullmatch(version) if isinstance(version, str) else None
        if m is None:
            raise error(
                "version", f"expected the schema version (MAJOR.MINOR.PATCH), got {version!r}"
            )
        major = int(m.group(1))
        if not MIN_MAJOR <= major <= MAX_MAJOR:
            raise error(
                "version",
                f"cloud assembly schema version {version} is not supported: copyguard reads "
                f"majors {MIN_MAJOR} to {MAX_MAJOR}",
            )
        artifacts = doc.get("artifacts", {})
        if not isinstance(artifacts, dict):
            raise error("artifacts", "expected a mapping of artifact IDs to artifacts")
        self.artifacts += len(artifacts)
        if self.artifacts > MAX_ARTIFACTS:
            raise error("artifacts", f"too many artifacts; expected at most {MAX_ARTIFACTS} in all")
        for name, art in artifacts.items():
            at = f"artifacts.{name}"
            if not isinstance(art, dict) or not isinstance(art.get("type"), str):
                raise error(at, "expected an artifact with a type")
            props = art.get("properties", {})
            if not isinstance(props, dict):
                raise error(f"{at}.properties", "expected a mapping")
            if art["type"] == NESTED_ASSEMBLY:
                where = (manifest, f"{at}.properties.directoryName")
                sub = self.inside(root, props.get("directoryName"), where, "the nested assembly")
                sub_manifest = os.path.join(sub, MANIFEST)
                if not os.path.isfile(sub_manifest):
                    raise error(
                        f"{at}.properties.directoryName",
                        f"{sub} has no {MANIFEST}: expected the nested cloud assembly there",
                    )
                self.inside(root, os.path.relpath(sub_manifest, root), where, "its manifest")
                self.assembly(sub, sub_manifest, depth + 1)
            elif art["type"] == STACK:
                self.stack(root, manifest, name, art, error)

    def stack(self, root: str, manifest: str, name: str, art: dict[str, Any], error: Any) -> None:
        at = f"artifacts.{name}"
        props = art.get("properties") or {}
        template = self.inside(
            root,
            props.get("templateFile"),
            (manifest, f"{at}.properties.templateFile"),
            "the template",
        )
        if not os.path.isfile(template):
            raise error(f"{at}.properties.templateFile", f"{template} does not exist")
        account, region = self.environment(art.get("environment"), f"{at}.environment", error)
        params = props.get("parameters") or {}
        if not isinstance(params, dict) or not all(
            isinstance(v, (str, int, float, bool)) for v in params.values()
        ):
            raise error(f"{at}.properties.parameters", "expected a mapping of names to values")
        given = {str(k): str(v) for k, v in params.items()} | self.given
        paths = self.logical_ids(art.get("metadata"), f"{at}.metadata", error)
        env = art.get("environment") if isinstance(art.get("environment"), str) else ""
        self.template(root, template, name, str(env), account, region, given, paths, 0)

    def environment(self, env: Any, path: str, error: Any) -> tuple[str | None, str | None]:
        if env is None:
            return self.account, self.region
        m = _ENV.fullmatch(env) if isinstance(env, str) else None
        if m is None:
            raise error(path, f"expected aws://ACCOUNT/REGION, got {env!r}")
        account, region = m.group(1), m.group(2)
        if account == "unknown-account":
            account = self.account or ""
        elif ids.account_problem(account):
            raise error(path, f"{account!r}: expected a 12-digit account ID or unknown-account")
        if region == "unknown-region":
            region = self.region or ""
        elif not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}", region):
            raise error(path, f"{region!r}: expected a Region (us-east-1) or unknown-region")
        return account or None, region or None

    def logical_ids(self, metadata: Any, path: str, error: Any) -> dict[str, str]:
        """logical ID -> construct path, from the stack's ``aws:cdk:logicalId`` entries."""
        if metadata is None:
            return {}
        if not isinstance(metadata, dict):
            raise error(path, "expected a mapping of construct paths to metadata entries")
        out: dict[str, str] = {}
        for construct, entries in metadata.items():
            if not isinstance(entries, list):
                raise error(f"{path}.{construct}", "expected a list of metadata entries")
            for e in entries:
                if (
                    isinstance(e, dict)
                    and e.get("type") == "aws:cdk:logicalId"
                    and isinstance(e.get("data"), str)
                ):
                    out.setdefault(e["data"], str(construct).lstrip("/"))
        return out

    # ------------------------------------------------------------------ templates
    def template(
        self,
        root: str,
        file: str,
        stack: str,
        env: str,
        account: str | None,
        region: str | None,
        parameters: dict[str, str],
        paths: dict[str, str],
        depth: int,
    ) -> None:
        from copyguard.sources.cloudformation import read_cloudformation

        tpl, pos = self.read_json(file, "CloudFormation template")
        label = os.path.normpath(file)
        if not isinstance(tpl, dict) or not isinstance(tpl.get("Resources"), dict):
            raise ScenarioError(label, "Resources", "expected a template with Resources")
        resources: dict[str, Any] = tpl["Resources"]
        for logical, r in resources.items():
            meta = r.get("Metadata") if isinstance(r, dict) else None
            cpath = meta.get("aws:cdk:path") if isinstance(meta, dict) else None
            if isinstance(cpath, str):
                paths[logical] = cpath  # the template's own word wins over the manifest's
        if not (account and region) and any(
            isinstance(r, dict) and _PLACED.fullmatch(str(r.get("Type", "")))
            for r in resources.values()
        ):
            self.out.append(self.agnostic(label, stack, env, account, region))
            return
        read = read_cloudformation(
            tpl, label, pos, account=account, region=region, parameters=parameters
        )
        one = StackInput(
            read.label,
            read.doc,
            read.positions,
            read.addresses,
            read.unknown_reasons,
            stack=stack,
            environment=env,
            construct_paths=construct_paths(read.addresses, paths),
            logical_paths=dict(paths),
            reading=read,
        )
        self.out.append(one)
        self.nested(root, one, tpl, pos, account, region, paths, depth)

    def agnostic(
        self, label: str, stack: str, env: str, account: str | None, region: str | None
    ) -> StackInput:
        missing = " and ".join(
            f"--{o} {self.label}={v}"
            for o, v, have in (("account", "ACCOUNT_ID", account), ("region", "REGION", region))
            if not have
        )
        one = StackInput(label, {"version": 1}, stack=stack, environment=env)
        one.unknown_reasons["stacks"] = (
            f"{label}: the stack {stack}",
            f"it is environment-agnostic ({env or 'no environment'}), so its keys, vaults and "
            f"copies cannot be placed; give {missing}",
        )
        return one

    def nested(
        self,
        root: str,
        parent: StackInput,
        tpl: dict[str, Any],
        pos: dict[str, tuple[int, int]],
        account: str | None,
        region: str | None,
        paths: dict[str, str],
        depth: int,
    ) -> None:
        """The nested stacks of a template: read when their template is in the assembly."""
        for logical, r in tpl["Resources"].items():
            if not (isinstance(r, dict) and r.get("Type") == "AWS::CloudFormation::Stack"):
                continue
            at = f"Resources.{logical}"
            meta = r.get("Metadata")
            asset = meta.get("aws:asset:path") if isinstance(meta, dict) else None
            key = f"nested[{sum(1 for k in parent.unknown_reasons if k.startswith('nested['))}]"
            if not isinstance(asset, str) or not asset.endswith(".json"):
                parent.unknown_reasons[key] = (
                    f"{parent.label}: the nested stack {logical}",
                    "its template is not in the assembly (no Metadata aws:asset:path naming a "
                    "template file); give the nested template as another INPUT",
                )
                self._place(parent, key, logical, pos, at, paths)
                continue
            if depth + 1 > MAX_DEPTH:
                raise ScenarioError(
                    parent.label, at, f"nested stacks too deep; expected at most {MAX_DEPTH}"
                )
            file = self.inside(
                root, asset, (parent.label, f"{at}.Metadata.aws:asset:path"), "the nested template"
            )
            if not os.path.isfile(file):
                parent.unknown_reasons[key] = (
                    f"{parent.label}: the nested stack {logical}",
                    f"its template {asset} is not in the assembly",
                )
                self._place(parent, key, logical, pos, at, paths)
                continue
            # every nested stack read counts as an artifact: templates that nest the next one
            # many times each would otherwise be read exponentially often
            self.artifacts += 1
            if self.artifacts > MAX_ARTIFACTS:
                raise ScenarioError(
                    parent.label,
                    at,
                    f"too many artifacts and nested stacks; expected at most {MAX_ARTIFACTS} "
                    "in all",
                )
            params = self.nested_parameters(r, tpl, parent, account, region)
            name = paths.get(logical, f"{parent.stack}/{logical}")
            self.template(
                root, file, name, parent.environment, account, region, params, {}, depth + 1
            )

    def _place(
        self,
        one: StackInput,
        key: str,
        logical: str,
        pos: dict[str, tuple[int, int]],
        at: str,
        paths: dict[str, str],
    ) -> None:
        one.addresses[key] = logical
        if at in pos:
            one.positions[key] = pos[at]
        if logical in paths:
            one.construct_paths[key] = paths[logical]

    def nested_parameters(
        self,
        r: dict[str, Any],
        tpl: dict[str, Any],
        parent: StackInput,
        account: str | None,
        region: str | None,
    ) -> dict[str, str]:
        """The values a nested stack receives that are known before deploy: literals, the
        parent's parameters with a value, and the parent's keys (by their pending ARN)."""
        given = (r.get("Properties") or {}).get("Parameters") or {}
        if not isinstance(given, dict):
            return {}
        resources = tpl["Resources"]
        params = tpl.get("Parameters")
        declared: dict[str, Any] = params if isinstance(params, dict) else {}
        out: dict[str, str] = {}
        for name, v in given.items():
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                out[str(name)] = str(v)
                continue
            target = None
            if isinstance(v, dict) and len(v) == 1:
                if isinstance(v.get("Ref"), str):
                    target = v["Ref"]
                elif (
                    isinstance(v.get("Fn::GetAtt"), list)
                    and len(v["Fn::GetAtt"]) == 2
                    and v["Fn::GetAtt"][1] == "Arn"
                ):
                    target = v["Fn::GetAtt"][0]
            if not isinstance(target, str):
                continue  # left to the nested template: its Default, else unknown there
            res = resources.get(target)
            if isinstance(res, dict) and res.get("Type") == "AWS::KMS::Key" and account and region:
                part = (
                    "aws-cn"
                    if region.startswith("cn-")
                    else ("aws-us-gov" if region.startswith("us-gov-") else "aws")
                )
                out[str(name)] = pending_key_arn(part, region, account, target)
            elif target in declared and target in self.given:
                out[str(name)] = self.given[target]
            elif isinstance(declared.get(target), dict) and "Default" in declared[target]:
                d = declared[target]["Default"]
                if isinstance(d, (str, int, float)) and not isinstance(d, bool):
                    out[str(name)] = str(d)
        return out


def construct_paths(addresses: dict[str, str], logical_paths: dict[str, str]) -> dict[str, str]:
    """Document path -> construct path, through each path's logical ID."""
    return {p: logical_paths[lid] for p, lid in addresses.items() if lid in logical_paths}


def read_assembly(
    path: str,
    label: str,
    *,
    account: str | None = None,
    region: str | None = None,
    parameters: dict[str, str] | None = None,
) -> list[StackInput]:
    """Every stack of the assembly at ``path`` (its directory or its ``manifest.json``), in the
    manifest's order, nested assemblies and nested stacks included. ``account``/``region``:
    for environment-agnostic stacks; ``parameters`` override the manifest's."""
    root = assembly_dir(path)
    if root is None:
        raise ScenarioError(
            label, "", f"expected a CDK cloud assembly: a directory with {MANIFEST} (cdk.out)"
        )
    reader = _Assembly(label, account, region, parameters or {})
    reader.assembly(root, os.path.join(root, MANIFEST), 0)
    if not reader.out:
        raise ScenarioError(
            os.path.join(root, MANIFEST),
            "artifacts",
            f"no artifact of type {STACK}: expected at least one stack (run cdk synth)",
        )
    return reader.out
