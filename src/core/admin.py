"""Back office for core, and the read-only admin used for rows only the system writes.

Orders, payments, deadlines and notices change only through their services
(transitions record events, arm deadlines, move money), so the admin shows them
and never edits them. `read_only_admin` builds such an admin from the model's
own fields, so it keeps working when those models gain or lose a column.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core.models import AuditLog, Counter, Holiday, LanguagePreference
from core.money import Money, UnknownCurrency, format_money


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Days without business besides weekends; the business calendar skips them."""

    list_display = ["date", "name"]
    date_hierarchy = "date"
    search_fields = ["name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff may look, never add, change or delete: the system's services own these rows."""

    list_per_page = 50

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def present(model: type[models.Model], names: list[str]) -> list[str]:
    """The names among `names` that are fields of `model` (admin options that survive renames)."""
    fields = {f.name for f in model._meta.get_fields()}
    return [n for n in names if n.split("__", 1)[0] in fields or n == "__str__"]


def _is_foreign_key(model: type[models.Model], name: str) -> bool:
    try:
        return isinstance(model._meta.get_field(name), models.ForeignKey)
    except FieldDoesNotExist:
        return False


def _money_column(field_name: str):
    """A list column showing `<field_name>` (minor units) in the row's currency."""

    @admin.display(description=field_name.removesuffix("_minor").replace("_", " "),
                   ordering=field_name)
    def column(self, obj) -> str:
        try:
            return format_money(Money(getattr(obj, field_name), obj.currency), "en_US")
        except (UnknownCurrency, TypeError):
            return str(getattr(obj, field_name))

    return column


_SKIP_IN_LISTS = (models.TextField, models.JSONField, models.BinaryField, models.FileField)


def read_only_admin(
    model: type[models.Model], *, list_display: list[str] | None = None,
    list_filter: list[str] | None = None, search_fields: list[str] | None = None,
    date_hierarchy: str | None = None, inlines: list | None = None,
) -> type[ReadOnlyAdmin]:
    """A read-only ModelAdmin for `model`; options default to sensible picks from its fields."""
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    if list_display is None:
        shown = [f.name for f in concrete if not isinstance(f, _SKIP_IN_LISTS)][:7]
        list_display = ["__str__", *shown]
    list_display = present(model, list_display)
    if list_filter is None:
        list_filter = [f.name for f in concrete
                       if f.choices or isinstance(f, models.BooleanField)][:4]
    if search_fields is None:
        search_fields = [f.name for f in concrete
                         if isinstance(f, models.CharField) and not f.choices][:4]
    if date_hierarchy is None:
        date_hierarchy = next(
            (f.name for f in concrete if isinstance(f, models.DateTimeField) and not f.null), None
        )
    attrs: dict = {}
    field_names = {f.name for f in concrete}
    if "currency" in field_names:  # show amounts as money, not bare minor units
        for index, name in enumerate(list_display):
            if name.endswith("_minor"):
                column = f"{name}_money"
                attrs[column] = _money_column(name)
                list_display[index] = column
    related = [name for name in list_display if _is_foreign_key(model, name)]
    attrs |= {
        "list_display": list_display,
        "list_filter": present(model, list_filter),
        "search_fields": [s for s in search_fields
                          if s.split("__", 1)[0] in {f.name for f in model._meta.get_fields()}],
        "list_select_related": related,
        "inlines": inlines or [],
    }
    if date_hierarchy and date_hierarchy in field_names:
        attrs["date_hierarchy"] = date_hierarchy
    return type(f"{model.__name__}Admin", (ReadOnlyAdmin,), attrs)


def read_only_inline(model: type[models.Model], *, fields: list[str] | None = None,
                     fk_name: str | None = None) -> type[ReadOnlyInline]:
    if fields is None:
        fields = [f.name for f in model._meta.concrete_fields
                  if not f.primary_key and not isinstance(f, _SKIP_IN_LISTS)][:8]
    fields = present(model, fields)
    attrs = {"model": model, "fields": fields, "readonly_fields": fields}
    if fk_name:
        attrs["fk_name"] = fk_name
    return type(f"{model.__name__}Inline", (ReadOnlyInline,), attrs)


def register_read_only_app(app_label: str, **per_model: dict) -> None:
    """Register every model of an app read-only, with optional options per model name."""
    from django.apps import apps

    for model in apps.get_app_config(app_label).get_models():
        if model in admin.site._registry:
            continue
        options = per_model.get(model.__name__, {})
        admin.site.register(model, read_only_admin(model, **options))


@admin.register(Counter)
class CounterAdmin(ReadOnlyAdmin):
    """Named counters (e.g. the catalog version in cache keys): shown, never edited by hand."""

    list_display = ["name", "value"]
    search_fields = ["name"]


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """What staff did in the back office (and the system on their behalf): read only."""

    list_display = ["at", "action", "actor", "data"]
    list_filter = ["action"]
    search_fields = ["action", "actor__email"]
    date_hierarchy = "at"
    list_select_related = ["actor"]


# The interface language each person chose (core.i18n): the person's own choice, so staff only look.
admin.site.register(LanguagePreference, read_only_admin(LanguagePreference))
