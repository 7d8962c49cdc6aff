"""Managing promotions and sale pages (CPN-1, CPN-2): create, edit, pause, resume, and the
redemption statistics shown next to them.

Who may do what:

- a seller manages the *store* kinds (instant discount, store coupon, store promo code) of
  the store they own, and nothing else (another store's promotion is "not found");
- active staff manage the *platform* kinds (coupon, promo code) and sale pages; each staff
  action is written to the audit trail (core.audit, OPS-1).

Every check gives a per-field message (`DomainError.fields`) and nothing is saved when one
fails: percent 1..100, a fixed amount above zero in a known currency (a store's promotions
are in the store's currency), the end after the start, a stock not below what was already
redeemed, a per-user limit of at least 1, a promo code that is normalised (spaces dropped,
upper-cased), made of allowed characters and unique among the live codes of its
scope (the store, or the platform).

Editing and history: a promotion may be edited at any time, also after it was redeemed.
Redemptions and order discounts keep the amounts they were given (`Redemption.amount_minor`,
`OrderDiscount`, `LineDiscount` are never touched here), so a new benefit, minimum spend or
period only applies to orders placed after the edit. Only two things are fixed once a
promotion exists: its kind and its store. The stock may not go below the redemptions already
made (the row is locked while checking, so a redemption cannot slip in between).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Category, Product, Store
from core.audit import audit_record
from core.calendar import business_zone
from core.errors import DomainError, NotAllowed, NotFound
from core.money import Money, currencies
from coupons import selectors
from coupons.models import (
    CODE_KINDS,
    PLATFORM_KINDS,
    STORE_KINDS,
    CollectedCoupon,
    Eligible,
    Kind,
    Promotion,
    Redemption,
    SalePage,
)

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")
CODE_MIN, CODE_MAX = 3, 32
TITLE_MAX, DESCRIPTION_MAX = 120, 300
SALE_NAME_MAX, SALE_SLUG_MAX, SALE_DESCRIPTION_MAX = 120, 80, 2000
PERCENT_BP_MIN, PERCENT_BP_MAX = 100, 10_000  # 1 % … 100 %
AMOUNT_MAX = 10**12  # minor units; far above any order, far below the column's limit
COUNT_MAX = 10_000_000  # stock and per-user limit
MAX_ELIGIBLE_ITEMS = 500  # products or categories named by one promotion

# The fields a promotion is made of (what promotion_create takes and promotion_update may change).
PROMOTION_FIELDS = (
    "kind", "title", "description", "code", "percent_bp", "amount_minor", "currency",
    "max_discount_minor", "min_spend_minor", "starts_at", "ends_at", "eligible_users",
    "product_ids", "category_ids", "per_user_limit", "total_stock", "sale_page_id",
)


class Status:
    """Where a promotion stands at a moment (the lists' status column)."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"
    OUT_OF_STOCK = "out_of_stock"

    LABELS = {
        "scheduled": "Scheduled",
        "running": "Running",
        "paused": "Paused",
        "ended": "Ended",
        "out_of_stock": "Out of stock",
    }


def promotion_status(promotion: Promotion, *, now: dt.datetime) -> str:
    """ended (its end has come) › paused › scheduled (not started) › out of stock › running."""
    if now >= promotion.ends_at:
        return Status.ENDED
    if promotion.paused:
        return Status.PAUSED
    if now < promotion.starts_at:
        return Status.SCHEDULED
    if promotion.total_stock is not None and promotion.redeemed_count >= promotion.total_stock:
        return Status.OUT_OF_STOCK
    return Status.RUNNING


def status_label(status: str) -> str:
    return _(Status.LABELS[status])


def code_normalise(text: str | None) -> str:
    """A promo code as stored and compared: the engine's rule (coupons.selectors.code_normalise:
    every space dropped, upper-case), so what a seller saves is what a buyer's typing matches."""
    return selectors.code_normalise(text)


# --- who may manage what --------------------------------------------------------------------------


def _is_staff(actor) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active and actor.is_staff)


