"""HLP-4: from a rule id to the help article that explains it.

`article_for_rule("ORD-5")` gives the address of the article (and the heading) that explains
rule ORD-5; the `{% help_link %}` tag (helpcenter.templatetags.help_links) puts that link next to
every "why can't I…?" answer, whose Decision carries the rule id. Any area's rule id works: an
id not listed falls back to the article of its family (DSP-9 → the dispute process).
"""

from __future__ import annotations

from django.urls import reverse

# rule id → (article slug, heading anchor or "")
RULE_ARTICLES: dict[str, tuple[str, str]] = {
    "ACC-1": ("cannot-sign-in", ""),
    "ACC-2": ("cannot-sign-in", "forgot-password"),
    "ACC-3": ("change-email-address", ""),
    "ACC-4": ("social-sign-in", ""),
    "ACC-5": ("unusual-activity", ""),
    "ACC-6": ("find-order-account", ""),
    "ACC-7": ("create-an-account", "addresses"),
    "CAT-1": ("when-will-my-order-ship", "processing-time"),
    "WSH-1": ("wish-list", ""),
    "CPN-1": ("get-coupons", "kinds"),
    "CPN-2": ("use-coupons", "conditions"),
    "CPN-3": ("use-coupons", "stacking"),
    "CPN-4": ("get-coupons", ""),
    "CPN-5": ("use-coupons", "checkout"),
    "CPN-6": ("coupon-not-working", ""),
    "CPN-7": ("use-coupons", "partial-refunds"),
    "CPN-8": ("coupon-not-working", "out-of-stock"),
    "ORD-1": ("order-statuses", "one-order-per-store"),
    "ORD-2": ("order-statuses", ""),
    "ORD-3": ("cancel-an-order", "unpaid"),
    "ORD-4": ("when-will-my-order-ship", "ship-by"),
    "ORD-5": ("cancel-an-order", "paid-order"),
    "ORD-6": ("track-my-order", ""),
    "ORD-7": ("buyer-protection", "confirm-receipt"),
    "ORD-8": ("why-was-my-order-closed", "security-review"),
    "ORD-9": ("why-was-my-order-closed", "refund"),
    "PAY-1": ("saved-cards", ""),
    "PAY-2": ("card-payment-declined", "declines"),
    "PAY-3": ("card-verification", ""),
    "PAY-4": ("payment-methods", ""),
    "PAY-5": ("payment-methods", "paying-twice"),
    "RFD-1": ("where-does-my-refund-go", ""),
    "RFD-2": ("when-will-i-get-my-refund", ""),
    "BP-1": ("buyer-protection", ""),
    "BP-2": ("buyer-protection", "how-long"),
    "BP-3": ("why-cant-i-open-a-dispute", ""),
    "BP-4": ("extend-buyer-protection", ""),
    "DSP-1": ("open-a-dispute", "how"),
    "DSP-2": ("dispute-process", "seller-answer"),
    "DSP-3": ("return-goods", "in-a-dispute"),
    "DSP-4": ("dispute-process", "disagreement"),
    "DSP-5": ("dispute-process", "dispute-team"),
    "DSP-6": ("dispute-process", "negotiate"),
    "DSP-7": ("open-a-dispute", "paypal"),
    "RET-1": ("free-return", ""),
    "RET-2": ("free-return", "one-per-order"),
    "RET-3": ("free-return", "how"),
    "RET-4": ("free-return", "refund"),
    "WAR-1": ("commercial-warranty", ""),
    "MSG-1": ("contact-a-seller", ""),
    "HLP-3": ("customs-duties-and-taxes", ""),
}

# A rule family's article, for ids added later.
FAMILY_ARTICLES: dict[str, tuple[str, str]] = {
    "ACC": ("cannot-sign-in", ""),
    "CPN": ("coupon-not-working", ""),
    "ORD": ("order-statuses", ""),
    "PAY": ("card-payment-declined", ""),
    "RFD": ("when-will-i-get-my-refund", ""),
    "BP": ("buyer-protection", ""),
    "DSP": ("dispute-process", ""),
    "RET": ("free-return", ""),
    "WAR": ("commercial-warranty", ""),
    "MSG": ("contact-a-seller", ""),
}


def article_target(rule_id: str) -> tuple[str, str] | None:
    """(slug, anchor) of the article explaining `rule_id`, or None."""
    rule_id = (rule_id or "").strip().upper()
    if rule_id in RULE_ARTICLES:
        return RULE_ARTICLES[rule_id]
    return FAMILY_ARTICLES.get(rule_id.split("-", 1)[0])


def article_for_rule(rule_id: str) -> str | None:
    """The URL (with #anchor) of the article explaining `rule_id`, or None when none does."""
    target = article_target(rule_id)
    if target is None:
        return None
    slug, anchor = target
    url = reverse("helpcenter:article", kwargs={"slug": slug})
    return f"{url}#{anchor}" if anchor else url
