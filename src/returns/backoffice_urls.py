"""Staff pages of Free Return (RET-4, OPS-1), mounted at /backoffice/returns/."""

from django.urls import path

from returns import backoffice_views as views

app_name = "backoffice_returns"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/inspect/", views.inspect, name="inspect"),
]
