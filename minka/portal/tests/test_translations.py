"""Every interface string has its Spanish translation, and the compiled catalogue is current."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

_ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$')


def _entries(text: str) -> list[dict[str, str]]:
    """The .po entries as {keyword: text}, continuation lines joined (header included)."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            key = match.group(1)
            if key in ("msgctxt", "msgid") and "msgid" in current and "msgstr" in "".join(current):
                entries.append(current)
                current = {}
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif not line.strip():
            key = ""
    if current:
        entries.append(current)
    return entries


def test_catalogue_has_no_fuzzy_or_empty_translation():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = [e for e in _entries(text) if e.get("msgid")]
    assert len(entries) > 200
    untranslated = [
        e["msgid"] for e in entries
        if any(v == "" for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def test_compiled_catalogue_matches_the_source():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in _entries(PO.read_text(encoding="utf-8")):
        msgid = entry.get("msgid")
        if not msgid or "msgid_plural" in entry:
            continue
        key = msgid.replace("\\n", "\n").replace('\\"', '"')
        expected = entry["msgstr"].replace("\\n", "\n").replace('\\"', '"')
        if "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], key) == expected, msgid
        else:
            assert compiled.gettext(key) == expected, msgid
