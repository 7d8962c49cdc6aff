"""Free Returns in the Django admin: read-only (state changes go through returns.services;
staff record inspections at /backoffice/returns/, audited)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from returns.models import ReturnEvent, ReturnLine, ReturnRequest


class ReturnLineInline(admin.TabularInline):
    model = ReturnLine
    extra = 0
    can_delete = False
    readonly_fields = ["order_line", "quantity", "units_good"]


class ReturnEventInline(admin.TabularInline):
    model = ReturnEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "actor_user", "kind", "from_state", "to_state", "reason", "location",
                       "external_id"]
    exclude = ["data"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["return_code", "order", "state", "is_free", "provider", "created_at", "refund_minor"]
    list_filter = ["state", "is_free", "provider"]
    search_fields = ["return_code", "order__number", "buyer__email"]
    inlines = [ReturnLineInline, ReturnEventInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register([ReturnLine, ReturnEvent], ReadOnlyAdmin)
