"""The chat pages (MSG-1): the message center (/messages/), the seller's (/seller/messages/), a
conversation page, the "since id" poll that brings new messages in without reloading (htmx,
every second; 204 when nothing is new), sending (htmx or a plain form post) and the pictures.

Staff may open a conversation page only while a dispute between its buyer and store exists
(messaging.selectors.staff_may_read); each such reading is audited. Anyone else gets a 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, retarget

from core import clock
from core.audit import audit_record
from core.errors import DomainError, NotAllowed
from core.policy import policy
from messaging import selectors, services
from messaging.models import Role

BUYER_BASE = "base.html"
SELLER_BASE = "sellercenter/base.html"


def _error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "messaging/error.html", {"error": error}, status=error.status)


def _after(request: HttpRequest) -> int:
    try:
        return max(0, int(request.GET.get("after") or request.POST.get("after") or 0))
    except ValueError:
        return 0


def _context_preview(request: HttpRequest, conversation) -> dict:
    """The card the composer will attach (?product=<id> or ?order=<number>), when it is valid."""
    product_id, order_number = request.GET.get("product"), request.GET.get("order")
    if not product_id and not order_number:
        return {}
    try:
        return services.context_resolve(
            conversation=conversation, product_id=product_id, order_number=order_number
        )
    except DomainError:
        return {}


def _before(request: HttpRequest) -> int:
    """?before=<id>: the page of older messages (0 = the latest). Bad values read as the latest."""
    try:
        return max(0, min(int(request.GET.get("before") or 0), 2**62))
    except ValueError:
        return 0


def _page_context(request: HttpRequest, conversation, role: str, *, before: int = 0, **extra) -> dict:
    messages = selectors.messages_recent(conversation=conversation, before_id=before or None)
    preview = _context_preview(request, conversation)
    older = bool(messages) and selectors.messages_of(conversation).filter(id__lt=messages[0].pk).exists()
    return {
        "conversation": conversation,
        "role": role,
        "base_template": SELLER_BASE if role == Role.SELLER else BUYER_BASE,
        "chat_messages": messages,
        "last_id": messages[-1].pk if messages else 0,
        "older_before": messages[0].pk if older else 0,  # "Older messages" link (history pages)
        "history": bool(before),  # a page of older messages: no poller, a link back to the latest
        "preview": preview,
        "orders": selectors.buyer_orders_at_store(conversation=conversation) if role == Role.SELLER else [],
        "store": conversation.store,  # the seller center's menu shows the store's links
        **_errors(None),
        "text": "",
        "max_chars": policy.message_max_chars,
        **extra,
    }


@login_required
@require_GET
def message_center(request: HttpRequest) -> HttpResponse:
    """The person's chats with stores, newest first, with unread counts."""
    has_store = hasattr(request.user, "store")
    return render(request, "messaging/center.html", {
        "role": Role.BUYER,
        "base_template": BUYER_BASE,
        "conversations": selectors.conversations_of_buyer(user=request.user)[:100],
        "has_store": has_store,
    })


@login_required
@require_GET
def seller_center(request: HttpRequest) -> HttpResponse:
    """The store's chats with buyers, newest first, with unread counts."""
    store = getattr(request.user, "store", None)
    if store is None:
        return redirect("sellercenter:home")
    return render(request, "messaging/center.html", {
        "role": Role.SELLER,
        "base_template": SELLER_BASE,
        "conversations": selectors.conversations_of_store(store=store)[:100],
        "store": store,
    })


@login_required
@require_http_methods(["GET", "POST"])
def to_store(request: HttpRequest, store_id: str) -> HttpResponse:
    """"Contact": the buyer's conversation with a store, carrying a product or an order card."""
    try:
        store = services.store_for_chat(store_id=store_id)
        if store.owner_id == request.user.pk:
            raise NotAllowed(_("This is your own store; you cannot write to yourself."), code="own_store")
    except DomainError as error:
        return _error(request, error)
    existing = store.conversations.filter(buyer=request.user).first()
    if request.method == "GET" and existing is not None:
        url = reverse("messaging:conversation", args=[existing.pk])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    if request.method == "POST":
        now = clock.now()
        try:
            with transaction.atomic():  # a refused first message leaves no conversation behind
                conversation = services.conversation_start(buyer=request.user, store_id=store.pk, now=now)
                services.message_send(
                    conversation=conversation,
                    sender=request.user,
                    text=request.POST.get("text", ""),
                    product_id=request.POST.get("product_id"),
                    order_number=request.POST.get("order_number"),
                    files=request.FILES.getlist("files"),
                    now=now,
                )
        except DomainError as error:
            return _new_page(request, store, error=error, text=request.POST.get("text", "")[:20000])
        return redirect("messaging:conversation", conversation.pk)
    return _new_page(request, store)


@login_required
@require_GET
def to_buyer(request: HttpRequest, number: str) -> HttpResponse:
    """"Contact buyer" on the seller's order page: the store's chat with that order's buyer,
    opened with the order's card ready to attach."""
    try:
        conversation = services.conversation_start_by_seller(
            seller=request.user, order_number=number, now=clock.now()
        )
    except DomainError as error:
        return _error(request, error)
    url = reverse("seller_messages:conversation", args=[conversation.pk])
    return redirect(f"{url}?{urlencode({'order': number.strip()[:40]})}")


