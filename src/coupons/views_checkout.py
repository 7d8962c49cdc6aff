"""The coupons part of the checkout page (CPN-5, CPN-6), used by orders.views.

- `checkout_coupon_kwargs(data)`: what the checkout form says about coupons, as the keyword
  arguments of orders.services.checkout_place (`promotion_ids`, `codes`).
- `checkout_coupons_context(request, preview)`: the coupon box of the checkout summary — the
  preselected best combination (coupons.selectors.checkout_preview, which the engine explains),
  the alternatives the buyer can switch to, a promo code box with the exact reason a code does
  not apply, and the reason each other coupon does not apply. It also writes the discounts
  into the summary's store orders (`sp.coupon_discounts`, `sp.total` after discounts) and the
  totals to pay, so the page shows the final price and the saving per source.

The form fields: `selection` — "best" (the default: the engine's pick at placing time), "none"
(no coupon; instant discounts still apply, CPN-3) or promotion ids joined by commas;
`promo_code`; and `keep_refund_coupons` — ticked, the buyer's COD refund coupons (PAY-4) are
kept for later; else they are spent on this checkout (the default). A selection the engine
refuses falls back to "best" with the refusal shown.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core import clock
from core.money import Money
from coupons import selectors
from coupons.forms import PROMO_CODE_INPUT_MAX
from coupons.models import Kind

MAX_PICKED = 20
BEST, NONE = "best", "none"
KEEP_REFUND_COUPONS = "keep_refund_coupons"


def _parse_selection(raw: str) -> list[int] | None | str:
    """"best" → None (the engine picks), "none" → [], "3,7" → [3, 7]; anything else → "best"."""
    raw = (raw or "").strip()
    if raw == NONE:
        return []
    parts = [p for p in raw.split(",") if p]
    if not parts or len(parts) > MAX_PICKED or not all(p.isdigit() and len(p) < 19 for p in parts):
        return None
    return sorted({int(p) for p in parts})


def _selection_value(ids) -> str:
    return ",".join(str(i) for i in sorted(ids)) if ids else NONE


def _code(data) -> str:
    return (data.get("promo_code") or "").strip()[:PROMO_CODE_INPUT_MAX]


def _use_refund_coupons(data) -> bool:
    """PAY-4: the buyer's COD refund coupons are spent unless "keep them for later" is ticked."""
    return not data.get(KEEP_REFUND_COUPONS)


def checkout_coupon_kwargs(data) -> dict:
    """checkout_place's coupon arguments from the submitted checkout form."""
    code = _code(data)
    return {
        "promotion_ids": _parse_selection(data.get("selection", "")),
        "codes": [code] if code else [],
        "use_refund_coupons": _use_refund_coupons(data),
    }


def _kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else _("Refund coupon")


def _option(ev: dict, titles: dict[int, str]) -> dict:
    """One selectable combination: its value, what it uses and what it saves per currency."""
    saved: dict[str, int] = {}
    for row in ev["saving"]:
        saved[row["currency"]] = saved.get(row["currency"], 0) + row["amount_minor"]
    return {
        "value": _selection_value(ev["promotion_ids"]),
        "titles": [titles.get(pid, "") for pid in ev["promotion_ids"]],
        "saved": [Money(saved[c], c) for c in sorted(saved)],
    }


