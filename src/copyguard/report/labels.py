"""Every fixed string the renderers print, in English and Simplified Chinese."""

from __future__ import annotations

from copyguard.checks.model import Text, tr

LABELS: dict[str, Text] = {
    # verdict line
    "verdict": tr("Verdict", "结论"),
    "verdict.pass": tr("PASS", "PASS（通过）"),
    "verdict.fail": tr("FAIL", "FAIL（失败）"),
    "verdict.unknown": tr("UNKNOWN", "UNKNOWN（无法确定）"),
    "counts": tr(
        "{errors}, {warnings}, {notes}", "{errors} 个错误，{warnings} 个警告，{notes} 个提示"
    ),
    "copies_checked": tr("{n} checked", "已检查 {n} 条复制路径"),
    "source": tr("Input", "输入"),
    "verdict.pass.hint": tr(
        "Every check that ran passed.",
        "所有已运行的检查均已通过。",
    ),
    "verdict.fail.hint": tr(
        "At least one copy will fail; see the errors below.",
        "至少有一个复制会失败；请查看下面的错误。",
    ),
    "verdict.unknown.hint": tr(
        "No error was found, but something the verdict needs is unknown (CG902).",
        "未发现错误，但判定所需的部分信息未知（CG902）。",
    ),
    # severities and decisions
    "severity.error": tr("error", "错误"),
    "severity.warning": tr("warning", "警告"),
    "severity.note": tr("note", "提示"),
    "decision.allowed": tr("allowed", "允许"),
    "decision.implicit_deny": tr("implicit deny", "隐式拒绝"),
    "decision.explicit_deny": tr("explicit deny", "显式拒绝"),
    "applicability.safe": tr("safe", "安全"),
    "applicability.unsafe": tr("unsafe", "不安全"),
    "applicability.display-only": tr("display-only", "仅展示"),
    # sections of a report
    "copy": tr("Copy", "复制"),
    "copy.none": tr("Not tied to one copy", "不属于某一具体复制"),
    "copy.ok": tr("no findings", "无发现"),
    "findings.none": tr("No findings.", "没有发现任何问题。"),
    "location": tr("Location", "位置"),
    "path": tr("Field", "字段"),
    "resource": tr("Resource", "资源"),
    "action": tr("Action", "操作"),
    "decision": tr("Decision", "判定"),
    "statements": tr("Statements involved", "相关语句"),
    "evidence": tr("Evidence", "证据"),
    "notes": tr("Notes and assumptions", "说明与假设"),
    "steps": tr("Next steps", "后续步骤"),
    "fix.ref": tr(
        "Fix: {kind} ({applicability}), shown under Fixes below.",
        "修复：{kind}（{applicability}），见下文“修复”部分。",
    ),
    "not_run": tr("Checks not run", "未运行的检查"),
    "not_run.hint": tr(
        "These checks need data this run did not have; the verdict does not cover them.",
        "这些检查所需的数据本次运行中没有提供；结论不涵盖它们。",
    ),
    "assumptions": tr("Assumptions", "假设"),
    "fixes": tr("Fixes", "修复"),
    "fix.resolves": tr("Resolves", "解决"),
    "fix.principal": tr("Principal", "主体"),
    "fix.diff": tr("Change (unified diff)", "变更（统一 diff 格式）"),
    "fix.commands": tr("Commands", "命令"),
    "fix.steps": tr("Steps", "步骤"),
    "fix.apply.policy": tr(
        "How to apply: {command} prints the AWS CLI command "
        "(or use --as terraform / --as cloudformation).",
        "应用方法：{command} 会输出对应的 AWS CLI 命令（也可使用 --as terraform / --as cloudformation）。",
    ),
    "fix.apply.live": tr(
        "How to apply: {apply} writes it to the key (it saves the current policy first and "
        "asks before writing); {command} prints the AWS CLI command instead.",
        "应用方法：{apply} 会将其写入密钥（先保存当前策略，写入前会确认）；"
        "{command} 则只输出对应的 AWS CLI 命令。",
    ),
    "fix.apply.default": tr(
        "copyguard fix <same input as this check> --as cli",
        "copyguard fix <与本次检查相同的输入> --as cli",
    ),
    "fix.unsafe": tr(
        "Unsafe: review it; copyguard applies it only on explicit opt-in.",
        "不安全：请先审查；copyguard 只有在明确选择后才会应用它。",
    ),
    "fix.display-only": tr(
        "Display-only: copyguard shows these steps but never runs them.",
        "仅展示：copyguard 只展示这些步骤，绝不会自行执行。",
    ),
    # rule documentation
    "rule.what": tr("What it checks", "检查内容"),
    "rule.why": tr("Why it matters", "为何重要"),
    "rule.failing_example": tr("Failing example", "出错示例"),
    "rule.fixed_example": tr("Fixed example", "修正示例"),
    "rule.fix_safety": tr("Fix safety", "修复安全性"),
    "rule.references": tr("References", "参考资料"),
    "rule.references.none": tr("(none)", "（无）"),
    "rule.severity": tr("Default severity", "默认严重级别"),
    "rule.name": tr("Name", "名称"),
    "rules.index": tr("copyguard finding codes", "copyguard 发现代码"),
    "rules.code": tr("Code", "代码"),
    "rules.severity": tr("Severity", "严重级别"),
    "rules.title": tr("Title", "标题"),
    "rules.more": tr(
        "Run `copyguard rules CODE` for one code's documentation.",
        "运行 `copyguard rules CODE` 查看某个代码的完整文档。",
    ),
}


def label(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``{name}`` placeholders filled from ``values``."""
    text = LABELS[key].get(lang)
    return text.format(**values) if values else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def count_text(counts: dict[str, int], lang: str) -> str:
    """ "2 errors, 1 warning, 0 notes" / "2 个错误，1 个警告，0 个提示"."""
    if lang == "zh":
        return label("counts", lang, **counts)
    return label(
        "counts",
        lang,
        errors=_plural(counts["errors"], "error"),
        warnings=_plural(counts["warnings"], "warning"),
        notes=_plural(counts["notes"], "note"),
    )


def copies_text(n: int, lang: str) -> str:
    return label("copies_checked", lang, n=n if lang == "zh" else _plural(n, "copy path"))


def colon(lang: str) -> str:
    """The separator after a label: ": " or "："."""
    return "：" if lang == "zh" else ": "


def heading(key: str, lang: str) -> str:
    """A label used as a heading over a list: "Notes:" / "说明："."""
    return label(key, lang) + ("：" if lang == "zh" else ":")


def parens(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f"({text})"


def severity_label(severity: str, lang: str) -> str:
    key = f"severity.{severity}"
    return label(key, lang) if key in LABELS else severity


def decision_label(decision: str, lang: str) -> str:
    key = f"decision.{decision}"
    return label(key, lang) if key in LABELS else decision


def applicability_label(applicability: str, lang: str) -> str:
    key = f"applicability.{applicability}"
    return label(key, lang) if key in LABELS else applicability
