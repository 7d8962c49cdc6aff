"""Appeals in the Django admin: read-only (decisions are taken in /backoffice/appeals/)."""

from django.contrib import admin

from appeals.models import Appeal, AppealDocument


class AppealDocumentInline(admin.TabularInline):
    model = AppealDocument
    extra = 0
    can_delete = False
    fields = ["kind", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["pk", "buyer", "state", "created_at", "review_due_at", "decided_at", "decided_by"]
    list_filter = ["state"]
    search_fields = ["buyer__email", "orders__number"]
    inlines = [AppealDocumentInline]
    readonly_fields = [
        "buyer", "payment", "orders", "state", "created_at", "documents_submitted_at",
        "review_due_at", "decided_at", "decided_by", "staff_note",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppealDocument)
class AppealDocumentAdmin(admin.ModelAdmin):
    list_display = ["pk", "appeal", "kind", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["kind"]
    fields = ["appeal", "kind", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
