"""The dispute team's pages (DSP-5, OPS-1), mounted at /backoffice/disputes/."""

from django.urls import path

from disputes import views_backoffice as views

app_name = "backoffice_disputes"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/request-evidence/", views.request_evidence, name="request_evidence"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/message/", views.message, name="message"),
]
