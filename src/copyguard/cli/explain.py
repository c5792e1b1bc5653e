"""``copyguard explain "MESSAGE"``: a copy-job status message or API error -> causes and steps.

The message may be AWS's exact text, that text inside a log line (a ``pattern`` match), or the
user's own retelling of it (a ``fuzzy`` match, by word similarity); the output says which and
how sure, with a score. An access denial shows the principal, action and resource it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import click

from copyguard.cli.common import EXIT_PASS, EXIT_UNKNOWN, default_lang, fail_input
from copyguard.cli.output import color_option, use_color
from copyguard.escape import json_dumps, visible

#: Values worth showing from the message, in display order, with their labels.
_SHOWN = (
    ("principal", "Principal", "主体"),
    ("action", "Action", "操作"),
    ("resource", "Resource", "资源"),
    ("key_arn", "Key", "密钥"),
    ("source_region", "Source Region", "源区域"),
    ("destination_region", "Destination Region", "目标区域"),
    ("resource_type", "Resource type", "资源类型"),
    ("state", "Key state", "密钥状态"),
    ("error_code", "Error code", "错误代码"),
    ("operation", "Operation", "操作(API)"),
)


def _confidence_text(level: str, score: float, lang: str) -> str:
    if lang == "zh":
        return {
            "exact": f"完全匹配(得分 {score:.2f})",
            "pattern": f"在文本中找到了已知消息(模式匹配,覆盖 {score:.0%})",
            "fuzzy": f"措辞相似(模糊匹配,相似度 {score:.2f});请核对原始消息",
        }[level]
    return {
        "exact": f"exact match (score {score:.2f})",
        "pattern": f"a known message found inside the text (pattern match, covers {score:.0%})",
        "fuzzy": f"similar wording (fuzzy match, similarity {score:.2f}); check the exact message",
    }[level]


_TRANSLATION = {
    "en": (
        "This Chinese text is the translation published in AWS's Knowledge Center article, not "
        "console output: AWS Backup returns the English message ({english})."
    ),
    "zh": (
        "这段中文是 AWS 知识中心文章中的译文,并非控制台输出:AWS Backup 返回的是英文消息({english})。"
    ),
}


# Placeholders in the catalogue's next steps that a message can fill in (English and Chinese
# spellings), with the extracted value that fills each. Filled values are shell-quoted: they
# come from the pasted text.
_PLACEHOLDERS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("PRINCIPAL_ARN", "主体ARN"), "principal"),
    (("RESOURCE_ARN",), "resource"),
    (("KEY_ARN", "密钥ARN"), "key_arn"),
    (("ACTION", "操作"), "action"),
)


_SLR_SESSION = "assumed-role/AWSServiceRoleForBackup/"
_SLR_PATH = "aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"


def _fill_placeholders(step: str, values: Mapping[str, str]) -> str:
    """Put the values the message gave (principal, action, key, resource) into a next step."""
    from copyguard.escape import shell_quote

    filled = dict(values)
    if (
        "key_arn" not in filled
        and filled.get("resource", "").startswith("arn:")
        and ":kms:" in (filled.get("resource", ""))
    ):
        filled["key_arn"] = filled["resource"]
    principal = filled.get("principal", "")
    parts = principal.split(":")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith(_SLR_SESSION):
        # AWS Backup's service-linked role as its session: name the role, whose managed policy
        # `copyguard simulate` then applies
        filled["principal"] = f"arn:{parts[1]}:iam::{parts[4]}:role/{_SLR_PATH}"
    if len(parts) > 4 and parts[4].isdigit() and len(parts[4]) == 12 and parts[4].isascii():
        filled.setdefault("account", parts[4])
    out = step
    for names, key in _PLACEHOLDERS:
        value = filled.get(key)
        if not value:
            continue
        # the replacement string with its backslashes doubled is taken literally by re.sub
        literal = shell_quote(value).replace("\\", "\\\\")
        for name in names:
            out = re.sub(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", literal, out)
    account = filled.get("account")
    key_parts = filled.get("key_arn", "").split(":")
    key_account = key_parts[4] if len(key_parts) > 4 else ""
    if account and key_account and key_account != account and key_account.isdigit():
        # a cross-account call: the key's account is the source, the caller's the destination
        out = out.replace("SOURCE_ACCOUNT", key_account).replace("源账户ID", key_account)
        out = out.replace("DEST_ACCOUNT", account).replace("目标账户ID", account)
    if account:
        out = out.replace("kms:CallerAccount=ACCOUNT", "kms:CallerAccount=" + account)
        out = out.replace("kms:CallerAccount=账户ID", "kms:CallerAccount=" + account)
    return out


def explain_message(message: str, lang: str) -> dict[str, Any]:
    """The explanation of one message as a JSON-ready dict (the ``--format json`` output)."""
    from copyguard.knowledge import fuzzy_match_error, match_error

    matches = match_error(message) or fuzzy_match_error(message)
    codes: list[str] = []
    causes: list[dict[str, Any]] = []
    matched: list[dict[str, Any]] = []
    for m in matches:
        pattern = m.pattern
        # the match's codes are the entry's, reordered when the message says which applies
        for c in m.codes:
            if c not in codes:
                codes.append(c)
        steps = [_fill_placeholders(s.text(lang), m.values) for s in pattern.next_steps]
        for cause in pattern.causes:
            causes.append(
                {
                    "cause": cause.text(lang),
                    "codes": [cause.code] if cause.code else list(pattern.codes),
                    "next_steps": steps,
                }
            )
        entry: dict[str, Any] = {
            "id": pattern.id,
            "title": pattern.title,
            "confidence": m.confidence,
            "score": m.similarity,
        }
        if m.values:
            entry["values"] = dict(m.values)
        if m.label:
            entry["label"] = m.label
        matched.append(entry)
    rank = {c: i for i, c in enumerate(codes)}
    causes.sort(key=lambda c: min((rank.get(x, len(rank)) for x in c["codes"]), default=len(rank)))
    out: dict[str, Any] = {"message": message, "codes": codes, "causes": causes, "matched": matched}
    if matches:
        best = matches[0]
        out["confidence"] = best.confidence
        out["score"] = best.similarity
        out["extracted"] = {k: best.values[k] for k, _en, _zh in _SHOWN if k in best.values}
        if best.label == "translation":
            english = next((e for e in best.pattern.examples if e.isascii()), "")
            out["translation_note"] = _TRANSLATION["zh" if lang == "zh" else "en"].format(
                english=english
            )
        if best.values.get("truncated"):
            out["truncated"] = True
        limits = _region_limits(best.values, lang)
        if limits:
            out["region_limits"] = limits
    else:
        out["confidence"] = None
        out["score"] = 0.0
        out["note"] = (
            "copyguard does not know this message. Run `copyguard check` on the set-up "
            "(or `copyguard scan --job-id ID` on the failed job) to find the cause."
            if lang != "zh"
            else "copyguard 不认识此消息。请对该配置运行 `copyguard check`(或对失败的作业运行 "
            "`copyguard scan --job-id ID`)以找出原因。"
        )
    return out


def _region_limits(values: Any, lang: str) -> list[dict[str, Any]]:
    """What the Region data says about the Regions a message names (a copy "from A to B")."""
    src, dst = values.get("source_region"), values.get("destination_region")
    if not src or not dst:
        return []
    from copyguard.knowledge import copy_region_limits

    limits = copy_region_limits(values.get("resource_type"), src, dst, cross_account=True)
    out = []
    for limit in limits:
        group = limit.group.display_name if limit.group is not None else None
        if limit.kind == "unknown-region":
            en = f"copyguard does not know the Region {limit.region}."
            zh = f"copyguard 不认识区域 {limit.region}。"
        else:
            en = (
                f"{limit.region} ({group}): {_LIMIT_TEXT[limit.kind][0]}"
                " (assuming the copy is cross-account)."
            )
            zh = f"{limit.region}({group}):{_LIMIT_TEXT[limit.kind][1]}(假设该复制为跨账户复制)。"
        out.append(
            {
                "kind": limit.kind,
                "region": limit.region,
                "group": limit.group.id if limit.group is not None else None,
                "text": zh if lang == "zh" else en,
                "code": None if limit.kind == "unknown-region" else "CG403",
            }
        )
    return out


_LIMIT_TEXT = {
    "cross-partition": ("no copy crosses AWS partitions", "任何复制都不能跨 AWS 分区"),
    "outside-pair": (
        "cross-Region copies only go between the Regions of this group",
        "跨区域复制只能在该组区域之间进行",
    ),
    "no-cross-account": ("no cross-account copy in these Regions", "这些区域不支持跨账户复制"),
    "type-cross-account": (
        "no cross-account copy of this resource type in opt-in Regions",
        "选择性加入区域不支持此资源类型的跨账户复制",
    ),
    "type-cross-region": (
        "no cross-Region copy of this resource type in opt-in Regions",
        "选择性加入区域不支持此资源类型的跨区域复制",
    ),
}


@click.command("explain")
@click.argument("message", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
@color_option
def explain(message: str | None, fmt: str, lang: str | None, color: bool | None) -> int:
    """Map a copy-job status message or AWS API error to its causes and next steps.

    The message may be pasted with its log line around it, or retold in your own words; the
    output says how sure copyguard is (exact, pattern or fuzzy match, with a score). Use "-" to
    read the message from standard input. Exit codes: 0 recognised, 3 unknown message.
    """
    if message is None:
        fail_input(
            'give the message to explain, e.g. copyguard explain "Given key ID is not accessible"'
        )
    if message == "-":
        from copyguard.cli.inputs import MESSAGE_LIMIT, read_input_bytes

        # bounded (README "Input limits"); only the first 2000 characters are matched anyway.
        # Bytes that are not UTF-8 become U+FFFD: a pasted log line is still explained.
        message = read_input_bytes("-", MESSAGE_LIMIT, "message").decode("utf-8", "replace")
    if not message.strip():
        fail_input("the message is empty")
    lang = lang or default_lang()
    zh = lang == "zh"
    result = explain_message(message.strip(), lang)
    if fmt == "json":
        # JSON escapes what the message holds (lone surrogates from undecodable bytes too)
        click.echo(json_dumps(result, indent=2))
        return EXIT_PASS if result["causes"] else EXIT_UNKNOWN
    colored = use_color(color)

    def bold(text: str) -> str:
        return click.style(text, bold=True) if colored else text

    def echo(text: str) -> None:  # every line through the terminal sanitiser
        click.echo(visible(text), color=colored)

    if not result["causes"]:
        echo(result["note"])
        return EXIT_UNKNOWN
    best = result["matched"][0]
    how = _confidence_text(result["confidence"], result["score"], lang)
    click.echo(
        bold("识别为:" if zh else "Recognised:") + " " + visible(f"{best['title']} ({how})"),
        color=colored,
    )
    for key, en, zh_label in _SHOWN:
        value = result["extracted"].get(key)
        if value:
            echo(f"  {zh_label if zh else en}: {value}")
    if result.get("translation_note"):
        echo(result["translation_note"])
    if result.get("region_limits"):
        click.echo(bold("区域数据:" if zh else "Region data:"), color=colored)
        for limit in result["region_limits"]:
            tag = f" [{limit['code']}]" if limit["code"] else ""
            echo(f"  - {limit['text']}{tag}")
    if result.get("truncated"):
        echo(
            "(只读取了消息的前 2000 个字符。)"
            if zh
            else "(Only the first 2000 characters of the message were read.)"
        )
    codes = ", ".join(result["codes"])
    if codes:
        click.echo(bold("代码:" if zh else "Codes:") + " " + visible(codes), color=colored)
    click.echo(
        bold("可能的原因(按可能性排序):" if zh else "Causes, most likely first:"), color=colored
    )
    shared = all(c["next_steps"] == result["causes"][0]["next_steps"] for c in result["causes"])
    for i, c in enumerate(result["causes"], 1):
        tag = f" [{', '.join(c['codes'])}]" if c["codes"] else ""
        echo(f"  {i}. {c['cause']}{tag}")
        if not shared:
            for step in c["next_steps"]:
                echo(f"     - {step}")
    if shared and result["causes"][0]["next_steps"]:
        click.echo(bold("后续步骤:" if zh else "Next steps:"), color=colored)
        for step in result["causes"][0]["next_steps"]:
            echo(f"  - {step}")
    return EXIT_PASS
