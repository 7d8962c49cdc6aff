"""Article bodies: Markdown with a small, closed set of placeholders, rendered and sanitised.

Staff edit article bodies, so a body is never treated as template code. The only
substitutions are:

- ``{{ policy.<name> }}``: the current value of a core.policy value, in words
  ("48 hours", "7 business days", "20 MB") — HLP-2, so the help always prints
  the numbers the system enforces. ``{{ policy.<name>|number }}`` prints the bare
  number ("48").
- ``{{ data.<table> }}``: a table generated from the code (the PAY-2 decline
  catalogue, the PAY-4 refund destinations), see DATA_TABLES.
- Markdown links to ``help:<slug>`` or ``help:<slug>#<anchor>``: another article.

Anything else in braces stays as literal text. The Markdown is converted to HTML and
then cleaned with nh3 (an allow-list: no raw HTML, scripts, styles, event handlers or
javascript: links survive).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import markdown
import nh3
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.policy import Policy, policy, policy_names

PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<ns>[A-Za-z_]+)\.(?P<name>[A-Za-z0-9_]+)\s*(?:\|\s*(?P<filter>[A-Za-z_]+)\s*)?\}\}"
)
BRACES = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
HELP_LINK = re.compile(r"\]\(help:(?P<slug>[a-z0-9-]+)(?:#(?P<anchor>[a-z0-9-]+))?\)")
FILTERS = {"number"}

# Pages that are not articles but may be linked as help:<name>.
PAGES = {"customs": "helpcenter:customs", "home": "helpcenter:home"}

# --- policy values in words -------------------------------------------------------------

_UNITS = {  # PolicyValue.unit → (singular, plural) for ngettext
    "days": ("day", "days"),
    "business days": ("business day", "business days"),
    "tries": ("try", "tries"),
    "digits": ("digit", "digits"),
    "returns": ("return", "returns"),
}


def _count(n: int, unit: str) -> str:
    if unit == "day":
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    if unit == "business day":
        return ngettext("%(n)s business day", "%(n)s business days", n) % {"n": n}
    if unit == "hour":
        return ngettext("%(n)s hour", "%(n)s hours", n) % {"n": n}
    if unit == "minute":
        return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    if unit == "try":
        return ngettext("%(n)s try", "%(n)s tries", n) % {"n": n}
    if unit == "digit":
        return ngettext("%(n)s digit", "%(n)s digits", n) % {"n": n}
    if unit == "return":
        return ngettext("%(n)s return", "%(n)s returns", n) % {"n": n}
    return str(n)


def _duration_parts(value: dt.timedelta) -> tuple[int, str]:
    seconds = int(value.total_seconds())
    if seconds and seconds % 3600 == 0 and seconds <= 72 * 3600:  # "48 hours" reads better than "2 days"
        return seconds // 3600, "hour"
    if seconds and seconds % 86400 == 0:
        return seconds // 86400, "day"
    if seconds and seconds % 3600 == 0:
        return seconds // 3600, "hour"
    return seconds // 60, "minute"


def _megabytes(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:g}"


def policy_text(name: str, *, number: bool = False) -> str:
    """The value of policy `name` in words ("48 hours"), or the bare number with number=True."""
    attr = vars(Policy)[name]
    value = getattr(policy, name)
    if isinstance(value, dt.timedelta):
        n, unit = _duration_parts(value)
        return str(n) if number else _count(n, unit)
    if isinstance(value, bool) or not isinstance(value, int):
        return str(value)
    if attr.unit == "bytes":
        return _megabytes(value) if number else _("%(n)s MB") % {"n": _megabytes(value)}
    if attr.unit == "basis points":
        pct = f"{value / 100:g}"
        return pct if number else f"{pct}%"
    if number or attr.unit not in _UNITS:
        return str(value)
    return _count(value, _UNITS[attr.unit][0])


# --- tables generated from the code ----------------------------------------------------


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _card_declines() -> str:
    """PAY-2: every decline the provider can give, as the pay page words it."""
    from payments.declines import CATALOGUE, PAY2_CODES

    rows = [f"| {_('What the payment page says')} | {_('What you can do')} |", "| --- | --- |"]
    rows += [f"| {_cell(CATALOGUE[c].message)} | {_cell(CATALOGUE[c].next_step)} |" for c in PAY2_CODES]
    return "\n".join(rows)


def _refund_destinations() -> str:
    """PAY-4 / RFD-1: for each payment method, where its refunds go."""
    from core.countries import country_name
    from payments.methods import METHODS

    rows = [
        f"| {_('Paid with')} | {_('Offered for deliveries to')} | {_('A refund goes to')} |",
        "| --- | --- | --- |",
    ]
    for m in METHODS.values():
        where = ", ".join(country_name(c) for c in sorted(m.countries)) or _("every country")
        rows.append(f"| {_cell(m.label)} | {_cell(where)} | {_cell(m.refund_destination_label)} |")
    return "\n".join(rows)


DATA_TABLES: dict[str, Callable[[], str]] = {
    "card_declines": _card_declines,
    "refund_destinations": _refund_destinations,
}


# --- checking and rendering --------------------------------------------------------------


def body_problems(body: str) -> list[str]:
    """What is wrong with the placeholders of `body` (empty list: nothing). Staff see these on save."""
    problems = []
    names = policy_names()
    for m in PLACEHOLDER.finditer(body):
        ns, name, flt = m.group("ns"), m.group("name"), m.group("filter")
        if ns == "policy" and name not in names:
            problems.append(_("Unknown policy value “%(name)s”.") % {"name": name})
        elif ns == "policy" and isinstance(getattr(policy, name), dict):
            problems.append(_("The policy value “%(name)s” cannot be printed.") % {"name": name})
        elif ns == "data" and name not in DATA_TABLES:
            problems.append(_("Unknown table “%(name)s”.") % {"name": name})
        elif ns not in ("policy", "data"):
            problems.append(_("Unknown placeholder “%(text)s”.") % {"text": m.group(0)})
        if flt and flt not in FILTERS:
            problems.append(_("Unknown filter “%(name)s”: only |number is allowed.") % {"name": flt})
    leftover = BRACES.findall(PLACEHOLDER.sub("", body))
    for text in leftover:
        problems.append(
            _("“%(text)s” is not a placeholder; use {{ policy.<name> }} or {{ data.<table> }}.")
            % {"text": text[:60]}
        )
    for m in HELP_LINK.finditer(body):
        if m.group("slug") in PAGES:
            continue
        from helpcenter.models import HelpArticle

        if not HelpArticle.objects.filter(slug=m.group("slug")).exists():
            problems.append(_("The link help:%(slug)s names no article.") % {"slug": m.group("slug")})
    return problems


def _substitute(match: re.Match) -> str:
    ns, name, flt = match.group("ns"), match.group("name"), match.group("filter")
    if ns == "policy" and name in policy_names() and (flt is None or flt in FILTERS):
        value = getattr(policy, name)
        if not isinstance(value, dict):
            return policy_text(name, number=flt == "number")
    if ns == "data" and name in DATA_TABLES and flt is None:
        return "\n\n" + DATA_TABLES[name]() + "\n\n"
    return match.group(0)  # not ours: stays literal, escaped by the sanitiser


def _link(match: re.Match) -> str:
    slug, anchor = match.group("slug"), match.group("anchor")
    try:
        url = reverse(PAGES[slug]) if slug in PAGES else reverse("helpcenter:article", kwargs={"slug": slug})
    except NoReverseMatch:
        return "](#)"
    return f"]({url}{'#' + anchor if anchor else ''})"


ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code", "pre", "blockquote",
    "table", "thead", "tbody", "tr", "th", "td", "hr", "br",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}}
_ID = re.compile(r"^[a-z][a-z0-9-]{0,79}$")
RESERVED_IDS = {"main", "content", "help-vote", "order-panel"}


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "id":
        return value if _ID.match(value) and value not in RESERVED_IDS else None
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def _md() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "attr_list", "toc"],
        extension_configs={"toc": {"permalink": False}},
        output_format="html",
    )


def render_body(body: str) -> SafeString:
    """The article `body` as safe HTML: placeholders filled from the policy, Markdown converted,
    then everything not on the allow-list removed."""
    text = PLACEHOLDER.sub(_substitute, body)
    text = HELP_LINK.sub(_link, text)
    html = _md().convert(text)
    return mark_safe(sanitise(html))  # noqa: S308 — cleaned by nh3 just above


def render_text(body: str) -> str:
    """The rendered article as plain text (search snippets, tests)."""
    return strip_tags(render_body(body))
