"""Buyer pages of appeals (PAY-3), mounted at /account/appeals/."""

from django.urls import path

from appeals import views

app_name = "appeals"

urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/documents/<int:doc_id>/", views.appeal_document, name="document"),
]
