"""``copyguard examples [NAME]``: the example set-ups that ship inside the package.

They make every README command work from any directory: ``copyguard examples --write DIR``
puts them next to you, ``copyguard examples NAME`` prints one.
"""

from __future__ import annotations

import os
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import click

from copyguard.cli.common import fail_input


def _folder() -> Traversable:
    return resources.files("copyguard").joinpath("examples")


def _entries() -> dict[str, Traversable]:
    out: dict[str, Traversable] = {}
    for item in _folder().iterdir():
        if item.is_file() and item.name.endswith((".yaml", ".json")):
            out[item.name] = item
    return dict(sorted(out.items()))


def _walk(
    folder: Traversable, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], Traversable]]:
    """Every file under ``folder`` with its relative path parts (the IaC and CI examples live
    in sub-folders), in a stable order; caches and hidden files left out."""
    out: list[tuple[tuple[str, ...], Traversable]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.name.startswith((".", "__")):
            continue
        if item.is_dir():
            out.extend(_walk(item, (*prefix, item.name)))
        elif item.is_file():
            out.append(((*prefix, item.name), item))
    return out


def _first_comment(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip()
        if stripped:
            break
    return ""


@click.command("examples")
@click.argument("name", required=False)
@click.option(
    "--write",
    "write_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Copy every example into DIR (created if missing; existing files are kept).",
)
def examples(name: str | None, write_dir: Path | None) -> None:
    """List the bundled example set-ups, print one (NAME, with or without its extension), or
    copy them all into DIR with --write DIR."""
    entries = _entries()
    if write_dir is not None:
        if name is not None:
            fail_input("give either NAME or --write DIR, not both")
        try:
            write_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail_input(f"{write_dir}: cannot create the folder: {exc.strerror or exc}")
        written = kept = 0
        for parts, item in _walk(_folder()):
            target = write_dir.joinpath(*parts)
            data = item.read_bytes()
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                fail_input(f"{target.parent}: cannot create the folder: {exc.strerror or exc}")
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                kept += 1
                continue
            except OSError as exc:
                fail_input(f"{target}: cannot write: {exc.strerror or exc}")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            written += 1
        click.echo(
            f"{written} example file(s) written to {write_dir}"
            + (f"; {kept} already there, kept" if kept else "")
        )
        click.echo(f"next: copyguard check {write_dir / 'seed-failing.yaml'}")
        return
    if name is None:
        for file_name, item in entries.items():
            summary = _first_comment(item.read_text(encoding="utf-8"))
            click.echo(f"{file_name:36} {summary}".rstrip())
        folders = {"/".join(parts[: min(2, len(parts) - 1)]) for parts, _ in _walk(_folder())}
        for folder in sorted(folders - {""}):
            click.echo(f"{folder + '/':36} a folder of inputs (--write DIR copies it)")
        return
    candidates = [name, f"{name}.yaml", f"{name}.json"]
    for candidate in candidates:
        if candidate in entries:
            click.echo(entries[candidate].read_text(encoding="utf-8"), nl=False)
            return
    fail_input(f"no example named {name!r}; `copyguard examples` lists them")
