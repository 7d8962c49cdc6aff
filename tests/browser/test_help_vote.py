"""A visitor in a real browser finds a help article and votes it helpful (htmx, no reload), then
changes the answer; one vote per browser. RULE HLP-1."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from helpcenter.loader import help_load
from helpcenter.models import ArticleVote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hlp1_vote_an_article_helpful(page: Page, live_server):
    help_load(now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    page.goto(live_server.url + "/help/")
    help_search = page.locator("#main").get_by_role("search")
    help_search.get_by_label("Search the help center").fill("free return")
    help_search.get_by_role("button", name="Search").click()
    page.locator("#help-results").get_by_role("link", name="How does Free Return work?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How does Free Return work?")

    page.evaluate("window.__sameDocument = true")
    vote = page.locator("#help-vote")
    vote.get_by_role("button", name="Yes").click()
    expect(vote.get_by_role("status")).to_contain_text("Thank you! You found this helpful.")
    expect(vote.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__sameDocument === true"), "the vote reloaded the page"
    assert ArticleVote.objects.filter(article__slug="free-return", helpful=True).count() == 1

    # Changing the answer keeps one vote for this browser, also after a reload.
    vote.get_by_role("button", name="No").click()
    expect(vote.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("#help-vote").get_by_role("status")).to_contain_text("You found this not helpful.")
    assert list(ArticleVote.objects.values_list("helpful", flat=True)) == [False]
