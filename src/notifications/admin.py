"""Back office for notices sent to people (NTF-1): read only."""

from core.admin import register_read_only_app

register_read_only_app("notifications")
