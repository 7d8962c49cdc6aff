from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve

from core.i18n import javascript_catalog, language_switch
from core.views_backoffice import backoffice_index
from core.views_clock import demo_clock_page
from coupons.urls_manage import backoffice_patterns as coupons_backoffice_patterns
from coupons.urls_manage import sale_page_patterns as coupons_sale_page_patterns
from coupons.urls_manage import seller_patterns as coupons_seller_patterns
from disputes.urls import order_patterns as disputes_order_patterns
from disputes.urls_seller import order_patterns as disputes_seller_order_patterns
from hmong_artisans.api import api
from ledger.urls import buyer_patterns as ledger_buyer_patterns
from ledger.urls import seller_patterns as ledger_seller_patterns
from orders.urls import checkout_patterns as orders_checkout_patterns
from orders.webhooks import tracking_webhook
from returns.webhooks import return_webhook

admin.site.site_header = "Hmong Artisans back office"
admin.site.site_title = "Hmong Artisans"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("backoffice/", backoffice_index, name="backoffice"),  # OPS-1: every staff screen
    path("backoffice/clock/", demo_clock_page, name="demo_clock"),  # 404 unless DEMO_CLOCK is on
    path("language/", language_switch, name="set_language"),  # the header's language switcher (core.i18n)
    path("jsi18n/<str:language>/", javascript_catalog, name="javascript-catalog"),  # site.js texts (djangojs)
    path("api/v1/", api.urls),
    # ACC-3: the email changes only through the six steps of accounts:email_change
    path("accounts/email/", RedirectView.as_view(pattern_name="accounts:email_change"), name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("account/balance/", include(ledger_buyer_patterns)),  # before "account/"
    path("account/appeals/", include("appeals.urls")),  # PAY-3, before "account/"
    path("backoffice/appeals/", include("appeals.backoffice_urls")),
    path("backoffice/help/", include("helpcenter.backoffice_urls")),  # HLP-1, HLP-3, OPS-1
    path("help/", include("helpcenter.urls")),  # HLP-1 … HLP-3
    path("backoffice/returns/", include("returns.backoffice_urls")),  # RET-4, OPS-1
    path("backoffice/refunds/", include("payments.urls_backoffice")),  # OPS-1, RFD-1
    path("backoffice/disputes/", include("disputes.urls_backoffice")),  # DSP-5, OPS-1
    path("backoffice/coupons/", include(coupons_backoffice_patterns)),  # CPN-1, CPN-2
    path("backoffice/sale-pages/", include(coupons_sale_page_patterns)),  # CPN-4
    path("", include("coupons.urls")),  # CPN-4: /account/coupons/, /sale/…, /coupons/…; before "account/"
    path("account/", include("accounts.urls")),
    path("wishlist/", include("wishlist.urls")),
    path("cart/", include("cart.urls")),
    path("seller/orders/<str:number>/dispute/",
         include((disputes_seller_order_patterns, "seller_order_disputes"))),  # before "seller/orders/"
    path("seller/orders/", include("orders.seller_urls")),
    path("seller/disputes/", include("disputes.urls_seller")),  # DSP-2…DSP-6, before "seller/"
    path("webhooks/tracking/", tracking_webhook, name="tracking_webhook"),
    path("webhooks/returns/<slug:provider>/", return_webhook, name="return_webhook"),  # RET-3
    path("returns/", include("returns.urls")),  # RET-1…RET-4 buyer pages
    path("seller/returns/", include("returns.seller_urls")),  # before "seller/"
    path("seller/balance/", include(ledger_seller_patterns)),  # before "seller/"
    path("seller/coupons/", include(coupons_seller_patterns)),  # CPN-1, CPN-2, before "seller/"
    path("seller/messages/", include("messaging.urls_seller")),  # MSG-1, before "seller/"
    path("seller/", include("sellercenter.urls")),
    path("orders/<str:number>/", include((disputes_order_patterns, "order_disputes"))),  # before "orders/"
    path("orders/", include("orders.urls")),
    path("disputes/", include("disputes.urls")),  # DSP-1…DSP-7, WAR-1
    path("checkout/", include((orders_checkout_patterns, "checkout"))),
    path("notices/", include("notifications.urls")),
    path("messages/", include("messaging.urls")),  # MSG-1 buyer–seller chats
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
