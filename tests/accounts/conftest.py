import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests hash many passwords; the production hasher's cost only slows them down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Browser tests here drive the same system Chromium as tests/browser.
from tests.browser.conftest import browser_type_launch_args  # noqa: E402, F401
