"""HLP-1 on PostgreSQL: the same person voting from several tabs at the same moment still has exactly
one vote per article (the unique constraints plus vote_cast's retry)."""

import pytest
from django.db import connection

from helpcenter.loader import help_load
from helpcenter.models import ArticleVote, HelpArticle
from helpcenter.services import vote_cast
from tests.factories import UserFactory
from tests.helpcenter.conftest import T0
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions are proven on PostgreSQL only")


def test_hlp1_simultaneous_votes_of_one_person_leave_one_vote():
    help_load(now=T0)
    article = HelpArticle.objects.get(slug="free-return")
    user = UserFactory()
    results = race(*[
        (lambda h=helpful: vote_cast(article=article, helpful=h, now=T0, user=user))
        for helpful in (True, False, True, False)
    ])
    assert [r[0] for r in results] == ["ok"] * 4, results
    assert ArticleVote.objects.filter(article=article, user=user).count() == 1

    results = race(*[
        (lambda: vote_cast(article=article, helpful=True, now=T0, browser_id="same-browser"))
        for _ in range(4)
    ])
    assert [r[0] for r in results] == ["ok"] * 4, results
    assert ArticleVote.objects.filter(article=article, browser_id="same-browser").count() == 1
