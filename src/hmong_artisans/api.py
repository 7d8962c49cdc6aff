"""The JSON API, mounted at /api/v1/. OpenAPI schema: /api/v1/openapi.json, docs: /api/v1/docs.

Authentication: the browser's session (with CSRF on writes) or an
`Authorization: Bearer <token>` header (POST /api/v1/auth/token issues one).
Every error has one shape, see core.api_errors.
"""

from ninja import NinjaAPI

from accounts.api import router as accounts_router
from accounts.auth import api_auth
from appeals.api import router as appeals_router
from cart.api import router as cart_router
from catalog.api import router as catalog_router
from core.api_errors import install_error_handlers
from ledger.api import router as ledger_router
from orders.api import router as orders_router
from orders.api import seller_router as seller_orders_router
from sellercenter.api import router as seller_router
from wishlist.api import router as wishlist_router

api = NinjaAPI(
    title="Hmong Artisans API",
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
api.add_router("/", orders_router)  # /checkout, /orders (orders.api)
api.add_router("/", ledger_router)  # /balance, /seller/balance (ledger.api)
api.add_router("/appeals", appeals_router)  # PAY-3 (appeals.api)
# Before "/seller/": its paths (store, products, …) never start with "orders".
api.add_router("/seller/orders", seller_orders_router)
api.add_router("/seller/", seller_router)
