"""Compile the packaged YAML data files to JSON twins (fast start-up), or check them.

Every ``src/copyguard/knowledge/data/*.yaml`` and ``src/copyguard/checks/docs/rules.yaml``
gets a ``NAME.compiled.json`` next to it: ``{"yaml_sha256": ..., "data": ...}``. copyguard
reads a twin only when its digest is that of the YAML text it ships with (otherwise it
parses the YAML, which is about 40 times slower), so a stale twin is never wrong, only slow.

    python scripts/compile_data.py           # (re)write every twin
    python scripts/compile_data.py --check   # exit 1 if a twin is missing or stale

A twin is written only when the JSON holds exactly the YAML document (JSON types only: no
dates, no non-string keys); otherwise the script stops with an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
sys.path.insert(0, str(SRC))

from copyguard.knowledge._loader import twin_name, yaml_digest  # noqa: E402


def yaml_files() -> list[Path]:
    data = sorted((SRC / "copyguard" / "knowledge" / "data").glob("*.yaml"))
    return [*data, SRC / "copyguard" / "checks" / "docs" / "rules.yaml"]


def compiled(path: Path) -> str:
    """The twin's text for one YAML file."""
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if yaml.safe_load(text) != data:
        raise SystemExit(f"{path}: libyaml and PyYAML read it differently; not compiled")
    body = {"yaml_sha256": yaml_digest(text), "data": data}
    out = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    if json.loads(out)["data"] != data:
        raise SystemExit(f"{path}: holds values JSON cannot carry exactly; not compiled")
    return out + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = []
    for path in yaml_files():
        twin = path.with_name(twin_name(path.name))
        text = compiled(path)
        current = twin.read_text(encoding="utf-8") if twin.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(twin)
        else:
            twin.write_text(text, encoding="utf-8")
            print(f"wrote {twin.relative_to(REPO)}")
    for twin in stale:
        print(f"stale or missing: {twin.relative_to(REPO)} (run python scripts/compile_data.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
