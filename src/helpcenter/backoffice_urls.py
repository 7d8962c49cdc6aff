"""Staff pages of the help center (HLP-1, HLP-3, OPS-1), mounted at /backoffice/help/."""

from django.urls import path

from helpcenter import backoffice_views as views

app_name = "backoffice_help"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("preview/", views.preview, name="preview"),
    path("customs/", views.customs_list, name="customs"),
    path("customs/<str:country>/", views.customs_edit, name="customs_edit"),
    path("a/<slug:slug>/", views.article_edit, name="edit"),
]
