"""Buyer pages: My Orders and the order page under /orders/, checkout and payment under /checkout/.

Mounted in hmong_artisans.urls as ``path("orders/", include("orders.urls"))`` (namespace
"orders") and ``path("checkout/", include((checkout_patterns, "checkout")))``.
"""

from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/cancel/", views.order_cancel, name="cancel"),
    path("<str:number>/request-cancellation/", views.order_request_cancellation, name="request_cancellation"),
    path("<str:number>/confirm-receipt/", views.order_confirm_receipt, name="confirm_receipt"),
    path("<str:number>/extension/", views.order_request_extension, name="request_extension"),
]

checkout_patterns = [
    path("", views.checkout_start, name="start"),
    path("<int:pk>/", views.checkout_detail, name="detail"),
    path("<int:pk>/pay/", views.checkout_pay, name="pay"),
]
