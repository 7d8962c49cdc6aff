from django import forms
from django.utils.translation import gettext_lazy as _

from core.countries import country_choices
from helpcenter.models import HelpArticle, HelpCategory, PostOffice


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=HelpCategory.objects.all())
    body = forms.CharField(
        label=_("Body (Markdown)"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_("Print durations and amounts with {{ policy.name }} (see the list below); "
                    "link an article with [text](help:slug). HTML is removed."),
    )
    related = forms.ModelMultipleChoiceField(
        label=_("Related articles"), queryset=HelpArticle.objects.all(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    published = forms.BooleanField(label=_("Published"), required=False)


def _country_options() -> list[tuple[str, str]]:
    return [("", _("Choose a country"))] + country_choices()


class CountryPickForm(forms.Form):
    country = forms.ChoiceField(label=_("Destination country"), choices=_country_options, required=False)


class CustomsForm(forms.Form):
    thresholds = forms.CharField(label=_("Duties and VAT thresholds"), max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    customs_website = forms.URLField(label=_("Customs authority website"), required=False,
                                     assume_scheme="https")


class PostOfficeForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = PostOffice
        fields = ["name", "phone", "website"]


PostOfficeFormSet = forms.modelformset_factory(PostOffice, form=PostOfficeForm, extra=1, can_delete=True)
