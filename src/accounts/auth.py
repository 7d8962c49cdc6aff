"""API authentication: a bearer token (API clients) or the browser session (CSRF-checked on writes).

`api_auth` is the default of the whole API (hmong_artisans.api). A request
carrying an ``Authorization`` header is judged by its token alone, so a wrong
token gives 401 rather than a CSRF complaint meant for browsers.
"""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken

TOKEN_TOUCH_SECONDS = 60  # last_used_at is refreshed at most once a minute


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        if not token or len(token) > 200:
            return None
        try:
            api_token = ApiToken.objects.select_related("user").get(key_hash=ApiToken.hash_key(token))
        except ApiToken.DoesNotExist:
            return None
        if not api_token.user.is_active:
            return None
        now = timezone.now()
        if (api_token.last_used_at is None
                or (now - api_token.last_used_at).total_seconds() > TOKEN_TOUCH_SECONDS):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token  # DELETE /auth/token revokes this one
        return api_token.user


class BrowserSessionAuth(SessionAuth):
    """Django's session; ninja checks the CSRF token on unsafe methods."""

    def __call__(self, request):
        if request.headers.get("Authorization"):
            return None
        request.api_token = None
        return super().__call__(request)


api_auth = [TokenAuth(), BrowserSessionAuth()]
