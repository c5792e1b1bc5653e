"""``copyguard rules [CODE]``: the finding catalogue, or one finding's documentation."""

from __future__ import annotations

import click

from copyguard.cli.common import default_lang, fail_input, format_option, lang_option

RULE_FORMATS = ("text", "json", "markdown")


@click.command("rules")
@click.argument("code", required=False)
@format_option(RULE_FORMATS)
@lang_option()
def rules(code: str | None, fmt: str, lang: str | None) -> None:
    """The finding catalogue (code, severity, title), or CODE's full documentation:
    what it checks, why it matters, a failing and a fixed example, fix safety, references."""
    from copyguard.checks.rules import all_rules, codes, rule
    from copyguard.report import render_rule, render_rules_index

    lang = lang or default_lang()
    if code is None:
        click.echo(render_rules_index(all_rules(), fmt, lang))
        return
    found = rule(code)
    if found is None:
        valid = ", ".join(codes())
        if lang == "zh":
            fail_input(f"未知的发现代码 {code!r}；有效代码：{valid}")
        fail_input(f"unknown finding code {code!r}; valid codes: {valid}")
    click.echo(render_rule(found, fmt, lang))
