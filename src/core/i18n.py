"""Languages: the header's switcher, the language a person chose, and texts in their language.

The interface is in English, French, Spanish, Russian and Portuguese (settings.LANGUAGES).
`language_switch` is what the header's form posts to: it checks the choice and hands a good
one to Django's own `set_language` (the language cookie read by LocaleMiddleware); a forged
or unknown value changes nothing and says so. A signed-in person's choice is also kept in
`core.LanguagePreference`, so emails and notices can be written in their language
(`in_language_of`) even when they are produced by a worker, outside any request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.functional import Promise, lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog, set_language

LANGUAGE_PARAMETER = "language"
MAX_CODE_LENGTH = 10


def language_codes() -> list[str]:
    """The languages of the interface, by code ("en", "fr", "es", "ru", "pt")."""
    return [code for code, _name in settings.LANGUAGES]


def language_offered(code: str) -> str:
    """The offered language `code` names (case and "_" forgiven), or "" when it names none."""
    cleaned = (code or "").strip().lower().replace("_", "-")
    if not cleaned or len(cleaned) > MAX_CODE_LENGTH:
        return ""
    return cleaned if cleaned in language_codes() else ""


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("catalog:home")


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Switch the interface language (cookie; and the person's preference when signed in)."""
    language = language_offered(request.POST.get(LANGUAGE_PARAMETER, ""))
    if not language:
        messages.error(request, _("We do not offer the interface in that language, so nothing was changed."))
        return HttpResponseRedirect(_safe_next(request))
    if request.user.is_authenticated:
        from core.models import LanguagePreference

        LanguagePreference.objects.update_or_create(user=request.user, defaults={"language": language})
    response = set_language(request)
    return response


def chosen_language(user) -> str:
    """The language `user` chose with the switcher (their LanguagePreference), or ""."""
    from core.models import LanguagePreference

    if user is None or not getattr(user, "pk", None):
        return ""
    chosen = LanguagePreference.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return language_offered(chosen or "")


def user_language(user) -> str:
    """The language to write to `user` in: the one they chose, else the site's default."""
    return chosen_language(user) or settings.LANGUAGE_CODE


@contextlib.contextmanager
def in_language_of(user) -> Iterator[str]:
    """Translate what is produced inside this block into `user`'s chosen language.

    Without a choice the language already active stays: in a request, the one the person is
    reading; in a worker, the site's default.
    """
    language = chosen_language(user) or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        yield language


def languages_of(user_ids) -> dict[int, str]:
    """The chosen language of each of these people who chose one (one query)."""
    from core.models import LanguagePreference

    rows = LanguagePreference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language")
    return {user_id: language for user_id, language in rows if language_offered(language)}


def _interpolated(template, values: dict | None) -> str:
    text = str(template)
    if not values:
        return text
    return text % {key: str(value) if isinstance(value, Promise) else value for key, value in values.items()}


_interpolated_later = lazy(_interpolated, str)


def lazy_text(template, values: dict | None = None) -> Promise:
    """`template % values`, translated only when it is turned into text.

    For notices and emails: `lazy_text(gettext_lazy("Dispute on order %(n)s"), {"n": number})`
    is written in the recipient's language by notifications.services (in_recipients_languages),
    whoever's request produced it. Lazy values (other gettext_lazy texts, choice labels) are
    translated in the same language at the same moment.
    """
    return _interpolated_later(template, values)


def choice_label(instance, field_name: str):
    """The (lazy, still untranslated) label of the choice `instance.<field_name>` holds now."""
    value = getattr(instance, field_name)
    return dict(instance._meta.get_field(field_name).flatchoices).get(value, value)


def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """site.js's texts in `language` (Django's JavaScript catalogue, djangojs domain).

    The language is in the address, so browsers may keep the file for an hour instead of
    fetching it with every page; an unknown language answers 404 and site.js keeps English.
    """
    chosen = language_offered(language) or language_offered(language.split("-", 1)[0])
    if not chosen:
        raise Http404("No such language.")
    with translation.override(chosen):
        response = JavaScriptCatalog.as_view()(request)
    patch_cache_control(response, public=True, max_age=3600)
    return response
