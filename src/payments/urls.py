"""URLs of the payments app, mounted at the site root (before the catalog's catch-all):
the simulated provider's hosted card page, the saved cards and the provider webhooks."""

from django.urls import path

from payments import views
from payments.webhooks import payment_webhook

app_name = "payments"

urlpatterns = [
    path("pay/sim/card/", views.sim_card_page, name="sim_card"),
    path("account/cards/", views.card_list, name="cards"),
    path("account/cards/add/", views.card_add, name="card_add"),
    path("account/cards/<int:pk>/remove/", views.card_remove, name="card_remove"),
    path("webhooks/payments/<slug:provider>/", payment_webhook, name="webhook"),
]
