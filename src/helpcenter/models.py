"""The help center (HLP-1 … HLP-3): categories, articles, "Is this helpful?" votes, and the
customs and post office data of each destination country.

Article bodies are Markdown with a few placeholders (`{{ policy.<name> }}`, see
helpcenter.rendering) so every duration and amount is printed from core.policy (HLP-2).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.countries import country_choices


class HelpCategory(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")

    def __str__(self) -> str:
        return self.name


class HelpArticle(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    category = models.ForeignKey(HelpCategory, on_delete=models.PROTECT, related_name="articles")
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body (Markdown)"))
    related = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")
    published = models.BooleanField(_("published"), default=True)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()
    # The shipped file's checksum when it was last loaded; staff edits set staff_edited_at and
    # from then on the loader leaves the article alone (the database wins).
    source_checksum = models.CharField(max_length=64, blank=True)
    staff_edited_at = models.DateTimeField(null=True, blank=True)
    staff_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["category__position", "position", "title"]
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")

    def __str__(self) -> str:
        return self.title


class ArticleVote(models.Model):
    """One "Is this helpful?" answer per person per article (HLP-1): a signed-in user, or an
    anonymous browser known by the random id in its signed cookie. Changeable."""

    article = models.ForeignKey(HelpArticle, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    browser_id = models.CharField(max_length=40, blank=True)
    helpful = models.BooleanField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="help_vote_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "browser_id"],
                condition=~Q(browser_id=""),
                name="help_vote_one_per_browser",
            ),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(browser_id=""))
                | (Q(user__isnull=True) & ~Q(browser_id="")),
                name="help_vote_user_xor_browser",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class CountryCustoms(models.Model):
    """What a buyer in `country` should know about import duties and VAT (HLP-3). Staff edit it."""

    country = models.CharField(_("country"), max_length=2, unique=True, choices=country_choices)
    thresholds = models.TextField(
        _("duties and VAT thresholds"), help_text=_("Plain text: when duties or VAT are charged.")
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Plain text: anything else worth knowing."))
    customs_website = models.URLField(_("customs authority website"), blank=True)
    updated_at = models.DateTimeField()
    staff_edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("customs information")
        verbose_name_plural = _("customs information")

    def __str__(self) -> str:
        return self.get_country_display()


class PostOffice(models.Model):
    """A local post office or carrier contact in a destination country (HLP-3, the seed's table)."""

    country = models.CharField(_("country"), max_length=2, choices=country_choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    phone = models.CharField(_("phone"), max_length=120)
    website = models.URLField(_("website"), blank=True)
    position = models.PositiveIntegerField(default=0)
    staff_edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["country", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["country", "name"], name="help_post_office_unique")]
        verbose_name = _("post office")
        verbose_name_plural = _("post offices")

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"
