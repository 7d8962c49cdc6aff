"""Notify a person of an event: an in-site notice now, an email after commit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.functional import Promise

from deadlines.batch import _enqueue_all as enqueue_all
from deadlines.batch import at_batch_end, enqueue, in_firing
from deadlines.batch import current as current_batch
from deadlines.rows import sql_rows
from notifications.models import Notice


def notify(
    *, user, kind: str, event_key: str, subject: str, body: str, url: str = "", now: dt.datetime
) -> Notice | None:
    """Record a notice for `user` about the event `event_key` and enqueue its email.

    Returns None when this person was already notified of this event (and inside a deadline
    firing, where the notice is written at the end of the batch: see notify_many).
    """
    created = notify_many(
        [{"user": user, "kind": kind, "event_key": event_key, "subject": subject, "body": body, "url": url}],
        now=now,
    )
    return created[0] if created else None


def notify_many(
    notes: list[dict], *, now: dt.datetime, languages: dict[int, str] | None = None
) -> list[Notice]:
    """Several notices at once (each a dict of notify()'s arguments; `user_id` may replace `user`).

    One INSERT … ON CONFLICT DO NOTHING on (user, event_key) for all of them: no pre-check
    and no savepoint; a person already notified of an event (perhaps by a concurrent
    firing, a moment ago) is skipped. Each new notice's email task is written in the same
    transaction (outbox). Returns the notices created.

    Inside a deadline firing, the notices of the whole batch are written together at its
    end (same transaction; dropped if the firing fails), and this returns an empty list.

    `languages`: the recipients' chosen languages (user id → LanguagePreference.language, ""
    for none) when the caller read them in this transaction already (no query for those).
    """
    notices = [
        Notice(
            **({"user": note["user"]} if "user" in note else {"user_id": note["user_id"]}),
            kind=note["kind"],
            event_key=note["event_key"],
            subject=note["subject"] if isinstance(note["subject"], Promise) else note["subject"][:200],
            body=note["body"],
            url=note.get("url", ""),
            created_at=now,
        )
        for note in notes
    ]
    if in_firing():
        at_batch_end("notifications.notices", _insert_notices, notices)
        return []
    return _insert_notices([notices], languages)


def in_recipients_languages(notices: list[Notice], known: dict[int, str] | None = None) -> None:
    """Write each lazy (translatable) subject and body in its recipient's language, in place.

    Senders pass gettext_lazy/format_lazy texts, so a seller reading Russian gets a Russian notice
    even when the buyer's English request caused it (core.i18n: the language the person chose).
    One query for all recipients (a whole firing batch at once), none for those in `known`
    (user id → their LanguagePreference.language, "" for none); plain strings stay as they are.
    """
    lazy = [n for n in notices if isinstance(n.subject, Promise) or isinstance(n.body, Promise)]
    if not lazy:
        return
    from core.i18n import language_offered, languages_of

    known = known or {}
    unknown = {notice.user_id for notice in lazy} - known.keys()
    languages = languages_of(unknown) if unknown else {}
    for user_id, language in known.items():
        if language_offered(language or ""):
            languages[user_id] = language
    for notice in lazy:
        with translation.override(languages.get(notice.user_id, settings.LANGUAGE_CODE)):
            notice.subject, notice.body = str(notice.subject)[:200], str(notice.body)


def _insert_notices(groups: list[list[Notice]], languages: dict[int, str] | None = None) -> list[Notice]:
    from notifications.tasks import notice_email

    notices = [notice for group in groups for notice in group]
    in_recipients_languages(notices, languages)
    created = _notices_insert_new(notices)
    if current_batch() is None and len(created) > 1:  # their email tasks in one INSERT too
        enqueue_all([(notice_email, (notice.pk,)) for notice in created])
        return created
    for notice in created:
        enqueue(notice_email, notice.pk)
    return created


_INSERT_SQL = (
    'INSERT INTO "notifications_notice" ("user_id", "event_key", "kind", "subject", "body", "url", '
    '"created_at", "read_at", "emailed_at") VALUES '
)
_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s)"
_CONFLICT = ' ON CONFLICT ("user_id", "event_key") DO NOTHING RETURNING "id", "user_id", "event_key"'
_CHUNK = 500


def _text(value):
    return value if value is None or type(value) is str else str(value)


def _notices_insert_new(notices: list[Notice]) -> list[Notice]:
    """INSERT the notices, skipping a person already notified of the event (one per (user,
    event_key), the first of equal ones here): `INSERT … ON CONFLICT DO NOTHING RETURNING`, no
    pre-check and no savepoint. Returns those inserted, with their pk set."""
    unique: dict[tuple[int, str], Notice] = {}
    for notice in notices:
        unique.setdefault((notice.user_id, notice.event_key), notice)
    pending = list(unique.values())
    created = []
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        params = []
        for n in chunk:
            params += [
                n.user_id, _text(n.event_key), _text(n.kind), _text(n.subject), _text(n.body), _text(n.url),
                n.created_at, n.read_at, n.emailed_at,
            ]
        rows = sql_rows(_INSERT_SQL + ", ".join([_ROW] * len(chunk)) + _CONFLICT, params)
        pks = {(user_id, event_key): pk for pk, user_id, event_key in rows}
        for n in chunk:
            pk = pks.get((n.user_id, n.event_key))
            if pk is not None:
                n.pk = pk
                n._state.adding, n._state.db = False, connection.alias
                created.append(n)
    return created


def notice_mark_read(*, user, notice_id, now: dt.datetime) -> Notice:
    """Mark one of the person's notices read (already read: unchanged). Another's: NotFound."""
    from notifications.selectors import notice_get

    notice = notice_get(user=user, notice_id=notice_id)
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now)
        notice.read_at = now
    return notice


def notice_mark_all_read(*, user, now: dt.datetime) -> int:
    """Mark every unread notice of the person read; returns how many changed."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=now)
