import pytest

from shoplink.hooks.tests.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    r.start()
    yield r
    r.stop()
