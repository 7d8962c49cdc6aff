"""Read-only admin listings of disputes (OPS-1). Staff act through the dispute team's screens
and API, which go through disputes.services and are audited; the admin changes nothing."""

from django.contrib import admin

from disputes.models import Dispute, DisputeEvent, DisputeLine, DisputeMessage, Evidence, ReturnScan


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = DisputeEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "kind", "from_state", "to_state", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(ReadOnly):
    list_display = (
        "pk",
        "order",
        "kind",
        "state",
        "reason",
        "amount_minor",
        "currency",
        "due_at",
        "opened_at",
    )
    list_filter = ("kind", "state", "is_open")
    search_fields = ("order__number",)
    inlines = [EventInline]


# Every model is listed (read-only): lines, events, messages and evidence metadata (the files
# themselves are served only through the dispute pages, to the two parties and staff).
admin.site.register([DisputeLine, DisputeEvent, DisputeMessage, Evidence, ReturnScan], ReadOnly)
