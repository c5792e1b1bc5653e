"""``copyguard explain "MESSAGE"``: a copy-job status message or API error -> causes and steps."""

from __future__ import annotations

import json
from typing import Any

import click

from copyguard.cli.common import EXIT_PASS, EXIT_UNKNOWN, default_lang, fail_input


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _text(value: Any, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or "")
    if hasattr(value, "get") and callable(value.get) and not isinstance(value, str):
        try:
            return str(value.get(lang))
        except TypeError:
            pass
    for attr in (lang, "en"):
        if hasattr(value, attr):
            return str(getattr(value, attr))
    return str(value)


def explain_message(message: str, lang: str) -> dict[str, Any]:
    from copyguard.knowledge import match_error

    matches = match_error(message)
    codes: list[str] = []
    causes: list[dict[str, Any]] = []
    matched: list[dict[str, Any]] = []
    for m in matches:
        pattern = _get(m, "pattern", m)
        # the match's codes are the entry's, reordered when the message says which applies
        for c in _get(m, "codes", None) or _get(pattern, "codes", ()) or ():
            if c not in codes:
                codes.append(c)
        steps = [_text(s, lang) for s in (_get(pattern, "next_steps", ()) or ())]
        for cause in _get(pattern, "causes", ()) or ():
            code = _get(cause, "code")
            causes.append(
                {
                    "cause": _text(cause, lang),
                    "codes": [code] if code else list(_get(pattern, "codes", ()) or ()),
                    "next_steps": steps,
                }
            )
        entry: dict[str, Any] = {"id": _get(pattern, "id")}
        values = _get(m, "values") or _get(m, "extracted") or {}
        if values:
            entry["values"] = dict(values)
        matched.append(entry)
    rank = {c: i for i, c in enumerate(codes)}
    causes.sort(key=lambda c: min((rank.get(x, len(rank)) for x in c["codes"]), default=len(rank)))
    out: dict[str, Any] = {"message": message, "codes": codes, "causes": causes, "matched": matched}
    if not matches:
        out["note"] = (
            "copyguard does not know this message. Run `copyguard check` on the set-up "
            "(or `copyguard scan --job-id ID` on the failed job) to find the cause."
            if lang != "zh"
            else "copyguard 不认识此消息。请对该配置运行 `copyguard check`(或对失败的作业运行 "
            "`copyguard scan --job-id ID`)以找出原因。"
        )
    return out


@click.command("explain")
@click.argument("message", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
def explain(message: str | None, fmt: str, lang: str | None) -> int:
    """Map a copy-job status message or AWS API error to its causes and next steps.

    Use "-" to read the message from standard input. Exit codes: 0 recognised, 3 unknown message.
    """
    if message is None:
        fail_input(
            'give the message to explain, e.g. copyguard explain "Given key ID is not accessible"'
        )
    if message == "-":
        message = click.get_text_stream("stdin").read()
    if not message.strip():
        fail_input("the message is empty")
    lang = lang or default_lang()
    result = explain_message(message.strip(), lang)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        if not result["causes"]:
            click.echo(result["note"])
        else:
            head = "Causes, most likely first:" if lang != "zh" else "可能的原因(按可能性排序):"
            click.echo(f"{'Codes' if lang != 'zh' else '代码'}: {', '.join(result['codes'])}")
            click.echo(head)
            shared = all(
                c["next_steps"] == result["causes"][0]["next_steps"] for c in result["causes"]
            )
            for i, c in enumerate(result["causes"], 1):
                click.echo(f"  {i}. {c['cause']} [{', '.join(c['codes'])}]")
                if not shared:
                    for step in c["next_steps"]:
                        click.echo(f"     - {step}")
            if shared and result["causes"][0]["next_steps"]:
                click.echo("Next steps:" if lang != "zh" else "后续步骤:")
                for step in result["causes"][0]["next_steps"]:
                    click.echo(f"  - {step}")
    return EXIT_PASS if result["causes"] else EXIT_UNKNOWN
