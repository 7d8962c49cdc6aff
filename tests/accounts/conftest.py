import pytest

# Browser tests here drive the same system Chromium as tests/browser.
from tests.browser.conftest import browser_type_launch_args  # noqa: F401


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    """SMS codes (ACC-5, ACC-6) go to accounts.sms.outbox: the one outside thing faked."""
    from accounts import sms

    settings.SMS_BACKEND = "accounts.sms.LocmemBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()
