import os

from hypothesis import HealthCheck, settings

# CI keeps the whole suite well under two minutes on two cores; `thorough`
# is for a long local run:  HYPOTHESIS_PROFILE=thorough pytest
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def slow(fraction: int = 4):
    """Settings for properties that run the whole pipeline on the real rules: a fraction of the profile."""
    return settings(max_examples=max(10, settings().max_examples // fraction))


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory):
    """The suite never reads or writes the user's cache."""
    os.environ["BENCHDSL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
