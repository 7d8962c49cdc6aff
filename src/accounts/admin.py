"""Back office for accounts: people (email sign-in, no username), addresses, API tokens."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts import services
from accounts.models import Address, ApiToken, EmailChange, SignInEvent, SignInHold, User, VerificationCode
from core.errors import DomainError


def _clean_unique_email(form) -> str:
    """Emails are stored lower-case and are unique whatever their case (as at sign-up)."""
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError("An account with this email address already exists.")
    return email


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class AddressInline(admin.TabularInline):
    """Shown on the person's page; edited on the address's own page, where it is checked."""

    model = Address
    extra = 0
    fields = ["first_name", "last_name", "line1", "city", "postal_code", "country", "phone",
              "is_default"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """People sign in with their email address (ACC-1); there is no username."""

    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active",
                    "newsletter_opt_in", "date_joined", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "newsletter_opt_in", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]
    date_hierarchy = "date_joined"
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal details", {"fields": ("first_name", "last_name", "newsletter_opt_in")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "usable_password", "password1", "password2"),
        }),
    )
    inlines = [AddressInline, ApiTokenInline]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []


class AddressAdminForm(forms.ModelForm):
    """Staff edits pass the same checks as everyone's (accounts.services.address_clean)."""

    class Meta:
        model = Address
        fields = ["user", *services.ADDRESS_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if self.errors:  # the basic field checks already said what is wrong
            return cleaned
        data = {name: cleaned.get(name, "") or "" for name in services.ADDRESS_FIELDS}
        try:
            checked = services.address_clean(data)
        except DomainError as exc:
            for name, texts in exc.fields.items():
                for text in texts:
                    self.add_error(name if name in self.fields else None, text)
        else:
            cleaned.update(checked)
        return cleaned


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    form = AddressAdminForm
    list_display = ["full_name", "user", "city", "postal_code", "country", "is_default",
                    "has_complete_name", "created_at"]
    list_filter = ["is_default", "country"]
    search_fields = ["first_name", "last_name", "city", "postal_code", "phone", "user__email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]
    readonly_fields = ["is_default", "created_at"]
    actions = ["make_default"]

    def get_readonly_fields(self, request, obj=None):
        # The owner of an existing address never changes.
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            # The first address of a book is its default (ACC-7).
            obj.is_default = not Address.objects.filter(user=obj.user).exists()
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        services.address_delete(user=obj.user, address_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for address in queryset.select_related("user"):
            services.address_delete(user=address.user, address_id=address.pk)

    @admin.action(description="Make the selected address its owner's default")
    def make_default(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one address.", messages.WARNING)
            return
        address = queryset.select_related("user").get()
        services.address_set_default(user=address.user, address_id=address.pk)
        self.message_user(request, f"{address} is now the default address.", messages.SUCCESS)

    @admin.display(boolean=True, description="complete name (ACC-7)")
    def has_complete_name(self, obj: Address) -> bool:
        return obj.has_complete_name


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API (the key is shown once); staff may rename or revoke them."""

    list_display = ["prefix", "name", "user", "created_at", "last_used_at"]
    search_fields = ["prefix", "name", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False


# --- account security (ACC-3, ACC-5): read-only records for the back office --------------------


class _ReadOnly(admin.ModelAdmin):
    """Records written by the services only; staff look, nobody edits here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EmailChange)
class EmailChangeAdmin(_ReadOnly):
    list_display = ("user", "old_email", "new_email", "step", "created_at", "completed_at")
    list_filter = ("step",)
    search_fields = ("old_email", "new_email", "user__email")


@admin.register(SignInEvent)
class SignInEventAdmin(_ReadOnly):
    list_display = ("user", "at", "ip", "country", "risky", "reason")
    list_filter = ("risky", "reason", "country")
    search_fields = ("user__email", "ip")
    exclude = ("device_hash",)


@admin.register(SignInHold)
class SignInHoldAdmin(_ReadOnly):
    list_display = ("user", "reason", "created_at", "released_at")
    list_filter = ("reason",)
    search_fields = ("user__email",)


@admin.register(VerificationCode)
class VerificationCodeAdmin(_ReadOnly):
    """No code is shown: only its keyed hash is stored (accounts.codes)."""

    list_display = ("user", "purpose", "channel", "created_at", "expires_at", "attempts", "used_at",
                    "sent_at")
    list_filter = ("purpose", "channel")
    search_fields = ("user__email",)
    exclude = ("salt", "code_hash", "destination")
