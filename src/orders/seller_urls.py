"""The seller's order pages, mounted at /seller/orders/ (see orders.seller_views)."""

from django.urls import path

from orders import seller_views

app_name = "seller_orders"
urlpatterns = [
    path("", seller_views.order_list, name="list"),
    path("<str:number>/", seller_views.order_detail, name="detail"),
    path("<str:number>/ship/", seller_views.order_ship, name="ship"),
    path("<str:number>/cancellation/", seller_views.order_cancellation_answer, name="cancellation"),
    path("<str:number>/extension/", seller_views.order_extension_answer, name="extension"),
    path("<str:number>/tracking/", seller_views.order_tracking_add, name="tracking"),
]
