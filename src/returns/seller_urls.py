"""The seller center's returns, mounted at /seller/returns/ (see returns.seller_views)."""

from django.urls import path

from returns import seller_views

app_name = "seller_returns"
urlpatterns = [
    path("", seller_views.return_list, name="list"),
    path("<int:pk>/", seller_views.return_detail, name="detail"),
]
