"""Compile (and check) the translation catalogs of both services and ``shared``.

``python -m shared.i18n_catalogs compile`` turns every ``.po`` into a ``.mo`` (the
``.mo`` files are build products and are not committed).
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIRS = [ROOT / "panda_portal" / "translations", ROOT / "support_community" / "translations",
                ROOT / "shared" / "translations"]


def compile_all() -> int:
    count = 0
    for folder in CATALOG_DIRS:
        for po_path in folder.glob("*/LC_MESSAGES/*.po"):
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
    if not argv or argv[0] != "compile":
        print("usage: python -m shared.i18n_catalogs compile", file=sys.stderr)
        return 2
    compiled = compile_all()
    if compiled:
        print(f"Compiled {compiled} translation catalog(s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
