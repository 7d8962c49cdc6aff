"""The seller center's dispute pages, mounted at /seller/disputes/ (namespace "seller_disputes"),
and ``order_patterns`` at /seller/orders/<number>/dispute/ (namespace "seller_order_disputes")."""

from django.urls import path

from disputes import views_seller as views

app_name = "seller_disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("<int:pk>/", views.dispute_detail, name="detail"),
    path("<int:pk>/agree/", views.dispute_agree, name="agree"),
    path("<int:pk>/refuse/", views.dispute_refuse, name="refuse"),
    path("<int:pk>/confirm-return/", views.dispute_confirm_return, name="confirm_return"),
    path("<int:pk>/object-return/", views.dispute_object_return, name="object_return"),
    path("<int:pk>/warranty-reship/", views.warranty_reship, name="warranty_reship"),
    path("<int:pk>/message/", views.dispute_message, name="message"),
]

order_patterns = [
    path("", views.order_dispute, name="current"),
]
