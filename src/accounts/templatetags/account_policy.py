"""Template tags printing account policy values, so pages say what the system does (ACC-2)."""

from django import template

from accounts.adapter import duration_text
from core.policy import policy

register = template.Library()


@register.simple_tag
def reset_link_lifetime() -> str:
    """How long an emailed password-reset link works, e.g. "1 hour"."""
    return duration_text(policy.password_reset_link_lifetime)
