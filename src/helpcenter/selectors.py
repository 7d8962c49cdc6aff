"""Help center reads: categories, articles, search, votes and their tallies, customs data."""

from __future__ import annotations

import re

from django.db.models import Count, F, FloatField, Prefetch, Q, QuerySet
from django.db.models.functions import Cast, NullIf
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound
from helpcenter.models import ArticleVote, CountryCustoms, HelpArticle, HelpCategory, PostOffice

SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8


def published_articles() -> QuerySet[HelpArticle]:
    return HelpArticle.objects.filter(published=True).select_related("category")


def categories_with_articles() -> list[HelpCategory]:
    """Every category with its published articles (empty categories left out)."""
    cats = HelpCategory.objects.prefetch_related(
        Prefetch("articles", queryset=HelpArticle.objects.filter(published=True), to_attr="published")
    )
    return [c for c in cats if c.published]


def category_get(*, slug: str) -> HelpCategory:
    cat = HelpCategory.objects.filter(slug=slug).first()
    if cat is None:
        raise NotFound(_("There is no such help category."), fields={"category": [_("Unknown category.")]})
    return cat


def article_get(*, slug: str, include_unpublished: bool = False) -> HelpArticle:
    qs = HelpArticle.objects.select_related("category")
    if not include_unpublished:
        qs = qs.filter(published=True)
    article = qs.filter(slug=slug).first()
    if article is None:
        raise NotFound(_("There is no help article at this address."),
                       fields={"slug": [_("No published help article has this address.")]})
    return article


def article_related(*, article: HelpArticle) -> list[HelpArticle]:
    return list(article.related.filter(published=True))


def _with_tallies(qs: QuerySet[HelpArticle]) -> QuerySet[HelpArticle]:
    return qs.annotate(
        yes=Count("votes", filter=Q(votes__helpful=True)),
        no=Count("votes", filter=Q(votes__helpful=False)),
    )


def popular_articles(*, limit: int = 6) -> list[HelpArticle]:
    """The articles most people found helpful (before any vote: the first of each category)."""
    qs = _with_tallies(published_articles()).order_by("-yes", "category__position", "position")
    return list(qs[:limit])


def search_terms(q: str) -> list[str]:
    """The words of a search; too long a query is a field error."""
    q = (q or "").strip()
    if len(q) > SEARCH_MAX_CHARS:
        raise DomainError(
            _("Keep the search under %(n)s characters.") % {"n": SEARCH_MAX_CHARS},
            code="query_too_long", fields={"q": [_("Keep the search under %(n)s characters.")
                                                 % {"n": SEARCH_MAX_CHARS}]}, status=422,
        )
    words = [w for w in re.split(r"\W+", q.lower()) if len(w) >= 2]
    return words[:SEARCH_MAX_WORDS]


def articles_search(*, q: str, category: str = "") -> list[HelpArticle]:
    """Published articles whose title, summary or body hold every word of `q`, title hits first."""
    words = search_terms(q)
    qs = published_articles()
    if category:
        qs = qs.filter(category__slug=category)
    if not words:
        return list(qs) if category else []
    for w in words:
        qs = qs.filter(Q(title__icontains=w) | Q(summary__icontains=w) | Q(body__icontains=w))
    found = list(qs)
    found.sort(key=lambda a: (-sum(w in a.title.lower() for w in words), a.category.position, a.position))
    return found


def vote_of(*, article: HelpArticle, user=None, browser_id: str = "") -> ArticleVote | None:
    if user is not None and user.is_authenticated:
        return ArticleVote.objects.filter(article=article, user=user).first()
    if browser_id:
        return ArticleVote.objects.filter(article=article, browser_id=browser_id).first()
    return None


def article_tallies() -> list[HelpArticle]:
    """HLP-1 (staff): every article with its yes/no counts, the least helpful first — by the
    share of "yes" answers, then by the number of "no"; articles without votes last."""
    qs = _with_tallies(HelpArticle.objects.select_related("category")).annotate(
        ratio=Cast(F("yes"), FloatField()) / Cast(NullIf(F("yes") + F("no"), 0), FloatField()),
    )
    # No votes: NULL (not a division by zero); nulls_last puts those articles at the end.
    return list(qs.order_by(F("ratio").asc(nulls_last=True), "-no", "title"))


def countries_with_help() -> list[str]:
    """Countries with customs information or a post office contact, by code."""
    codes = set(CountryCustoms.objects.values_list("country", flat=True))
    codes |= set(PostOffice.objects.values_list("country", flat=True))
    return sorted(codes)


def customs_for(*, country: str) -> CountryCustoms | None:
    return CountryCustoms.objects.filter(country=country).first()


def post_offices(*, country: str | None = None) -> list[PostOffice]:
    qs = PostOffice.objects.all()
    if country:
        qs = qs.filter(country=country)
    return list(qs)
