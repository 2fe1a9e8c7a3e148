import pytest

from tests.status.fake_servers import provider_server


@pytest.fixture
def provider_site():
    with provider_server() as server:
        yield server
