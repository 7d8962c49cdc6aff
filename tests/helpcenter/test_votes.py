"""'Is this helpful?' votes: one per person per article, changeable; anonymous browsers are known by
a signed cookie. Pages (htmx) and API, with bad input. RULE HLP-1."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from helpcenter.models import ArticleVote, HelpArticle
from helpcenter.services import vote_cast
from helpcenter.views import VOTER_COOKIE
from tests.factories import UserFactory
from tests.helpcenter.conftest import T0

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def vote_url(slug="cancel-an-order"):
    return reverse("helpcenter:vote", kwargs={"slug": slug})


def tally(slug="cancel-an-order"):
    votes = ArticleVote.objects.filter(article__slug=slug)
    return votes.filter(helpful=True).count(), votes.filter(helpful=False).count()


def test_hlp1_a_signed_in_person_has_one_vote_and_can_change_it(help_center, client):
    client.force_login(UserFactory())
    response = client.post(vote_url(), {"helpful": "yes"}, **HTMX)
    assert response.status_code == 200
    assert "Thank you! You found this helpful." in response.content.decode()
    assert 'value="yes" class="secondary" aria-pressed="true"' in response.content.decode()
    client.post(vote_url(), {"helpful": "yes"}, **HTMX)
    assert tally() == (1, 0)
    client.post(vote_url(), {"helpful": "no"}, **HTMX)
    assert tally() == (0, 1)
    assert ArticleVote.objects.count() == 1
    # The article page shows the person's current answer.
    page = client.get(reverse("helpcenter:article", kwargs={"slug": "cancel-an-order"})).content.decode()
    assert "You found this not helpful." in page


def test_hlp1_an_anonymous_browser_votes_once_through_its_signed_cookie(help_center, client):
    first = client.post(vote_url(), {"helpful": "no"}, **HTMX)
    assert first.status_code == 200
    cookie = first.cookies[VOTER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    second = client.post(vote_url(), {"helpful": "yes"}, **HTMX)  # the same browser changes its mind
    assert VOTER_COOKIE not in second.cookies  # no new id
    assert tally() == (1, 0)
    vote = ArticleVote.objects.get()
    assert vote.user is None and vote.browser_id and vote.browser_id in cookie.value

    other = type(client)()  # another browser: another vote
    other.post(vote_url(), {"helpful": "yes"}, **HTMX)
    assert tally() == (2, 0)


def test_hlp1_a_forged_cookie_is_ignored(help_center, client):
    client.cookies[VOTER_COOKIE] = "made-up-id"
    response = client.post(vote_url(), {"helpful": "yes"}, **HTMX)
    assert response.status_code == 200
    assert ArticleVote.objects.get().browser_id != "made-up-id"
    assert VOTER_COOKIE in response.cookies


def test_hlp1_without_htmx_the_vote_redirects_back_to_the_article(help_center, client):
    response = client.post(vote_url(), {"helpful": "yes"})
    assert response.status_code == 302
    assert response["Location"] == "/help/a/cancel-an-order/#help-vote"
    assert tally() == (1, 0)


def test_hlp1_bad_votes_change_nothing(help_center, client):
    for value in ["", "maybe", "YES", "1" * 500]:
        response = client.post(vote_url(), {"helpful": value}, **HTMX)
        assert response.status_code == 422
        assert "Choose “Yes” or “No”." in response.content.decode()
    assert client.post(vote_url(), {"helpful": "maybe"}).status_code == 422  # the full page too
    assert client.post(vote_url("no-such-article"), {"helpful": "yes"}).status_code == 404
    assert client.get(vote_url()).status_code == 405
    HelpArticle.objects.filter(slug="wish-list").update(published=False)
    assert client.post(vote_url("wish-list"), {"helpful": "yes"}).status_code == 404
    assert ArticleVote.objects.count() == 0


def test_hlp1_the_database_refuses_a_second_vote_of_the_same_person(help_center):
    article = HelpArticle.objects.get(slug="cancel-an-order")
    user = UserFactory()
    vote_cast(article=article, helpful=True, now=T0, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, user=user, helpful=False, created_at=T0, updated_at=T0)
    vote_cast(article=article, helpful=True, now=T0, browser_id="b1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVote.objects.create(article=article, browser_id="b1", helpful=False, created_at=T0,
                                   updated_at=T0)
    with pytest.raises(IntegrityError), transaction.atomic():  # neither a user nor a browser
        ArticleVote.objects.create(article=article, helpful=False, created_at=T0, updated_at=T0)


# --- API ------------------------------------------------------------------------------------------


def api_vote(client, slug, body):
    return client.post(f"/api/v1/help/articles/{slug}/vote", data=json.dumps(body),
                       content_type="application/json")


def test_hlp1_api_vote_needs_a_person_and_is_changeable(help_center, client):
    assert api_vote(client, "free-return", {"value": "yes"}).status_code == 401
    client.force_login(UserFactory())
    response = api_vote(client, "free-return", {"value": "yes"})
    assert response.status_code == 200 and response.json()["value"] == "yes"
    assert api_vote(client, "free-return", {"value": "no"}).json()["value"] == "no"
    assert tally("free-return") == (0, 1)
    detail = client.get("/api/v1/help/articles/free-return").json()
    assert (detail["helpful_yes"], detail["helpful_no"]) == (0, 1)


def test_hlp1_api_vote_bad_input_gets_a_field_message(help_center, client):
    client.force_login(UserFactory())
    response = api_vote(client, "free-return", {"value": "maybe"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error" and "value" in response.json()["fields"]
    response = api_vote(client, "free-return", {})
    assert response.status_code == 422 and response.json()["fields"]["value"] == ["This field is required."]
    response = api_vote(client, "no-such-article", {"value": "yes"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and "slug" in response.json()["fields"]
    response = client.post("/api/v1/help/articles/free-return/vote", data="not json",
                           content_type="application/json")
    assert 400 <= response.status_code < 500
    assert ArticleVote.objects.count() == 0
