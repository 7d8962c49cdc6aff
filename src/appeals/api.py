"""Appeals API (PAY-3): the buyer's card verification appeals and their documents.

Staff decide in the back office (/backoffice/appeals/), not through this API.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from appeals import selectors, services
from appeals.models import Appeal, DocumentKind
from core import clock
from core.schemas import ErrorOut

router = Router(tags=["appeals"])


class AppealDocumentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class AppealOut(Schema):
    id: int
    state: str
    state_label: str
    payment_id: int
    orders: list[str]
    amount_minor: int
    currency: str
    created_at: dt.datetime
    documents_submitted_at: dt.datetime | None
    review_due_at: dt.datetime | None
    decided_at: dt.datetime | None
    staff_note: str
    documents: list[AppealDocumentOut]


def _out(appeal: Appeal) -> dict:
    return {
        "id": appeal.pk,
        "state": appeal.state,
        "state_label": appeal.get_state_display(),
        "payment_id": appeal.payment_id,
        "orders": [o.number for o in appeal.orders.all()],
        "amount_minor": appeal.payment.amount_minor,
        "currency": appeal.payment.currency,
        "created_at": appeal.created_at,
        "documents_submitted_at": appeal.documents_submitted_at,
        "review_due_at": appeal.review_due_at,
        "decided_at": appeal.decided_at,
        "staff_note": appeal.staff_note if appeal.decided_at else "",
        "documents": list(appeal.documents.all()),
    }


ERRORS = {401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("", response={200: list[AppealOut], 401: ErrorOut}, summary=_("My card verification appeals"))
def appeals_list(request):
    """Your appeals, newest first (PAY-3)."""
    return [_out(a) for a in selectors.buyer_appeals(buyer=request.auth).prefetch_related("documents")]


@router.get("/{appeal_id}", response={200: AppealOut, 401: ErrorOut, 404: ErrorOut})
def appeal_get(request, appeal_id: int):
    """One of your appeals; another person's answers 404."""
    return _out(selectors.buyer_appeal_get(buyer=request.auth, appeal_id=appeal_id))


@router.post("/{appeal_id}/documents", response={200: AppealOut, **ERRORS})
def appeal_documents(
    request,
    appeal_id: int,
    id_document: File[list[UploadedFile]] = None,
    card_photo: File[list[UploadedFile]] = None,
    bank_statement: File[list[UploadedFile]] = None,
):
    """Send the documents (multipart/form-data), once: files in the fields `id_document`,
    `card_photo` and `bank_statement` (each may hold several files, at most 5 in all), PDF,
    JPEG or PNG recognised by content, each at most policy.appeal_document_max_bytes. The
    appeal goes under review; 422 with per-field messages when a file is refused (nothing is
    stored), 409 `appeal_not_awaiting_documents` when they were already sent."""
    appeal = selectors.buyer_appeal_get(buyer=request.auth, appeal_id=appeal_id)
    files = [(kind, f) for kind in DocumentKind.values for f in request.FILES.getlist(kind)]
    services.appeal_documents_submit(appeal=appeal, buyer=request.auth, files=files, now=clock.now())
    return _out(selectors.buyer_appeal_get(buyer=request.auth, appeal_id=appeal_id))
