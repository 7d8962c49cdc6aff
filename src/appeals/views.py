"""Buyer pages (PAY-3): My appeals and the appeal page, where the documents are sent."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from appeals import selectors, services
from appeals.documents import MAX_FILES
from appeals.models import DocumentKind
from core import clock
from core.errors import DomainError, NotFound
from core.policy import policy
from orders.views import buyer_required


def _own(request: HttpRequest, pk: int):
    try:
        return selectors.buyer_appeal_get(buyer=request.user, appeal_id=pk)
    except NotFound:
        raise Http404("No such appeal") from None


@buyer_required
@require_GET
def appeal_list(request: HttpRequest) -> HttpResponse:
    appeals = list(selectors.buyer_appeals(buyer=request.user))
    return render(request, "appeals/appeal_list.html", {"appeals": appeals})


def _context(appeal, *, errors=None, error: str = "") -> dict:
    return {
        "appeal": appeal,
        "kinds": DocumentKind.choices,
        "errors": errors or {},
        "error": error,
        "max_files": MAX_FILES,
        "max_mb": f"{policy.appeal_document_max_bytes / (1024 * 1024):g}",
        "sla_days": policy.appeal_review_sla_days,
        "countdown": selectors.countdown(appeal, clock.now()),
    }


@buyer_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = _own(request, pk)
    if request.method == "GET":
        return render(request, "appeals/appeal_detail.html", _context(appeal))
    files = [(kind, f) for kind in DocumentKind.values for f in request.FILES.getlist(kind)]
    try:
        services.appeal_documents_submit(appeal=appeal, buyer=request.user, files=files, now=clock.now())
    except DomainError as exc:
        context = _context(appeal, errors=exc.fields, error=exc.message)
        return render(request, "appeals/appeal_detail.html", context, status=exc.status)
    messages.success(request, _("Thank you: your documents are in and the review has started."))
    return redirect("appeals:detail", pk=appeal.pk)


@buyer_required
@require_GET
def appeal_document(request: HttpRequest, pk: int, doc_id: int) -> HttpResponse:
    appeal = _own(request, pk)
    return document_response(appeal, doc_id)


def document_response(appeal, doc_id: int) -> FileResponse:
    doc = appeal.documents.filter(pk=doc_id).first()
    if doc is None:
        raise Http404("No such document")
    response = FileResponse(doc.file.open("rb"), content_type=doc.content_type)
    extension = doc.file.name.rsplit(".", 1)[-1]
    response["Content-Disposition"] = f'inline; filename="document-{doc.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    # shown inline (staff read identity papers in the browser), so it runs nothing: no scripts,
    # no requests, no same-origin access even if a file slipped past the content checks
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
