from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class Holiday(models.Model):
    """A day with no business (besides Saturdays and Sundays) in the business calendar."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Counter(models.Model):
    """A named, monotonically increasing number (e.g. the catalog version used in cache keys)."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class AuditLog(models.Model):
    """A back-office action, for the record: who did what, when, with which values (OPS-1).

    `at` is the wall-clock time (core.clock.real_now), not the demo clock: the log must say
    when something really happened, also when what happened was moving the site's clock.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=gettext_lazy("The staff member; empty for the system or a management command."),
    )
    action = models.CharField(max_length=60)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor or 'system'}"


class LanguagePreference(models.Model):
    """The interface language a signed-in person chose with the header's switcher.

    Emails and notices produced for them outside a request (workers, deadline firings) are
    written in this language (core.i18n.in_language_of); without a row, the site's default.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="language_preference")
    language = models.CharField(max_length=10)  # one of settings.LANGUAGES (core.i18n.language_offered)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
