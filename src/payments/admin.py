"""Back office for payments and refunds: read only; money moves only through payments.services."""

from core.admin import register_read_only_app

register_read_only_app("payments")