def _check_scope(*, actor, store: Store | None) -> None:
    """A store's promotions belong to its owner; platform ones to active staff."""
    if store is None:
        if not _is_staff(actor):
            raise NotAllowed(_("Only staff manage platform coupons and promo codes."))
    elif actor is None or not actor.is_authenticated or store.owner_id != actor.pk:
        raise NotFound(_("No such store."))


def promotion_for_manager(*, actor, promotion_id: int) -> Promotion:
    """The promotion `actor` may manage, or NotFound (another store's promotion is not found)."""
    promotion = Promotion.objects.select_related("store", "sale_page").filter(pk=promotion_id).first()
    if promotion is None or promotion.archived:
        raise NotFound(_("No such promotion."))
    if promotion.store_id is None:
        if not _is_staff(actor):
            raise NotFound(_("No such promotion."))
    elif actor is None or not actor.is_authenticated or promotion.store.owner_id != actor.pk:
        raise NotFound(_("No such promotion."))
    return promotion


# --- validation ------------------------------------------------------------------------------------


@dataclass
class _Checked:
    """The cleaned values of a promotion and the field errors found."""

    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _int_or_none(checked: _Checked, name: str) -> int | None:
    value = checked.values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        checked.error(name, _("Enter a whole number."))
        return None
    return value


