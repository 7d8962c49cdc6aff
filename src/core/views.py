"""The benchmark floor: the cheapest page the stack can serve.

`bench_floor` does one primary-key SELECT and renders a tiny template through
the full middleware stack. bench/pages.py measures the real pages against it,
so the ratio shows what our own page code costs on top of Django itself.
Mounted only when settings.BENCH_ENDPOINTS is true (see hmong_artisans.urls).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.models import Product


def bench_floor(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        product = Product.objects.only("title").get(pk=pk)
    except Product.DoesNotExist:
        raise Http404("No such product") from None
    return render(request, "core/bench_floor.html", {"product": product})
