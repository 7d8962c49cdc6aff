"""Back office for deadlines: read only; the deadlines worker fires them."""

from core.admin import register_read_only_app

register_read_only_app("deadlines", Deadline={
    "list_display": ["kind", "subject_type", "subject_id", "armed_state", "due_at", "status",
                     "attempts", "outcome"],
    "list_filter": ["status", "kind", "subject_type"],
    "search_fields": ["kind", "subject_type", "outcome"],
    "date_hierarchy": "due_at",
})
