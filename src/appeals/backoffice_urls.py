"""Staff pages of appeals (PAY-3, OPS-1), mounted at /backoffice/appeals/."""

from django.urls import path

from appeals import backoffice_views as views

app_name = "backoffice_appeals"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/documents/<int:doc_id>/", views.document, name="document"),
]
