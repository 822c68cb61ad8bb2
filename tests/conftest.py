import jax
import pytest


@pytest.fixture(autouse=True)
def float64():
    """Closed forms are checked to ~1e-8, which needs float64."""
    with jax.enable_x64(True):
        yield
