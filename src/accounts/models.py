from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy

from core.countries import country_choices


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person: buyer, and seller when they own a store. Signs in with email (ACC-1)."""

    username = None
    email = models.EmailField("email address", unique=True)
    newsletter_opt_in = models.BooleanField(
        default=False, help_text=gettext_lazy(
            "Asked at sign-up; unticked unless the person ticks it (ACC-1).")
    )

    sessions_epoch = models.PositiveIntegerField(
        default=0, help_text=gettext_lazy("Raised to sign the person out everywhere else (ACC-3).")
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash (over the password hash), also covering `sessions_epoch`.

        Raising the epoch ends every other session at its next request, exactly as a
        password change does; epoch 0 gives Django's own hash, so nobody is signed out
        by this code being deployed.
        """
        value = self.password if not self.sessions_epoch else f"{self.password}:{self.sessions_epoch}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value, secret=secret, algorithm="sha256",
        ).hexdigest()

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email.split("@", 1)[0]


class Address(models.Model):
    """An entry of a person's address book (ACC-7). A shipping address needs first and last name."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / province / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, choices=country_choices)
    phone = models.CharField(max_length=30)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-created_at"]
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="one_default_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.city}, {self.country}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def has_complete_name(self) -> bool:
        return bool(self.first_name.strip()) and bool(self.last_name.strip())


class ApiToken(models.Model):
    """A bearer token for API clients. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="API client")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text=gettext_lazy(
        "First characters, to recognise the token."))
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str = "API client") -> tuple[ApiToken, str]:
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8])
        return token, key


# --- one-time codes, email change, sign-in risk (ACC-3, ACC-5, ACC-6) ----------------


class VerificationCode(models.Model):
    """A one-time numeric code sent by email or SMS. The code itself is never stored.

    The code is derived from `salt` with a key only the server holds (HMAC of
    SECRET_KEY), so the email/SMS task can send it without it being written
    anywhere; `code_hash` is a keyed hash of the code, compared on entry. A code
    dies when used, when it expires, after too many wrong tries, or when a newer
    code of the same purpose replaces it.
    """

    class Purpose(models.TextChoices):
        EMAIL_CURRENT = "email_current", gettext_lazy("email change: current address")
        EMAIL_NEW = "email_new", gettext_lazy("email change: new address")
        REGAIN_ACCESS = "regain_access", gettext_lazy("regain access (SMS)")
        ORDER_LOOKUP = "order_lookup", gettext_lazy("find the account of an order (SMS)")

    class Channel(models.TextChoices):
        EMAIL = "email"
        SMS = "sms"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="verification_codes")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    destination = models.CharField(max_length=254, help_text=gettext_lazy(
        "The address or phone the code went to."))
    context = models.CharField(max_length=40, blank=True, help_text=gettext_lazy(
        "e.g. the order number (ACC-6)."))
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    max_attempts = models.PositiveSmallIntegerField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class EmailChange(models.Model):
    """One run of the six-step email change (ACC-3)."""

    class Step(models.TextChoices):
        CURRENT_CODE_SENT = "current_code_sent", gettext_lazy("code sent to the current address")
        CURRENT_VERIFIED = "current_verified", gettext_lazy("current address verified")
        NEW_CODE_SENT = "new_code_sent", gettext_lazy("code sent to the new address")
        DONE = "done", gettext_lazy("email changed")
        CANCELLED = "cancelled", "cancelled"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_changes")
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.CURRENT_CODE_SENT)
    old_email = models.EmailField()
    new_email = models.EmailField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    old_notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.old_email} → {self.new_email or '?'} ({self.step})"


class SignInEvent(models.Model):
    """A successful sign-in, with where it came from: the memory of known devices and countries (ACC-5)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    device_hash = models.CharField(max_length=64)
    risky = models.BooleanField(default=False)
    reason = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "device_hash"]), models.Index(fields=["user", "country"])]

    def __str__(self) -> str:
        return f"{self.user} at {self.at:%Y-%m-%d %H:%M} from {self.country or '?'}"


class SignInHold(models.Model):
    """A risky sign-in held until the person verifies a phone by SMS code (ACC-5)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_holds")
    event = models.OneToOneField(SignInEvent, on_delete=models.CASCADE, related_name="hold")
    reason = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    verified_phone = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"hold of {self.user} ({self.reason})"
