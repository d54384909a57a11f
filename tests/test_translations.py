"""Every user-facing string has a Chinese translation, and the compiled catalogue matches the .po file."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LC = ROOT / "crm_server" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_messages() -> set[str]:
    found: set[str] = set()
    for folder, method in (("crm_server", [("**.py", "python")]), ("templates", [("**.html", "jinja2")])):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / folder, method_map=method, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _po():
    with open(LC / "messages.po", "rb") as fh:
        return read_po(fh, locale="zh_CN")


def test_every_string_has_a_chinese_translation():
    catalogue = _po()
    missing = sorted(m for m in _source_messages()
                     if catalogue.get(m) is None or not catalogue.get(m).string or catalogue.get(m).fuzzy)
    assert not missing, f"{len(missing)} strings lack a zh_CN translation (run `make translations`): {missing[:20]}"


def test_compiled_catalogue_is_up_to_date():
    po = {m.id: m.string for m in _po() if m.id and m.string and not m.fuzzy}
    with open(LC / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po, "messages.mo is stale: run `make translations` (pybabel compile)"


def test_placeholders_survive_translation():
    for message in _po():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[0]))
        for text in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", text)) == wanted, f"placeholders differ in {message.id!r}"
