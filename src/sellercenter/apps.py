from django.apps import AppConfig


class SellercenterConfig(AppConfig):
    name = "sellercenter"
    verbose_name = "Seller center"
