"""The store's chat pages, mounted at /seller/messages/ (MSG-1)."""

from django.urls import path

from messaging import views

app_name = "seller_messages"
urlpatterns = [
    path("", views.seller_center, name="center"),
    path("<int:pk>/", views.conversation_page, name="conversation"),
    path("order/<str:number>/", views.to_buyer, name="to_buyer"),
]
