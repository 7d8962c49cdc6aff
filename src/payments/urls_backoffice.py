"""Staff refunds (OPS-1, RFD-1, RFD-2), mounted at /backoffice/refunds/."""

from django.urls import path

from payments import views_backoffice as views

app_name = "backoffice_refunds"

urlpatterns = [
    path("", views.search, name="search"),
    path("<str:number>/", views.refund, name="refund"),
]