def _validate_promotion(values: dict, *, store: Store | None, existing: Promotion | None,
                        now: dt.datetime) -> _Checked:
    checked = _Checked(values=dict(values))
    v = checked.values
    allowed = STORE_KINDS if store is not None else PLATFORM_KINDS

    kind = v.get("kind")
    if kind not in allowed:
        names = ", ".join(str(Kind(k).label) for k in allowed)
        checked.error("kind", _("Choose one of: %(names)s.") % {"names": names})
        kind = None

    title = (v.get("title") or "").strip()
    if not title:
        checked.error("title", _("Give the promotion a title buyers will see."))
    elif len(title) > TITLE_MAX:
        checked.error("title", _("Keep the title to %(n)d characters or fewer.") % {"n": TITLE_MAX})
    v["title"] = title
    description = (v.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        checked.error("description",
                      _("Keep the description to %(n)d characters or fewer.") % {"n": DESCRIPTION_MAX})
    v["description"] = description

    # The promo code (CPN-1: promo codes are typed at checkout).
    code = code_normalise(v.get("code"))
    if kind in CODE_KINDS:
        if not code:
            checked.error("code", _("Enter the code buyers will type."))
        elif not (CODE_MIN <= len(code) <= CODE_MAX):
            checked.error("code", _("A code has %(lo)d to %(hi)d characters.")
                          % {"lo": CODE_MIN, "hi": CODE_MAX})
        elif not CODE_RE.match(code):
            checked.error("code", _("Use only letters A–Z, digits, hyphens and underscores, "
                                    "starting with a letter or digit."))
        else:
            clash = Promotion.objects.filter(code=code, archived=False, store=store)
            if store is None:
                clash = Promotion.objects.filter(code=code, archived=False, store__isnull=True)
            if existing is not None:
                clash = clash.exclude(pk=existing.pk)
            if clash.exists():
                checked.error("code", _("Another live promotion already uses the code %(code)s.")
                              % {"code": code})
    elif code and kind is not None:
        checked.error("code", _("Only promo codes have a code; coupons are collected and "
                                "instant discounts apply by themselves."))
    v["code"] = code if kind in CODE_KINDS else ""

    # The benefit: a percentage or a fixed amount, never both (CPN-2).
    percent_bp = _int_or_none(checked, "percent_bp")
    amount_minor = _int_or_none(checked, "amount_minor")
    if percent_bp is None and amount_minor is None and "percent_bp" not in checked.errors \
            and "amount_minor" not in checked.errors:
        checked.error("percent_bp", _("Give either a percentage or a fixed amount off."))
    elif percent_bp is not None and amount_minor is not None:
        checked.error("amount_minor", _("Give either a percentage or a fixed amount off, not both."))
    if percent_bp is not None and not (PERCENT_BP_MIN <= percent_bp <= PERCENT_BP_MAX):
        checked.error("percent_bp", _("The percentage must be from 1 to 100."))
    if amount_minor is not None and not (0 < amount_minor <= AMOUNT_MAX):
        checked.error("amount_minor", _("The amount off must be more than zero.") if amount_minor <= 0
                      else _("This amount is far too large."))
    max_discount = _int_or_none(checked, "max_discount_minor")
    if max_discount is not None:
        if percent_bp is None:
            checked.error("max_discount_minor", _("Only a percentage discount has a maximum."))
        elif not (0 < max_discount <= AMOUNT_MAX):
            checked.error("max_discount_minor", _("The maximum discount must be more than zero."))
    min_spend = _int_or_none(checked, "min_spend_minor")
    if min_spend is None and "min_spend_minor" not in checked.errors:
        min_spend = 0
    if min_spend is not None and not (0 <= min_spend <= AMOUNT_MAX):
        checked.error("min_spend_minor", _("The minimum spend cannot be negative.") if min_spend < 0
                      else _("This amount is far too large."))
    v.update(percent_bp=percent_bp, amount_minor=amount_minor, max_discount_minor=max_discount,
             min_spend_minor=min_spend)

    # The currency: a store's promotions are in the store's currency.
    currency = (v.get("currency") or "").strip().upper()
    if store is not None:
        if currency and currency != store.currency:
            checked.error("currency", _("Your store's promotions are in %(currency)s.")
                          % {"currency": store.currency})
        currency = store.currency
    elif not currency:
        checked.error("currency", _("Choose the currency of the amounts."))
    elif currency not in currencies():
        checked.error("currency", _("Unknown currency %(code)s.") % {"code": currency[:3]})
    v["currency"] = currency

    # The period.
    starts_at, ends_at = v.get("starts_at"), v.get("ends_at")
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None:
            checked.error(name, _("Enter a date and time."))
        elif not isinstance(value, dt.datetime) or value.tzinfo is None:
            checked.error(name, _("Enter a date and time with its time zone."))
    if isinstance(starts_at, dt.datetime) and isinstance(ends_at, dt.datetime) \
            and starts_at.tzinfo is not None and ends_at.tzinfo is not None:
        if ends_at <= starts_at:
            checked.error("ends_at", _("The end must be after the start."))
        elif existing is None and ends_at <= now:
            checked.error("ends_at", _("The end must be in the future."))

    # Who and what (CPN-2 eligibility).
    eligible = v.get("eligible_users") or Eligible.EVERYONE
    if eligible not in Eligible.values:
        checked.error("eligible_users", _("Choose who may use it."))
    elif eligible == Eligible.FOLLOWERS and store is None:
        checked.error("eligible_users", _("Only a store's promotions can be limited to its followers."))
    v["eligible_users"] = eligible
    v["product_ids"] = _ids(checked, "product_ids")
    v["category_ids"] = _ids(checked, "category_ids")
    if v["product_ids"]:
        products = Product.objects.filter(pk__in=v["product_ids"])
        if store is not None:
            products = products.filter(store=store)
        found = set(products.values_list("pk", flat=True))
        if found != set(v["product_ids"]):
            checked.error("product_ids", _("Some of these products are not in your store.")
                          if store is not None else _("Some of these products do not exist."))
    if v["category_ids"]:
        found = set(Category.objects.filter(pk__in=v["category_ids"]).values_list("pk", flat=True))
        if found != set(v["category_ids"]):
            checked.error("category_ids", _("Some of these categories do not exist."))

    # Availability (CPN-8).
    per_user = _int_or_none(checked, "per_user_limit")
    if per_user is None and "per_user_limit" not in checked.errors:
        per_user = 1
    if per_user is not None and not (1 <= per_user <= COUNT_MAX):
        checked.error("per_user_limit", _("Each buyer must be able to use it at least once.") if per_user < 1
                      else _("This limit is far too large."))
    stock = _int_or_none(checked, "total_stock")
    redeemed = existing.redeemed_count if existing is not None else 0
    if stock is not None:
        if stock < 1:
            checked.error("total_stock", _("The stock must be at least 1 (leave it empty for no limit)."))
        elif stock > COUNT_MAX:
            checked.error("total_stock", _("This stock is far too large."))
        elif stock < redeemed:
            checked.error("total_stock", _("%(n)d have already been redeemed; the stock cannot be "
                                           "lower than that.") % {"n": redeemed})
    v.update(per_user_limit=per_user, total_stock=stock)

    # A sale page gathers platform coupons (collected by buyers there).
    sale_page_id = _int_or_none(checked, "sale_page_id")
    v["sale_page"] = None
    if sale_page_id is not None:
        if kind != Kind.PLATFORM_COUPON:
            checked.error("sale_page_id", _("Only platform coupons are offered on sale pages."))
        else:
            v["sale_page"] = SalePage.objects.filter(pk=sale_page_id).first()
            if v["sale_page"] is None:
                checked.error("sale_page_id", _("No such sale page."))
    return checked


def _ids(checked: _Checked, name: str) -> list[int]:
    raw = checked.values.get(name) or []
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
        checked.error(name, _("Give a list of ids."))
        return []
    ids = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 2**63 - 1:
            checked.error(name, _("Give a list of ids."))
            return []
        ids.append(item)
    if len(ids) > MAX_ELIGIBLE_ITEMS:
        checked.error(name, _("Name at most %(n)d.") % {"n": MAX_ELIGIBLE_ITEMS})
        return []
    return sorted(set(ids))


def _raise_if_invalid(checked: _Checked) -> None:
    if checked.errors:
        raise DomainError(_("Please correct the marked fields; nothing was saved."),
                          code="validation_error", fields=checked.errors, status=422)


_COLUMNS = ("kind", "title", "description", "code", "percent_bp", "amount_minor", "currency",
            "max_discount_minor", "min_spend_minor", "starts_at", "ends_at", "eligible_users",
            "per_user_limit", "total_stock", "sale_page")


def _snapshot(promotion: Promotion) -> dict:
    """What the audit trail keeps of a promotion (JSON-safe)."""
    data = {}
    for name in _COLUMNS:
        value = getattr(promotion, name if name != "sale_page" else "sale_page_id")
        data[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    data["paused"] = promotion.paused
    return data


def _slug_clash() -> DomainError:
    return DomainError(_("Please correct the marked fields; nothing was saved."), code="validation_error",
                       fields={"slug": [_("Another sale page already has this address.")]}, status=422)


def _code_clash(error: IntegrityError) -> DomainError:
    """Two managers saving the same code at once: the unique index tells the second one."""
    return DomainError(_("Please correct the marked fields; nothing was saved."), code="validation_error",
                       fields={"code": [_("Another live promotion already uses this code.")]}, status=422)


# --- promotions ------------------------------------------------------------------------------------


def promotion_errors(*, store: Store | None, now: dt.datetime, promotion: Promotion | None = None,
                     **values) -> dict[str, list[str]]:
    """The field errors promotion_create (promotion None) or promotion_update would give, saving
    nothing: lets a form whose other fields did not even parse show every problem at once."""
    if promotion is not None:
        current = {name: getattr(promotion, name) for name in _COLUMNS if name != "sale_page"}
        current["sale_page_id"] = promotion.sale_page_id
        current["product_ids"] = list(promotion.products.values_list("pk", flat=True))
        current["category_ids"] = list(promotion.categories.values_list("pk", flat=True))
        values = {**current, **values}
    return _validate_promotion(values, store=store, existing=promotion, now=now).errors


def promotion_create(*, actor, store: Store | None, now: dt.datetime, **values) -> Promotion:
    """A new promotion of `store` (a seller, store kinds) or of the platform (store None, staff)."""
    unknown = set(values) - set(PROMOTION_FIELDS)
    if unknown:
        raise TypeError(f"promotion_create() got unknown fields: {', '.join(sorted(unknown))}")
    _check_scope(actor=actor, store=store)
    checked = _validate_promotion(values, store=store, existing=None, now=now)
    _raise_if_invalid(checked)
    v = checked.values
    try:
        with transaction.atomic():
            promotion = Promotion.objects.create(
                store=store, created_by=actor, created_at=now, updated_at=now,
                **{name: v[name] for name in _COLUMNS},
            )
            promotion.products.set(v["product_ids"])
            promotion.categories.set(v["category_ids"])
            if store is None:
                audit_record(actor=actor, action="coupons.promotion_create",
                             data={"promotion": promotion.pk, "new": _snapshot(promotion),
                                   "products": v["product_ids"], "categories": v["category_ids"]}, at=now)
    except IntegrityError as error:
        raise _code_clash(error) from None
    return promotion


def promotion_update(*, actor, promotion: Promotion, now: dt.datetime, **changes) -> Promotion:
    """Change some fields of a promotion (the others keep their values).

    The kind and the store stay. Redemptions made before keep their amounts: the new values
    apply to orders placed from now on (see the module docstring)."""
    unknown = set(changes) - set(PROMOTION_FIELDS)
    if unknown:
        raise TypeError(f"promotion_update() got unknown fields: {', '.join(sorted(unknown))}")
    promotion = promotion_for_manager(actor=actor, promotion_id=promotion.pk)
    if "kind" in changes and changes["kind"] != promotion.kind:
        raise DomainError(_("Please correct the marked fields; nothing was saved."), code="validation_error",
                          fields={"kind": [_("The kind of a promotion cannot change; create a new one.")]},
                          status=422)
    try:
        with transaction.atomic():
            # Locked: a redemption cannot move redeemed_count while the stock is checked.
            locked = Promotion.objects.select_for_update().get(pk=promotion.pk)
            current = {name: getattr(locked, name) for name in _COLUMNS if name != "sale_page"}
            current["sale_page_id"] = locked.sale_page_id
            current["product_ids"] = list(locked.products.values_list("pk", flat=True))
            current["category_ids"] = list(locked.categories.values_list("pk", flat=True))
            before = _snapshot(locked)
            checked = _validate_promotion({**current, **changes}, store=promotion.store, existing=locked,
                                          now=now)
            _raise_if_invalid(checked)
            v = checked.values
            for name in _COLUMNS:
                setattr(locked, name, v[name])
            locked.updated_at = now
            locked.save(update_fields=[*_COLUMNS, "updated_at"])  # never the counters (redeemed, collected)
            locked.products.set(v["product_ids"])
            locked.categories.set(v["category_ids"])
            if locked.store_id is None:
                audit_record(actor=actor, action="coupons.promotion_update",
                             data={"promotion": locked.pk, "old": before, "new": _snapshot(locked),
                                   "products": v["product_ids"], "categories": v["category_ids"]}, at=now)
    except IntegrityError as error:
        raise _code_clash(error) from None
    return locked


def _set_paused(*, actor, promotion: Promotion, paused: bool, now: dt.datetime) -> Promotion:
    promotion = promotion_for_manager(actor=actor, promotion_id=promotion.pk)
    with transaction.atomic():
        locked = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if locked.paused == paused:
            return locked
        locked.paused = paused
        locked.updated_at = now
        locked.save(update_fields=["paused", "updated_at"])
        if locked.store_id is None:
            action = "coupons.promotion_pause" if paused else "coupons.promotion_resume"
            audit_record(actor=actor, action=action,
                         data={"promotion": locked.pk, "title": locked.title}, at=now)
    return locked


def promotion_pause(*, actor, promotion: Promotion, now: dt.datetime) -> Promotion:
    """Stop a promotion being collected or applied until it is resumed (already placed orders keep it)."""
    return _set_paused(actor=actor, promotion=promotion, paused=True, now=now)


def promotion_resume(*, actor, promotion: Promotion, now: dt.datetime) -> Promotion:
    return _set_paused(actor=actor, promotion=promotion, paused=False, now=now)


# --- sale pages --------------------------------------------------------------------------------------

SALE_PAGE_FIELDS = ("name", "slug", "description", "starts_at", "ends_at")


def _validate_sale_page(values: dict, *, existing: SalePage | None) -> _Checked:
    checked = _Checked(values=dict(values))
    v = checked.values
    name = (v.get("name") or "").strip()
    if not name:
        checked.error("name", _("Give the sale a name."))
    elif len(name) > SALE_NAME_MAX:
        checked.error("name", _("Keep the name to %(n)d characters or fewer.") % {"n": SALE_NAME_MAX})
    v["name"] = name
    raw_slug = (v.get("slug") or "").strip()
    slug = slugify(raw_slug or name)
    if raw_slug and slug != raw_slug.lower():
        checked.error("slug", _("Use only lower-case letters, digits and hyphens."))
    elif not slug:
        checked.error("slug", _("Give the address of the sale page (letters, digits, hyphens)."))
    elif len(slug) > SALE_SLUG_MAX:
        checked.error("slug", _("Keep the address to %(n)d characters or fewer.") % {"n": SALE_SLUG_MAX})
    else:
        clash = SalePage.objects.filter(slug=slug)
        if existing is not None:
            clash = clash.exclude(pk=existing.pk)
        if clash.exists():
            checked.error("slug", _("Another sale page already has this address."))
    v["slug"] = slug
    description = (v.get("description") or "").strip()
    if len(description) > SALE_DESCRIPTION_MAX:
        checked.error("description",
                      _("Keep the description to %(n)d characters or fewer.") % {"n": SALE_DESCRIPTION_MAX})
    v["description"] = description
    starts_at, ends_at = v.get("starts_at"), v.get("ends_at")
    for key, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            checked.error(key, _("Enter a date and time."))
    if not checked.errors.get("starts_at") and not checked.errors.get("ends_at") and ends_at <= starts_at:
        checked.error("ends_at", _("The end must be after the start."))
    return checked


def sale_page_create(*, actor, now: dt.datetime, **values) -> SalePage:
    """A staff campaign with a period, where buyers collect the platform coupons linked to it."""
    if not _is_staff(actor):
        raise NotAllowed(_("Only staff manage sale pages."))
    checked = _validate_sale_page(values, existing=None)
    _raise_if_invalid(checked)
    v = checked.values
    try:
        with transaction.atomic():
            page = SalePage.objects.create(created_at=now, updated_at=now,
                                           **{k: v[k] for k in SALE_PAGE_FIELDS})
            audit_record(actor=actor, action="coupons.sale_page_create",
                         data={"sale_page": page.pk, "name": page.name, "slug": page.slug,
                               "starts_at": page.starts_at.isoformat(), "ends_at": page.ends_at.isoformat()},
                         at=now)
    except IntegrityError:
        raise _slug_clash() from None
    return page


def sale_page_update(*, actor, sale_page: SalePage, now: dt.datetime, **changes) -> SalePage:
    if not _is_staff(actor):
        raise NotAllowed(_("Only staff manage sale pages."))
    unknown = set(changes) - set(SALE_PAGE_FIELDS)
    if unknown:
        raise TypeError(f"sale_page_update() got unknown fields: {', '.join(sorted(unknown))}")
    current = {k: getattr(sale_page, k) for k in SALE_PAGE_FIELDS}
    checked = _validate_sale_page({**current, **changes}, existing=sale_page)
    _raise_if_invalid(checked)
    v = checked.values
    old = {k: (x.isoformat() if isinstance(x, dt.datetime) else x) for k, x in current.items()}
    try:
        with transaction.atomic():
            for k in SALE_PAGE_FIELDS:
                setattr(sale_page, k, v[k])
            sale_page.updated_at = now
            sale_page.save()
            new = {k: (x.isoformat() if isinstance(x, dt.datetime) else x) for k, x in
                   ((k, getattr(sale_page, k)) for k in SALE_PAGE_FIELDS)}
            audit_record(actor=actor, action="coupons.sale_page_update",
                         data={"sale_page": sale_page.pk, "old": old, "new": new}, at=now)
    except IntegrityError:
        raise _slug_clash() from None
    return sale_page


# --- reads for the managers: lists and statistics ----------------------------------------------------


def promotions_of_store(*, store: Store):
    return (Promotion.objects.filter(store=store, archived=False)
            .select_related("store", "sale_page").order_by("-created_at", "-pk"))


def promotions_of_platform():
    return (Promotion.objects.filter(store__isnull=True, archived=False)
            .select_related("sale_page").order_by("-created_at", "-pk"))


def sale_pages():
    return SalePage.objects.annotate(coupon_count=Count("promotions")).order_by("-starts_at", "-pk")


@dataclass
class PromotionStats:
    """What a promotion has done so far (redemptions given back by unpaid orders do not count)."""

    collected: int = 0
    redeemed: int = 0
    orders: int = 0
    discount: list[Money] = field(default_factory=list)  # in the promotion's currency (CPN-7)
    per_day: list[tuple[dt.date, int, list[Money]]] = field(default_factory=list)


def _money_list(amounts: dict[str, int]) -> list[Money]:
    return [Money(amounts[c], c) for c in sorted(amounts)]


def promotion_stats(*, promotion: Promotion) -> PromotionStats:
    """Collected, redeemed, orders, discount given (per currency) and the same per day (business
    time zone), newest day first."""
    used = Redemption.objects.filter(promotion=promotion, status=Redemption.Status.ACTIVE)
    totals = used.aggregate(redeemed=Count("pk"), orders=Count("order", distinct=True))
    discount: dict[str, int] = {}
    for row in used.values("currency").annotate(amount=Sum("amount_minor")):
        discount[row["currency"]] = int(row["amount"] or 0)
    days: dict[dt.date, tuple[int, dict[str, int]]] = {}
    rows = (used.annotate(day=TruncDate("created_at", tzinfo=business_zone()))
            .values("day", "currency").annotate(n=Count("pk"), amount=Sum("amount_minor")))
    for row in rows:
        count, amounts = days.get(row["day"], (0, {}))
        amounts[row["currency"]] = int(row["amount"] or 0)
        days[row["day"]] = (count + row["n"], amounts)
    return PromotionStats(
        collected=CollectedCoupon.objects.filter(promotion=promotion).count(),
        redeemed=totals["redeemed"],
        orders=totals["orders"],
        discount=_money_list(discount),
        per_day=[(day, days[day][0], _money_list(days[day][1])) for day in sorted(days, reverse=True)],
    )


def promotion_list_stats(*, promotions) -> dict[int, PromotionStats]:
    """The list pages' figures for many promotions in three queries (no per-day breakdown)."""
    ids = [p.pk for p in promotions]
    stats = {pk: PromotionStats() for pk in ids}
    collected = (CollectedCoupon.objects.filter(promotion_id__in=ids).values("promotion_id")
                 .annotate(n=Count("pk")))
    for row in collected:
        stats[row["promotion_id"]].collected = row["n"]
    used = Redemption.objects.filter(promotion_id__in=ids, status=Redemption.Status.ACTIVE)
    for row in used.values("promotion_id").annotate(n=Count("pk"), orders=Count("order", distinct=True)):
        stats[row["promotion_id"]].redeemed = row["n"]
        stats[row["promotion_id"]].orders = row["orders"]
    amounts: dict[int, dict[str, int]] = {}
    for row in used.values("promotion_id", "currency").annotate(amount=Sum("amount_minor")):
        amounts.setdefault(row["promotion_id"], {})[row["currency"]] = int(row["amount"] or 0)
    for pk, by_currency in amounts.items():
        stats[pk].discount = _money_list(by_currency)
    return stats

