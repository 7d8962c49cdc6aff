import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Stores come with owners; slow password hashing adds nothing to these tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Browser tests here drive the same system Chromium as tests/browser.
from tests.browser.conftest import browser_type_launch_args  # noqa: E402, F401
