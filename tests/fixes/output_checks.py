"""Checks that printed fixes are safe for their target, by running the real tools: bash
(with a fake ``aws`` that records its argv), GNU patch, terraform (offline: ``fmt`` and
``console`` on locals, no provider, no init, no checkpoint call), PyYAML."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

#: values that run something if a renderer forgets to quote them
HOSTILE = (
    "ID$(touch PWNED1)",
    "`touch PWNED2`",
    "x'; touch PWNED3; echo '",
    'q"; touch PWNED4; echo "',
    "nl\ntouch PWNED5\n",
    "cr\rtouch PWNED6",
    "esc\x1b]0;title\x07\x1b[2J",
    "bidi\u202etxt.exe\u2066x\u2069",
    'tf ${file("/etc/passwd")} %{ if true }x%{ endif } $${y}',
    "back\\slash \\n \\\\",
    "semi; touch PWNED7 & touch PWNED8 | cat",
    "glob * ? [a] ~ !!",
)

FAKE_AWS = """#!{python}
import json, os, sys
with open(os.environ["AWS_ARGV_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def run_shell(script: str, tmp: Path) -> list[list[str]]:
    """``bash -n`` then ``bash`` on ``script``, with a fake ``aws`` first on PATH (so nothing
    reaches AWS); returns the argv of every ``aws`` call. Fails if anything else ran
    (a ``PWNED*`` file appeared)."""
    tmp.mkdir(parents=True, exist_ok=True)
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    aws = bindir / "aws"
    aws.write_text(FAKE_AWS.format(python=sys.executable), encoding="utf-8")
    aws.chmod(0o755)
    path = tmp / "fix.sh"
    path.write_bytes(script.encode("utf-8"))
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    log = tmp / "argv.jsonl"
    env = {
        "PATH": f"{bindir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "AWS_ARGV_LOG": str(log),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    syntax = subprocess.run(
        ["bash", "-n", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert syntax.returncode == 0, syntax.stderr
    proc = subprocess.run(
        ["bash", str(path)], cwd=work, capture_output=True, text=True, env=env, timeout=60
    )
    pwned = sorted(p.name for p in tmp.rglob("PWNED*"))
    assert not pwned, f"the printed commands ran {pwned}"
    assert proc.returncode == 0, proc.stderr
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


_UNESCAPED_TEMPLATE = re.compile(r"(?<![$])\$\{|(?<![%])%\{")


def assert_no_terraform_template(hcl: str) -> None:
    """Lexically: outside ``#`` comment lines (which HCL never evaluates), every ``${`` /
    ``%{`` is the escaped literal form (``$${`` / ``%%{``)."""
    for line in hcl.splitlines():
        if line.startswith("#"):
            continue
        m = _UNESCAPED_TEMPLATE.search(line)
        assert m is None, f"an unescaped template sequence: {line!r}"


_RESOURCE = re.compile(r'(?m)^resource "(aws_[a-z_]+)" "([A-Za-z0-9_]+)" \{$')


def terraform_env(tmp: Path) -> dict[str, str]:
    cfg = tmp / "terraformrc"
    cfg.write_text("", encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "CHECKPOINT_DISABLE": "1",  # no version check over the network
        "TF_CLI_CONFIG_FILE": str(cfg),
        "TF_IN_AUTOMATION": "1",
    }


def terraform_values(hcl: str, tmp: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every resource block of ``hcl`` evaluated by terraform itself: ``terraform fmt``
    parses the whole text; each block's attributes become locals that ``terraform console``
    evaluates (no provider needed). Returns (resource type, attributes) per block. Without
    terraform installed it returns [] after the lexical check only."""
    assert_no_terraform_template(hcl)
    exe = shutil.which("terraform") or shutil.which("tofu")
    if exe is None:
        return []
    tmp.mkdir(parents=True, exist_ok=True)
    env = terraform_env(tmp)
    whole = tmp / "whole"
    whole.mkdir(exist_ok=True)
    (whole / "main.tf").write_text(hcl, encoding="utf-8")
    fmt = subprocess.run(
        [exe, "fmt", "-check", "-diff", "main.tf"],
        cwd=whole,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode in (0, 3), fmt.stderr  # 3: parses, but would be re-formatted
    out = []
    starts = [m.start() for m in _RESOURCE.finditer(hcl)]
    for i, start in enumerate(starts):
        block = hcl[start : starts[i + 1] if i + 1 < len(starts) else len(hcl)]
        m = _RESOURCE.match(block)
        assert m
        names = re.findall(r"(?m)^  ([a-z_]+) *= ", block)
        d = tmp / f"block{i}"
        d.mkdir(exist_ok=True)
        (d / "main.tf").write_text("locals {" + block[m.end() :], encoding="utf-8")
        expr = "base64encode(jsonencode({" + ", ".join(f"{n} = local.{n}" for n in names) + "}))"
        proc = subprocess.run(
            [exe, "console"],
            cwd=d,
            env=env,
            input=expr + "\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        encoded = proc.stdout.strip().splitlines()[-1].strip().strip('"')
        out.append((m.group(1), json.loads(base64.b64decode(encoded).decode("utf-8"))))
    return out


def run_patch(cwd: Path, diff: str, *args: str) -> subprocess.CompletedProcess[str]:
    """GNU patch, in ``cwd``, reading ``diff`` (``-p0``, or ``FILE`` in ``args``)."""
    exe = shutil.which("patch")
    assert exe, "GNU patch is needed (apt-get install patch)"
    return subprocess.run(
        [exe, "--batch", "--forward", *args],
        input=diff,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )
