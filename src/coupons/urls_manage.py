"""Management pages of coupons: the seller center's (mounted at /seller/coupons/, namespace
"seller_coupons"), the back office's (/backoffice/coupons/, "backoffice_coupons") and the
sale pages' (/backoffice/sale-pages/, "backoffice_sale_pages")."""

from django.urls import path

from coupons import views_manage as views

seller_patterns = ([
    path("", views.seller_list, name="list"),
    path("new/", views.seller_new, name="new"),
    path("<int:pk>/", views.seller_edit, name="edit"),
    path("<int:pk>/pause/", views.seller_pause, name="pause"),
], "seller_coupons")

backoffice_patterns = ([
    path("", views.staff_list, name="list"),
    path("new/", views.staff_new, name="new"),
    path("<int:pk>/", views.staff_edit, name="edit"),
    path("<int:pk>/pause/", views.staff_pause, name="pause"),
], "backoffice_coupons")

sale_page_patterns = ([
    path("", views.sale_page_list, name="list"),
    path("new/", views.sale_page_new, name="new"),
    path("<int:pk>/", views.sale_page_edit, name="edit"),
], "backoffice_sale_pages")
