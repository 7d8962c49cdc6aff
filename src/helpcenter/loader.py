"""Load the shipped help center (articles/*.md, customs_data.py) into the database, idempotently.

Called after every `migrate` (post_migrate, see apps.py), by `seed_demo` and by
`manage.py help_load`. Rules:

- a missing category, article, customs entry or post office is created;
- a shipped article whose file changed is updated, unless staff edited it in the back
  office (staff_edited_at set): from then on the database wins;
- nothing is written when nothing changed (a second run writes no row).

An article file starts with front matter between two `---` lines (``key: value``):
slug, title, category, summary, related (comma-separated slugs), position; then the
Markdown body (see helpcenter.rendering for its placeholders).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, transaction

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"

# (slug, name, description, position)
CATEGORIES = [
    ("orders-shipping", "Orders, shipping and tracking",
     "From paying to the parcel at your door: shipping times, tracking, customs.", 10),
    ("payments", "Payments and card problems", "Paying, saved cards, declined payments, card checks.", 20),
    ("refunds-cancellations", "Cancellations and refunds",
     "Cancelling an order, closed orders, when and where refunds arrive.", 30),
    ("disputes-protection", "Buyer protection and disputes",
     "How your money is protected and how to get help when something goes wrong.", 40),
    ("returns-warranty", "Returns, Free Return and warranty",
     "Sending items back and getting them repaired or replaced.", 50),
    ("coupons", "Coupons and promo codes", "Collecting and using discounts.", 60),
    ("account", "Your account and signing in", "Passwords, email address, social sign-in, security.", 70),
    ("sellers", "Talking to sellers", "Messages with the stores you buy from.", 80),
]


@dataclass(frozen=True)
class ArticleFile:
    slug: str
    title: str
    category: str
    summary: str
    related: tuple[str, ...]
    position: int
    body: str
    checksum: str


@dataclass
class LoadResult:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)


class ArticleFileError(ValueError):
    pass


def article_parse(text: str, *, name: str = "") -> ArticleFile:
    """Parse one article file (front matter + Markdown body)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ArticleFileError(f"{name}: must start with a '---' front matter line")
    try:
        end = lines.index("---", 1)
    except ValueError:
        raise ArticleFileError(f"{name}: front matter is not closed by '---'") from None
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if not sep:
            raise ArticleFileError(f"{name}: bad front matter line {line!r}")
        meta[key.strip()] = value.strip()
    for key in ("slug", "title", "category"):
        if not meta.get(key):
            raise ArticleFileError(f"{name}: front matter needs {key}")
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    return ArticleFile(
        slug=meta["slug"],
        title=meta["title"],
        category=meta["category"],
        summary=meta.get("summary", ""),
        related=tuple(s.strip() for s in meta.get("related", "").split(",") if s.strip()),
        position=int(meta.get("position", "0")),
        body=body,
        checksum=hashlib.sha256(text.encode()).hexdigest(),
    )


def article_files() -> list[ArticleFile]:
    return [
        article_parse(path.read_text(encoding="utf-8"), name=path.name)
        for path in sorted(ARTICLES_DIR.glob("*.md"))
    ]


def help_load(*, now: dt.datetime, using: str = "default") -> LoadResult:
    """Create or refresh the shipped help center; see the module docstring."""
    from helpcenter import customs_data
    from helpcenter.models import CountryCustoms, HelpArticle, HelpCategory, PostOffice

    result = LoadResult()
    files = article_files()
    with transaction.atomic(using=using):
        categories = {c.slug: c for c in HelpCategory.objects.using(using).all()}
        for slug, name, description, position in CATEGORIES:
            cat = categories.get(slug)
            if cat is None:
                categories[slug] = HelpCategory.objects.using(using).create(
                    slug=slug, name=name, description=description, position=position
                )
                result.created["category"] += 1
            elif (cat.name, cat.description, cat.position) != (name, description, position):
                cat.name, cat.description, cat.position = name, description, position
                cat.save(using=using)
                result.updated["category"] += 1

        existing = {a.slug: a for a in HelpArticle.objects.using(using).all()}
        touched: list[tuple[HelpArticle, ArticleFile]] = []
        for f in files:
            article = existing.get(f.slug)
            values = {
                "title": f.title,
                "category": categories[f.category],
                "summary": f.summary,
                "body": f.body,
                "position": f.position,
                "source_checksum": f.checksum,
            }
            if article is None:
                article = HelpArticle.objects.using(using).create(slug=f.slug, updated_at=now, **values)
                existing[f.slug] = article
                result.created["article"] += 1
                touched.append((article, f))
            elif article.staff_edited_at is None and article.source_checksum != f.checksum:
                for key, value in values.items():
                    setattr(article, key, value)
                article.updated_at = now
                article.save(using=using)
                result.updated["article"] += 1
                touched.append((article, f))
        for article, f in touched:
            article.related.set([existing[s] for s in f.related if s in existing and s != f.slug])

        have = set(CountryCustoms.objects.using(using).values_list("country", flat=True))
        for country, thresholds, notes, website in customs_data.CUSTOMS:
            if country not in have:
                CountryCustoms.objects.using(using).create(
                    country=country, thresholds=thresholds, notes=notes, customs_website=website,
                    updated_at=now,
                )
                result.created["customs"] += 1
        offices = set(PostOffice.objects.using(using).values_list("country", "name"))
        for position, (country, name, phone, website) in enumerate(customs_data.POST_OFFICES):
            if (country, name) not in offices:
                PostOffice.objects.using(using).create(
                    country=country, name=name, phone=phone, website=website, position=position
                )
                result.created["post_office"] += 1
    return result


def load_after_migrate(sender, *, using: str = "default", **kwargs) -> None:
    """post_migrate: load the shipped help center once the help center's tables exist."""
    from django.utils import timezone

    from helpcenter.models import HelpArticle, PostOffice

    tables = set(connections[using].introspection.table_names())
    if HelpArticle._meta.db_table not in tables or PostOffice._meta.db_table not in tables:
        return  # e.g. `migrate helpcenter zero`
    help_load(now=timezone.now(), using=using)
