"""Extract the bot's message ids and keep the Ukrainian catalog in step with them.

    python scripts/extract_messages.py            # rewrite messages.po, keeping translations
    python scripts/extract_messages.py --list     # print every msgid found in bot/
    python scripts/extract_messages.py --check    # exit 1 if a msgid has no translation

After an update, new message ids are in messages.po with an empty msgstr: translate them
(tests/test_i18n.py fails until every one is). Ids no longer used in bot/ are dropped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "bot"
PO_PATH = SOURCE_DIR / "locales" / "uk" / "LC_MESSAGES" / "messages.po"
LOCALE = "uk"

# t(msgid, /, locale=None, **values) and N_(msgid): only the first argument is a msgid;
# tn(singular, plural, n, /, locale=None, **values): the first two are.
KEYWORDS = {"t": (1,), "N_": (1,), "tn": (1, 2)}
MsgId = str | tuple[str, str]
METHOD_MAP = [("**.py", "python")]
COMMENT_TAGS = ("TRANSLATORS:",)

PROJECT = "liqpay-invoice-bot"
HEADER_COMMENT = """\
# Ukrainian translation of liqpay-invoice-bot.
# Message ids are the English texts passed to t() and N_() in bot/.
# After changing texts in bot/, run `python scripts/extract_messages.py` and translate
# every new empty msgstr (tests/test_i18n.py checks that none is missing).
#"""


def extract_messages(source_dir: Path = SOURCE_DIR) -> dict[MsgId, list[tuple[str, int]]]:
    """Every msgid in the Python files under `source_dir`, with where it is used.

    One pass per keyword: Babel's Python extractor drops a keyword call nested deeper
    than the first level inside another one, e.g. `t(heads.get(kind, N_("...")))`.
    """
    found: dict[MsgId, list[tuple[str, int]]] = {}
    prefix = source_dir.relative_to(ROOT).as_posix() if source_dir.is_relative_to(ROOT) else ""
    for keyword, spec in KEYWORDS.items():
        for filename, lineno, message, _comments, _context in extract_from_dir(
            source_dir,
            method_map=METHOD_MAP,
            keywords={keyword: spec},
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        ):
            msgid: MsgId = (message[0], message[1]) if isinstance(message, tuple) else message
            if not msgid or not msgid[0]:
                continue
            path = f"{prefix}/{filename}" if prefix else filename
            locations = found.setdefault(msgid, [])
            if (path, lineno) not in locations:
                locations.append((path, lineno))
    # Source order (file, then line of first use), whatever pass found a message.
    return dict(sorted(found.items(), key=lambda item: min(item[1])))


def read_catalog(po_path: Path = PO_PATH) -> Catalog | None:
    if not po_path.exists():
        return None
    with po_path.open("rb") as fh:
        return read_po(fh, locale=LOCALE)


def build_catalog(
    found: dict[MsgId, list[tuple[str, int]]], existing: Catalog | None
) -> tuple[Catalog, list[MsgId]]:
    """A fresh catalog of `found`, with translations carried over from `existing`.

    Returns the catalog and the msgids that still need a translation.
    """
    catalog = Catalog(
        locale=LOCALE,
        domain="messages",
        project=PROJECT,
        version="0.1.0",
        header_comment=HEADER_COMMENT,
        msgid_bugs_address="",
        last_translator="liqpay-invoice-bot team",
        language_team="Ukrainian",
        charset="utf-8",
        fuzzy=False,
    )  # Plural-Forms comes from the locale (Ukrainian: three forms)
    catalog.revision_date = datetime.now(UTC)
    if existing is not None:
        catalog.creation_date = existing.creation_date

    missing: list[MsgId] = []
    for msgid, locations in found.items():
        old = existing.get(msgid) if existing is not None else None
        string = old.string if old is not None and not old.fuzzy else ""
        if isinstance(msgid, tuple):  # one string per plural form of the language
            forms = list(string) if isinstance(string, tuple | list) else [string]
            forms = (forms + [""] * catalog.num_plurals)[: catalog.num_plurals]
            string = tuple(forms)
            if not all(forms):
                missing.append(msgid)
        elif not string or not isinstance(string, str):
            string = ""
            missing.append(msgid)
        catalog.add(msgid, string, locations=locations)
    if (
        existing is not None
        and isinstance(existing.revision_date, datetime)
        and _entries(catalog) == _entries(existing)
    ):
        catalog.revision_date = existing.revision_date  # nothing changed: no date-only diff
    return catalog, missing


def _entries(catalog: Catalog) -> set[tuple[str, str]]:
    return {(str(m.id), str(m.string)) for m in catalog if m.id}


def write_catalog(catalog: Catalog, po_path: Path = PO_PATH) -> None:
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as fh:
        # No line numbers: they change with every edit of bot/ and only add noise to diffs.
        write_po(fh, catalog, width=100, include_lineno=False, sort_by_file=False)


def _print(lines: Iterable[str]) -> None:
    for line in lines:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Keep the Ukrainian catalog in step with bot/.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="print the msgids found in bot/")
    mode.add_argument("--check", action="store_true", help="fail if a msgid is untranslated")
    args = parser.parse_args(argv)

    found = extract_messages()
    if args.list:
        _print(repr(msgid) for msgid in found)
        print(f"{len(found)} messages", file=sys.stderr)
        return 0

    existing = read_catalog()
    catalog, missing = build_catalog(found, existing)
    if args.check:
        if missing:
            print(f"{len(missing)} message(s) without a Ukrainian translation:")
            _print(repr(msgid) for msgid in missing)
            return 1
        print(f"All {len(found)} messages are translated.")
        return 0

    dropped = [m for m in existing if m.id and m.id not in found] if existing is not None else []
    write_catalog(catalog)
    print(
        f"{PO_PATH.relative_to(ROOT)}: {len(found)} messages, {len(missing)} untranslated, "
        f"{len(dropped)} no longer used and dropped."
    )
    if dropped:  # a reworded msgid shows up here and under "Untranslated": reuse the text
        print("Dropped (with their old translations):")
        _print(f"{m.id!r} -> {m.string!r}" for m in dropped)
    if missing:
        print("Untranslated:")
        _print(repr(msgid) for msgid in missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
