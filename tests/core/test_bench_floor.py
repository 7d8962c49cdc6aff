"""The benchmark floor page (core.views.bench_floor), mounted only with BENCH_ENDPOINTS."""

import importlib

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import hmong_artisans.urls
from tests.factories import ProductFactory


@pytest.fixture
def bench_urls(settings):
    settings.BENCH_ENDPOINTS = True
    importlib.reload(hmong_artisans.urls)
    clear_url_caches()
    yield
    settings.BENCH_ENDPOINTS = False
    importlib.reload(hmong_artisans.urls)
    clear_url_caches()


def test_floor_is_not_mounted_by_default():
    with pytest.raises(NoReverseMatch):
        reverse("bench_floor", kwargs={"pk": 1})


@pytest.mark.django_db
def test_floor_renders_one_product_with_one_query(bench_urls, client, django_assert_num_queries):
    product = ProductFactory(title="Paj ntaub collar")
    url = reverse("bench_floor", kwargs={"pk": product.pk})
    assert url == f"/_bench/floor/{product.pk}/"
    with django_assert_num_queries(1):
        response = client.get(url)
    assert response.status_code == 200
    assert b"<h1>Paj ntaub collar</h1>" in response.content
    assert not any(t.name == "base.html" for t in response.templates)


@pytest.mark.django_db
def test_floor_unknown_product_is_404(bench_urls, client):
    assert client.get("/_bench/floor/999999/").status_code == 404
