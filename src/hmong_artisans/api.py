"""The JSON API, mounted at /api/v1/. OpenAPI schema: /api/v1/openapi.json, docs: /api/v1/docs.

Authentication: the browser's session (with CSRF on writes) or an
`Authorization: Bearer <token>` header (POST /api/v1/auth/token issues one).
Every error has one shape, see core.api_errors.
"""

from django.utils.translation import gettext_lazy
from ninja import NinjaAPI

from accounts.api import router as accounts_router
from accounts.auth import api_auth
from appeals.api import router as appeals_router
from cart.api import router as cart_router
from catalog.api import router as catalog_router
from core.api_errors import install_error_handlers
from coupons.api import router as coupons_router
from coupons.views_api import sale_pages_router as coupons_sale_pages_router
from coupons.views_api import seller_router as seller_coupons_router
from coupons.views_api import staff_router as staff_coupons_router
from disputes.api import router as disputes_router
from helpcenter.api import router as help_router
from ledger.api import router as ledger_router
from messaging.api import router as messaging_router
from orders.api import router as orders_router
from orders.api import seller_router as seller_orders_router
from returns.api import router as returns_router
from sellercenter.api import router as seller_router
from wishlist.api import router as wishlist_router

api = NinjaAPI(
    title=gettext_lazy("Hmong Artisans API"),
    version="1",
    urls_namespace="api-v1",
    auth=api_auth,
    description=__doc__,
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/wishlist/", wishlist_router)
api.add_router("/cart/", cart_router)
api.add_router("/coupons/", coupons_router)  # CPN-4, CPN-5, CPN-6 (coupons.api)
api.add_router("/", orders_router)  # /checkout, /orders (orders.api)
api.add_router("/", ledger_router)  # /balance, /seller/balance (ledger.api)
api.add_router("/appeals", appeals_router)  # PAY-3 (appeals.api)
api.add_router("/", disputes_router)  # /orders/{number}/dispute, /disputes, /staff/disputes (DSP)
api.add_router("/help", help_router)  # HLP-1 (helpcenter.api)
api.add_router("/messages", messaging_router)  # MSG-1 buyer–seller chats (messaging.api)
api.add_router("/", returns_router)  # /orders/{number}/returns, /returns/{id} (RET, returns.api)
# Before "/seller/": its paths (store, products, …) never start with "orders".
api.add_router("/seller/orders", seller_orders_router)
api.add_router("/seller/coupons", seller_coupons_router)  # CPN-1, CPN-2 (coupons.views_api)
api.add_router("/backoffice/coupons", staff_coupons_router)  # CPN-1, CPN-2 (coupons.views_api)
api.add_router("/backoffice/sale-pages", coupons_sale_pages_router)  # CPN-4 (coupons.views_api)
api.add_router("/seller/", seller_router)
