"""The help center is edited in its own back office (/backoffice/help/), which audits every
change; the Django admin only lists it, read-only."""

from django.contrib import admin

from helpcenter.models import ArticleVote, CountryCustoms, HelpArticle, HelpCategory, PostOffice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HelpArticle)
class HelpArticleAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "category", "published", "updated_at", "staff_edited_at"]
    list_filter = ["category", "published"]
    search_fields = ["title", "slug"]


admin.site.register(HelpCategory, ReadOnlyAdmin)
admin.site.register(ArticleVote, ReadOnlyAdmin)
admin.site.register(CountryCustoms, ReadOnlyAdmin)
admin.site.register(PostOffice, ReadOnlyAdmin)
