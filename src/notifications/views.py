"""The notice center (NTF-1): the signed-in person's notices, newest first; mark read.

Every POST works without JavaScript (redirect back to the list) and with htmx (the
list re-rendered in place, with the header's unread count updated out of band).
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core import clock
from core.errors import NotFound
from notifications import selectors, services

PAGE_SIZE = 20


def signin_required(view):
    """Sign-in required; an htmx request is sent to sign in with HX-Redirect instead of a swap."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        login = f"{settings.LOGIN_URL}?{urlencode({'next': reverse('notifications:list')})}"
        return HttpResponseClientRedirect(login) if request.htmx else redirect(login)

    return wrapper


def _list_context(request: HttpRequest, *, note: str = "") -> dict:
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.notice_list(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {
        "page": page,
        "unread_only": unread_only,
        "unread_count": selectors.notice_unread_count(user=request.user),
        "note": note,
    }


@signin_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    if request.htmx:
        return render(request, "notifications/_list.html", context)
    return render(request, "notifications/list.html", context)


@signin_required
@require_GET
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notice to the page it is about; opening it marks it read."""
    try:
        notice = services.notice_mark_read(user=request.user, notice_id=pk, now=clock.now())
    except NotFound:
        raise Http404("No such notice") from None
    target = notice.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


def _after_change(request: HttpRequest, note: str) -> HttpResponse:
    if request.htmx:
        context = _list_context(request, note=note)
        context["oob_count"] = True
        return render(request, "notifications/_list.html", context)
    messages.success(request, note)
    return redirect(reverse("notifications:list"))


@signin_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.notice_mark_read(user=request.user, notice_id=pk, now=clock.now())
    except NotFound:
        raise Http404("No such notice") from None
    return _after_change(request, "Marked as read.")


@signin_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    changed = services.notice_mark_all_read(user=request.user, now=clock.now())
    note = (
        f"{changed} notice{'s' if changed != 1 else ''} marked as read." if changed else "Nothing was unread."
    )
    return _after_change(request, note)
