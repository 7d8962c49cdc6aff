from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from core.views_clock import demo_clock_page
from hmong_artisans.api import api
from ledger.urls import buyer_patterns as ledger_buyer_patterns
from ledger.urls import seller_patterns as ledger_seller_patterns
from orders.urls import checkout_patterns as orders_checkout_patterns
from orders.webhooks import tracking_webhook

admin.site.site_header = "Hmong Artisans back office"
admin.site.site_title = "Hmong Artisans"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("backoffice/clock/", demo_clock_page, name="demo_clock"),  # 404 unless DEMO_CLOCK is on
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("account/balance/", include(ledger_buyer_patterns)),  # before "account/"
    path("account/appeals/", include("appeals.urls")),  # PAY-3, before "account/"
    path("backoffice/appeals/", include("appeals.backoffice_urls")),
    path("backoffice/refunds/", include("payments.urls_backoffice")),  # OPS-1, RFD-1
    path("account/", include("accounts.urls")),
    path("wishlist/", include("wishlist.urls")),
    path("cart/", include("cart.urls")),
    path("seller/orders/", include("orders.seller_urls")),
    path("webhooks/tracking/", tracking_webhook, name="tracking_webhook"),
    path("seller/balance/", include(ledger_seller_patterns)),  # before "seller/"
    path("seller/", include("sellercenter.urls")),
    path("orders/", include("orders.urls")),
    path("checkout/", include((orders_checkout_patterns, "checkout"))),
    path("notices/", include("notifications.urls")),
    path("", include("payments.urls")),  # /pay/sim/…, /account/cards/…, /webhooks/payments/…
    path("", include("catalog.urls")),
]

if settings.BENCH_ENDPOINTS:  # `make bench-pages` only; see core.views
    from core.views import bench_floor

    urlpatterns.insert(0, path("_bench/floor/<int:pk>/", bench_floor, name="bench_floor"))

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
