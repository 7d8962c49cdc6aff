"""Help center API (HLP-1, HLP-2), mounted at /api/v1/help/.

Reading is public. Voting ("Is this helpful?") needs a signed-in person (session or token);
anonymous visitors vote on the article page, where a signed cookie identifies the browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from core import clock
from core.pagination import PagePagination
from core.schemas import ErrorOut
from helpcenter import selectors, services
from helpcenter.rendering import render_body

router = Router(tags=["help"])


class ArticleListItem(Schema):
    slug: str
    title: str
    summary: str
    category: str
    category_name: str
    url: str
    updated_at: dt.datetime


class ArticleOut(ArticleListItem):
    body_html: str = Field(description="The article, rendered: policy numbers filled in, sanitised HTML.")
    related: list[str]
    helpful_yes: int
    helpful_no: int


class VoteIn(Schema):
    value: Literal["yes", "no"]


class VoteOut(Schema):
    article: str
    value: Literal["yes", "no"]
    updated_at: dt.datetime


def _item(a) -> dict:
    from django.urls import reverse

    return {
        "slug": a.slug, "title": a.title, "summary": a.summary, "category": a.category.slug,
        "category_name": a.category.name, "updated_at": a.updated_at,
        "url": reverse("helpcenter:article", kwargs={"slug": a.slug}),
    }


@router.get("/articles", auth=None, response={200: list[ArticleListItem], 422: ErrorOut})
@paginate(PagePagination)
def articles_list(request, q: str = "", category: str = "", **kwargs):
    """Published articles; `q` searches titles and bodies (every word must appear), `category`
    filters by category slug."""
    if q.strip():
        return [_item(a) for a in selectors.articles_search(q=q, category=category)]
    qs = selectors.published_articles()
    if category:
        qs = qs.filter(category__slug=category)
    return [_item(a) for a in qs]


@router.get("/articles/{slug}", auth=None, response={200: ArticleOut, 404: ErrorOut})
def article_get(request, slug: str):
    article = selectors.article_get(slug=slug)
    votes = list(article.votes.values_list("helpful", flat=True))
    return {
        **_item(article),
        "body_html": str(render_body(article.body)),
        "related": [r.slug for r in selectors.article_related(article=article)],
        "helpful_yes": sum(votes),
        "helpful_no": len(votes) - sum(votes),
    }


@router.post("/articles/{slug}/vote", response={200: VoteOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def article_vote(request, slug: str, payload: VoteIn):
    """HLP-1: your "Is this helpful?" answer ("yes" or "no"); sending again changes it."""
    article = selectors.article_get(slug=slug)
    vote = services.vote_cast(article=article, helpful=payload.value == "yes", now=clock.now(),
                              user=request.auth)
    return {"article": article.slug, "value": "yes" if vote.helpful else "no", "updated_at": vote.updated_at}


