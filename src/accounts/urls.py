from django.urls import path

from accounts import views, views_security

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/<int:pk>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", views.address_default, name="address_default"),
    path("email/", views_security.email_change, name="email_change"),  # ACC-3
    path("regain-access/", views_security.regain_access, name="regain_access"),  # ACC-5
    path("find-by-order/", views_security.order_account, name="order_account"),  # ACC-6
]
