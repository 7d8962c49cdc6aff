"""Mounted in hmong_artisans.urls: "seller/balance/" (seller_patterns, before "seller/") and
"account/balance/" (buyer_patterns, before "account/"). Names: seller_balance:page, balance:page."""

from django.urls import path

from ledger import views

seller_patterns = ([path("", views.seller_balance, name="page")], "seller_balance")
buyer_patterns = ([path("", views.buyer_balance, name="page")], "balance")
