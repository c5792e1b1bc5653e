"""``copyguard rules`` through the real command line, with its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from copyguard.checks.rules import all_rules, rule


def run(*args: str, lang_env: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COPYGUARD_LANG": lang_env, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "copyguard", "rules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )


def test_catalogue() -> None:
    p = run()
    assert p.returncode == 0, p.stderr
    for r in all_rules():
        assert r.code in p.stdout and r.title.en in p.stdout
    assert "Traceback" not in p.stderr


def test_one_rule_in_chinese() -> None:
    p = run("CG101", "--lang", "zh")
    assert p.returncode == 0, p.stderr
    cg101 = rule("CG101")
    assert cg101 is not None
    assert p.stdout.startswith("CG101  源密钥的密钥策略未允许目标账户")
    for heading in ("检查内容", "为何重要", "出错示例", "修正示例", "修复安全性", "参考资料"):
        assert heading in p.stdout
    assert "无法访问给定的密钥 ID" in p.stdout
    assert cg101.title.en not in p.stdout


def test_language_defaults_from_the_environment() -> None:
    p = run("cg106", lang_env="zh_CN.UTF-8")
    assert p.returncode == 0, p.stderr
    assert "AWSBackupServiceLinkedRolePolicyForBackup" in p.stdout
    assert "检查内容" in p.stdout


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_formats(fmt: str) -> None:
    p = run("CG902", "--format", fmt)
    assert p.returncode == 0, p.stderr
    if fmt == "json":
        doc = json.loads(p.stdout)
        assert doc["code"] == "CG902" and doc["severity"] == "warning"
    else:
        assert p.stdout.startswith("# ")
    index = json.loads(run("--format", "json").stdout)
    assert len(index["rules"]) == len(all_rules())


def test_unknown_code_exits_2_listing_valid_codes() -> None:
    p = run("CG100")
    assert p.returncode == 2
    assert p.stdout == ""
    assert "unknown finding code 'CG100'" in p.stderr
    for r in all_rules():
        assert r.code in p.stderr
    assert "Traceback" not in p.stderr
    zh = run("CG100", "--lang", "zh")
    assert zh.returncode == 2 and "未知的发现代码" in zh.stderr


@pytest.mark.parametrize("args", [("--format", "sarif"), ("--lang", "fr"), ("--bogus",)])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    p = run(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