def _errors(error: DomainError | None) -> dict:
    """The composer's errors: per field, or one sentence when the error is about no field."""
    if error is None:
        return {"fields": {}, "general": ""}
    return {"fields": error.fields, "general": "" if error.fields else error.message}


def _new_page(
    request: HttpRequest, store, *, error: DomainError | None = None, text: str = ""
) -> HttpResponse:
    from messaging.models import Conversation

    draft = Conversation(buyer=request.user, store=store)
    source = request.POST if request.method == "POST" else request.GET
    preview = {}
    product_id = source.get("product_id") or source.get("product")
    order_number = source.get("order_number") or source.get("order")
    if product_id or order_number:
        try:
            preview = services.context_resolve(
                conversation=draft, product_id=product_id, order_number=order_number
            )
        except DomainError:
            preview = {}
    return render(request, "messaging/conversation.html", {
        "conversation": None,
        "store": store,
        "role": Role.BUYER,
        "base_template": BUYER_BASE,
        "chat_messages": [],
        "last_id": 0,
        "preview": preview,
        **_errors(error),
        "text": text,
        "send_url": reverse("messaging:to_store", args=[store.pk]),
        "max_chars": policy.message_max_chars,
    }, status=error.status if error else 200)


def _open(request: HttpRequest, pk) -> tuple:
    return selectors.conversation_for(user=request.user, conversation_id=pk, allow_staff=True)


@login_required
@require_GET
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        conversation, role = _open(request, pk)
    except DomainError as error:
        return _error(request, error)
    if role == Role.SELLER and request.resolver_match.namespace != "seller_messages":
        return redirect("seller_messages:conversation", conversation.pk)
    if role == Role.BUYER and request.resolver_match.namespace != "messaging":
        return redirect("messaging:conversation", conversation.pk)
    now = clock.now()
    if role == selectors.STAFF:
        audit_record(actor=request.user, action="messages.conversation_read",
                     data={"conversation": conversation.pk}, at=now)
    else:
        services.conversation_mark_read(conversation=conversation, user=request.user, now=now)
    return render(request, "messaging/conversation.html", _page_context(
        request, conversation, role, before=_before(request),
        send_url=reverse("messaging:send", args=[conversation.pk]),
    ))


# htmx stops polling when a poll answers 286: signed out, or the conversation is no longer theirs.
STOP_POLLING = 286


@require_GET
def poll(request: HttpRequest, pk: int) -> HttpResponse:
    """What is new since `after` (an htmx fragment), or 204 when nothing is."""
    if not request.user.is_authenticated:
        return HttpResponse(status=STOP_POLLING)
    try:
        conversation, role = _open(request, pk)
    except DomainError:
        return HttpResponse(status=STOP_POLLING)
    after = _after(request)
    new = selectors.messages_since(conversation=conversation, after_id=after)
    if not new:
        return HttpResponse(status=204)
    if role != selectors.STAFF:
        services.conversation_mark_read(conversation=conversation, user=request.user, now=clock.now())
    return render(request, "messaging/_poll.html", {
        "conversation": conversation, "role": role, "chat_messages": new, "last_id": new[-1].pk, "oob": True,
    })


@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:  # signed out in another tab: go and sign in again
        login = f"{settings.LOGIN_URL}?{urlencode({'next': reverse('messaging:conversation', args=[pk])})}"
        return HttpResponseClientRedirect(login) if request.htmx else redirect(login)
    try:
        conversation, role = _open(request, pk)
    except DomainError as error:
        return _error(request, error)
    text = request.POST.get("text", "")
    try:
        services.message_send(
            conversation=conversation,
            sender=request.user,
            text=text,
            product_id=request.POST.get("product_id"),
            order_number=request.POST.get("order_number"),
            files=request.FILES.getlist("files"),
            now=clock.now(),
        )
    except DomainError as error:
        if request.htmx:
            response = render(request, "messaging/_composer.html", {
                "conversation": conversation, "role": role, **_errors(error), "text": text[:20000],
                "send_url": reverse("messaging:send", args=[conversation.pk]),
                "preview": _posted_preview(request, conversation), "max_chars": policy.message_max_chars,
            })
            return retarget(response, "#chat-composer")
        page = _page_context(request, conversation, role, **_errors(error), text=text[:20000],
                             send_url=reverse("messaging:send", args=[conversation.pk]))
        return render(request, "messaging/conversation.html", page, status=error.status)
    if request.htmx:
        new = selectors.messages_since(conversation=conversation, after_id=_after(request))
        response = render(request, "messaging/_poll.html", {
            "conversation": conversation, "role": role, "chat_messages": new,
            "last_id": new[-1].pk if new else _after(request), "oob": True,
        })
        response["HX-Trigger"] = "chat-sent"
        return response
    return redirect(services.conversation_url(conversation=conversation, role=role))


def _posted_preview(request: HttpRequest, conversation) -> dict:
    try:
        return services.context_resolve(
            conversation=conversation,
            product_id=request.POST.get("product_id"),
            order_number=request.POST.get("order_number"),
        )
    except DomainError:
        return {}


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A chat picture, only to those who may read the conversation; inline, never sniffed."""
    try:
        item, role = selectors.attachment_for(user=request.user, attachment_id=pk)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    if role == selectors.STAFF:
        audit_record(actor=request.user, action="messages.picture_read", data={"picture": item.pk},
                     at=clock.now())
    return attachment_response(item)


def attachment_response(item) -> FileResponse:
    """The picture inline, with the type we found by its content and no sniffing by the browser."""
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
