"""Dispute evidence files (DSP-1, DSP-6): checked by content (core.uploads), at most
policy.evidence_max_bytes each, stored outside the web root (disputes.storage) under
generated names, and served only to the buyer, the seller and staff, as attachments with
`X-Content-Type-Options: nosniff` (`evidence_response`, used by the API and the pages).
"""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from core.policy import policy
from core.uploads import ALL_KINDS, Upload, UploadRejected, upload_check
from disputes.models import Evidence


def evidence_check(upload) -> Upload:
    """One file: its bytes and real type, or UploadRejected (field "files")."""
    return upload_check(upload, limit=policy.evidence_max_bytes, allowed=ALL_KINDS, field="files")


def evidence_check_all(files, fields: dict) -> list[Upload]:
    """Check every file; the reasons for the refused ones go to fields["files"]."""
    files = list(files or [])
    if len(files) > policy.evidence_max_files:
        fields["files"] = [_("Send at most %(n)s files at a time.") % {"n": policy.evidence_max_files}]
        return []
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(evidence_check(upload))
        except UploadRejected as refused:
            errors.append(refused.message)
    if errors:
        fields["files"] = errors
    return checked


def evidence_store(*, dispute, upload: Upload, user, role: str, now: dt.datetime, message=None) -> Evidence:
    evidence = Evidence(
        dispute=dispute,
        message=message,
        uploaded_by=user,
        role=role,
        original_name=upload.original_name,
        content_type=upload.content_type,
        size=upload.size,
        uploaded_at=now,
    )
    evidence.file.save(upload.generated_name(), ContentFile(upload.data), save=False)
    evidence.save()
    return evidence


def evidence_response(evidence: Evidence) -> FileResponse:
    """The file as an attachment, with the type we found and no sniffing by the browser."""
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=f"evidence-{evidence.pk}.{evidence.file.name.rsplit('.', 1)[-1]}",
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
