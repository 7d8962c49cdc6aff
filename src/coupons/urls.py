"""Buyer pages of coupons (CPN-4), mounted at the site root (namespace "coupons")."""

from django.urls import path

from coupons import views

app_name = "coupons"
urlpatterns = [
    path("account/coupons/", views.my_coupons, name="mine"),
    path("sales/", views.sales, name="sales"),
    path("sale/<slug:slug>/", views.sale_page, name="sale_page"),
    path("coupons/store/<slug:slug>/", views.store_offers, name="store_offers"),
    path("coupons/store/<slug:slug>/follow/", views.follow, name="follow"),
    path("coupons/cart/", views.cart_offers, name="cart_offers"),
    path("coupons/<int:pk>/collect/", views.collect, name="collect"),
]
