import pytest

from tests.messaging.factories import Chat


@pytest.fixture
def chat(db):
    return Chat()
