from django.urls import path

from cart import views

app_name = "cart"
urlpatterns = [
    path("", views.cart_view, name="view"),
    path("add/", views.cart_add, name="add"),
    path("update/<int:line_id>/", views.cart_update, name="update"),
    path("remove/<int:line_id>/", views.cart_remove, name="remove"),
]
