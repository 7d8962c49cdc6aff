"""API authentication: the browser session (CSRF-checked) or a bearer token."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        try:
            api_token = ApiToken.objects.select_related("user").get(key_hash=ApiToken.hash_key(token))
        except ApiToken.DoesNotExist:
            return None
        if not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


api_auth = [TokenAuth(), SessionAuth()]
