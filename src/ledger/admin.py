"""Back office for the ledger: read only; the journal changes only through ledger.services."""

from core.admin import register_read_only_app

register_read_only_app("ledger")
