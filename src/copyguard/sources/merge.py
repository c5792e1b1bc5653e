"""Several inputs, one set-up: read each INPUT (Terraform JSON, a CloudFormation template, a CDK
cloud assembly or a scenario file), merge keys and vaults by ARN, and remember where every entry
came from (spec section 6).

Pure (no boto3). ``load_inputs`` raises ``ScenarioError`` for bad input (exit 2), including two
inputs that define the same key or vault differently, naming both places.
"""

from __future__ import annotations

import copy as _copy
from pathlib import Path
from typing import Any

from copyguard.policy.paths import locate
from copyguard.records import field, record
from copyguard.scenario.load import (
    ScenarioError,
    build_scenario,
    parse_scenario_text,
    read_input_text,
)
from copyguard.scenario.model import Scenario

INPUT_TYPES = ("scenario", "terraform", "cloudformation", "cdk")


@record
class Origin:
    """Where a merged entry came from: the input, its own field path, its positions."""

    file: str
    path: str
    positions: dict[str, tuple[int, int]]
    address: str | None = None
    addresses: dict[str, str] = field(default_factory=dict)
    construct_path: str | None = None  # CDK: the construct path of the entry's resource
    construct_paths: dict[str, str] = field(default_factory=dict)
    kind: str = "scenario"  # the reader: scenario, terraform, cloudformation or cdk
    #: Terraform: resource address -> (the .tf file, line) of its block beside the plan
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)


@record
class Loaded:
    scenario: Scenario
    origins: dict[str, Origin]  # merged entry path ("vaults[3]") -> where it came from
    labels: list[str]
    kinds: dict[str, str] = field(default_factory=dict)  # input label -> the kind read
    files: dict[str, list[str]] = field(default_factory=dict)  # input label -> files read
    #: CloudFormation conditions that cannot be decided before deploy: one merged set-up per
    #: assignment (the assignment, that set-up; this one first); empty when there are none
    variants: list[tuple[dict[str, bool], Loaded]] = field(default_factory=list)


def read_input(path: str) -> tuple[str, str]:
    """(label, text) of one INPUT (``-``: standard input), bounded like a scenario file."""
    return read_input_text(path, "input")


def detect(text: str) -> tuple[str, Any]:
    """``terraform``, ``cloudformation`` (with the parsed document), ``cdk`` (an assembly's
    ``manifest.json``; None) or ``scenario`` (None): by content."""
    if text.lstrip().startswith("{") and '"artifacts"' in text and '"version"' in text:
        import json

        from copyguard.sources.cdk import is_manifest

        try:
            if is_manifest(json.loads(text)):
                return "cdk", None
        except (ValueError, RecursionError):
            pass
    if text.lstrip().startswith("{") and '"format_version"' in text:
        from copyguard.sources.terraform import is_terraform, parse_json

        try:
            doc = parse_json(text, "")
        except ScenarioError:
            return "scenario", None
        if is_terraform(doc):
            return "terraform", doc
    if "AWSTemplateFormatVersion" in text or ("Resources" in text and "AWS::" in text):
        from copyguard.sources.cloudformation import is_cloudformation, parse_template

        try:
            tpl = parse_template(text, "")
        except ScenarioError:
            # a broken template is read again as one, to say why; anything else is a scenario
            kind = "cloudformation" if "AWSTemplateFormatVersion" in text else "scenario"
            return kind, None
        if is_cloudformation(tpl[0]):
            return "cloudformation", tpl
    return "scenario", None


def per_input(values: tuple[str, ...], option: str, labels: list[str]) -> dict[str, str]:
    """``--account [INPUT=]ID`` values: input label -> value ("" for every input)."""
    out: dict[str, str] = {}
    for v in values:
        name, eq, value = v.rpartition("=")
        if not eq:
            name, value = "", v
        if name and name not in labels:
            name = _same_file(name, labels) or name
        if name and name not in labels:
            listed = ", ".join(repr(label) for label in labels)
            raise ScenarioError(
                "command line",
                option,
                f"{v!r} names {name!r}, which is not one of the inputs ({listed})",
            )
        out[name] = value
    return out


def _same_file(name: str, labels: list[str]) -> str | None:
    """The input label that names the same file as ``name`` written another way
    (``./a.json`` for ``a.json``, an absolute path), or the only input of that file name."""
    import os

    def resolved(path: str) -> str:
        return os.path.realpath(path) if path != "-" else path

    target = resolved(name)
    same = [label for label in labels if resolved(label) == target]
    if len(same) == 1:
        return same[0]
    base = [label for label in labels if os.path.basename(label) == name]
    return base[0] if len(base) == 1 else None


