"""The buyer's chat pages, mounted at /messages/ (MSG-1); the poll, send and picture URLs serve
both sides (the role comes from who asks)."""

from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.message_center, name="center"),
    path("to/<str:store_id>/", views.to_store, name="to_store"),
    path("<int:pk>/", views.conversation_page, name="conversation"),
    path("<int:pk>/poll/", views.poll, name="poll"),
    path("<int:pk>/send/", views.send, name="send"),
    path("pictures/<int:pk>/", views.attachment, name="attachment"),
]
