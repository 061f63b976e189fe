"""The message catalogue: every word the bot writes, in English, Vietnamese and Polish (gettext .po files).

The English text is the msgid (so English needs no lookup and stays exactly as written in the code);
`handlers/locale/<lang>/LC_MESSAGES/helploop.po` holds the translations and is read with Babel when a
language is first used (no compiled .mo to keep in step). Placeholders are `{name}` (str.format); an
untranslated or missing msgid falls back to English. Regenerate the template after changing a string:

    pybabel extract -F babel.cfg -k tr:2 --no-location --sort-output -o handlers/locale/helploop.pot handlers
    pybabel update -i handlers/locale/helploop.pot -d handlers/locale -D helploop --no-fuzzy-matching -w 120
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_day_names
from babel.messages.pofile import read_po

from bot.people import LANGUAGES

log = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "helploop"


def catalogue_path(language: str) -> Path:
    """The .po file of one language."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> dict[str, str]:
    """msgid -> translation for one language (empty for English and for a language without a catalogue)."""
    path = catalogue_path(language)
    if language == LANGUAGES[0] or not path.exists():
        return {}
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


def tr(language: str | None, msgid: str, **params: Any) -> str:
    """`msgid` in `language`, with `{name}` placeholders filled from `params` (English when untranslated)."""
    text = translations(language or LANGUAGES[0]).get(msgid, msgid) if language in LANGUAGES else msgid
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):  # a broken translation must never cost the message
        log.error("translation of %r into %s does not fit its placeholders", msgid, language)
        return msgid.format(**params)


def local_time(instant: datetime, zone: ZoneInfo, language: str | None) -> str:
    """A short day, date and time in `zone`, with day and month names in the reader's language."""
    if language in (None, LANGUAGES[0]) or language not in LANGUAGES:
        return instant.astimezone(zone).strftime("%a %d %b %H:%M %Z")
    local = instant.astimezone(zone)
    return f"{format_datetime(local, 'EEE dd MMM HH:mm', tzinfo=zone, locale=language)} {local.strftime('%Z')}"


def weekday_names(language: str | None) -> list[str]:
    """Short weekday names, Monday first, in the reader's language ("Mon" … "Sun" in English)."""
    if language in (None, LANGUAGES[0]) or language not in LANGUAGES:
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    names = get_day_names("abbreviated", locale=language)
    return [str(names[day]) for day in range(7)]


def N_(msgid: str) -> str:  # noqa: N802 - the name pybabel looks for: marks a msgid translated later with tr
    """Mark a msgid for the catalogue where it is defined; `tr` translates it where it is used."""
    return msgid


LANGUAGE_BLOCK = "language-"  # block_id prefix that carries a modal's language into its submission


def language_block_id(language: str) -> str:
    """The block_id that marks a modal's language (Slack sends the view's blocks back on submission)."""
    return LANGUAGE_BLOCK + language


def view_language(view: dict[str, Any]) -> str:
    """The language a submitted modal was written in (English when it does not say)."""
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        block_id = str(block.get("block_id", "")) if isinstance(block, dict) else ""
        if block_id.startswith(LANGUAGE_BLOCK) and block_id[len(LANGUAGE_BLOCK):] in LANGUAGES:
            return block_id[len(LANGUAGE_BLOCK):]
    return LANGUAGES[0]
