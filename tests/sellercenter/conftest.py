# Browser tests here drive the same system Chromium as tests/browser.
from tests.browser.conftest import browser_type_launch_args  # noqa: F401
