"""The translation catalogues are complete and compiled (issue 7; CI runs .ci/i18n-check too)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from core.i18n_check import catalogue_problems, stale_compiled

LOCALE = settings.LOCALE_PATHS[0]


def test_every_entry_of_every_catalogue_is_translated():
    problems = catalogue_problems(LOCALE)
    assert problems == [], "\n".join(problems[:50])


def test_the_compiled_catalogues_match_their_sources():
    assert stale_compiled(LOCALE) == []


def test_russian_plural_forms_follow_the_number():
    forms = set()
    with translation.override("ru"):
        for n in (1, 2, 5, 21):
            forms.add(ngettext("%(counter)s item. Each store ships its own parcel, so each store becomes "
                               "its own order at checkout.",
                               "%(counter)s items. Each store ships its own parcel, so each store becomes "
                               "its own order at checkout.", n))
    assert len(forms) == 3


def test_each_language_translates_the_interface():
    for language in ("fr", "es", "ru", "pt"):
        with translation.override(language):
            assert gettext("Seller center") != "Seller center", language
