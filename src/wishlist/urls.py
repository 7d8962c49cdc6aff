from django.urls import path

from wishlist import views

app_name = "wishlist"
urlpatterns = [
    path("", views.wishlist_list, name="list"),
    path("toggle/<int:product_id>/", views.wishlist_toggle, name="toggle"),
    path("remove/<int:product_id>/", views.wishlist_remove, name="remove"),
    path("move-to-cart/<int:product_id>/", views.wishlist_move_to_cart, name="move_to_cart"),
]
