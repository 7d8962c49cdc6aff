import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every product builds a store and its owner; hashing their passwords slowly adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