def checkout_coupons_context(request, preview) -> dict:
    """The "coupons" context of the checkout summary; annotates `preview` with the discounts."""
    data = request.POST if request.method == "POST" else request.GET
    if preview.is_empty or not request.user.is_authenticated:
        return {"coupons": None}
    now = clock.now()
    code = _code(data)
    wanted = _parse_selection(data.get("selection", ""))
    code_refusal = code_offer = None
    if code:
        code_offer, code_refusal = selectors.promo_code_check(user=request.user, code=code, now=now)
    credits = selectors.credits_for(buyer=request.user)  # PAY-4: COD refund coupons, used by default
    use_credits = bool(credits) and _use_refund_coupons(data)
    result = selectors.checkout_preview(user=request.user, now=now, codes=[code] if code else [],
                                        promotion_ids=wanted, use_refund_coupons=use_credits)
    titles = {row["promotion_id"]: row["title"] for row in result["not_applicable"]}
    for ev in [result["best"], *result["alternatives"]]:
        for row in ev["saving"]:
            if row["promotion_id"]:
                titles[row["promotion_id"]] = row["title"]
    chosen, picked_refusal = result["best"], None
    picked = result.get("picked")
    if picked is not None:
        if picked.get("refusal"):
            picked_refusal = picked["refusal"]["message"]
            wanted = None
        else:
            chosen = picked
            for row in picked["saving"]:
                if row["promotion_id"]:
                    titles[row["promotion_id"]] = row["title"]
    elif code_offer is not None and code_refusal is None:
        # A code that applies: preselect the best combination that uses it.
        evaluations = [result["best"], *result["alternatives"]]
        with_code = [ev for ev in evaluations if code_offer.id in ev["promotion_ids"]]
        if with_code:
            chosen = with_code[0]
            wanted = with_code[0]["promotion_ids"]
    _annotate(preview, chosen)

    options, seen = [], set()
    for ev in [result["best"], *result["alternatives"]]:
        option = _option(ev, titles)
        if option["value"] != NONE and option["value"] not in seen:  # "no coupon" has its own radio
            seen.add(option["value"])
            options.append(option)
    wanted_value = None if wanted is None else _selection_value(wanted)
    if wanted_value not in (None, NONE) and wanted_value not in seen:
        options.append(_option(chosen, titles))
    for i, option in enumerate(options):
        option["checked"] = option["value"] == wanted_value or (wanted is None and i == 0)
        if i == 0:
            option["value"] = BEST  # placing then lets the engine pick the best again
    used = set(chosen["promotion_ids"])
    return {"coupons": {
        "refund_coupons": [{"code": c.code, "left": Money(c.left_minor, c.currency)} for c in credits],
        "refund_coupons_kept": bool(credits) and not use_credits,
        "options": options,
        "has_coupons": bool(options),
        "none_checked": wanted_value == NONE,
        "reason": result["reason"],
        "picked_refusal": picked_refusal,
        "code": code,
        "code_refusal": code_refusal.message if code_refusal else (
            result["codes"][0]["message"] if code and result["codes"] else ""),
        "code_applies": bool(code and code_offer is not None and code_refusal is None),
        "code_used": bool(code_offer is not None and code_offer.id in used),
        "not_applicable": [row for row in result["not_applicable"] if row["promotion_id"] not in used],
        "savings": [{"title": row["title"], "kind": _kind_label(row["kind"]), "funder": row["funder"],
                     "money": Money(row["amount_minor"], row["currency"])} for row in chosen["saving"]],
    }}


def _annotate(preview, chosen: dict) -> None:
    """Put the chosen discounts into the summary's store orders and recompute the totals to pay."""
    by_store = {row["store_id"]: row for row in chosen["orders"]}
    totals: dict[str, int] = {}
    for sp in preview.stores:
        row = by_store.get(sp.store.pk)
        sp.coupon_discounts = []
        if row is not None and row["currency"] == sp.currency:
            sp.coupon_discounts = [
                {"title": d["title"], "kind": _kind_label(d["kind"]), "funder": d["funder"],
                 "money": Money(d["amount_minor"], sp.currency)}
                for d in row["discounts"] if d["amount_minor"]
            ]
        discount = sum(d["money"].amount for d in sp.coupon_discounts)
        sp.discount = Money(discount, sp.currency) if discount else None
        if sp.total is not None:
            sp.total = Money(max(sp.total.amount - discount, 0), sp.currency)
            totals[sp.currency] = totals.get(sp.currency, 0) + sp.total.amount
    if preview.totals:
        preview.totals = [Money(totals[c], c) for c in sorted(totals)]
