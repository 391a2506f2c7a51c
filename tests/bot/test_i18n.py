"""The Ukrainian catalog: complete, faithful to the English texts' markup, and loaded.

When a test here fails after a text in bot/ changed, run
`python scripts/extract_messages.py` and translate the new empty msgstr entries.
"""

from __future__ import annotations

import ast
import gettext
import importlib.util
import os
import re
import string
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, load_catalogs, t, tn
from bot.ui.keyboards import menu_labels

ROOT = Path(__file__).resolve().parents[2]
BOT_DIR = ROOT / "bot"
PO_PATH = BOT_DIR / "locales" / "uk" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ("t", "N_", "tn")

HTML_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*>")
COMMAND_RE = re.compile(r"(?<![\w/<])/[a-z_]+\b")
QUOTED_RE = re.compile(r"«([^«»]+)»")


def _load_extractor() -> ModuleType:
    path = ROOT / "scripts" / "extract_messages.py"
    spec = importlib.util.spec_from_file_location("extract_messages", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MsgId = str | tuple[str, str]  # a plural message is (singular, plural)


@pytest.fixture(scope="module")
def extracted() -> dict[MsgId, list[tuple[str, int]]]:
    """msgid -> where it is used, as Babel extracts it from bot/."""
    found: dict[MsgId, list[tuple[str, int]]] = _load_extractor().extract_messages(BOT_DIR)
    assert found, "no message ids extracted from bot/"
    return found


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with PO_PATH.open("rb") as fh:
        return read_po(fh, locale="uk")


@pytest.fixture(scope="module")
def translations(catalog: Catalog) -> dict[str, str]:
    """Every translated text keyed by the English it translates; each plural form of a
    plural message is keyed by the English plural (the singular by the singular)."""
    found: dict[str, str] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            singular, plural = m.id
            forms = list(m.string)
            if forms and forms[0]:
                found[singular] = forms[0]
            for i, form in enumerate(forms[1:], start=1):
                if form:
                    found[f"{plural}\x00{i}"] = form
        elif m.string:
            found[str(m.id)] = str(m.string)
    return found


def _english(key: str) -> str:
    return key.split("\x00")[0]


def _where(locations: list[tuple[str, int]]) -> str:
    return ", ".join(f"{path}:{line}" for path, line in locations)


# --- (a) completeness -------------------------------------------------------------------


def test_catalog_header(catalog: Catalog) -> None:
    assert str(catalog.locale) == "uk"
    assert catalog.charset.lower() == "utf-8"
    assert catalog.num_plurals == 3
    assert not catalog.fuzzy, "a fuzzy header would be skipped when compiling"


def test_every_message_has_a_ukrainian_translation(
    extracted: dict[str, list[tuple[str, int]]], catalog: Catalog
) -> None:
    missing = []
    for msgid, locations in extracted.items():
        message = catalog.get(msgid)
        forms = (
            []
            if message is None
            else (list(message.string) if isinstance(message.string, tuple) else [message.string])
        )
        if isinstance(msgid, tuple) and len(forms) != catalog.num_plurals:
            forms = []
        if message is None or message.fuzzy or not forms or not all(str(f).strip() for f in forms):
            missing.append(f"  {msgid!r}  ({_where(locations)})")
    assert not missing, (
        f"{len(missing)} message(s) lack a Ukrainian translation in {PO_PATH.relative_to(ROOT)} "
        "(run scripts/extract_messages.py, then translate):\n" + "\n".join(missing)
    )


def _keyword_calls() -> list[tuple[str, int, ast.expr]]:
    calls = []
    for path in sorted(BOT_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in KEYWORDS
                and node.args
            ):
                calls.append((str(path.relative_to(ROOT)), node.lineno, node.args[0]))
    return calls


def test_extraction_misses_no_literal_msgid(extracted: dict[str, list[tuple[str, int]]]) -> None:
    """Cross-check Babel against the syntax tree: every literal t()/N_() msgid is found."""
    literal = {
        (arg.value, f"{path}:{line}")
        for path, line, arg in _keyword_calls()
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }
    assert literal
    singulars = {m[0] if isinstance(m, tuple) else m for m in extracted}
    missed = sorted(f"  {msgid!r} ({where})" for msgid, where in literal if msgid not in singulars)
    assert not missed, "Babel's extraction missed:\n" + "\n".join(missed)


def test_no_msgid_is_an_f_string() -> None:
    """An f-string msgid never matches the catalog: use `{named}` values instead."""
    bad = [
        f"  {path}:{line}" for path, line, arg in _keyword_calls() if isinstance(arg, ast.JoinedStr)
    ]
    assert not bad, "t()/N_() called with an f-string:\n" + "\n".join(bad)


# --- (b) placeholders, tags, commands, emoji ----------------------------------------------


def _placeholders(text: str) -> Counter[tuple[str, str, str]]:
    """`{name!conversion:spec}` fields as (name, conversion, spec)."""
    return Counter(
        (name, conversion or "", spec or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


def _emoji(text: str) -> Counter[str]:
    return Counter(ch for ch in text if ord(ch) >= 0x2190 and unicodedata.category(ch) == "So")


def _checked(translations: dict[str, str]) -> list[tuple[str, str]]:
    """(English, translation) pairs; each plural form is checked against the English plural."""
    assert translations
    return sorted((_english(key), text) for key, text in translations.items())


def test_translations_keep_placeholders(translations: dict[str, str]) -> None:
    problems = []
    for msgid, text in _checked(translations):
        try:
            expected, got = _placeholders(msgid), _placeholders(text)
        except ValueError as exc:  # an unbalanced brace
            problems.append(f"  {msgid!r}: {exc}")
            continue
        if expected != got:
            problems.append(f"  {msgid!r}: {sorted(expected)} became {sorted(got)} in {text!r}")
        elif expected:
            try:
                text.format(**{name: "x" for name, _conversion, _spec in expected})
            except (KeyError, IndexError, ValueError) as exc:
                problems.append(f"  {text!r} does not format: {exc!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_translations_keep_html_tags(translations: dict[str, str]) -> None:
    problems = []
    for msgid, text in _checked(translations):
        expected, got = HTML_TAG_RE.findall(msgid), HTML_TAG_RE.findall(text)
        if Counter(expected) != Counter(got):
            problems.append(f"  {msgid!r}: tags {expected} became {got}")
        elif HTML_TAG_RE.sub("", text).count("<") or HTML_TAG_RE.sub("", text).count(">"):
            problems.append(f"  {text!r}: a stray < or > breaks Telegram's HTML parse mode")
    assert not problems, "HTML tags differ:\n" + "\n".join(problems)


def test_translations_keep_commands_and_emoji(translations: dict[str, str]) -> None:
    problems = []
    for msgid, text in _checked(translations):
        if Counter(COMMAND_RE.findall(msgid)) != Counter(COMMAND_RE.findall(text)):
            problems.append(f"  {msgid!r}: /commands differ in {text!r}")
        if _emoji(msgid) != _emoji(text):
            problems.append(f"  {msgid!r}: emoji differ in {text!r}")
    assert not problems, "\n".join(problems)


def _label(text: str) -> str:
    """A button's words without its leading emoji: "🔄 Check status" -> "Check status"."""
    return re.sub(r"^[^\w«]+", "", text).strip()


def test_quoted_button_names_match_their_translation(translations: dict[str, str]) -> None:
    """ "Tap «Retry»" must name the button as the Ukrainian keyboard shows it."""
    labels = {_label(msgid): _label(text) for msgid, text in _checked(translations)}
    problems = []
    for msgid, text in _checked(translations):
        for quoted in QUOTED_RE.findall(msgid):
            if quoted in labels and f"«{labels[quoted]}»" not in text:
                problems.append(f"  {msgid!r}: expected «{labels[quoted]}» in {text!r}")
    assert not problems, "\n".join(problems)


# --- (c) the catalog compiles and is what the bot uses ------------------------------------


def test_catalog_compiles_and_loads(translations: dict[str, str]) -> None:
    catalogs = load_catalogs()  # compiled in memory: no .mo file anywhere
    assert "uk" in catalogs
    compiled = catalogs["uk"]
    assert isinstance(compiled, gettext.GNUTranslations)
    singular = {m: s for m, s in translations.items() if "\x00" not in m}
    not_compiled = [m for m, s in singular.items() if compiled.gettext(m) != s]
    assert not not_compiled, f"missing from the compiled catalog: {not_compiled}"


def test_setup_i18n_translates_to_ukrainian(translations: dict[str, str]) -> None:
    assert t("⏳ Pending", "uk") != t("⏳ Pending", "en")
    assert t("⏳ Pending", "uk") == translations["⏳ Pending"]
    assert t("⏳ Pending", "en") == "⏳ Pending"
    wrong = [m for m, s in translations.items() if "\x00" not in m and t(m, "uk") != s]
    assert not wrong, f"t() does not return the catalog's translation for: {wrong}"


@pytest.mark.parametrize(
    ("n", "word"),
    [(1, "символ."), (2, "символи."), (4, "символи."), (5, "символів."), (11, "символів."),
     (12, "символів."), (21, "символ."), (22, "символи."), (25, "символів."), (111, "символів."),
     (500, "символів.")],
)  # fmt: skip
def test_plural_forms_follow_ukrainian_rules(n: int, word: str) -> None:
    singular = "The description is too long: at most {n} character."
    plural = "The description is too long: at most {n} characters."
    assert tn(singular, plural, n, "uk") == f"Опис задовгий: щонайбільше {n} {word}"
    english = "character." if n == 1 else "characters."
    assert tn(singular, plural, n, "en") == f"The description is too long: at most {n} {english}"


def test_every_plural_message_has_every_ukrainian_form(catalog: Catalog) -> None:
    plural = [m for m in catalog if isinstance(m.id, tuple)]
    assert plural, "no plural message in the catalog"
    for message in plural:
        assert len(message.string) == catalog.num_plurals
        assert all(message.string), message.id


def test_values_fill_in_after_translation() -> None:
    text = t("Receipt No {number}: the customer scans this code to pay.", "uk", number=42)
    assert "42" in text
    assert text != "Receipt No 42: the customer scans this code to pay."


# --- (d) main menu -------------------------------------------------------------------------


def test_menu_labels_are_distinct() -> None:
    """The bot matches a tapped label against every language's labels (bot.routers.base)."""
    by_key = {key: {menu_labels(locale)[key] for locale in LANGUAGES} for key in menu_labels("en")}
    for locale in LANGUAGES:
        labels = list(menu_labels(locale).values())
        assert len(set(labels)) == len(labels), f"{locale}: {labels}"
        assert not any(label.startswith("/") for label in labels)
    keys = list(by_key)
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            clash = by_key[first] & by_key[second]
            assert not clash, f"menu labels {first!r} and {second!r} share {clash}"
    for key, labels in by_key.items():
        assert len(labels) == len(LANGUAGES), f"{key!r} is not translated: {labels}"


def test_loading_the_catalogs_leaves_nothing_in_the_temp_folder(tmp_path: Path) -> None:
    """Each start used to compile the catalogs into a new bot-locales-* folder, never removed."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    script = (
        "from bot.i18n import setup_i18n, t, tn\n"
        "setup_i18n()\n"
        "assert t('⏳ Pending', 'uk') != '⏳ Pending'\n"
        "print(tn('{n} receipt', '{n} receipts', 5, 'uk'))\n"
    )  # plural forms work as they did from a compiled file
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5 чеків"
    assert list(temp.iterdir()) == []
