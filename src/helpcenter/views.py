"""Public help center pages (HLP-1 … HLP-3): home, category, article with "Is this helpful?"
(htmx), search, and customs by country."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.countries import country_name, is_country
from core.errors import DomainError, NotFound
from helpcenter import selectors, services
from helpcenter.forms import CountryPickForm
from helpcenter.rendering import render_body

VOTER_COOKIE = "help_voter"
VOTER_SALT = "helpcenter.voter"
VOTER_MAX_AGE = 365 * 24 * 3600


def voter_browser_id(request: HttpRequest) -> str:
    """The anonymous browser id from the signed cookie ("" when absent or forged)."""
    return request.get_signed_cookie(VOTER_COOKIE, default="", salt=VOTER_SALT, max_age=VOTER_MAX_AGE)


def _set_voter(response: HttpResponse, browser_id: str) -> None:
    response.set_signed_cookie(
        VOTER_COOKIE, browser_id, salt=VOTER_SALT, max_age=VOTER_MAX_AGE, httponly=True,
        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/home.html", {
        "categories": selectors.categories_with_articles(),
        "popular": selectors.popular_articles(),
    })


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        cat = selectors.category_get(slug=slug)
    except NotFound:
        raise Http404("No such category") from None
    articles = list(cat.articles.filter(published=True))
    return render(request, "helpcenter/category.html", {"category": cat, "articles": articles})


def _vote_context(request: HttpRequest, article, *, browser_id: str | None = None, error: str = "") -> dict:
    bid = voter_browser_id(request) if browser_id is None else browser_id
    vote = selectors.vote_of(article=article, user=request.user, browser_id=bid)
    return {"article": article, "vote": vote, "vote_error": error}


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        art = selectors.article_get(slug=slug)
    except NotFound:
        raise Http404("No such article") from None
    return render(request, "helpcenter/article.html", {
        **_vote_context(request, art),
        "body": render_body(art.body),
        "related": selectors.article_related(article=art),
    })


@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    """HLP-1: "Is this helpful?" — one changeable vote per person (user or browser cookie)."""
    try:
        art = selectors.article_get(slug=slug)
    except NotFound:
        raise Http404("No such article") from None
    value = request.POST.get("helpful", "")
    browser_id = ""
    new_cookie = False
    if not request.user.is_authenticated:
        browser_id = voter_browser_id(request)
        if not browser_id:
            browser_id, new_cookie = services.browser_id_new(), True
    status = 200
    if value not in ("yes", "no"):
        context = _vote_context(request, art, browser_id=browser_id,
                                error=_("Choose “Yes” or “No”."))
        status = 422
    else:
        try:
            services.vote_cast(article=art, helpful=value == "yes", now=clock.now(), user=request.user,
                               browser_id=browser_id)
        except DomainError as exc:
            context = _vote_context(request, art, browser_id=browser_id, error=exc.message)
            status = exc.status
        else:
            context = {**_vote_context(request, art, browser_id=browser_id), "thanks": True}
    if request.htmx:
        response = render(request, "helpcenter/_vote.html", context, status=status)
    elif status != 200:
        response = render(request, "helpcenter/article.html", {
            **context, "body": render_body(art.body), "related": selectors.article_related(article=art),
        }, status=status)
    else:
        response = redirect(f"{request.path.rsplit('vote/', 1)[0]}#help-vote")
    if new_cookie:
        _set_voter(response, browser_id)
    return response


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    error, results = "", []
    try:
        results = selectors.articles_search(q=q)
    except DomainError as exc:
        error = exc.fields.get("q", [exc.message])[0]
    return render(request, "helpcenter/search.html",
                  {"q": q[:200], "results": results, "error": error, "searched": bool(q.strip())},
                  status=422 if error else 200)


@require_GET
def customs(request: HttpRequest) -> HttpResponse:
    """HLP-3: duties and VAT notes and local post offices for a destination country."""
    raw = request.GET.get("country")
    error = ""
    if raw is None:
        code = getattr(request, "visitor_country", "") or ""
    else:
        code = raw.strip().upper()
        if code and not is_country(code):
            error = _("Choose a country from the list.")
            code = ""
    form = CountryPickForm(initial={"country": code})
    if error:
        form = CountryPickForm(data={"country": raw[:10]})
        form.is_valid()
    countries = selectors.countries_with_help()
    return render(request, "helpcenter/customs.html", {
        "form": form,
        "error": error,
        "country": code,
        "country_label": country_name(code) if code else "",
        "country_choices": [(c, country_name(c)) for c in countries],
        "customs": selectors.customs_for(country=code) if code else None,
        "offices": selectors.post_offices(country=code) if code else [],
        "all_offices": selectors.post_offices(),
    }, status=400 if error else 200)
