"""Staff back office of the help center (HLP-1, HLP-3, OPS-1), at /backoffice/help/: vote tallies
with the least helpful articles first, article editing with a live preview (htmx), customs and
post office data. Anyone but active staff gets 404. Every change is audited by the services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import clock
from core.countries import country_name, is_country
from core.errors import DomainError, NotFound
from core.policy import Policy
from helpcenter import selectors, services
from helpcenter.forms import ArticleForm, CountryPickForm, CustomsForm, PostOfficeFormSet
from helpcenter.models import PostOffice
from helpcenter.rendering import DATA_TABLES, body_problems, policy_text, render_body


def staff_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.is_active):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
@require_http_methods(["GET"])
def article_list(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/backoffice_list.html", {"articles": selectors.article_tallies()})


def _placeholders() -> list[tuple[str, str, str]]:
    out = []
    for entry in Policy.entries():
        if isinstance(entry.value, dict):
            continue
        out.append((f"{{{{ policy.{entry.name} }}}}", policy_text(entry.name), f"{entry.rule}: {entry.doc}"))
    out += [(f"{{{{ data.{name} }}}}", _("a table"), fn.__doc__ or "") for name, fn in DATA_TABLES.items()]
    return out


def _article_form(article, **kwargs) -> ArticleForm:
    form = ArticleForm(**kwargs)
    form.fields["related"].queryset = form.fields["related"].queryset.exclude(pk=article.pk)
    return form


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        article = selectors.article_get(slug=slug, include_unpublished=True)
    except NotFound:
        raise Http404("No such article") from None
    status = 200
    if request.method == "POST":
        form = _article_form(article, data=request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.article_update(
                    article=article, staff=request.user, title=data["title"], summary=data["summary"],
                    body=data["body"], category=data["category"], published=data["published"],
                    related=list(data["related"]), now=clock.now(),
                )
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                status = exc.status
            else:
                messages.success(request, _("The article “%(title)s” was saved.") % {"title": article.title})
                return redirect("backoffice_help:list")
        else:
            status = 422
    else:
        form = _article_form(article, initial={
            "title": article.title, "summary": article.summary, "category": article.category,
            "body": article.body, "related": list(article.related.all()), "published": article.published,
        })
    body = form["body"].value() or ""
    return render(request, "helpcenter/backoffice_edit.html", {
        "article": article, "form": form, "preview": render_body(body), "problems": body_problems(body),
        "placeholders": _placeholders(),
    }, status=status)


@staff_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """htmx: the body as the article page would show it, and any placeholder problems."""
    body = request.POST.get("body", "")[: services.BODY_MAX]
    return render(request, "helpcenter/_preview.html",
                  {"preview": render_body(body), "problems": body_problems(body)})


@staff_required
@require_http_methods(["GET"])
def customs_list(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("country")
    if raw:
        code = raw.strip().upper()
        if is_country(code):
            return redirect("backoffice_help:customs_edit", country=code)
    rows = [(c, country_name(c), selectors.customs_for(country=c), len(selectors.post_offices(country=c)))
            for c in selectors.countries_with_help()]
    form = CountryPickForm(data={"country": raw}) if raw else CountryPickForm()
    if raw:
        form.is_valid()
    return render(request, "helpcenter/backoffice_customs_list.html", {"rows": rows, "form": form},
                  status=400 if raw else 200)


def _customs_save(staff, country: str, form, formset, now) -> None:
    services.customs_update(staff=staff, country=country, now=now, **form.cleaned_data)
    for f in formset.forms:
        if not f.has_changed() and f.instance.pk is None:
            continue
        if f.instance.pk and f.cleaned_data.get("DELETE"):
            services.post_office_delete(staff=staff, office=f.instance, now=now)
        elif f.has_changed():
            services.post_office_save(
                staff=staff, office=f.instance if f.instance.pk else None,
                country=country, now=now, name=f.cleaned_data["name"],
                phone=f.cleaned_data["phone"], website=f.cleaned_data.get("website", ""),
            )


@staff_required
@require_http_methods(["GET", "POST"])
def customs_edit(request: HttpRequest, country: str) -> HttpResponse:
    """HLP-3: one country's customs text and post office contacts."""
    country = country.upper()
    if not is_country(country):
        raise Http404("No such country")
    customs = selectors.customs_for(country=country)
    offices = PostOffice.objects.filter(country=country)
    status = 200
    if request.method == "POST":
        form = CustomsForm(request.POST)
        formset = PostOfficeFormSet(request.POST, queryset=offices)
        if form.is_valid() and formset.is_valid():
            now = clock.now()
            try:
                with transaction.atomic():  # all or nothing
                    _customs_save(request.user, country, form, formset, now)
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                status = exc.status
            else:
                messages.success(request, _("Saved the customs information of %(country)s.")
                                 % {"country": country_name(country)})
                return redirect("backoffice_help:customs")
        else:
            status = 422
    else:
        form = CustomsForm(initial={
            "thresholds": customs.thresholds if customs else "",
            "notes": customs.notes if customs else "",
            "customs_website": customs.customs_website if customs else "",
        })
        formset = PostOfficeFormSet(queryset=offices)
    return render(request, "helpcenter/backoffice_customs_edit.html", {
        "country": country, "country_label": country_name(country), "form": form, "formset": formset,
        "customs": customs,
    }, status=status)
