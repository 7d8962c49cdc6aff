from django.urls import path

from sellercenter import views

app_name = "sellercenter"
urlpatterns = [
    path("", views.home, name="home"),
    path("store/", views.store_edit, name="store_edit"),
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_new, name="product_new"),
    path("products/<int:pk>/", views.product_edit, name="product"),
    path("products/<int:pk>/active/", views.product_active, name="product_active"),
    path("products/<int:pk>/variants/", views.variant_add, name="variant_add"),
    path("products/<int:pk>/variants/<int:variant_pk>/", views.variant_edit,
         name="variant_edit"),
    path("products/<int:pk>/variants/<int:variant_pk>/delete/", views.variant_delete,
         name="variant_delete"),
    path("products/<int:pk>/images/", views.image_upload, name="image_upload"),
    path("products/<int:pk>/images/<int:image_pk>/", views.image_edit, name="image_edit"),
    path("products/<int:pk>/images/<int:image_pk>/delete/", views.image_delete,
         name="image_delete"),
    path("shipping/", views.shipping_list, name="shipping"),
    path("shipping/<int:pk>/", views.shipping_edit, name="shipping_edit"),
    path("shipping/<int:pk>/delete/", views.shipping_delete, name="shipping_delete"),
    path("shipping/<int:pk>/estimates/", views.estimate_set, name="estimate_set"),
    path("shipping/<int:pk>/estimates/<str:country>/delete/", views.estimate_delete,
         name="estimate_delete"),
]
