"""The buyer's dispute pages and the evidence downloads.

Mounted in hmong_artisans.urls as ``path("disputes/", include("disputes.urls"))`` (namespace
"disputes"), and ``order_patterns`` as ``path("orders/<str:number>/", include((order_patterns,
"order_disputes")))`` before the orders' own patterns: the order's dispute, the dispute form and
the warranty request form hang off the order's address.
"""

from django.urls import path

from disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("<int:pk>/", views.dispute_detail, name="detail"),
    path("<int:pk>/update/", views.dispute_update, name="update"),
    path("<int:pk>/accept-counter/", views.dispute_accept_counter, name="accept_counter"),
    path("<int:pk>/withdraw/", views.dispute_withdraw, name="withdraw"),
    path("<int:pk>/return-tracking/", views.dispute_return_tracking, name="return_tracking"),
    path("<int:pk>/warranty-confirm/", views.warranty_confirm, name="warranty_confirm"),
    path("<int:pk>/warranty-reopen/", views.warranty_reopen, name="warranty_reopen"),
    path("<int:pk>/message/", views.dispute_message, name="message"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence, name="evidence"),
]

order_patterns = [
    path("dispute/", views.order_dispute, name="current"),
    path("dispute/open/", views.dispute_open, name="open"),
    path("dispute/open/amount/", views.dispute_open_amount, name="open_amount"),
    path("warranty/", views.warranty_open, name="warranty"),
]
