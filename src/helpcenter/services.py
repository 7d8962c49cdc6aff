"""Help center writes: votes (HLP-1), staff edits of articles and customs data (HLP-1, HLP-3).

Every staff change is audited (core.audit).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import DomainError, NotAllowed
from helpcenter.models import ArticleVote, CountryCustoms, HelpArticle, HelpCategory, PostOffice
from helpcenter.rendering import body_problems

TITLE_MAX = 200
SUMMARY_MAX = 300
BODY_MAX = 50_000
TEXT_MAX = 2_000


def browser_id_new() -> str:
    """A fresh random id for an anonymous browser (kept in a signed cookie)."""
    return secrets.token_urlsafe(16)


def vote_cast(*, article: HelpArticle, helpful: bool, now: dt.datetime, user=None,
              browser_id: str = "") -> ArticleVote:
    """HLP-1: record the one vote of this person (user, else browser) on `article`; a second
    call changes it."""
    if not article.published:
        raise DomainError(_("This article is not published."), code="not_found", status=404,
                          fields={"slug": [_("No published help article has this address.")]})
    who = {"user": user} if user is not None and user.is_authenticated else {"browser_id": browser_id}
    if not who.get("user") and not browser_id:
        raise DomainError(_("We could not tell who is voting."), code="no_voter")
    for _attempt in range(2):
        vote = ArticleVote.objects.filter(article=article, **who).first()
        if vote is not None:
            if vote.helpful != helpful:
                vote.helpful = helpful
                vote.updated_at = now
                vote.save(update_fields=["helpful", "updated_at"])
            return vote
        try:
            with transaction.atomic():
                return ArticleVote.objects.create(
                    article=article, helpful=helpful, created_at=now, updated_at=now, **who
                )
        except IntegrityError:  # the same person voted at the same moment: change that vote
            continue
    raise DomainError(_("Your vote could not be saved; please try again."), code="conflict", status=409)


def _check_text(fields: dict, name: str, value: str, *, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        fields.setdefault(name, []).append(_("This field is required."))
    elif len(value) > limit:
        fields.setdefault(name, []).append(
            _("Keep this under %(n)s characters (it has %(m)s).") % {"n": limit, "m": len(value)}
        )
    return value


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _staff(staff) -> None:
    if not (staff is not None and staff.is_authenticated and staff.is_staff and staff.is_active):
        raise NotAllowed(_("Only staff can edit the help center."))


def article_update(*, article: HelpArticle, staff, title: str, summary: str, body: str,
                   category: HelpCategory, published: bool, related: list[HelpArticle],
                   now: dt.datetime) -> HelpArticle:
    """A staff edit of an article. From now on the shipped file no longer overwrites it."""
    _staff(staff)
    fields: dict[str, list[str]] = {}
    title = _check_text(fields, "title", title, limit=TITLE_MAX, required=True)
    summary = _check_text(fields, "summary", summary, limit=SUMMARY_MAX, required=False)
    body = _check_text(fields, "body", body, limit=BODY_MAX, required=True)
    if body and "body" not in fields:
        problems = body_problems(body)
        if problems:
            fields["body"] = problems
    if any(r.pk == article.pk for r in related):
        fields.setdefault("related", []).append(_("An article cannot be related to itself."))
    if fields:
        raise DomainError(_("Some fields need attention."), code="invalid_article", fields=fields, status=422)
    before = {"title": article.title, "summary": article.summary, "published": article.published,
              "category": article.category.slug, "body_sha256": _sha(article.body)}
    with transaction.atomic():
        article.title, article.summary, article.body = title, summary, body
        article.category, article.published = category, published
        article.updated_at = article.staff_edited_at = now
        article.staff_edited_by = staff
        article.save()
        article.related.set(related)
        after = {"title": title, "summary": summary, "published": published, "category": category.slug,
                 "body_sha256": _sha(body)}
        audit_record(actor=staff, action="help.article_edit", at=now, data={
            "article": article.slug,
            "changed": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        })
    return article


def customs_update(*, staff, country: str, thresholds: str, notes: str, customs_website: str,
                   now: dt.datetime) -> CountryCustoms:
    """HLP-3: staff create or change a country's customs information."""
    _staff(staff)
    fields: dict[str, list[str]] = {}
    thresholds = _check_text(fields, "thresholds", thresholds, limit=TEXT_MAX, required=True)
    notes = _check_text(fields, "notes", notes, limit=TEXT_MAX, required=False)
    if fields:
        raise DomainError(_("Some fields need attention."), code="invalid_customs", fields=fields, status=422)
    with transaction.atomic():
        customs = CountryCustoms.objects.select_for_update().filter(country=country).first()
        before = None
        if customs is None:
            customs = CountryCustoms(country=country)
        else:
            before = {"thresholds": customs.thresholds, "notes": customs.notes,
                      "customs_website": customs.customs_website}
        customs.thresholds, customs.notes, customs.customs_website = thresholds, notes, customs_website
        customs.updated_at = customs.staff_edited_at = now
        customs.save()
        audit_record(actor=staff, action="help.customs_edit", at=now, data={
            "country": country, "before": before,
            "after": {"thresholds": thresholds, "notes": notes, "customs_website": customs_website},
        })
    return customs


def post_office_save(*, staff, office: PostOffice | None, country: str, name: str, phone: str,
                     website: str, now: dt.datetime) -> PostOffice:
    """HLP-3: staff add or change a post office contact of `country`."""
    _staff(staff)
    fields: dict[str, list[str]] = {}
    name = _check_text(fields, "name", name, limit=120, required=True)
    phone = _check_text(fields, "phone", phone, limit=120, required=True)
    clash = PostOffice.objects.filter(country=country, name=name)
    if office is not None:
        clash = clash.exclude(pk=office.pk)
    if name and clash.exists():
        fields.setdefault("name", []).append(_("This country already has a post office with this name."))
    if fields:
        raise DomainError(_("Some fields need attention."), code="invalid_post_office", fields=fields,
                          status=422)
    before = None
    if office is not None:
        before = {"name": office.name, "phone": office.phone, "website": office.website}
    with transaction.atomic():
        if office is None:
            office = PostOffice(country=country, position=PostOffice.objects.count())
        office.name, office.phone, office.website = name, phone, website
        office.staff_edited_at = now
        office.save()
        audit_record(actor=staff, action="help.post_office_edit", at=now, data={
            "country": country, "post_office": office.pk, "before": before,
            "after": {"name": name, "phone": phone, "website": website},
        })
    return office


def post_office_delete(*, staff, office: PostOffice, now: dt.datetime) -> None:
    _staff(staff)
    with transaction.atomic():
        audit_record(actor=staff, action="help.post_office_delete", at=now, data={
            "country": office.country, "post_office": office.pk,
            "before": {"name": office.name, "phone": office.phone, "website": office.website},
        })
        office.delete()
