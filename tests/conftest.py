import os

from hypothesis import HealthCheck, settings

# CI keeps the whole suite well under two minutes on two cores; `thorough`
# is for a long local run:  HYPOTHESIS_PROFILE=thorough pytest
settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
