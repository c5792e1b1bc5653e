"""Run ``python -m copyguard`` the way a user does, and compare with golden files."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SCENARIOS = REPO / "tests" / "data" / "scenarios"
GOLDEN = REPO / "tests" / "golden"
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
EXIT = {"pass": 0, "fail": 1, "unknown": 3}
SRC, DST = "111122223333", "444455556666"
QUICK = ["--source-account", SRC, "--destination-account", DST]


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def __str__(self) -> str:
        return f"copyguard {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


# Bytecode for the many short CLI runs, kept out of the source tree (the runs are about twice
# as fast with it, even where PYTHONDONTWRITEBYTECODE is set).
PYCACHE = (
    Path(tempfile.gettempdir())
    / f"copyguard-test-pyc-{os.getuid() if hasattr(os, 'getuid') else 0}"
)


def env(lang: str = "en") -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "COPYGUARD_"))}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out.update(
        {
            "LANG": "C.UTF-8",
            "COPYGUARD_LANG": lang,
            "NO_COLOR": "1",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONPYCACHEPREFIX": str(PYCACHE),
        }
    )
    src = str(REPO / "src")
    out["PYTHONPATH"] = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return out


#: ``copyguard ARGS`` through the console entry point, ``main({argv})``: ``main()`` runs them as
#: the process's own command line, ``main(ARGS)`` as a caller in its own process would. Writes
#: TEARDOWN to standard error if the interpreter's clean-up runs (``__del__`` of an object the
#: main module holds), ATEXIT when the atexit functions do
TEARDOWN_WRAPPER = """
import atexit, os, sys
class Teardown:
    def __del__(self):
        os.write(2, b"TEARDOWN\\n")
keep = Teardown()
atexit.register(lambda: os.write(2, b"ATEXIT\\n"))
sys.argv = ["copyguard", *{args!r}]
from copyguard.cli.quick import main
main({argv})
"""


#: sys.argv as the console script sets it; at exit, which path answered (click imported or not)
ENTRY_WRAPPER = """
import atexit, os, sys
def _report():
    with open(os.environ["CG_PATH_PROBE"], "w") as fh:
        fh.write("click" if "click" in sys.modules else "quick")
atexit.register(_report)
sys.argv = ["copyguard", *{args!r}]
from copyguard.cli.quick import main
main()
"""


def run_entry_point(
    args: list[str], probe_dir: Path, environ: dict[str, str], *, click: bool, stdin: bytes = b""
) -> tuple[int, bytes, bytes, str]:
    """``copyguard ARGS`` through the console entry point, as a whole process: the quick path
    where it applies, or the click command group with ``click=True``
    (``COPYGUARD_QUICK_PATH=0``). Returns the exit code, standard output, standard error and
    which path answered (``quick`` or ``click``)."""
    probe = probe_dir / ("probe-click" if click else "probe-quick")
    probe.unlink(missing_ok=True)
    environ = dict(environ, CG_PATH_PROBE=str(probe))
    if click:
        environ["COPYGUARD_QUICK_PATH"] = "0"
    else:
        environ.pop("COPYGUARD_QUICK_PATH", None)
    done = subprocess.run(
        [sys.executable, "-c", ENTRY_WRAPPER.format(args=args)],
        input=stdin,
        capture_output=True,
        cwd=REPO,
        env=environ,
        check=False,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr, probe.read_text()


def run(*args: str, stdin: str | None = None, cwd: Path = REPO, lang: str = "en") -> Result:
    proc = subprocess.run(
        [sys.executable, "-m", "copyguard", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env(lang),
        check=False,
        timeout=120,
    )
    return Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)


def rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def expected_header(path: Path) -> tuple[str, set[str]]:
    """The ``# Expected: VERDICT; codes: A, B`` line every scenario file starts with."""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*Expected:\s*(\w+)\s*;\s*codes:\s*(.*)$", line)
        if m:
            codes = m.group(2).strip()
            return m.group(1), set() if codes == "(none)" else {c.strip() for c in codes.split(",")}
    raise AssertionError(f"{path}: no '# Expected: VERDICT; codes: ...' header")


def golden_name(path: Path) -> str:
    return f"{path.parent.name}__{path.stem}"


def compare_golden(name: str, actual: str, update: bool) -> None:
    target = GOLDEN / name
    if update:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(actual, encoding="utf-8")
        return
    assert target.exists(), (
        f"{target} is missing: run pytest tests/cli --update-golden and review it"
    )
    expected = target.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{rel(target)} differs from the current output; if the change is intended, regenerate with "
        "pytest tests/cli --update-golden (or COPYGUARD_UPDATE_GOLDEN=1) and review the diff"
    )


#: every output format of check: each IaC example has a golden in each
FORMATS = ("text", "json", "sarif", "markdown", "html")


def iac_golden(name: str, actual: str) -> None:
    """The IaC goldens under tests/golden/iac/ (``COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest
    tests/iac`` rewrites them; review the diff)."""
    target = GOLDEN / "iac" / name
    if os.environ.get("COPYGUARD_UPDATE_IAC_GOLDEN", "") not in ("", "0"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(actual, encoding="utf-8")
    if not target.exists():
        pytest.fail(f"{target} is missing: run COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest tests/iac")
    assert actual == target.read_text(encoding="utf-8"), (
        f"{rel(target)} differs; regenerate with COPYGUARD_UPDATE_IAC_GOLDEN=1 pytest tests/iac"
    )


def assert_clean(text: str) -> None:
    """Deterministic output: no absolute paths of this checkout, no timestamps."""
    assert str(REPO) not in text, "an absolute path leaked into the output"
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text), (
        "a timestamp leaked into the output"
    )
    assert "Traceback" not in text


def invoke(*args: str, lang: str = "en", cwd: Path = REPO) -> Result:
    """The same command in this process (click's test runner): for the many format variants,
    where a subprocess each would make the suite slow. Exit codes follow ``cli.main.main``."""
    import click
    from click.testing import CliRunner

    from copyguard.cli.common import EXIT_INPUT, InputError
    from copyguard.cli.main import cli

    runner = CliRunner()
    with contextlib.chdir(cwd):
        result = runner.invoke(
            cli, list(args), standalone_mode=False, env={"COPYGUARD_LANG": lang, "NO_COLOR": "1"}
        )
    err = result.stderr if hasattr(result, "stderr") else ""
    if isinstance(result.exception, InputError):
        code = EXIT_INPUT
        err += f"copyguard: error: {result.exception}\n"  # what cli.main.main prints
    elif isinstance(result.exception, click.ClickException):  # usage errors
        code = EXIT_INPUT
        err += f"Error: {result.exception.format_message()}\n"
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    else:
        code = result.return_value if isinstance(result.return_value, int) else 0
    return Result(tuple(args), code, result.stdout, err)
