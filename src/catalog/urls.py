from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("stores/", views.stores, name="stores"),
    path("s/<slug:slug>/", views.store, name="store"),
    path("p/<slug:slug>/", views.product, name="product"),
    path("p/<slug:slug>/contact/", views.contact_seller, name="contact_seller"),
    path("visitor/", views.set_visitor, name="set_visitor"),
]
