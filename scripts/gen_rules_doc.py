"""Write docs/rules.md from the finding catalogue (src/copyguard/checks/docs/rules.yaml).

python scripts/gen_rules_doc.py          # rewrite docs/rules.md
python scripts/gen_rules_doc.py --check  # exit 1 if docs/rules.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from copyguard.report import rules_document

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    args = parser.parse_args(argv)
    wanted = rules_document()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else None
    if args.check:
        if current != wanted:
            print(f"{DOC} is out of date: run python scripts/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        DOC.write_text(wanted, encoding="utf-8", newline="\n")
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