def _keyed(doc: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    items = doc.get(section) or []
    return [(i, x) for i, x in enumerate(items) if isinstance(x, dict)]


def load_inputs(
    paths: tuple[str, ...],
    input_type: str | None = None,
    accounts: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    parameters: tuple[str, ...] = (),
) -> Loaded:
    from copyguard.policy import ids

    labels = ["<stdin>" if p == "-" else p for p in paths]
    acct = per_input(accounts, "--account", labels)
    reg = per_input(regions, "--region", labels)
    for v in acct.values():
        bad = ids.account_problem(v)
        if bad:
            raise ScenarioError(None, "--account", f"expected a 12-digit AWS account ID: {bad}")
    params: dict[str, dict[str, str]] = {}
    for name, file in per_input(parameters, "--parameters", labels).items():
        from copyguard.sources.cloudformation import read_parameters

        plabel, ptext = read_input_text(file, "parameters")
        params[name] = read_parameters(ptext, plabel)
    docs: list[tuple[str, dict[str, Any], Origin, dict[str, tuple[str, str]]]] = []
    kinds: dict[str, str] = {}
    files: dict[str, list[str]] = {}
    reads: dict[int, Any] = {}  # CloudFormation readings by their index in docs
    cdk_paths: dict[int, dict[str, str]] = {}  # CDK stacks among them: logical ID -> path
    for path in paths:
        label = "<stdin>" if path == "-" else path
        if input_type in (None, "cdk") and _is_directory(path):
            kind, doc, text = "cdk", None, ""
        elif input_type == "cdk" and path == "-":
            raise ScenarioError(
                label, "", "a CDK cloud assembly is a directory: give its path (cdk.out)"
            )
        else:
            if _is_directory(path):
                raise ScenarioError(
                    label,
                    "",
                    f"a directory is read only as a CDK cloud assembly, not as {input_type}",
                )
            label, text = read_input(path)
            kind, doc = detect(text) if input_type is None else (input_type, None)
        kinds[label] = kind
        files[label] = [label]
        if kind == "cdk":
            from copyguard.sources.cdk import assembly_dir, read_assembly

            if assembly_dir(path) is None:
                raise ScenarioError(
                    label,
                    "",
                    "expected a CDK cloud assembly: a directory holding manifest.json (cdk.out), "
                    "or that manifest.json itself",
                )
            stacks = read_assembly(
                path,
                label,
                account=acct.get(label) or acct.get(""),
                region=reg.get(label) or reg.get(""),
                parameters=params.get(label) or params.get("") or {},
            )
            files[label] = [s.label for s in stacks]
            for st in stacks:
                origin = Origin(
                    st.label,
                    "",
                    st.positions,
                    addresses=st.addresses,
                    construct_paths=st.construct_paths,
                    kind="cdk",
                )
                if st.reading is not None:  # imports between stacks, conditions both ways
                    reads[len(docs)] = st.reading
                    cdk_paths[len(docs)] = st.logical_paths
                docs.append((st.label, st.doc, origin, st.unknown_reasons))
        elif kind == "cloudformation":
            from copyguard.sources.cloudformation import (
                is_cloudformation,
                parse_template,
                read_cloudformation,
            )

            tpl, positions = doc if doc is not None else parse_template(text, label)
            if not is_cloudformation(tpl):
                raise ScenarioError(
                    label,
                    "",
                    "expected a CloudFormation template (AWSTemplateFormatVersion, or "
                    "Resources whose entries have Type: AWS::...)",
                )
            cfn = read_cloudformation(
                tpl,
                label,
                positions,
                account=acct.get(label) or acct.get(""),
                region=reg.get(label) or reg.get(""),
                parameters=params.get(label) or params.get("") or {},
            )
            origin = Origin(label, "", cfn.positions, addresses=cfn.addresses, kind=kind)
            reads[len(docs)] = cfn
            docs.append((label, cfn.doc, origin, cfn.unknown_reasons))
        elif kind == "terraform":
            from copyguard.sources.terraform import is_terraform, parse_json, read_terraform

            doc = doc if doc is not None else parse_json(text, label)
            if not is_terraform(doc):
                raise ScenarioError(
                    label,
                    "",
                    "expected terraform show -json output (format_version with planned_values, "
                    "resource_changes, prior_state or values)",
                )
            tf = read_terraform(
                doc,
                label,
                text,
                account=acct.get(label) or acct.get(""),
                region=reg.get(label) or reg.get(""),
            )
            origin = Origin(
                label, "", tf.positions, addresses=tf.addresses, kind=kind, lines=tf.source_lines
            )
            docs.append((label, tf.doc, origin, tf.unknown_reasons))
        else:
            base = Path.cwd() if path == "-" else Path(path).parent
            sc = parse_scenario_text(text, label, base)  # validates; errors name the file
            doc = _absolute_files(_copy.deepcopy(sc.raw), base)
            docs.append((label, doc, Origin(label, "", sc.positions), {}))
            if len(paths) == 1:  # one scenario file (standard input): exactly as it reads
                return Loaded(sc, {}, labels, kinds, files)
    if reads:  # CloudFormation: other inputs' exports; undecidable conditions both ways
        from copyguard.sources.cfn_variants import link_and_expand

        def merge(d: list[Any]) -> Loaded:
            return _merged(_as_cdk(d, cdk_paths), labels, kinds, files)

        expanded = link_and_expand(docs, reads, merge)
        if expanded is not None:
            return expanded  # type: ignore[no-any-return]
    return _merged(_as_cdk(docs, cdk_paths), labels, kinds, files)


def _as_cdk(docs: list[Any], cdk_paths: dict[int, dict[str, str]]) -> list[Any]:
    """The CDK stacks among ``docs`` read again as templates (an import resolved, a condition
    assumed) keep their construct paths and their kind."""
    from copyguard.sources.cdk import construct_paths

    out = list(docs)
    for i, logical in cdk_paths.items():
        label, doc, origin, why = out[i]
        if origin.kind != "cdk":
            cdk = Origin(
                origin.file,
                origin.path,
                origin.positions,
                addresses=origin.addresses,
                construct_paths=construct_paths(origin.addresses, logical),
                kind="cdk",
            )
            out[i] = (label, doc, cdk, why)
    return out


def _merged(
    docs: list[tuple[str, dict[str, Any], Origin, dict[str, tuple[str, str]]]],
    labels: list[str],
    kinds: dict[str, str],
    files: dict[str, list[str]],
) -> Loaded:
    """One set-up of the inputs read: keys and vaults joined by ARN, copies named uniquely."""
    merged: dict[str, Any] = {"version": 1}
    origins: dict[str, Origin] = {}
    reasons: dict[str, tuple[str, str]] = {}
    arn_at: dict[str, dict[Any, int]] = {"keys": {}, "vaults": {}}  # ARN -> merged index
    stems: dict[str, int] = {}  # reasons about no entry, counted per stem
    below = _Below()
    for label, doc, origin, why in docs:
        moved: dict[str, str] = {}  # the input's entry path -> the merged entry path
        org = doc.get("organization")
        if isinstance(org, dict):
            into = merged.setdefault("organization", {})
            for k, v in org.items():
                if k in into and into[k] != v:
                    raise ScenarioError(
                        label,
                        f"organization.{k}",
                        f"{v!r} conflicts with {into[k]!r} in {origins['organization'].file}",
                    )
                into[k] = v
            origins.setdefault(
                "organization", Origin(label, "organization", origin.positions, kind=origin.kind)
            )
        elif "organization" in doc and "organization" not in merged:
            merged["organization"] = None
        for section in ("keys", "vaults"):
            out = merged.setdefault(section, [])
            for i, entry in _keyed(doc, section):
                own = f"{section}[{i}]"
                arn = entry.get("arn")
                hashable = isinstance(arn, (str, type(None)))
                at = arn_at[section].get(arn) if hashable else None
                if at is None:
                    moved[own] = f"{section}[{len(out)}]"
                    if hashable and arn not in arn_at[section]:
                        arn_at[section][arn] = len(out)
                    out.append(dict(entry))
                    origins[moved[own]] = _origin(origin, own, below)
                    continue
                other = origins[f"{section}[{at}]"]
                for k, v in entry.items():
                    if k in out[at] and out[at][k] != v:
                        raise ScenarioError(
                            label,
                            f"{own}.{k}",
                            f"{entry.get('arn')} is defined differently in "
                            f"{other.file} ({other.address or other.path}) and here "
                            f"({origin.addresses.get(own, own)}): {k} differs",
                        )
                    out[at].setdefault(k, v)
                moved[own] = f"{section}[{at}]"
        out = merged.setdefault("copies", [])
        names = {c.get("name") for c in out}
        for i, entry in _keyed(doc, "copies"):
            own = f"copies[{i}]"
            e = dict(entry)
            name = e.get("name") or f"copy-{i + 1}"
            if name in names:
                name = f"{label}:{name}"
            e["name"] = name
            names.add(name)
            moved[own] = f"copies[{len(out)}]"
            out.append(e)
            origins[moved[own]] = _origin(origin, own, below)
        for p, (what, why_) in why.items():
            head, dot, rest = p.partition(".")
            if head not in moved and head not in ("copies", "organization"):
                # a reason about no entry (a stack, a nested stack): its own place in the merge
                stem = head.partition("[")[0]
                moved[head] = f"{stem}[{stems.get(stem, 0)}]"
                stems[stem] = stems.get(stem, 0) + 1
                origins[moved[head]] = _origin(origin, head, below)
            target = moved.get(head, head)
            reasons[f"{target}{dot}{rest}"] = (what, why_)
    if merged.get("copies"):  # an input without copies (the destination's plan) is fine
        reasons = {p: r for p, r in reasons.items() if p != "copies"}
    vaults = {v.get("arn") for v in merged.get("vaults") or [] if isinstance(v, dict)}
    for i, c in enumerate(merged.get("copies") or []):
        dest = c.get("destination_vault") if isinstance(c, dict) else None
        if (
            isinstance(dest, str)
            and dest not in vaults
            and f"copies[{i}].destination_vault" not in reasons
        ):
            owner = dest.split(":")[4] if dest.count(":") >= 5 else "?"
            reasons[f"copies[{i}].destination_vault"] = (
                f"the destination vault {dest}",
                f"no input describes it; add the plan of account {owner} that creates it "
                "(terraform show -json) or a scenario file listing it under vaults[]",
            )
    for section in ("keys", "vaults"):
        if not merged.get(section):
            merged.pop(section, None)
    try:
        scenario = build_scenario(merged, None, {}, None, pending_keys=True)
    except ScenarioError as exc:
        raise _relocated(exc, origins) from None
    scenario.unknown_reasons.update(reasons)
    scenario.source = " + ".join(labels)
    return Loaded(scenario, origins, labels, kinds, files)


def _is_directory(path: str) -> bool:
    import os

    return path != "-" and os.path.isdir(path)


class _Below:
    """The entries of a path table at or below a path (``keys[0]`` holds ``keys[0]``,
    ``keys[0].policy``, ``keys[0][1]``, not ``keys[01]``), from an index built once per table,
    so merging N entries costs N, not N times the table."""

    def __init__(self) -> None:
        self._index: dict[int, tuple[dict[str, str], dict[str, list[str]]]] = {}

    def __call__(self, table: dict[str, str], own: str) -> dict[str, str]:
        held = self._index.get(id(table))
        if held is None or held[0] is not table:
            index: dict[str, list[str]] = {}
            for k in table:
                index.setdefault(k, []).append(k)
                for i, ch in enumerate(k):
                    if ch in ".[" and i:
                        index.setdefault(k[:i], []).append(k)
            held = (table, index)
            self._index[id(table)] = held
        return {k[len(own) :]: table[k] for k in held[1].get(own, ())}


def _origin(origin: Origin, own: str, below: _Below | None = None) -> Origin:
    below = below or _Below()
    return Origin(
        origin.file,
        own,
        origin.positions,
        origin.addresses.get(own),
        below(origin.addresses, own),
        origin.construct_paths.get(own),
        below(origin.construct_paths, own),
        origin.kind,
        origin.lines,
    )


def _absolute_files(doc: Any, base: Path) -> Any:
    """A scenario's ``policy_file`` fields, relative to its own directory, made absolute."""
    for section in ("keys", "vaults"):
        for entry in (doc or {}).get(section) or []:
            if isinstance(entry, dict):
                for k in ("policy_file", "access_policy_file"):
                    if isinstance(entry.get(k), str) and not Path(entry[k]).is_absolute():
                        entry[k] = str(base / entry[k])
    return doc


def where(origins: dict[str, Origin], path: str) -> tuple[Origin, str] | None:
    """The origin of a merged field path and the path inside that input."""
    head, dot, rest = path.partition(".")
    origin = origins.get(head)
    if origin is None:
        return None
    return origin, f"{origin.path}{dot}{rest}"


def _relocated(exc: ScenarioError, origins: dict[str, Origin]) -> ScenarioError:
    found = where(origins, exc.path)
    if found is None:
        return exc
    origin, own = found
    message = str(exc).split(": ", 2)[-1]
    pos = locate(origin.positions, own)
    return ScenarioError(origin.file, own, message, *(pos or (None, None)))


def locate_findings(report: Any, loaded: Loaded) -> None:
    """Each finding's input file, line and resource address (Terraform), from its field path."""
    for f in report.findings:
        if not f.path:
            continue
        found = where(loaded.origins, f.path)
        if found is None:
            continue
        origin, own = found
        f.file = origin.file
        pos = locate(origin.positions, own)
        f.line, f.column = pos if pos else (None, None)
        sub = f.path[len(f.path.partition(".")[0]) :]
        address = origin.addresses.get(sub) or origin.address
        if address:
            f.evidence["input"] = origin.file
            f.evidence["address"] = address
            if address in origin.lines:  # the resource's block in the .tf files beside the plan
                f.file, f.line = origin.lines[address]
                f.column = 1
        construct = (
            origin.construct_paths.get(sub) if sub in origin.addresses else origin.construct_path
        )
        if address and construct:
            f.evidence["construct_path"] = construct
