"""The translation catalogues: what is missing in them, and compiling them without GNU gettext.

locale/<lang>/LC_MESSAGES/django.po holds every interface string of the site (produced by
`manage.py makemessages`, see .ci/i18n-check) with its translation. `catalogue_problems`
lists each entry that is untranslated (an empty msgstr, or one empty plural form), fuzzy, or
whose placeholders differ from the English ("%(name)s", "{name}"); `compile_catalogues`
writes the .mo files Django reads, with Babel, so a machine without msgfmt still works.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("fr", "es", "ru", "pt")  # every interface language but the English source
DOMAINS = ("django", "djangojs")  # templates and Python; static/js/site.js
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|(?<!\{)\{(\w+)\}(?!\})|%[sd]")


def catalogue_path(locale_dir: Path, language: str, domain: str = "django") -> Path:
    return Path(locale_dir) / language / "LC_MESSAGES" / f"{domain}.po"


def _read(path: Path):
    with open(path, "rb") as handle:
        return read_po(handle, locale=path.parent.parent.name)


def _placeholders(text: str) -> set[str]:
    return {m.group(0) if m.group(1) is None and m.group(2) is None else (m.group(1) or m.group(2))
            for m in _PLACEHOLDER.finditer(text or "")}


def catalogue_problems(locale_dir: Path, languages=LANGUAGES, domain: str = "django") -> list[str]:
    """One line per entry that is not ready: "<lang>: untranslated|fuzzy|placeholders: <msgid>"."""
    problems = []
    for language in languages:
        path = catalogue_path(locale_dir, language, domain)
        if not path.exists():
            problems.append(f"{language}: no catalogue at {path}")
            continue
        for message in _read(path):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
            label = ids[0].replace("\n", "\\n")[:120]
            if message.fuzzy:
                problems.append(f"{language}: fuzzy: {label}")
            elif not all(strings):
                problems.append(f"{language}: untranslated: {label}")
            else:
                # "%(counter)s" may be left out of the singular of a plural ("one item").
                expected = _placeholders(ids[-1]) - {"counter"}
                if any(expected - _placeholders(s) for s in strings[-1:]) or \
                        any(_placeholders(s) - _placeholders(" ".join(ids)) for s in strings):
                    problems.append(f"{language}: placeholders differ: {label}")
    return problems


def compile_catalogues(locale_dir: Path, languages=LANGUAGES, domain: str = "django") -> list[Path]:
    """Write each language's .mo next to its .po (only when the bytes change); the paths written."""
    written = []
    for language in languages:
        path = catalogue_path(locale_dir, language, domain)
        if not path.exists():
            continue
        target = path.with_suffix(".mo")
        if target.exists() and target not in stale_compiled(locale_dir, [language], domain):
            os.utime(target)  # same translations: keep the bytes, but make it newer than the .po for make
            continue
        buffer = io.BytesIO()
        write_mo(buffer, _read(path), use_fuzzy=False)
        target.write_bytes(buffer.getvalue())
        written.append(target)
    return written


def _translations(catalog) -> dict:
    """{msgid: msgstr} of a catalogue's translated, non-fuzzy entries (the header left out)."""
    found = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        if all(strings):
            found[message.id if isinstance(message.id, str) else tuple(message.id)] = tuple(strings)
    return found


def stale_compiled(locale_dir: Path, languages=LANGUAGES, domain: str = "django") -> list[Path]:
    """The .mo files that are missing or whose translations differ from their .po's.

    Only the translations are compared, not the header, so refreshing the catalogues (which
    stamps a new POT-Creation-Date) does not make a correct .mo look out of date.
    """
    stale = []
    for language in languages:
        path = catalogue_path(locale_dir, language, domain)
        if not path.exists():
            continue
        target = path.with_suffix(".mo")
        if not target.exists():
            stale.append(target)
            continue
        with open(target, "rb") as handle:
            compiled = read_mo(handle)
        if _translations(compiled) != _translations(_read(path)):
            stale.append(target)
    return stale
