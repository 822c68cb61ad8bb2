import os

import jax
import pytest


@pytest.fixture(autouse=True)
def float64():
    """Closed forms are checked to ~1e-8, which needs float64."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(autouse=True, scope="session")
def command_line_cache(tmp_path_factory):
    """The command line's caches in a folder of the test session, not the user's."""
    previous = os.environ.get("GMM_THEORY_CACHE")
    os.environ["GMM_THEORY_CACHE"] = str(tmp_path_factory.mktemp("gmm-theory-cache"))
    yield
    if previous is None:
        del os.environ["GMM_THEORY_CACHE"]
    else:
        os.environ["GMM_THEORY_CACHE"] = previous
