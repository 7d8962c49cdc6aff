"""Production settings: the base settings with every safety switch on.

Use with DJANGO_SETTINGS_MODULE=hmong_artisans.settings_production. It refuses
to start with the development secret key or with DEBUG on, and
`manage.py check --deploy` passes with no warnings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DEBUG", "false")
# ACC-1: email verification is mandatory in the base settings already (no sign-up enumeration).

from .settings import *  # noqa: E402,F403
from .settings import SECRET_KEY, env_bool  # noqa: E402

if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production")
if DEMO_CLOCK:  # noqa: F405
    raise ImproperlyConfigured("DEMO_CLOCK must be off in production: the clock cannot be moved there")
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of 50+ characters")
if TRACKING_WEBHOOK_SECRET.startswith("dev-only") or len(TRACKING_WEBHOOK_SECRET) < 32:  # noqa: F405
    raise ImproperlyConfigured("Set TRACKING_WEBHOOK_SECRET to a random string of 32+ characters")
# PAY-1: payment results arrive by signed webhooks; the signing secrets must be real.
if PAYMENT_PROVIDER == "simulated" and (  # noqa: F405
    SIMULATED_WEBHOOK_SECRET.startswith("dev-only") or len(SIMULATED_WEBHOOK_SECRET) < 32  # noqa: F405
):
    raise ImproperlyConfigured("Set SIMULATED_WEBHOOK_SECRET to a random string of 32+ characters")
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):  # noqa: F405
    raise ImproperlyConfigured("Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET for the Stripe provider")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
