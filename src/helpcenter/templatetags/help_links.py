"""`{% help_link "ORD-5" %}`: a link to the help article explaining a rule (HLP-4).

Use it next to any Decision's reason: ``{% help_link decision.rule %}``. An optional label:
``{% help_link "DSP-2" label="How disputes work" %}``. Unknown or empty ids print nothing.
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from helpcenter.links import article_for_rule

register = template.Library()


@register.simple_tag
def help_link(rule_id, label=""):
    url = article_for_rule(str(rule_id or ""))
    if not url:
        return ""
    return format_html(
        '<a class="help-link" href="{}" data-rule="{}">{}</a>', url, rule_id, label or _("Learn why")
    )
