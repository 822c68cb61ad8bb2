import jax
import pytest


@pytest.fixture
def float32():
    """CNN training runs in float32 (the suite's default fixture enables x64)."""
    with jax.enable_x64(False):
        yield
