import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Demo accounts are hashed many times here; a fast hasher keeps these tests quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
