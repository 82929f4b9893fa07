"""The translation catalogs of both services: extract, update, check, compile.

One catalog per service (``<service>/translations/<lang>/LC_MESSAGES/messages.po``)
holding the messages of that service's code and templates and of ``shared/``.

    python -m shared.i18n_catalogs update [SERVICE]  # extract and merge new messages into the .po files
    python -m shared.i18n_catalogs check [SERVICE]   # fail when a message is missing, untranslated or obsolete
    python -m shared.i18n_catalogs compile   # .po → .mo (build products, not committed)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("panda_portal", "support_community")
TRANSLATED_LANGUAGES = ("nl", "fr")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
METHOD_MAP = [
    ("**/node_modules/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2.ext:babel_extract"),
    ("**/templates/**.txt", "jinja2.ext:babel_extract"),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.do,jinja2.ext.loopcontrols", "trimmed": "true"}


def _options_map() -> dict:
    return {pattern: JINJA_OPTIONS for pattern, method in METHOD_MAP if method.startswith("jinja2")}


def catalog_path(service: str, language: str) -> Path:
    return ROOT / service / "translations" / language / "LC_MESSAGES" / "messages.po"


def extract(service: str) -> Catalog:
    template = Catalog(project=service, charset="utf-8")
    for folder in (ROOT / service, ROOT / "shared"):
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder),
            METHOD_MAP,
            options_map=_options_map(),
            keywords=KEYWORDS,
            comment_tags=("Translators:",),
            strip_comment_tags=True,
        ):
            template.add(
                message, None, [(f"{folder.name}/{filename}", lineno)], auto_comments=comments, context=context
            )
    return template


def _read(path: Path, language: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=language, charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=language)


def update(services: tuple[str, ...] = SERVICES) -> None:
    for service in services:
        template = extract(service)
        for language in TRANSLATED_LANGUAGES:
            path = catalog_path(service, language)
            catalog = _read(path, language)
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as f:
                write_po(f, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
            print(f"updated {path.relative_to(ROOT)} ({len(template)} messages)")


@dataclass
class Problem:
    service: str
    language: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.service} [{self.language}] {self.kind}: {self.message!r}"


def check(services: tuple[str, ...] = SERVICES) -> list[Problem]:
    problems: list[Problem] = []
    for service in services:
        template = extract(service)
        wanted = {m.id if isinstance(m.id, str) else m.id[0]: m for m in template if m.id}
        for language in TRANSLATED_LANGUAGES:
            catalog = _read(catalog_path(service, language), language)
            present = {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}
            for key in wanted:
                message = present.get(key)
                if message is None:
                    problems.append(Problem(service, language, "missing from catalog", key))
                elif message.fuzzy:
                    problems.append(Problem(service, language, "fuzzy translation", key))
                elif not message.string or (isinstance(message.string, tuple) and not all(message.string)):
                    problems.append(Problem(service, language, "untranslated", key))
            for key in present:
                if key not in wanted:
                    problems.append(Problem(service, language, "obsolete (no longer in the code)", key))
    return problems


def compile_all() -> int:
    count = 0
    for service in SERVICES:
        for po_path in (ROOT / service / "translations").glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as f:
                catalog = read_po(f)
            with mo_path.open("wb") as f:
                write_mo(f, catalog)
            count += 1
    return count


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    services = tuple(argv[1:]) or SERVICES
    unknown = [service for service in services if service not in SERVICES]
    if unknown:
        print(f"Unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}.", file=sys.stderr)
        return 2
    if command == "compile":
        compiled = compile_all()
        if compiled:
            print(f"Compiled {compiled} translation catalog(s).")
        return 0
    if command == "update":
        update(services)
        return 0
    if command == "check":
        problems = check(services)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} translation problem(s).")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
