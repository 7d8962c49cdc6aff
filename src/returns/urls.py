"""Buyer pages of Free Return, mounted at /returns/."""

from django.urls import path

from returns import views

app_name = "returns"

urlpatterns = [
    path("start/<str:number>/", views.return_start, name="start"),
    path("<int:pk>/", views.return_detail, name="detail"),
    path("<int:pk>/cancel/", views.return_cancel, name="cancel"),
]
