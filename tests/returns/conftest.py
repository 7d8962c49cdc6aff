import copy

import pytest

from tests.returns.factories import ReturnShop


@pytest.fixture(autouse=True)
def _provider_secrets(settings):
    """Tests run with DEBUG off, where the dev-only webhook secrets accept nothing (RET-3):
    give each provider a real-looking secret."""
    providers = copy.deepcopy(settings.RETURN_PROVIDERS)
    for slug, spec in providers.items():
        spec["secret"] = f"test-{slug}-secret-".ljust(48, "x")
    settings.RETURN_PROVIDERS = providers


@pytest.fixture
def shop(db):
    return ReturnShop()


@pytest.fixture
def eu_shop(db):
    return ReturnShop(country="DE")
