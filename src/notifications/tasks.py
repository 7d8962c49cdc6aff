from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from core.clock import now
from notifications.models import Notice


@task()
def notice_email(notice_id: int) -> str:
    """Email one notice, at most once (emailed_at is set in the same transaction)."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().select_related("user").get(pk=notice_id)
        if notice.emailed_at is not None:
            return "already sent"
        link = f"\n\n{settings.SITE_URL}{notice.url}" if notice.url else ""
        send_mail(
            subject=_("[Hmong Artisans] %(subject)s") % {"subject": notice.subject},
            message=f"{notice.body}{link}",
            from_email=None,
            recipient_list=[notice.user.email],
        )
        notice.emailed_at = now()
        notice.save(update_fields=["emailed_at"])
    return "sent"
