"""Maintain the translation catalogs.

    python -m bot.i18n_tools update DOMAIN   # extract DOMAIN's sources, merge into its .po files
    python -m bot.i18n_tools check           # every message in the code is translated (zh_Hans, en)
    python -m bot.i18n_tools compile         # write .mo files (optional: compiled in memory)
    python -m bot.i18n_tools todo DOMAIN     # untranslated zh_Hans messages of DOMAIN, as JSON
    python -m bot.i18n_tools fill DOMAIN < t.json   # set zh_Hans translations from {msgid: text}

Which sources belong to which domain is listed in ``locales/domains.toml``.
Messages are marked with ``_()`` / ``__()`` (aiogram's gettext / lazy_gettext),
``ngettext`` and ``{% trans %}`` in Jinja2 templates.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
LANGS = ("zh_Hans", "en")
KEYWORDS = {"_": None, "__": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHOD_MAP = [
    ("**.py", "python"),
    ("**.html", "jinja2"),
    ("**.j2", "jinja2"),
    ("**.txt.j2", "jinja2"),
]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}, "**.j2": {"extensions": "jinja2.ext.i18n"}}


def domains() -> dict[str, list[str]]:
    with (LOCALES / "domains.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {name: list(entry["paths"]) for name, entry in data.items()}


def _files(patterns: Iterable[str]) -> Iterator[Path]:
    for pattern in patterns:
        matched = sorted(ROOT.glob(pattern))
        for path in matched:
            if path.is_file() and path.suffix in {".py", ".html", ".j2"}:
                yield path
            elif path.is_dir():
                yield from sorted(p for p in path.rglob("*") if p.suffix in {".py", ".html", ".j2"})


def extract(patterns: Iterable[str]) -> Catalog:
    catalog = Catalog()
    for path in _files(patterns):
        method = "python" if path.suffix == ".py" else "jinja2"
        options = {} if method == "python" else {"extensions": "jinja2.ext.i18n"}
        from babel.messages.extract import extract_from_file

        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            catalog.add(
                message,
                locations=[(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _read(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, domain=path.stem)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update(domain: str) -> None:
    paths = domains()[domain]
    template = extract(paths)
    for lang in LANGS:
        po_path = LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        old = _read(po_path, lang)
        new = Catalog(locale=lang, domain=domain, project="Courtyard", fuzzy=False)
        for msg in template:
            if not msg.id:
                continue
            prev = old.get(msg.id, msg.context)
            string = prev.string if prev is not None else ("" if lang != "en" else msg.id)
            if lang == "en" and not string:
                string = msg.id
            new.add(msg.id, string, locations=msg.locations, context=msg.context)
        with po_path.open("wb") as fh:
            write_po(fh, new, width=100, omit_header=False, sort_output=True)
        missing = [m.id for m in new if m.id and not _translated(m.string)]
        print(f"{po_path.relative_to(ROOT)}: {len(new)} messages, {len(missing)} untranslated")


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(bool(s) for s in string)
    return bool(string)


def missing_translations() -> dict[str, list[str]]:
    """Messages used in code (all domains' paths) without a translation, per language."""
    all_paths = [p for paths in domains().values() for p in paths]
    used = extract(all_paths)
    result: dict[str, list[str]] = {}
    for lang in LANGS:
        translated: set[object] = set()
        for po_path in (LOCALES / lang / "LC_MESSAGES").glob("*.po"):
            for msg in _read(po_path, lang):
                if msg.id and _translated(msg.string) and not msg.fuzzy:
                    translated.add(msg.id)
        result[lang] = sorted(
            str(m.id if isinstance(m.id, str) else m.id[0])
            for m in used
            if m.id and m.id not in translated
        )
    return result


def compile_all() -> None:
    for lang in LANGS:
        for po_path in (LOCALES / lang / "LC_MESSAGES").glob("*.po"):
            catalog = _read(po_path, lang)
            with po_path.with_suffix(".mo").open("wb") as fh:
                write_mo(fh, catalog)


def todo(domain: str) -> dict[str, str]:
    po_path = LOCALES / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    catalog = _read(po_path, "zh_Hans")
    return {m.id: "" for m in catalog if m.id and isinstance(m.id, str) and not m.string}


def fill(domain: str, translations: dict[str, str]) -> int:
    po_path = LOCALES / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    catalog = _read(po_path, "zh_Hans")
    changed = 0
    for msgid, text in translations.items():
        msg = catalog.get(msgid)
        if msg is None:
            print(f"not in {domain}: {msgid!r}", file=sys.stderr)
            continue
        if text:
            msg.string = text
            msg.flags.discard("fuzzy")
            changed += 1
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True)
    return changed


def main(argv: list[str]) -> int:
    if argv and argv[0] == "todo" and len(argv) == 2:
        import json

        print(json.dumps(todo(argv[1]), ensure_ascii=False, indent=1))
        return 0
    if argv and argv[0] == "fill" and len(argv) == 2:
        import json

        print(f"{fill(argv[1], json.load(sys.stdin))} translations set")
        return 0
    if not argv or argv[0] not in {"update", "check", "compile"}:
        print(__doc__)
        return 2
    if argv[0] == "update":
        for domain in argv[1:] or list(domains()):
            update(domain)
        return 0
    if argv[0] == "compile":
        compile_all()
        return 0
    missing = missing_translations()
    bad = False
    for lang, ids in missing.items():
        for msgid in ids:
            bad = True
            print(f"{lang}: untranslated: {msgid!r}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["extract", "extract_from_dir", "missing_translations", "update"]
